package io.prune4j.backend.cuda;

import io.prune4j.backend.Normalization;
import io.prune4j.backend.Transform;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scorers' building blocks against the CPU backend: accumulate (identity, |x|, x² — the Fisher
 * accumulation of OBD), accumulate_abs_product and count_positive bit for bit; row_norms,
 * row_sums, composite_scores, sum, normalize and accumulate_normalized_abs, whose double sums run
 * in another fixed order, within a few float ulps.
 */
@Tag("gpu")
class ScoringKernelTest {

    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("ScoringKernelTest", test);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void accumulateIsBitIdentical(int n) {
        SplittableRandom rng = new SplittableRandom(31);
        float[] acc = Check.uniform(rng, n, 1);
        float[] x = Check.uniform(rng, n, 0.3);
        float[] y = Check.uniform(rng, n, 2);
        for (Transform t : Transform.values()) {
            Tensor ref = Gpu.CPU.fromArray(acc, n);
            Gpu.CPU.accumulate(ref, Gpu.CPU.fromArray(x, n), 0.25f, t);
            try (DeviceBuffer da = Gpu.up(acc); DeviceBuffer dx = Gpu.up(x)) {
                Gpu.run(CudaKernels.p4j_accumulate(da.address(), dx.address(), n, 0.25f, t.ordinal(), 0L), "accumulate " + t);
                Check.sameBits("accumulate " + t + " n=" + n, Gpu.cpu(ref), da.toFloats(n));
            }
        }
        Tensor ref = Gpu.CPU.fromArray(acc, n);
        Gpu.CPU.accumulateAbsProduct(ref, Gpu.CPU.fromArray(x, n), Gpu.CPU.fromArray(y, n), 0.5f);
        try (DeviceBuffer da = Gpu.up(acc); DeviceBuffer dx = Gpu.up(x); DeviceBuffer dy = Gpu.up(y)) {
            Gpu.run(CudaKernels.p4j_accumulate_abs_product(da.address(), dx.address(), dy.address(), n, 0.5f, 0L), "abs product");
            Check.sameBits("accumulate_abs_product n=" + n, Gpu.cpu(ref), da.toFloats(n));
        }
        System.out.println("[ScoringKernelTest] ok accumulate n=" + n);
    }

    static int[][] countPositiveShapes() {
        return new int[][] {{1, 0, 1}, {1, 1, 1}, {7, 31, 1}, {3, 32, 1}, {128, 33, 1}, {5, 1023, 1}, {2, 4097, 1}, {2, Sizes.LARGE, 1},
            {3, 33, 9}, {4, 17, 49}};
    }

    @ParameterizedTest(name = "batch, units, spatial = {0}")
    @MethodSource("countPositiveShapes")
    void countPositiveIsBitIdentical(int[] s) {
        SplittableRandom rng = new SplittableRandom(32);
        int batch = s[0], units = s[1], spatial = s[2];
        float[] a = Check.uniform(rng, batch * units * spatial, 1);
        float[] acc = Check.uniform(rng, units, 2);
        Tensor ref = Gpu.CPU.fromArray(acc, units);
        Gpu.CPU.countPositive(ref, Gpu.CPU.fromArray(a, batch, units, spatial));
        try (DeviceBuffer da = Gpu.up(a); DeviceBuffer dacc = Gpu.up(acc)) {
            String label = "count_positive " + batch + "x" + units + "x" + spatial;
            Gpu.run(CudaKernels.p4j_count_positive(dacc.address(), da.address(), batch, units, spatial, 0L), label);
            Check.sameBits(label, Gpu.cpu(ref), dacc.toFloats(units));
        }
        System.out.println("[ScoringKernelTest] ok count_positive " + s[0] + "x" + s[1] + "x" + s[2]);
    }

    static int[][] rowShapes() {
        return new int[][] {{0, 4}, {1, 1}, {31, 33}, {32, 1023}, {33, 0}, {4097, 31}, {300, 784}, {2, Sizes.LARGE}};
    }

    @ParameterizedTest(name = "rows, cols = {0}")
    @MethodSource("rowShapes")
    void rowReductionsMatchTheCpu(int[] s) {
        SplittableRandom rng = new SplittableRandom(33);
        int rows = s[0], cols = s[1];
        float[] w = Check.uniform(rng, rows * cols, 1);
        float[] g = Check.uniform(rng, rows * cols, 0.1);
        float[] freq = new float[cols];
        for (int c = 0; c < cols; c++) freq[c] = (float) rng.nextDouble();
        if (rows > 2 && cols > 0) {
            for (int c = 0; c < cols; c++) w[cols + c] = 0f;   // an all-zero row: composite score 0
        }
        Tensor tw = Gpu.CPU.fromArray(w, rows, cols);
        String shape = rows + "x" + cols;
        try (DeviceBuffer dw = Gpu.up(w); DeviceBuffer dg = Gpu.up(g); DeviceBuffer df = Gpu.up(freq);
             DeviceBuffer out = DeviceBuffer.floats(Math.max(1, rows))) {
            for (int p = 1; p <= 2; p++) {
                Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, rows);
                Gpu.CPU.rowNorms(ref, tw, p);
                Gpu.run(CudaKernels.p4j_row_norms(out.address(), dw.address(), rows, cols, p, 0L), "row_norms p=" + p);
                Check.close("row_norms p=" + p + " " + shape, Gpu.cpu(ref), out.toFloats(rows), 0, 2.4e-7);
            }
            Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, rows);
            Gpu.CPU.rowSums(ref, tw);
            Gpu.run(CudaKernels.p4j_row_sums(out.address(), dw.address(), rows, cols, 0L), "row_sums");
            Check.close("row_sums " + shape, Gpu.cpu(ref), out.toFloats(rows), 1e-12, 2.4e-7);

            Gpu.CPU.compositeScores(ref, tw, Gpu.CPU.fromArray(g, rows, cols), Gpu.CPU.fromArray(freq, cols));
            Gpu.run(CudaKernels.p4j_composite_scores(out.address(), dw.address(), dg.address(), df.address(), rows, cols, 1, 0L),
                    "composite_scores");
            Check.close("composite_scores " + shape, Gpu.cpu(ref), out.toFloats(rows), 0, 2.4e-7);
        }
        System.out.println("[ScoringKernelTest] ok row_norms, row_sums, composite_scores " + s[0] + "x" + s[1]);
    }

    static int[][] channelShapes() {
        return new int[][] {{1, 1, 9}, {64, 1, 9}, {128, 64, 9}, {33, 31, 1}, {7, 5, 25}, {3, 128, 49}};   // out, in, kh*kw
    }

    /** Composite scores of a convolution: one activation frequency per input channel, shared by its kh·kw weights. */
    @ParameterizedTest(name = "out, in, kh·kw = {0}")
    @MethodSource("channelShapes")
    void compositeScoresWithChannelFrequencies(int[] s) {
        SplittableRandom rng = new SplittableRandom(34);
        int rows = s[0], in = s[1], block = s[2], cols = in * block;
        float[] w = Check.uniform(rng, rows * cols, 1);
        float[] g = Check.uniform(rng, rows * cols, 0.1);
        float[] freq = new float[in];
        for (int c = 0; c < in; c++) freq[c] = (float) rng.nextDouble();
        Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, rows);
        Gpu.CPU.compositeScores(ref, Gpu.CPU.fromArray(w, rows, in, 1, block), Gpu.CPU.fromArray(g, rows, in, 1, block),
                Gpu.CPU.fromArray(freq, in));
        String label = "composite_scores " + rows + "x" + in + "x" + block;
        try (DeviceBuffer dw = Gpu.up(w); DeviceBuffer dg = Gpu.up(g); DeviceBuffer df = Gpu.up(freq);
             DeviceBuffer out = DeviceBuffer.floats(rows)) {
            Gpu.run(CudaKernels.p4j_composite_scores(out.address(), dw.address(), dg.address(), df.address(), rows, cols, block, 0L),
                    label);
            Check.close(label, Gpu.cpu(ref), out.toFloats(rows), 0, 2.4e-7);
        }
        System.out.println("[ScoringKernelTest] ok composite_scores with channel frequencies " + s[0] + "x" + s[1] + "x" + s[2]);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void wholeTensorReductionsMatchTheCpu(int n) {
        SplittableRandom rng = new SplittableRandom(34);
        try (DeviceBuffer ws = Gpu.reduceWorkspace(); DeviceBuffer out = DeviceBuffer.floats(1)) {
            float[] x = Check.uniform(rng, n, 2);
            float[] zeros = new float[n];
            float[] withNaN = x.clone();
            if (n > 0) withNaN[n / 2] = Float.NaN;
            String l = " n=" + n;

            Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, 1);
            Gpu.CPU.sum(ref, Gpu.CPU.fromArray(x, n));
            try (DeviceBuffer dx = Gpu.up(x)) {
                Gpu.run(CudaKernels.p4j_sum(out.address(), dx.address(), n, ws.address(), ws.bytes(), 0L), "sum" + l);
                Check.close("sum" + l, Gpu.cpu(ref), out.toFloats(1), 1e-9, 2.4e-7);
            }

            for (Normalization kind : Normalization.values()) {
                if (kind == Normalization.MEAN) {
                    continue; // the kernel's L1 then a scale, in CudaBackend: BackendParity compares it
                }
                for (float[] input : new float[][] {x, zeros, withNaN}) {
                    Tensor t = Gpu.CPU.fromArray(input, n);
                    Gpu.CPU.normalize(t, kind);
                    try (DeviceBuffer dx = Gpu.up(input)) {
                        Gpu.run(CudaKernels.p4j_normalize(dx.address(), n, kind.ordinal(), ws.address(), ws.bytes(), 0L),
                                "normalize " + kind + l);
                        // MAX is exact; L1/L2 divide by a double sum taken in another order
                        Check.close("normalize " + kind + l, Gpu.cpu(t), dx.toFloats(n), 0, kind == Normalization.MAX ? 0 : 2.4e-7);
                    }
                }
            }

            for (float[] input : new float[][] {x, zeros}) {
                float[] acc = Check.uniform(rng, n, 1);
                Tensor t = Gpu.CPU.fromArray(acc, n);
                Gpu.CPU.accumulateNormalizedAbs(t, Gpu.CPU.fromArray(input, n));
                try (DeviceBuffer dx = Gpu.up(input); DeviceBuffer da = Gpu.up(acc)) {
                    Gpu.run(CudaKernels.p4j_accumulate_normalized_abs(da.address(), dx.address(), n, ws.address(), ws.bytes(), 0L),
                            "accumulate_normalized_abs" + l);
                    Check.close("accumulate_normalized_abs" + l, Gpu.cpu(t), da.toFloats(n), 1e-12, 2.4e-7);
                }
            }
        }
        System.out.println("[ScoringKernelTest] ok sum, normalize, accumulate_normalized_abs n=" + n);
    }
}
