package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Transform;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Naive;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each CPU operation against a naive double-precision reference on seeded random inputs of awkward sizes. */
class CpuBackendTest {
    private static final int[] SIZES = {0, 1, 2, 31, 32, 33, 127, 1023};
    private final CpuBackend cpu = new CpuBackend(2);

    @Test
    void gemmMatchesNaiveForAllTransposesAndAwkwardShapes() {
        SplittableRandom rng = new SplittableRandom(1);
        int[][] shapes = {{1, 1, 1}, {1, 7, 1}, {3, 5, 7}, {31, 33, 17}, {64, 1, 65}, {0, 4, 3}, {4, 0, 3}, {129, 300, 10}};
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float[] a = Check.uniform(rng, m * k, 1);
                    float[] b = Check.uniform(rng, k * n, 1);
                    float[] c0 = Check.uniform(rng, m * n, 1);
                    Tensor at = ta ? cpu.fromArray(a, k, m) : cpu.fromArray(a, m, k);
                    Tensor bt = tb ? cpu.fromArray(b, n, k) : cpu.fromArray(b, k, n);
                    Tensor ct = cpu.fromArray(c0, m, n);
                    cpu.gemm(ct, at, ta, bt, tb, 0.5f, 2f);
                    double[] ref = Naive.matmul(a, at.dim(0), at.dim(1), ta, b, bt.dim(0), bt.dim(1), tb);
                    for (int i = 0; i < ref.length; i++) {
                        ref[i] = 0.5 * ref[i] + 2 * c0[i];
                    }
                    Check.close("gemm " + m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb, ref, ct.toFloatArray(), 1e-4, 1e-4);
                }
            }
        }
    }

    /** The operations whose arguments ArgChecks does not see (or skips when null) check them themselves. */
    @Test
    void nullArgumentsAreRefusedByTheirNames() {
        Tensor t = cpu.zeros(DType.FLOAT32, 2, 2);
        Tensor idx = cpu.zeros(DType.INT32, 4);
        Tensor offsets = cpu.zeros(DType.INT32, 2);
        // before, zeros(null, ...) made an INT32 tensor
        assertNullNamed("dtype", () -> cpu.zeros(null, 2));
        assertNullNamed("shape", () -> cpu.zeros(DType.FLOAT32, (int[]) null));
        assertNullNamed("data", () -> cpu.fromArray((float[]) null, 2));
        assertNullNamed("data", () -> cpu.fromArray((int[]) null, 2));
        assertNullNamed("t", () -> cpu.toFloatArray(null));
        assertNullNamed("t", () -> cpu.toIntArray(null));
        assertNullNamed("src", () -> cpu.upload(t, (float[]) null));
        assertNullNamed("dst", () -> cpu.upload(null, new int[4]));
        assertNullNamed("t", () -> cpu.fill(null, 1f));
        assertNullNamed("y", () -> cpu.scale(null, 2f));
        assertNullNamed("scores", () -> cpu.countAtLeast(null, 0f));
        assertNullNamed("kind", () -> cpu.normalize(t, null));
        assertNullNamed("t", () -> cpu.accumulate(t, t, 1f, null));
        assertNullNamed("mask", () -> cpu.sparse(t, null));
        assertNullNamed("s", () -> cpu.sparseFaster(null, 1));
        assertNullNamed("s", () -> cpu.sparseMatmul(t, t, null));
        assertNullNamed("counts", () -> cpu.maskToIndices(idx, t, null, 0));
        assertNullNamed("reduction", () -> cpu.segmentReduce(cpu.zeros(DType.FLOAT32, 1), t, idx, offsets, null));
        assertNullNamed("acc", () -> cpu.accumulate(null, t, 1f, Transform.ABS));
    }

    private static void assertNullNamed(String name, org.junit.jupiter.api.function.Executable call) {
        assertEquals(name, assertThrows(NullPointerException.class, call).getMessage());
    }

    @Test
    void gemmRejectsMismatchedShapes() {
        Tensor a = cpu.zeros(DType.FLOAT32, 2, 3);
        Tensor b = cpu.zeros(DType.FLOAT32, 4, 5);
        Tensor c = cpu.zeros(DType.FLOAT32, 2, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.gemm(c, a, false, b, false, 1, 0));
        assertTrue(e.getMessage().contains("gemm"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 31, 32, 33, 1023})
    void biasAddWithAndWithoutRelu(int n) {
        SplittableRandom rng = new SplittableRandom(n);
        for (int rows : new int[] {1, 3, 17}) {
            for (boolean relu : new boolean[] {false, true}) {
                float[] y = Check.uniform(rng, rows * n, 2);
                float[] b = Check.uniform(rng, n, 2);
                double[] ref = new double[y.length];
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < n; j++) {
                        double v = (double) y[r * n + j] + b[j];
                        ref[r * n + j] = relu ? Math.max(v, 0) : v;
                    }
                }
                Tensor yt = cpu.fromArray(y, rows, n);
                cpu.biasAdd(yt, cpu.fromArray(b, n), relu);
                Check.close("biasAdd", ref, yt.toFloatArray(), 1e-6, 1e-6);
            }
        }
    }

    @Test
    void reluAndItsBackward() {
        SplittableRandom rng = new SplittableRandom(2);
        for (int n : SIZES) {
            float[] x = Check.uniform(rng, n, 1);
            float[] dy = Check.uniform(rng, n, 1);
            Tensor xt = cpu.fromArray(x, n);
            Tensor yt = cpu.zeros(DType.FLOAT32, n);
            cpu.relu(yt, xt);
            Tensor dx = cpu.zeros(DType.FLOAT32, n);
            cpu.reluBackward(dx, cpu.fromArray(dy, n), yt);
            float[] y = yt.toFloatArray();
            float[] g = dx.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(x[i] > 0 ? x[i] : 0f, y[i], 0f, "relu at " + i);
                assertEquals(x[i] > 0 ? dy[i] : 0f, g[i], 0f, "relu backward at " + i);
            }
        }
    }

    @Test
    void sumRowsAndSum() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int rows : new int[] {0, 1, 5, 33}) {
            for (int n : new int[] {1, 7, 1023}) {
                float[] x = Check.uniform(rng, rows * n, 1);
                float[] out0 = Check.uniform(rng, n, 1);
                double[] ref = new double[n];
                double total = 0;
                for (int j = 0; j < n; j++) {
                    ref[j] = 0.25 * out0[j];
                }
                for (int r = 0; r < rows; r++) {
                    for (int j = 0; j < n; j++) {
                        ref[j] += x[r * n + j];
                        total += x[r * n + j];
                    }
                }
                Tensor out = cpu.fromArray(out0, n);
                cpu.sumRows(out, cpu.fromArray(x, rows, n), 0.25f);
                Check.close("sumRows", ref, out.toFloatArray(), 1e-5, 1e-5);
                Tensor s = cpu.zeros(DType.FLOAT32, 1);
                cpu.sum(s, cpu.fromArray(x, rows, n));
                assertEquals(total, s.toFloatArray()[0], 1e-4 + 1e-6 * Math.abs(total));
            }
        }
    }

    @Test
    void softmaxCrossEntropyLossAccuracyAndGradient() {
        SplittableRandom rng = new SplittableRandom(4);
        for (int rows : new int[] {1, 3, 31, 128}) {
            for (int classes : new int[] {1, 2, 10, 33}) {
                float[] logits = Check.uniform(rng, rows * classes, 8);
                int[] labels = Check.randint(rng, rows, classes);
                Tensor grad = cpu.zeros(DType.FLOAT32, rows, classes);
                Tensor metrics = cpu.fromArray(new float[] {1f, 2f}, 2);
                cpu.softmaxCrossEntropy(grad, metrics, cpu.fromArray(logits, rows, classes), cpu.fromArray(labels, rows), 1f / rows);

                double[] lg = Naive.toDouble(logits);
                double loss = Naive.crossEntropy(lg, labels, rows, classes) * rows;
                int correct = 0;
                double[] g = new double[rows * classes];
                for (int r = 0; r < rows; r++) {
                    int best = 0;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) {
                        if (lg[r * classes + c] > max) {
                            max = lg[r * classes + c];
                            best = c;
                        }
                    }
                    correct += best == labels[r] ? 1 : 0;
                    double z = 0;
                    for (int c = 0; c < classes; c++) {
                        z += Math.exp(lg[r * classes + c] - max);
                    }
                    for (int c = 0; c < classes; c++) {
                        g[r * classes + c] = (Math.exp(lg[r * classes + c] - max) / z - (c == labels[r] ? 1 : 0)) / rows;
                    }
                }
                float[] m = metrics.toFloatArray();
                assertEquals(1 + loss, m[0], 1e-4 * (1 + loss), "loss sum");
                assertEquals(2 + correct, m[1], 0, "correct count");
                Check.close("softmax-CE gradient", g, grad.toFloatArray(), 1e-6, 1e-5);
            }
        }
    }

    @Test
    void softmaxCrossEntropyRejectsLabelsOutOfRange() {
        Tensor logits = cpu.zeros(DType.FLOAT32, 2, 3);
        Tensor metrics = cpu.zeros(DType.FLOAT32, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.softmaxCrossEntropy(null, metrics, logits, cpu.fromArray(new int[] {0, 3}, 2), 1f));
        assertTrue(e.getMessage().contains("label 3"), e.getMessage());
    }

    /** The message the CUDA backend repeats when its device finds the same label (LabelCheckTest on a GPU). */
    @Test
    void aLabelOutOfRangeNamesTheOperationTheLabelTheRowAndTheClasses() {
        Tensor logits = cpu.zeros(DType.FLOAT32, 4, 3);
        Tensor metrics = cpu.zeros(DType.FLOAT32, 2);
        Tensor labels = cpu.fromArray(new int[] {0, 2, 7, -1}, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.softmaxCrossEntropy(null, metrics, logits, labels, 1f));
        assertEquals("softmaxCrossEntropy: label 7 in row 2 outside [0, 3)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.distillation(cpu.zeros(DType.FLOAT32, 4, 3), metrics, logits,
                cpu.zeros(DType.FLOAT32, 4, 3), labels, 2f, 0.5f, 1f));
        assertEquals("distillation: label 7 in row 2 outside [0, 3)", e.getMessage());
        assertArrayEquals(new float[] {0, 0}, metrics.toFloatArray(), 0f, "nothing added to the metrics");
    }

    @Test
    void softmaxCrossEntropyIsStableForHugeLogits() {
        Tensor logits = cpu.fromArray(new float[] {1e30f, -1e30f, 0f, 88f, 89f, 90f}, 2, 3);
        Tensor metrics = cpu.zeros(DType.FLOAT32, 2);
        Tensor grad = cpu.zeros(DType.FLOAT32, 2, 3);
        cpu.softmaxCrossEntropy(grad, metrics, logits, cpu.fromArray(new int[] {0, 2}, 2), 1f);
        for (float v : grad.toFloatArray()) {
            assertTrue(Float.isFinite(v));
        }
        assertTrue(Float.isFinite(metrics.toFloatArray()[0]));
    }

    @Test
    void gatherRowsFloatAndInt() {
        SplittableRandom rng = new SplittableRandom(5);
        int rows = 37;
        int cols = 33;
        float[] src = Check.uniform(rng, rows * cols, 1);
        int[] labels = Check.randint(rng, rows, 10);
        int[] idx = Check.randint(rng, 50, rows);
        Tensor out = cpu.zeros(DType.FLOAT32, 20, cols);
        Tensor outLabels = cpu.zeros(DType.INT32, 20);
        Tensor idxT = cpu.fromArray(idx, 50);
        cpu.gatherRows(out, cpu.fromArray(src, rows, cols), idxT, 7);
        cpu.gatherRows(outLabels, cpu.fromArray(labels, rows), idxT, 7);
        float[] o = out.toFloatArray();
        int[] ol = outLabels.toIntArray();
        for (int r = 0; r < 20; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(src[idx[7 + r] * cols + c], o[r * cols + c], 0f);
            }
            assertEquals(labels[idx[7 + r]], ol[r]);
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.gatherRows(out, cpu.fromArray(src, rows, cols), idxT, 31));
        Tensor bad = cpu.fromArray(new int[] {rows}, 1);
        assertThrows(IndexOutOfBoundsException.class,
                () -> cpu.gatherRows(cpu.zeros(DType.FLOAT32, 1, cols), cpu.fromArray(src, rows, cols), bad, 0));
    }

    @Test
    void sgdWithMomentumAndWeightDecayMatchesTorchFormula() {
        SplittableRandom rng = new SplittableRandom(6);
        for (int n : SIZES) {
            float[] w = Check.uniform(rng, n, 1);
            float[] v = Check.uniform(rng, n, 1);
            float[] g = Check.uniform(rng, n, 1);
            double[] w2 = new double[n];
            double[] v2 = new double[n];
            for (int i = 0; i < n; i++) {
                double gi = g[i] + 0.01 * w[i];
                v2[i] = 0.9 * v[i] + gi;
                w2[i] = w[i] - 0.1 * v2[i];
            }
            Tensor wt = cpu.fromArray(w, n);
            Tensor vt = cpu.fromArray(v, n);
            cpu.sgdStep(wt, vt, cpu.fromArray(g, n), 0.1f, 0.9f, 0.01f);
            Check.close("sgd w", w2, wt.toFloatArray(), 1e-6, 1e-5);
            Check.close("sgd v", v2, vt.toFloatArray(), 1e-6, 1e-5);
        }
    }

    @Test
    void adamMatchesPaperAlgorithmOverSeveralSteps() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int n : SIZES) {
            float[] w = Check.uniform(rng, n, 1);
            double[] wd = Naive.toDouble(w);
            double[] m = new double[n];
            double[] v = new double[n];
            Tensor wt = cpu.fromArray(w, n);
            Tensor mt = cpu.zeros(DType.FLOAT32, n);
            Tensor vt = cpu.zeros(DType.FLOAT32, n);
            double lr = 0.01;
            double b1 = 0.9;
            double b2 = 0.999;
            double eps = 1e-8;
            double decay = 1e-3;
            for (int t = 1; t <= 5; t++) {
                float[] g = Check.uniform(rng, n, 1);
                for (int i = 0; i < n; i++) {
                    double gi = g[i] + decay * wd[i];
                    m[i] = b1 * m[i] + (1 - b1) * gi;
                    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                    double mh = m[i] / (1 - Math.pow(b1, t));
                    double vh = v[i] / (1 - Math.pow(b2, t));
                    wd[i] -= lr * mh / (Math.sqrt(vh) + eps);
                }
                cpu.adamStep(wt, mt, vt, cpu.fromArray(g, n), (float) lr, (float) b1, (float) b2, (float) eps, (float) decay, t);
            }
            Check.close("adam w (n=" + n + ")", wd, wt.toFloatArray(), 1e-5, 1e-4);
        }
    }

    @Test
    void elementwiseHelpers() {
        SplittableRandom rng = new SplittableRandom(8);
        for (int n : SIZES) {
            float[] y = Check.uniform(rng, n, 1);
            float[] x = Check.uniform(rng, n, 1);
            Tensor yt = cpu.fromArray(y, n);
            cpu.axpy(yt, -0.5f, cpu.fromArray(x, n));
            cpu.mul(yt, cpu.fromArray(x, n));
            cpu.scale(yt, 3f);
            double[] ref = new double[n];
            for (int i = 0; i < n; i++) {
                ref[i] = 3 * ((y[i] - 0.5 * x[i]) * x[i]);
            }
            Check.close("axpy/mul/scale", ref, yt.toFloatArray(), 1e-6, 1e-5);
        }
    }

    @Test
    void tensorsRoundTripAndCheckShapes() {
        float[] a = {1, 2, 3, 4, 5, 6};
        Tensor t = cpu.fromArray(a, 2, 3);
        assertArrayEquals(a, t.toFloatArray());
        a[0] = 99;
        assertEquals(1f, t.toFloatArray()[0], "fromArray copies");
        assertThrows(IllegalArgumentException.class, () -> cpu.fromArray(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> cpu.zeros(DType.FLOAT32, -1, 3));
        assertThrows(IllegalArgumentException.class, () -> cpu.zeros(DType.FLOAT32, 65536, 65536));
        assertThrows(IllegalArgumentException.class, () -> cpu.toIntArray(t));
    }

    /**
     * The ReLU gradient's bit arithmetic (it lets the JIT vectorise the loop) gives what
     * {@code y > 0 ? dy : 0} gives for every kind of {@code y}: positive, +0, −0, negative, subnormal,
     * ±∞ and NaNs of either sign, and keeps the bits of {@code dy} (−0, NaN payloads) where it passes.
     */
    @Test
    void reluBackwardIsTheSelectBitForBit() {
        float[] ys = {1f, 0f, -0f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY,
            Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0xffc00001), Float.intBitsToFloat(0x7f800001), 3e-39f};
        float[] dys = {-0f, 2.5f, Float.intBitsToFloat(0x7fc00123), -7f};
        int n = ys.length * dys.length;
        float[] y = new float[n];
        float[] dy = new float[n];
        for (int i = 0; i < ys.length; i++) {
            for (int j = 0; j < dys.length; j++) {
                y[i * dys.length + j] = ys[i];
                dy[i * dys.length + j] = dys[j];
            }
        }
        try (CpuBackend b = new CpuBackend(1)) {
            io.prune4j.tensor.Tensor dx = b.zeros(io.prune4j.tensor.DType.FLOAT32, n);
            b.reluBackward(dx, b.fromArray(dy, n), b.fromArray(y, n));
            float[] got = dx.toFloatArray();
            for (int k = 0; k < n; k++) {
                float want = y[k] > 0f ? dy[k] : 0f;
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[k]),
                        "y = " + y[k] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(y[k])) + "), dy = " + dy[k]);
            }
        }
    }
}
