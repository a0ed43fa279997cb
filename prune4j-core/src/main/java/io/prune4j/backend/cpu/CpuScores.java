package io.prune4j.backend.cpu;

import io.prune4j.backend.Reduction;
import java.util.Arrays;

/** The CPU loops of the graph networks' scoring operations: FPGM, LAMP and the segmented reduction. */
final class CpuScores {
    private CpuScores() {}

    /** Rows of {@code w} compared against every row at once by {@link #fpgm}: each row of the other is read once per block. */
    private static final int FPGM_BLOCK = 4;

    /**
     * {@code out[r] = Σ_j ‖w_r − w_j‖₂} for {@code w [rows, cols]}. The differences are taken and
     * squared in double (a float difference of two nearby rows would keep few correct digits), each
     * distance summed over the columns in order and the distances over {@code j} in order, so a
     * distance has the same bits whichever of its two rows it is added to and the result does not
     * depend on the thread count. Every row computes all of its distances (twice the arithmetic of
     * the symmetric half) so the rows split over the workers without any shared sums; blocks of
     * {@link #FPGM_BLOCK} rows go through the other rows together, four independent sums per pass.
     */
    static void fpgm(CpuWorkers workers, float[] out, float[] w, int rows, int cols) {
        int blocks = (rows + FPGM_BLOCK - 1) / FPGM_BLOCK;
        workers.parallel(blocks, (long) rows * rows * cols, (worker, from, to) -> {
            for (int blk = from; blk < to; blk++) {
                int r0 = blk * FPGM_BLOCK;
                if (r0 + FPGM_BLOCK <= rows) {
                    fpgmBlock(out, w, rows, cols, r0);
                } else {
                    for (int r = r0; r < rows; r++) {
                        double total = 0;
                        for (int j = 0; j < rows; j++) {
                            double s = 0;
                            for (int c = 0; c < cols; c++) {
                                double d = (double) w[r * cols + c] - w[j * cols + c];
                                s += d * d;
                            }
                            total += Math.sqrt(s);
                        }
                        out[r] = (float) total;
                    }
                }
            }
        });
    }

    private static void fpgmBlock(float[] out, float[] w, int rows, int cols, int r0) {
        int a = r0 * cols;
        int b = a + cols;
        int c2 = b + cols;
        int d = c2 + cols;
        double t0 = 0;
        double t1 = 0;
        double t2 = 0;
        double t3 = 0;
        for (int j = 0; j < rows; j++) {
            int o = j * cols;
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            for (int c = 0; c < cols; c++) {
                double v = w[o + c];
                double e0 = w[a + c] - v;
                double e1 = w[b + c] - v;
                double e2 = w[c2 + c] - v;
                double e3 = w[d + c] - v;
                s0 += e0 * e0;
                s1 += e1 * e1;
                s2 += e2 * e2;
                s3 += e3 * e3;
            }
            t0 += Math.sqrt(s0);
            t1 += Math.sqrt(s1);
            t2 += Math.sqrt(s2);
            t3 += Math.sqrt(s3);
        }
        out[r0] = (float) t0;
        out[r0 + 1] = (float) t1;
        out[r0 + 2] = (float) t2;
        out[r0 + 3] = (float) t3;
    }

    /**
     * LAMP scores: the elements ordered by magnitude, then by index, through one primitive sort of
     * {@code (bits of |w|) << 32 | index} (the bits of a non-negative float order as the float does,
     * NaN above +∞), then the suffix sums of {@code w²} in double from the largest element down:
     * {@code out[u] = w_u² / Σ_{v ≥ u} w_v²}. An all-zero suffix (only when every element is zero)
     * scores 0.
     */
    static void lamp(float[] out, float[] w) {
        int n = w.length;
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = ((long) Float.floatToIntBits(Math.abs(w[i])) << 32) | i;
        }
        Arrays.sort(keys);
        double suffix = 0;
        for (int u = n - 1; u >= 0; u--) {
            int i = (int) keys[u];
            double sq = (double) w[i] * w[i];
            suffix += sq;
            out[i] = suffix == 0 ? 0f : (float) (sq / suffix);
        }
    }

    /**
     * {@code out[k] = reduce(src[perm[i]], offsets[k] ≤ i < offsets[k + 1])}, each segment in
     * index order: the sum (and mean) in double, the maximum in float with NaN winning (as
     * {@code torch.amax} does); 0 for an empty segment. Every offset and index is checked before
     * anything is written.
     */
    static void segmentReduce(float[] out, float[] src, int[] perm, int[] offsets, Reduction reduction) {
        int k = out.length;
        if (offsets[0] != 0) {
            throw new IndexOutOfBoundsException("segmentReduce: offsets[0] is " + offsets[0] + ", must be 0");
        }
        for (int s = 0; s < k; s++) {
            if (offsets[s + 1] < offsets[s] || offsets[s + 1] > perm.length) {
                throw new IndexOutOfBoundsException("segmentReduce: offsets[" + (s + 1) + "] = " + offsets[s + 1]
                        + " after offsets[" + s + "] = " + offsets[s] + ": offsets must be non-decreasing and at most " + perm.length);
            }
        }
        if (offsets[k] != perm.length) {
            throw new IndexOutOfBoundsException("segmentReduce: offsets[" + k + "] is " + offsets[k] + ", must be perm's size "
                    + perm.length);
        }
        for (int i = 0; i < perm.length; i++) {
            if (perm[i] < 0 || perm[i] >= src.length) {
                throw new IndexOutOfBoundsException("segmentReduce: perm[" + i + "] = " + perm[i] + " outside src [0, " + src.length + ")");
            }
        }
        for (int s = 0; s < k; s++) {
            int lo = offsets[s];
            int hi = offsets[s + 1];
            if (lo == hi) {
                out[s] = 0f;
                continue;
            }
            switch (reduction) {
                case SUM, MEAN -> {
                    double sum = 0;
                    for (int i = lo; i < hi; i++) {
                        sum += src[perm[i]];
                    }
                    out[s] = (float) (reduction == Reduction.SUM ? sum : sum / (hi - lo));
                }
                case MAX -> {
                    float m = src[perm[lo]];
                    for (int i = lo + 1; i < hi; i++) {
                        float v = src[perm[i]];
                        if (v > m || v != v) {
                            m = v;
                        }
                    }
                    out[s] = m;
                }
            }
        }
    }
}
