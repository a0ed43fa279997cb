package io.prune4j.backend.cpu;

/**
 * k-th-value selection on the CPU: an introselect-style quickselect on a copy of the scores (NaN
 * mapped below every number) finds the k-th largest value in expected linear time, then one pass
 * builds the mask, keeping every score above it and, at the k-th value itself, the lowest indices
 * first. The same contract as the CUDA radix select: no full sort.
 */
final class Selection {
    private Selection() {}

    static void topKMask(float[] mask, float[] scores, int keep) {
        int n = scores.length;
        java.util.Arrays.fill(mask, 0f);
        if (keep == 0) {
            return;
        }
        if (keep == n) {
            java.util.Arrays.fill(mask, 1f);
            return;
        }
        float kth = kthLargest(scores, keep);
        int above = 0;
        for (int i = 0; i < n; i++) {
            if (key(scores[i]) > kth) {
                mask[i] = 1f;
                above++;
            }
        }
        int ties = keep - above;
        for (int i = 0; i < n && ties > 0; i++) {
            if (key(scores[i]) == kth) {
                mask[i] = 1f;
                ties--;
            }
        }
    }

    /** NaN ranks below every number, −0 equals +0. */
    private static float key(float v) {
        return Float.isNaN(v) ? Float.NEGATIVE_INFINITY : v + 0f;
    }

    /** The {@code k}-th largest key (1-based) of {@code scores}. */
    static float kthLargest(float[] scores, int k) {
        float[] a = new float[scores.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = key(scores[i]);
        }
        int target = a.length - k; // k-th largest = (n−k)-th smallest, 0-based
        int lo = 0;
        int hi = a.length - 1;
        java.util.SplittableRandom rng = new java.util.SplittableRandom(0x9E3779B97F4A7C15L);
        while (lo < hi) {
            float pivot = a[lo + rng.nextInt(hi - lo + 1)];
            // three-way partition: [lo, lt) < pivot, [lt, gt] == pivot, (gt, hi] > pivot
            int lt = lo;
            int gt = hi;
            int i = lo;
            while (i <= gt) {
                if (a[i] < pivot) {
                    swap(a, lt++, i++);
                } else if (a[i] > pivot) {
                    swap(a, i, gt--);
                } else {
                    i++;
                }
            }
            if (target < lt) {
                hi = lt - 1;
            } else if (target > gt) {
                lo = gt + 1;
            } else {
                return pivot;
            }
        }
        return a[target];
    }

    private static void swap(float[] a, int i, int j) {
        float t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
