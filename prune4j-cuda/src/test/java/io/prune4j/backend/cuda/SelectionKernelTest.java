package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code p4j_select_topk} (radix select) against {@code CpuBackend.selectTopK} (quickselect, the
 * contract): the masks must be identical, ties and NaN included, and the k-th value must be the
 * keep-th largest ranking key (NaN as −∞, −0 as +0) of a full sort. Also {@code p4j_count_at_least}.
 * Scores are read from unaligned offsets too, which takes the histogram's scalar head and tail paths.
 */
@Tag("gpu")
class SelectionKernelTest {

    private enum Dist { UNIFORM, FEW_VALUES, SPECIALS, ALL_EQUAL, MOSTLY_EQUAL }

    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("SelectionKernelTest", test);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void masksAndKthValueMatchTheCpu(int n) {
        SplittableRandom rng = new SplittableRandom(4242);
        int cases = 0;
        for (Dist dist : Dist.values()) {
            float[] scores = scores(rng, n, dist);
            int[] keeps = {0, 1, n / 100, n / 2, n - 1, n, (int) (n * 0.99)};
            for (int keep : keeps) {
                if (keep < 0 || keep > n) continue;
                check(scores, keep, 0, dist + " n=" + n + " keep=" + keep);
                cases++;
            }
        }
        System.out.println("[SelectionKernelTest] ok " + cases + " selections of n=" + n);
    }

    /** Sizes around the histogram's 4-float vector width, and large ones, for the unaligned slices. */
    static int[] unalignedSizes() {
        return new int[] {1, 2, 3, 5, 7, 33, 4097, 100_003};
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("unalignedSizes")
    void unalignedSlices(int n) {
        SplittableRandom rng = new SplittableRandom(99);
        for (int offset = 1; offset <= 3; offset++) {
            for (Dist dist : new Dist[] {Dist.UNIFORM, Dist.FEW_VALUES}) {
                float[] scores = scores(rng, n, dist);
                for (int keep : new int[] {1, n / 3, n - 1, n}) {
                    if (keep < 0 || keep > n) continue;
                    check(scores, keep, offset, dist + " n=" + n + " keep=" + keep + " offset=" + offset);
                }
            }
        }
        System.out.println("[SelectionKernelTest] ok unaligned slices of n=" + n);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void countAtLeastMatchesTheCpu(int n) {
        SplittableRandom rng = new SplittableRandom(7);
        try (DeviceBuffer count = DeviceBuffer.allocate(4)) {
            float[] scores = scores(rng, n, Dist.SPECIALS);
            Tensor t = Gpu.CPU.fromArray(scores, n);
            try (DeviceBuffer d = Gpu.up(scores)) {
                for (float thr : new float[] {0f, -0f, 0.5f, -1f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN}) {
                    Gpu.run(CudaKernels.p4j_count_at_least(count.address(), d.address(), n, thr, 0L), "count_at_least n=" + n);
                    assertEquals(Gpu.CPU.countAtLeast(t, thr), count.toInts(1)[0], "count_at_least n=" + n + " threshold=" + thr);
                }
            }
        }
        System.out.println("[SelectionKernelTest] ok count_at_least n=" + n);
    }

    @Test
    void workspaceIsReusedAcrossCalls() {
        // one workspace sized for the largest n serves smaller selections (per-layer ranking)
        SplittableRandom rng = new SplittableRandom(5);
        long[] bytes = new long[1];
        CudaException.check(CudaKernels.p4j_select_topk_workspace_bytes(200_000, bytes), "workspace bytes");
        try (DeviceBuffer ws = DeviceBuffer.allocate(bytes[0]);
             DeviceBuffer kth = DeviceBuffer.allocate(4)) {
            for (int round = 0; round < 4; round++) {
                int n = 50_000 * (round + 1);
                float[] scores = scores(rng, n, round % 2 == 0 ? Dist.UNIFORM : Dist.FEW_VALUES);
                int keep = n / (round + 2);
                try (DeviceBuffer d = Gpu.up(scores); DeviceBuffer mask = DeviceBuffer.floats(n)) {
                    Gpu.run(CudaKernels.p4j_select_topk(mask.address(), kth.address(), d.address(), n, keep, ws.address(), ws.bytes(), 0L),
                            "select_topk round " + round);
                    Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, n);
                    Gpu.CPU.selectTopK(ref, Gpu.CPU.fromArray(scores, n), keep);
                    Check.sameBits("mask round " + round, Gpu.cpu(ref), mask.toFloats(n));
                }
            }
        }
    }

    /** Runs one selection on the device (at {@code offset} floats into a larger buffer) and compares. */
    private static void check(float[] scores, int keep, int offset, String label) {
        int n = scores.length;
        Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, n);
        Gpu.CPU.selectTopK(ref, Gpu.CPU.fromArray(scores, n), keep);
        float[] expectedMask = Gpu.cpu(ref);
        float expectedKth = keep == 0 ? Float.POSITIVE_INFINITY : kthKey(scores, keep);

        long[] bytes = new long[1];
        CudaException.check(CudaKernels.p4j_select_topk_workspace_bytes(n, bytes), "workspace bytes " + label);
        float[] padded = new float[n + offset];
        Arrays.fill(padded, Float.NaN);
        System.arraycopy(scores, 0, padded, offset, n);
        try (DeviceBuffer d = Gpu.up(padded);
             DeviceBuffer mask = DeviceBuffer.floats(Math.max(1, n));
             DeviceBuffer kth = DeviceBuffer.allocate(4);
             DeviceBuffer ws = DeviceBuffer.allocate(Math.max(1, bytes[0]))) {
            long src = d.floatAddress(offset);
            Gpu.run(CudaKernels.p4j_select_topk(mask.address(), kth.address(), src, n, keep, ws.address(), ws.bytes(), 0L),
                    "select_topk " + label);
            float[] got = mask.toFloats(n);
            Check.sameBits("mask " + label, expectedMask, got);
            float k = n == 0 ? expectedKth : kth.toFloats(1)[0];
            if (n > 0) {
                assertEquals(Float.floatToIntBits(expectedKth), Float.floatToIntBits(k), "kth " + label + ": expected " + expectedKth + " got " + k);
            }
            // k-th value only (no mask): the benchmark's mode
            if (n > 0 && keep > 0) {
                Gpu.run(CudaKernels.p4j_select_topk(0L, kth.address(), src, n, keep, ws.address(), ws.bytes(), 0L), "kth only " + label);
                assertEquals(Float.floatToIntBits(expectedKth), Float.floatToIntBits(kth.toFloats(1)[0]), "kth only " + label);
            }
        }
    }

    /** The keep-th largest ranking key by a full sort: the obviously correct reference. */
    static float kthKey(float[] scores, int keep) {
        float[] k = new float[scores.length];
        for (int i = 0; i < k.length; i++) {
            float v = scores[i];
            k[i] = Float.isNaN(v) ? Float.NEGATIVE_INFINITY : v + 0f;
        }
        Arrays.sort(k);
        return k[k.length - keep];
    }

    static float[] scores(SplittableRandom rng, int n, Dist dist) {
        float[] s = new float[n];
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -0f, 0f, Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1f, -1f};
        for (int i = 0; i < n; i++) {
            switch (dist) {
                case UNIFORM -> s[i] = (float) (rng.nextDouble() * 2 - 1);
                case FEW_VALUES -> s[i] = rng.nextInt(5) * 0.25f;
                case SPECIALS -> s[i] = rng.nextInt(3) == 0 ? specials[rng.nextInt(specials.length)] : (float) rng.nextGaussian();
                case ALL_EQUAL -> s[i] = 0.5f;
                case MOSTLY_EQUAL -> s[i] = rng.nextInt(10) == 0 ? (float) rng.nextDouble() : Float.NEGATIVE_INFINITY;
            }
        }
        return s;
    }
}
