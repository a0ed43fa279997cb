package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Reduction;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import io.prune4j.testing.Check;
import io.prune4j.testing.Naive;
import io.prune4j.testing.NaiveGraphOps;
import io.prune4j.testing.Sizes;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU backend's graph-network operations against the plain double-precision references of
 * {@link NaiveGraphOps} on seeded random inputs of awkward sizes, one parameterised case per size
 * so that every failing size is reported; plus the bit-level promises (same thread count, same
 * bits; where the split keeps every sum on one thread, any thread count, same bits).
 */
class CpuGraphOpsTest {
    private final CpuBackend cpu = new CpuBackend(2);

    @AfterEach
    void close() {
        cpu.close();
    }

    private static double[] d(float[] a) {
        return Naive.toDouble(a);
    }

    // ---- grouped, depthwise and bias-free convolution ----------------------------------------------

    /**
     * Forward ({@code bias} may be null; ReLU when asked) and backward of one convolution on
     * {@code be}: {@code {y, dx, dw, db}}. DnnlConvTest runs its cases through it too.
     */
    static float[][] conv(CpuBackend be, float[] x, float[] w, float[] bias, float[] dy, int[] xs, int[] ws, int[] ys, int stride,
                          int pad, int groups, boolean relu) {
        try (Tensor xt = be.fromArray(x, xs); Tensor wt = be.fromArray(w, ws); Tensor bt = bias == null ? null : be.fromArray(bias, ws[0]);
             Tensor y = be.zeros(DType.FLOAT32, ys); Tensor dyt = be.fromArray(dy, ys); Tensor dx = be.zeros(DType.FLOAT32, xs);
             Tensor dw = be.zeros(DType.FLOAT32, ws); Tensor db = be.zeros(DType.FLOAT32, ws[0])) {
            be.conv2d(y, xt, wt, bt, stride, pad, groups, relu);
            be.conv2dBackward(dx, dw, db, dyt, xt, wt, stride, pad, groups);
            return new float[][] {y.toFloatArray(), dx.toFloatArray(), dw.toFloatArray(), db.toFloatArray()};
        }
    }

    @ParameterizedTest(name = "conv batch={0} in={1} {2}x{3} out={4} k={5} stride={6} pad={7} groups={8}")
    @CsvSource({
            // one group, no bias
            "2,3,5,7,4,3,1,1,1", "1,2,6,5,3,1,1,0,1",
            // grouped: 2 and 3 groups, pointwise, strided, 5x5, more than SMALL_K weights per filter
            "2,4,6,5,6,3,1,1,2", "1,6,7,7,4,3,2,1,2", "3,6,5,5,9,3,2,0,3", "2,9,8,6,3,1,1,0,3", "2,6,7,7,6,1,2,0,2",
            "2,16,6,6,8,3,1,1,2", "1,12,9,7,6,5,2,2,3",
            // depthwise: 3x3 stride 1 and 2 (odd inputs), channel multiplier 2, 1x1, no padding, 2x2 stride 2, stride 3, pad 2
            "2,5,7,7,5,3,1,1,5", "3,7,9,8,7,3,2,1,7", "1,4,6,6,8,3,1,1,4", "2,3,5,5,6,3,2,1,3", "2,5,4,4,5,1,1,0,5",
            "2,3,6,7,3,3,1,0,3", "1,4,8,7,4,2,2,0,4", "1,2,10,11,4,3,3,1,2", "1,2,5,5,2,3,1,2,2", "1,3,9,9,6,5,2,2,3",
            "2,3,1,1,3,1,1,0,3", "1,2,3,3,2,3,1,1,2",
            // one group at stride 1, a product per kernel tap (CpuTapConv): several packs of examples per worker,
            // 5x5, no padding, a 2x2 kernel (its one-column tail), a 1x3 row of taps across a 1-pixel-high plane
            "19,5,9,7,6,3,1,1,1", "11,3,6,8,4,5,1,2,1", "10,4,7,7,3,3,1,0,1", "9,2,4,4,3,2,1,0,1", "17,3,1,6,2,1,1,0,1",
            // large enough to split over the workers
            "8,16,14,14,16,3,1,1,16", "8,16,15,15,32,3,2,1,16", "5,12,9,9,24,3,1,1,4",
            // empty batch
            "0,4,5,5,4,3,1,1,4", "0,4,5,5,6,3,1,1,2"})
    void groupedConvolutionMatchesReference(int batch, int in, int h, int w, int out, int k, int stride, int pad, int groups) {
        // both convolution paths: oneDNN (where it loads; the shapes it does not take run on the Java code) and the Java code
        for (boolean dnnl : new boolean[] {true, false}) {
            try (CpuBackend be = new CpuBackend(2, dnnl)) {
                convolutionMatchesReference(be, batch, in, h, w, out, k, stride, pad, groups);
            }
        }
    }

    private static void convolutionMatchesReference(CpuBackend cpu, int batch, int in, int h, int w, int out, int k, int stride, int pad,
                                                    int groups) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, in, h, w, out, k, stride, pad, groups}));
        int ho = NaiveGraphOps.out(h, k, stride, pad);
        int wo = NaiveGraphOps.out(w, k, stride, pad);
        int[] xs = {batch, in, h, w};
        int[] ws = {out, in / groups, k, k};
        int[] ys = {batch, out, ho, wo};
        float[] x = Check.randn(rng, batch * in * h * w, 1);
        float[] wt = Check.randn(rng, out * (in / groups) * k * k, 1);
        float[] bias = Check.randn(rng, out, 0.5);
        float[] dy = Check.randn(rng, batch * out * ho * wo, 1);
        String what = cpu.convPath() + " conv " + Arrays.toString(xs) + " w " + Arrays.toString(ws) + " s" + stride + " p" + pad + " g" + groups;
        for (boolean withBias : new boolean[] {true, false}) {
            for (boolean relu : new boolean[] {false, true}) {
                Tensor y = cpu.zeros(DType.FLOAT32, ys);
                cpu.conv2d(y, cpu.fromArray(x, xs), cpu.fromArray(wt, ws), withBias ? cpu.fromArray(bias, out) : null, stride, pad, groups,
                        relu);
                double[] ref = NaiveGraphOps.conv2d(d(x), batch, in, h, w, d(wt), withBias ? d(bias) : null, out, k, k, stride, pad, groups,
                        relu);
                Check.close(what + " forward bias=" + withBias + " relu=" + relu, ref, y.toFloatArray(), 1e-5, 1e-5);
            }
        }
        double[][] grads = NaiveGraphOps.conv2dBackward(d(dy), d(x), batch, in, h, w, d(wt), out, k, k, stride, pad, groups);
        float[][] got = conv(cpu, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, false);
        Check.close(what + " dx", grads[0], got[1], 1e-5, 1e-5);
        Check.close(what + " dw", grads[1], got[2], 1e-4, 1e-5);
        Check.close(what + " db", grads[2], got[3], 1e-4, 1e-5);

        // no input gradient, no bias gradient: the same weight gradient, to the bit
        Tensor dw = cpu.zeros(DType.FLOAT32, ws);
        cpu.conv2dBackward(null, dw, null, cpu.fromArray(dy, ys), cpu.fromArray(x, xs), cpu.fromArray(wt, ws), stride, pad, groups);
        assertArrayEquals(Check.bits(got[2]), Check.bits(dw.toFloatArray()), what + ": dw without dx and db");

        // same thread count, same bits
        float[][] again = conv(cpu, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, false);
        for (int i = 0; i < again.length; i++) {
            assertArrayEquals(Check.bits(got[i]), Check.bits(again[i]), what + ": repeated run, output " + i);
        }
    }

    /**
     * The Java path's depthwise convolution keeps every sum on one worker, so any thread count gives
     * the same bits. oneDNN's splits its weight gradient's reduction over the threads, so there
     * only the promise holds, the same bits for the same thread count, and other counts agree
     * within the tolerance of the other convolution tests.
     */
    @ParameterizedTest(name = "depthwise on {0} threads")
    @ValueSource(ints = {1, 3})
    void depthwiseGivesTheSameBitsOnAnyThreadCount(int threads) {
        for (boolean dnnl : new boolean[] {false, true}) {
            SplittableRandom rng = new SplittableRandom(threads);
            int[] xs = {12, 10, 15, 13};
            for (int[] c : new int[][] {{10, 1, 1}, {20, 2, 1}, {10, 2, 1}}) {
                int out = c[0];
                int stride = c[1];
                int[] ws = {out, 1, 3, 3};
                int ho = NaiveGraphOps.out(15, 3, stride, 1);
                int wo = NaiveGraphOps.out(13, 3, stride, 1);
                int[] ys = {12, out, ho, wo};
                float[] x = Check.randn(rng, 12 * 10 * 15 * 13, 1);
                float[] w = Check.randn(rng, out * 9, 1);
                float[] b = Check.randn(rng, out, 1);
                float[] dy = Check.randn(rng, 12 * out * ho * wo, 1);
                try (CpuBackend two = new CpuBackend(2, dnnl); CpuBackend other = new CpuBackend(threads, dnnl);
                     CpuBackend twoAgain = new CpuBackend(2, dnnl)) {
                    float[][] a = conv(two, x, w, b, dy, xs, ws, ys, stride, 1, 10, true);
                    float[][] z = conv(other, x, w, b, dy, xs, ws, ys, stride, 1, 10, true);
                    float[][] again = conv(twoAgain, x, w, b, dy, xs, ws, ys, stride, 1, 10, true);
                    String what = two.convPath() + ", 2 against " + threads + " threads, out " + out + ", output ";
                    for (int i = 0; i < a.length; i++) {
                        assertArrayEquals(Check.bits(a[i]), Check.bits(again[i]), what + i + ": 2 threads twice");
                        if (dnnl && DnnlConv.isAvailable()) {
                            Check.close(what + i, a[i], z[i], 1e-5, 1e-4);
                        } else {
                            assertArrayEquals(Check.bits(a[i]), Check.bits(z[i]), what + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void convolutionRejectsGroupsThatDoNotFit() {
        Tensor x = cpu.zeros(DType.FLOAT32, 1, 6, 5, 5);
        Tensor y = cpu.zeros(DType.FLOAT32, 1, 4, 5, 5);
        assertThrows(IllegalArgumentException.class, () -> cpu.conv2d(y, x, cpu.zeros(DType.FLOAT32, 4, 2, 3, 3), null, 1, 1, 4, false));
        assertThrows(IllegalArgumentException.class, () -> cpu.conv2d(y, x, cpu.zeros(DType.FLOAT32, 4, 2, 3, 3), null, 1, 1, 2, false));
        assertThrows(IllegalArgumentException.class, () -> cpu.conv2d(y, x, cpu.zeros(DType.FLOAT32, 4, 3, 3, 3), null, 1, 1, 0, false));
        assertThrows(IllegalArgumentException.class,
                () -> cpu.conv2d(y, x, cpu.zeros(DType.FLOAT32, 4, 3, 3, 3), cpu.zeros(DType.FLOAT32, 3), 1, 1, 2, false));
    }

    // ---- pooling -----------------------------------------------------------------------------------

    @ParameterizedTest(name = "maxPool batch={0} c={1} {2}x{3} window={4} stride={5} pad={6} ceil={7}")
    @CsvSource({"2,3,5,7,3,2,1,false", "1,2,7,6,3,1,1,false", "3,1,4,4,2,2,1,false", "2,2,9,5,5,2,2,false", "1,1,1,1,3,1,1,false",
            "1,1,1,1,2,1,1,false", "0,2,5,5,3,2,1,false", "2,3,6,6,2,1,1,false", "2,2,8,8,4,4,2,false", "16,16,15,15,3,2,1,false",
            "2,3,5,7,3,2,0,false",
            // ceil mode: a partial window kept (6 → 3 not 2; 54 → 27 not 26), the last-window rule (5, pad 1 → 3 not 4), none partial
            "2,3,6,7,3,2,0,true", "1,2,54,13,3,2,0,true", "2,2,5,5,2,2,1,true", "1,3,9,9,3,2,1,true", "2,2,8,8,3,3,1,true",
            "2,4,14,14,2,2,0,true"})
    void paddedMaxPoolingMatchesReference(int batch, int c, int h, int w, int window, int stride, int pad, boolean ceil) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, c, h, w, window, stride, pad, ceil ? 1 : 0}));
        int ho = ceil ? NaiveGraphOps.outCeil(h, window, stride, pad) : NaiveGraphOps.out(h, window, stride, pad);
        int wo = ceil ? NaiveGraphOps.outCeil(w, window, stride, pad) : NaiveGraphOps.out(w, window, stride, pad);
        float[] x = Check.randn(rng, batch * c * h * w, 1);
        Tensor y = cpu.zeros(DType.FLOAT32, batch, c, ho, wo);
        Tensor arg = cpu.zeros(DType.INT32, batch, c, ho, wo);
        cpu.maxPool2d(y, arg, cpu.fromArray(x, batch, c, h, w), window, stride, pad, ceil);
        double[][] ref = NaiveGraphOps.maxPool2d(d(x), batch * c, h, w, window, stride, pad, ceil);
        Check.close("max values", ref[0], y.toFloatArray(), 0, 0);
        int[] a = arg.toIntArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals((int) ref[1][i], a[i], "argmax at " + i);
        }
        // the unchanged backward scatters to those positions, inside the unpadded plane
        float[] dy = Check.randn(rng, y.size(), 1);
        Tensor dx = cpu.zeros(DType.FLOAT32, batch, c, h, w);
        cpu.maxPool2dBackward(dx, cpu.fromArray(dy, y.shape()), arg);
        double[] refDx = new double[x.length];
        for (int i = 0; i < dy.length; i++) {
            refDx[i / (ho * wo) * h * w + (int) ref[1][i]] += dy[i];
        }
        Check.close("max backward", refDx, dx.toFloatArray(), 1e-6, 1e-6);
    }

    @Test
    void paddedMaxPoolingTiesGoToTheFirstPositionInsideThePlane() {
        for (float v : new float[] {0f, -1f, Float.NEGATIVE_INFINITY}) {
            float[] x = new float[16];
            Arrays.fill(x, v);
            Tensor y = cpu.zeros(DType.FLOAT32, 1, 1, 2, 2);
            Tensor arg = cpu.zeros(DType.INT32, 1, 1, 2, 2);
            cpu.maxPool2d(y, arg, cpu.fromArray(x, 1, 1, 4, 4), 3, 2, 1);
            // windows start at rows/columns −1 and 1: first real positions (0,0), (0,1), (1,0), (1,1)
            assertArrayEquals(new int[] {0, 1, 4, 5}, arg.toIntArray(), "all " + v);
            assertArrayEquals(new float[] {v, v, v, v}, y.toFloatArray());
        }
        float[] x = new float[16];
        x[6] = Float.NaN;
        Tensor y = cpu.zeros(DType.FLOAT32, 1, 1, 2, 2);
        Tensor arg = cpu.zeros(DType.INT32, 1, 1, 2, 2);
        cpu.maxPool2d(y, arg, cpu.fromArray(x, 1, 1, 4, 4), 3, 2, 1);
        assertTrue(Float.isNaN(y.toFloatArray()[3]), "NaN propagates like PyTorch");
        assertEquals(6, arg.toIntArray()[3]);
    }

    /** Both divisor rules, and ceil mode (its partial windows: 6 and 5 rows under a 2×2 stride-2 window, 7 under 3×3 stride 2 pad 1). */
    @ParameterizedTest(name = "avgPool batch={0} c={1} {2}x{3} window={4} stride={5} pad={6} ceil={7}")
    @CsvSource({"2,3,5,7,3,2,1,false", "1,2,7,6,3,1,1,false", "3,1,4,4,2,2,1,false", "2,2,9,5,5,2,2,false", "1,1,1,1,3,1,1,false",
            "0,2,5,5,3,2,1,false", "2,3,6,6,2,2,0,false", "1,2,7,7,7,1,0,false", "2,2,8,8,4,4,2,false", "16,16,15,15,3,2,1,false",
            "2,3,5,7,2,2,0,true", "1,2,6,5,2,2,0,true", "2,2,8,8,3,2,1,true", "1,3,7,9,3,2,1,true", "2,1,10,11,4,3,2,true",
            "1,1,1,1,3,1,1,true", "3,2,9,6,5,2,2,true"})
    void averagePoolingMatchesReferenceInBothModes(int batch, int c, int h, int w, int window, int stride, int pad, boolean ceil) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, c, h, w, window, stride, pad, ceil ? 1 : 0}));
        int ho = ceil ? NaiveGraphOps.outCeil(h, window, stride, pad) : NaiveGraphOps.out(h, window, stride, pad);
        int wo = ceil ? NaiveGraphOps.outCeil(w, window, stride, pad) : NaiveGraphOps.out(w, window, stride, pad);
        float[] x = Check.randn(rng, batch * c * h * w, 1);
        float[] dy = Check.randn(rng, batch * c * ho * wo, 1);
        for (boolean include : new boolean[] {true, false}) {
            Tensor y = cpu.zeros(DType.FLOAT32, batch, c, ho, wo);
            cpu.avgPool2d(y, cpu.fromArray(x, batch, c, h, w), window, stride, pad, include, ceil);
            Check.close("avg forward countIncludePad=" + include,
                    NaiveGraphOps.avgPool2d(d(x), batch * c, h, w, window, stride, pad, include, ceil), y.toFloatArray(), 1e-6, 1e-5);
            Tensor dx = cpu.fromArray(Check.randn(rng, x.length, 1), batch, c, h, w); // overwritten, not added to
            cpu.avgPool2dBackward(dx, cpu.fromArray(dy, batch, c, ho, wo), window, stride, pad, include, ceil);
            Check.close("avg backward countIncludePad=" + include,
                    NaiveGraphOps.avgPool2dBackward(d(dy), batch * c, h, w, window, stride, pad, include, ceil), dx.toFloatArray(), 1e-6,
                    1e-5);
        }
    }

    @ParameterizedTest(name = "zeroPad2d batch={0} c={1} {2}x{3} pads {4},{5},{6},{7}")
    @CsvSource({"2,3,5,7,1,1,1,1", "1,2,7,6,0,0,3,3", "3,1,4,4,3,3,0,0", "2,2,1,1,0,1,1,0", "0,2,5,5,1,2,3,4", "1,1,1,1,0,0,0,0",
            "2,33,9,8,2,0,0,5", "16,16,15,15,1,1,1,1"})
    void zeroPaddingMatchesReference(int batch, int c, int h, int w, int top, int bottom, int left, int right) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, c, h, w, top, bottom, left, right}));
        int hp = h + top + bottom;
        int wp = w + left + right;
        float[] x = Check.randn(rng, batch * c * h * w, 1);
        Tensor y = cpu.fromArray(Check.randn(rng, batch * c * hp * wp, 1), batch, c, hp, wp); // overwritten, zeros included
        cpu.zeroPad2d(y, cpu.fromArray(x, batch, c, h, w), top, left);
        Check.close("zeroPad2d", NaiveGraphOps.zeroPad2d(d(x), batch * c, h, w, top, bottom, left, right), y.toFloatArray(), 0, 0);
        // the gradient is the adjoint: <pad(x), r> = <x, padBackward(r)> exactly, as every term is copied once
        float[] r = Check.randn(rng, batch * c * hp * wp, 1);
        Tensor dx = cpu.fromArray(Check.randn(rng, x.length, 1), batch, c, h, w);
        cpu.zeroPad2dBackward(dx, cpu.fromArray(r, batch, c, hp, wp), top, left);
        double[] padded = NaiveGraphOps.zeroPad2d(d(x), batch * c, h, w, top, bottom, left, right);
        float[] g = dx.toFloatArray();
        double lhs = 0;
        double rhs = 0;
        for (int i = 0; i < r.length; i++) {
            lhs += padded[i] * r[i];
        }
        for (int i = 0; i < x.length; i++) {
            rhs += (double) x[i] * g[i];
        }
        assertEquals(lhs, rhs, 1e-9 * (1 + Math.abs(lhs)), "adjoint");
        double[] window = new double[x.length];
        for (int p = 0; p < batch * c; p++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    window[(p * h + i) * w + j] = r[(p * hp + i + top) * wp + j + left];
                }
            }
        }
        Check.close("zeroPad2dBackward", window, g, 0, 0);
    }

    @Test
    void zeroPaddingRefusesWhatDoesNotFit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.zeroPad2d(cpu.zeros(DType.FLOAT32, 1, 2, 5, 5), cpu.zeros(DType.FLOAT32, 1, 2, 4, 4), 2, 0));
        assertEquals("zeroPad2d: x [1, 2, 4, 4] at row 2, column 0 does not fit inside y [1, 2, 5, 5] (same batch and channels,"
                + " non-negative offsets)", e.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class,
                () -> cpu.zeroPad2dBackward(cpu.zeros(DType.FLOAT32, 1, 3, 4, 4), cpu.zeros(DType.FLOAT32, 1, 2, 6, 6), 1, 1));
        assertTrue(c.getMessage().startsWith("zeroPad2dBackward: dx [1, 3, 4, 4] at row 1, column 1 does not fit inside dy"),
                c.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> cpu.zeroPad2d(cpu.zeros(DType.FLOAT32, 1, 2, 6, 6), cpu.zeros(DType.FLOAT32, 1, 2, 4, 4), -1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> cpu.zeroPad2d(cpu.zeros(DType.FLOAT32, 2, 6, 6), cpu.zeros(DType.FLOAT32, 2, 4, 4), 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> cpu.zeroPad2d(cpu.zeros(DType.INT32, 1, 2, 6, 6), cpu.zeros(DType.FLOAT32, 1, 2, 4, 4), 1, 1));
    }

    @Test
    void averagePoolingBackwardNamesItsGradients() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.avgPool2dBackward(cpu.zeros(DType.FLOAT32, 1, 1, 5, 5), cpu.zeros(DType.FLOAT32, 1, 1, 2, 2), 3, 2, 1, true));
        assertTrue(e.getMessage().contains("dy must have shape [1, 1, 3, 3]"), e.getMessage());
        IllegalArgumentException r = assertThrows(IllegalArgumentException.class,
                () -> cpu.avgPool2dBackward(cpu.zeros(DType.FLOAT32, 5, 5), cpu.zeros(DType.FLOAT32, 1, 1, 3, 3), 3, 2, 1, true));
        assertTrue(r.getMessage().contains("dx must have rank 4"), r.getMessage());
    }

    @Test
    void poolingRejectsPaddingBeyondHalfTheWindow() {
        Tensor x = cpu.zeros(DType.FLOAT32, 1, 1, 5, 5);
        assertThrows(IllegalArgumentException.class,
                () -> cpu.avgPool2d(cpu.zeros(DType.FLOAT32, 1, 1, 4, 4), x, 2, 2, 2, true));
        assertThrows(IllegalArgumentException.class,
                () -> cpu.maxPool2d(cpu.zeros(DType.FLOAT32, 1, 1, 6, 6), cpu.zeros(DType.INT32, 1, 1, 6, 6), x, 2, 1, 2));
    }

    // ---- batch normalisation -----------------------------------------------------------------------

    /** {@code [batch, channels]} when {@code h == 0}, else {@code [batch, channels, h, w]}. */
    private static int[] bnShape(int batch, int channels, int h, int w) {
        return h == 0 ? new int[] {batch, channels} : new int[] {batch, channels, h, w};
    }

    @ParameterizedTest(name = "batchNorm batch={0} C={1} {2}x{3}")
    @CsvSource({"2,3,0,0", "1,1,1,2", "1,5,3,3", "3,7,5,7", "128,3,0,0", "5,33,0,0", "2,17,7,9", "16,24,14,14", "3,4,1,1", "7,2,2,3", "1024,160,0,0"})
    void batchNormTrainingMatchesReference(int batch, int channels, int h, int w) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, channels, h, w}));
        int[] shape = bnShape(batch, channels, h, w);
        int spatial = h == 0 ? 1 : h * w;
        int n = batch * channels * spatial;
        float[] x = Check.randn(rng, n, 2);
        for (int i = 0; i < n; i++) {
            x[i] += 0.5f * ((i / spatial) % channels); // channels with different means
        }
        float[] gamma = Check.randn(rng, channels, 1.5);
        float[] beta = Check.randn(rng, channels, 1);
        float[] rm0 = Check.randn(rng, channels, 1);
        float[] rv0 = new float[channels];
        for (int c = 0; c < channels; c++) {
            rv0[c] = 0.5f + c;
        }
        float momentum = 0.1f;
        float eps = 1e-5f;
        Tensor y = cpu.zeros(DType.FLOAT32, shape);
        Tensor mean = cpu.zeros(DType.FLOAT32, channels);
        Tensor invStd = cpu.zeros(DType.FLOAT32, channels);
        Tensor rm = cpu.fromArray(rm0, channels);
        Tensor rv = cpu.fromArray(rv0, channels);
        Tensor xt = cpu.fromArray(x, shape);
        cpu.batchNorm(y, mean, invStd, xt, cpu.fromArray(gamma, channels), cpu.fromArray(beta, channels), rm, rv, momentum, eps, true);

        double[] xd = d(x);
        Check.close("bn training y", NaiveGraphOps.batchNormTraining(xd, batch, channels, spatial, d(gamma), d(beta), eps), y.toFloatArray(),
                1e-5, 1e-5);
        double[] mu = NaiveGraphOps.channelMeans(xd, batch, channels, spatial);
        double[] var = NaiveGraphOps.channelVariances(xd, batch, channels, spatial);
        double[] inv = new double[channels];
        for (int c = 0; c < channels; c++) {
            inv[c] = 1 / Math.sqrt(var[c] + eps);
        }
        Check.close("bn saveMean", mu, mean.toFloatArray(), 1e-6, 1e-5);
        Check.close("bn saveInvStd", inv, invStd.toFloatArray(), 1e-6, 1e-5);
        double[][] run = NaiveGraphOps.runningStats(xd, batch, channels, spatial, d(rm0), d(rv0), momentum);
        Check.close("bn runningMean", run[0], rm.toFloatArray(), 1e-6, 1e-5);
        Check.close("bn runningVar (unbiased)", run[1], rv.toFloatArray(), 1e-6, 1e-5);

        // backward, with and without dx
        float[] dy = Check.randn(rng, n, 1);
        Tensor dx = cpu.zeros(DType.FLOAT32, shape);
        Tensor dg = cpu.zeros(DType.FLOAT32, channels);
        Tensor db = cpu.zeros(DType.FLOAT32, channels);
        Tensor gammaT = cpu.fromArray(gamma, channels);
        cpu.batchNormBackward(dx, dg, db, cpu.fromArray(dy, shape), xt, gammaT, mean, invStd);
        double[][] ref = NaiveGraphOps.batchNormBackward(d(dy), xd, batch, channels, spatial, d(gamma), eps);
        Check.close("bn dx", ref[0], dx.toFloatArray(), 1e-5, 1e-4);
        Check.close("bn dgamma", ref[1], dg.toFloatArray(), 1e-4, 1e-4);
        Check.close("bn dbeta", ref[2], db.toFloatArray(), 1e-4, 1e-5);
        Tensor dg2 = cpu.zeros(DType.FLOAT32, channels);
        Tensor db2 = cpu.zeros(DType.FLOAT32, channels);
        cpu.batchNormBackward(null, dg2, db2, cpu.fromArray(dy, shape), xt, gammaT, mean, invStd);
        assertArrayEquals(Check.bits(dg.toFloatArray()), Check.bits(dg2.toFloatArray()), "dgamma without dx");
        assertArrayEquals(Check.bits(db.toFloatArray()), Check.bits(db2.toFloatArray()), "dbeta without dx");

        // y may be x: the same bits in place
        Tensor inPlace = cpu.fromArray(x, shape);
        cpu.batchNorm(inPlace, cpu.zeros(DType.FLOAT32, channels), cpu.zeros(DType.FLOAT32, channels), inPlace, cpu.fromArray(gamma, channels),
                cpu.fromArray(beta, channels), cpu.fromArray(rm0, channels), cpu.fromArray(rv0, channels), momentum, eps, true);
        assertArrayEquals(Check.bits(y.toFloatArray()), Check.bits(inPlace.toFloatArray()), "y = x in place");

        // any thread count gives the same bits: each channel is summed on one thread
        for (int threads : new int[] {1, 3}) {
            try (CpuBackend other = new CpuBackend(threads)) {
                Tensor y2 = other.zeros(DType.FLOAT32, shape);
                Tensor m2 = other.zeros(DType.FLOAT32, channels);
                Tensor s2 = other.zeros(DType.FLOAT32, channels);
                Tensor x2 = other.fromArray(x, shape);
                Tensor g2 = other.fromArray(gamma, channels);
                other.batchNorm(y2, m2, s2, x2, g2, other.fromArray(beta, channels), other.fromArray(rm0, channels),
                        other.fromArray(rv0, channels), momentum, eps, true);
                Tensor dx2 = other.zeros(DType.FLOAT32, shape);
                Tensor dg3 = other.zeros(DType.FLOAT32, channels);
                Tensor db3 = other.zeros(DType.FLOAT32, channels);
                other.batchNormBackward(dx2, dg3, db3, other.fromArray(dy, shape), x2, g2, m2, s2);
                assertArrayEquals(Check.bits(y.toFloatArray()), Check.bits(y2.toFloatArray()), threads + " threads: y");
                assertArrayEquals(Check.bits(dx.toFloatArray()), Check.bits(dx2.toFloatArray()), threads + " threads: dx");
                assertArrayEquals(Check.bits(dg.toFloatArray()), Check.bits(dg3.toFloatArray()), threads + " threads: dgamma");
            }
        }
    }

    @ParameterizedTest(name = "batchNorm inference batch={0} C={1} {2}x{3}")
    @CsvSource({"0,3,4,4", "1,1,1,1", "2,3,0,0", "3,7,5,7", "16,48,14,14"})
    void batchNormInferenceUsesTheRunningStatisticsAndLeavesThem(int batch, int channels, int h, int w) {
        SplittableRandom rng = new SplittableRandom(batch * 31L + channels);
        int[] shape = bnShape(batch, channels, h, w);
        int spatial = h == 0 ? 1 : h * w;
        float[] x = Check.randn(rng, batch * channels * spatial, 3);
        float[] gamma = Check.randn(rng, channels, 1.5);
        float[] beta = Check.randn(rng, channels, 1);
        float[] rm0 = Check.randn(rng, channels, 1);
        float[] rv0 = Check.randn(rng, channels, 1);
        for (int c = 0; c < channels; c++) {
            rv0[c] = Math.abs(rv0[c]) + 0.1f;
        }
        Tensor y = cpu.zeros(DType.FLOAT32, shape);
        Tensor rm = cpu.fromArray(rm0, channels);
        Tensor rv = cpu.fromArray(rv0, channels);
        cpu.batchNorm(y, null, null, cpu.fromArray(x, shape), cpu.fromArray(gamma, channels), cpu.fromArray(beta, channels), rm, rv, 0.1f,
                1e-3f, false);
        Check.close("bn inference", NaiveGraphOps.batchNorm(d(x), batch, channels, spatial, d(gamma), d(beta), d(rm0), d(rv0), 1e-3),
                y.toFloatArray(), 1e-5, 1e-5);
        assertArrayEquals(rm0, rm.toFloatArray(), "running mean untouched");
        assertArrayEquals(rv0, rv.toFloatArray(), "running variance untouched");
    }

    @Test
    void batchNormMomentumOneOverKAveragesTheBatches() {
        SplittableRandom rng = new SplittableRandom(11);
        int batch = 3;
        int channels = 5;
        int spatial = 6;
        Tensor rm = cpu.fromArray(Check.randn(rng, channels, 9), channels); // forgotten at k = 1 (momentum 1)
        Tensor rv = cpu.fromArray(Check.randn(rng, channels, 9), channels);
        double[] sumMean = new double[channels];
        double[] sumVar = new double[channels];
        int batches = 7;
        for (int k = 1; k <= batches; k++) {
            float[] x = Check.randn(rng, batch * channels * spatial, k);
            double[] xd = d(x);
            double[] m = NaiveGraphOps.channelMeans(xd, batch, channels, spatial);
            double[] v = NaiveGraphOps.channelVariances(xd, batch, channels, spatial);
            for (int c = 0; c < channels; c++) {
                sumMean[c] += m[c];
                sumVar[c] += v[c] * batch * spatial / (batch * spatial - 1);
            }
            cpu.batchNorm(cpu.zeros(DType.FLOAT32, batch, channels, 2, 3), cpu.zeros(DType.FLOAT32, channels),
                    cpu.zeros(DType.FLOAT32, channels), cpu.fromArray(x, batch, channels, 2, 3), cpu.fromArray(new float[] {1, 1, 1, 1, 1}, channels),
                    cpu.zeros(DType.FLOAT32, channels), rm, rv, 1f / k, 1e-5f, true);
        }
        for (int c = 0; c < channels; c++) {
            sumMean[c] /= batches;
            sumVar[c] /= batches;
        }
        Check.close("running mean = average of the batch means", sumMean, rm.toFloatArray(), 1e-5, 1e-5);
        Check.close("running var = average of the unbiased batch variances", sumVar, rv.toFloatArray(), 1e-5, 1e-5);
    }

    @Test
    void batchNormVarianceSurvivesAMeanFarLargerThanTheSpread() {
        SplittableRandom rng = new SplittableRandom(12);
        int n = 64 * 49;
        float[] x = Check.randn(rng, n, 0.01);
        for (int i = 0; i < n; i++) {
            x[i] += 1000f;
        }
        Tensor invStd = cpu.zeros(DType.FLOAT32, 1);
        cpu.batchNorm(cpu.zeros(DType.FLOAT32, 64, 1, 7, 7), cpu.zeros(DType.FLOAT32, 1), invStd, cpu.fromArray(x, 64, 1, 7, 7),
                cpu.fromArray(new float[] {1}, 1), cpu.zeros(DType.FLOAT32, 1), cpu.zeros(DType.FLOAT32, 1), cpu.fromArray(new float[] {1}, 1),
                0.1f, 1e-8f, true);
        double var = NaiveGraphOps.channelVariances(d(x), 64, 1, 49)[0];
        Check.close("invStd at mean 1000, spread 0.01", new double[] {1 / Math.sqrt(var + 1e-8)}, invStd.toFloatArray(), 0, 1e-3);
    }

    @Test
    void batchNormRejectsTrainingOnOneValuePerChannel() {
        Tensor x = cpu.zeros(DType.FLOAT32, 1, 3, 1, 1);
        Tensor c = cpu.zeros(DType.FLOAT32, 3);
        assertThrows(IllegalArgumentException.class, () -> cpu.batchNorm(cpu.zeros(DType.FLOAT32, 1, 3, 1, 1), c, c, x, c, c, c, c, 0.1f, 1e-5f,
                true));
        assertThrows(IllegalArgumentException.class, () -> cpu.batchNorm(cpu.zeros(DType.FLOAT32, 1, 3, 1, 1), null, null, x, c, c, c, c, 0.1f,
                0f, false));
        Tensor x2 = cpu.zeros(DType.FLOAT32, 2, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.batchNorm(cpu.zeros(DType.FLOAT32, 2, 3), null, c, x2, c, c, c, c, 0.1f, 1e-5f, true));
        assertTrue(e.getMessage().contains("saveMean"), e.getMessage());
    }

    // ---- element-wise and channel copies -----------------------------------------------------------

    private static final int[] SIZES = {0, 1, 2, 31, 33, 1023, 300_007};

    @Test
    void clampAndItsBackward() {
        SplittableRandom rng = new SplittableRandom(20);
        for (int n : SIZES) {
            float[] x = Check.randn(rng, n, 8);
            if (n > 3) {
                x[0] = 0f; // exactly at the bounds: clamped, no gradient
                x[1] = 6f;
                x[2] = Float.NaN;
            }
            Tensor y = cpu.zeros(DType.FLOAT32, n);
            cpu.clamp(y, cpu.fromArray(x, n), 0f, 6f);
            float[] ys = y.toFloatArray();
            double[] ref = NaiveGraphOps.clamp(d(x), 0, 6);
            float[] dy = Check.randn(rng, n, 1);
            Tensor dx = cpu.zeros(DType.FLOAT32, n);
            cpu.clampBackward(dx, cpu.fromArray(dy, n), y, 0f, 6f);
            float[] g = dx.toFloatArray();
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(x[i])) {
                    assertTrue(Float.isNaN(ys[i]), "NaN stays NaN");
                    continue;
                }
                assertEquals((float) ref[i], ys[i], 0f, "clamp at " + i);
                assertEquals(x[i] > 0 && x[i] < 6 ? dy[i] : 0f, g[i], 0f, "clamp backward at " + i);
            }
            // in place, both ways
            Tensor inPlace = cpu.fromArray(x, n);
            cpu.clamp(inPlace, inPlace, 0f, 6f);
            assertArrayEquals(Check.bits(ys), Check.bits(inPlace.toFloatArray()));
            Tensor g2 = cpu.fromArray(dy, n);
            cpu.clampBackward(g2, g2, y, 0f, 6f);
            assertArrayEquals(Check.bits(g), Check.bits(g2.toFloatArray()));
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.clamp(cpu.zeros(DType.FLOAT32, 2), cpu.zeros(DType.FLOAT32, 2), 1f, 0f));
        assertThrows(IllegalArgumentException.class, () -> cpu.clamp(cpu.zeros(DType.FLOAT32, 2), cpu.zeros(DType.FLOAT32, 3), 0f, 1f));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.clampBackward(cpu.zeros(DType.FLOAT32, 3), cpu.zeros(DType.FLOAT32, 2), cpu.zeros(DType.FLOAT32, 2), 0f, 1f));
        assertTrue(e.getMessage().contains("dx has 3 elements but dy has 2"), e.getMessage());
    }

    static Stream<Arguments> activationsBySize() {
        return Activations.all().stream().flatMap(c -> Arrays.stream(Sizes.awkward()).mapToObj(n -> Arguments.of(c, n)));
    }

    /**
     * Every activation and its gradient against the double-precision definitions on inputs around
     * the kinks and the special values (NaN, ±∞, ±0, ±3, saturations, subnormals): the float result
     * within {@code 2e-7 + 1e-6·|ref|} (the transcendental ones are rounded once, the linear pieces a
     * product and a sum; {@code α·x + β} near 0 and {@code 1 − y} near 1 turn a float's rounding into
     * an absolute error of a few 1e-8 for {@code |dy| ≤ 1}), NaN exactly where the reference has it.
     * Then in place, both ways, the same bits.
     */
    @ParameterizedTest(name = "activation {0} n={1}")
    @MethodSource("activationsBySize")
    void activationAndItsBackward(Activations.Case c, int n) {
        SplittableRandom rng = new SplittableRandom(22L * n + c.kind().ordinal() + Float.floatToIntBits(c.alpha()));
        float[] x = Activations.offKinks(Activations.awkward(rng, n), c, 1e-5);
        float[] dy = Check.uniform(rng, n, 1);
        Tensor xt = cpu.fromArray(x, n);
        Tensor y = cpu.zeros(DType.FLOAT32, n);
        cpu.activation(y, xt, c.kind(), c.alpha(), c.beta());
        Check.close(c + " forward", NaiveGraphOps.activation(d(x), c.kind(), c.alpha(), c.beta()), y.toFloatArray(), 2e-7, 1e-6);
        Tensor dx = cpu.zeros(DType.FLOAT32, n);
        cpu.activationBackward(dx, cpu.fromArray(dy, n), xt, y, c.kind(), c.alpha(), c.beta());
        Check.close(c + " backward", NaiveGraphOps.activationBackward(d(dy), d(x), c.kind(), c.alpha(), c.beta()), dx.toFloatArray(),
                2e-7, 1e-6);
        // in place, both ways
        Tensor inPlace = cpu.fromArray(x, n);
        cpu.activation(inPlace, inPlace, c.kind(), c.alpha(), c.beta());
        assertArrayEquals(Check.bits(y.toFloatArray()), Check.bits(inPlace.toFloatArray()), c + " y = x");
        Tensor g = cpu.fromArray(dy, n);
        cpu.activationBackward(g, g, xt, y, c.kind(), c.alpha(), c.beta());
        assertArrayEquals(Check.bits(dx.toFloatArray()), Check.bits(g.toFloatArray()), c + " dx = dy");
    }

    /** The kinks take PyTorch's side, exactly: the gradient's value at 0 and ±3, and the forward's; and ±∞. */
    @Test
    void activationKinksFollowPyTorch() {
        float[] x = {-3f, 0f, 3f, Float.NaN};
        float[] dy = {1f, 1f, 1f, 1f};
        float s = 1f / 6f;
        assertArrayEquals(new float[] {-3f * 0.01f, 0f, 3f, Float.NaN}, forward(ActivationKind.LEAKY_RELU, 0.01f, 0f, x));
        assertArrayEquals(new float[] {0.01f, 0.01f, 1f, 0.01f}, backward(ActivationKind.LEAKY_RELU, 0.01f, 0f, x, dy));
        assertArrayEquals(new float[] {0f, 0.5f, 1f, Float.NaN}, forward(ActivationKind.HARD_SIGMOID, s, 0.5f, x));
        assertArrayEquals(new float[] {0f, s, 0f, 0f}, backward(ActivationKind.HARD_SIGMOID, s, 0.5f, x, dy));
        assertArrayEquals(new float[] {-0f, 0f, 3f, Float.NaN}, forward(ActivationKind.HARD_SWISH, 0f, 0f, x));
        assertArrayEquals(new float[] {-0.5f, 0.5f, 1.5f, 1f}, backward(ActivationKind.HARD_SWISH, 0f, 0f, x, dy));
        assertArrayEquals(new float[] {0.7f * (float) Math.exp(-3), 0.7f, 1f, 1f}, backward(ActivationKind.ELU, 0.7f, 0f, x, dy));
        float[] inf = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        assertArrayEquals(new float[] {Float.NaN, Float.POSITIVE_INFINITY}, forward(ActivationKind.HARD_SWISH, 0f, 0f, inf), "−∞·0, as in PyTorch");
        assertArrayEquals(new float[] {-0.7f, Float.POSITIVE_INFINITY}, forward(ActivationKind.ELU, 0.7f, 0f, inf));
        assertArrayEquals(new float[] {0f, 1f}, forward(ActivationKind.SIGMOID, 0f, 0f, inf));
        assertArrayEquals(new float[] {Float.NaN, Float.POSITIVE_INFINITY}, forward(ActivationKind.GELU, 0f, 0f, inf),
                "−∞·Φ(−∞) = −∞·0, as in PyTorch");
        assertArrayEquals(new float[] {Float.NaN, Float.NaN}, backward(ActivationKind.GELU, 0f, 0f, inf, new float[] {1f, 1f}),
                "Φ(±∞) + ±∞·φ(±∞) has ±∞·0, as in PyTorch");
        assertArrayEquals(new float[] {0f, 0.5f, Float.NaN}, backward(ActivationKind.GELU, 0f, 0f, new float[] {-100f, 0f, Float.NaN},
                new float[] {1f, 1f, 1f}), "Φ(0) = 1/2; far below 0 the gradient underflows to 0");
    }

    private float[] forward(ActivationKind kind, float alpha, float beta, float[] x) {
        Tensor y = cpu.zeros(DType.FLOAT32, x.length);
        cpu.activation(y, cpu.fromArray(x, x.length), kind, alpha, beta);
        return y.toFloatArray();
    }

    private float[] backward(ActivationKind kind, float alpha, float beta, float[] x, float[] dy) {
        Tensor y = cpu.fromArray(forward(kind, alpha, beta, x), x.length);
        Tensor dx = cpu.zeros(DType.FLOAT32, x.length);
        cpu.activationBackward(dx, cpu.fromArray(dy, dy.length), cpu.fromArray(x, x.length), y, kind, alpha, beta);
        return dx.toFloatArray();
    }

    @Test
    void activationArgumentsAreChecked() {
        Tensor two = cpu.zeros(DType.FLOAT32, 2);
        Tensor three = cpu.zeros(DType.FLOAT32, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.activation(two, two, ActivationKind.LEAKY_RELU, Float.NaN, 0f));
        assertEquals("activation: LeakyReLU needs finite parameters, got alpha NaN", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.activation(two, two, ActivationKind.HARD_SIGMOID, 0.2f,
                Float.POSITIVE_INFINITY));
        assertEquals("activation: HardSigmoid needs finite parameters, got alpha 0.2 and beta Infinity", e.getMessage());
        cpu.activation(two, two, ActivationKind.SIGMOID, Float.NaN, Float.NaN);   // a kind without parameters ignores them
        assertThrows(IllegalArgumentException.class, () -> cpu.activation(two, three, ActivationKind.TANH, 0f, 0f));
        assertThrows(IllegalArgumentException.class, () -> cpu.activation(two, two, null, 0f, 0f));
        e = assertThrows(IllegalArgumentException.class, () -> cpu.activationBackward(two, two, two, three, ActivationKind.ELU, 1f, 0f));
        assertEquals("activationBackward: x has 2 elements but y has 3", e.getMessage());
    }

    @Test
    void addElementWiseAndInPlace() {
        SplittableRandom rng = new SplittableRandom(21);
        for (int n : SIZES) {
            float[] a = Check.randn(rng, n, 1);
            float[] b = Check.randn(rng, n, 1);
            Tensor y = cpu.zeros(DType.FLOAT32, n);
            cpu.add(y, cpu.fromArray(a, n), cpu.fromArray(b, n));
            float[] ys = y.toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(a[i] + b[i], ys[i], 0f, "add at " + i);
            }
            Tensor at = cpu.fromArray(a, n);
            cpu.add(at, at, cpu.fromArray(b, n));
            assertArrayEquals(ys, at.toFloatArray(), "y = a");
            Tensor bt = cpu.fromArray(b, n);
            cpu.add(bt, cpu.fromArray(a, n), bt);
            assertArrayEquals(ys, bt.toFloatArray(), "y = b");
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.add(cpu.zeros(DType.FLOAT32, 2), cpu.zeros(DType.FLOAT32, 2),
                cpu.zeros(DType.FLOAT32, 3)));
    }

    /**
     * {@code mul} against the exact product on values with the special ones among them (a float product
     * is the exact one rounded once, so the reference rounded to float is its result to the bit), in
     * place both ways; then the per-channel products of {@link #mulChannelsMatchesReference} on long
     * planes {@code [2, 3, 1, n]} and on many short ones {@code [1, n, 2, 2]}.
     */
    @ParameterizedTest(name = "mul and mulChannels n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void mulAndMulChannels(int n) {
        SplittableRandom rng = new SplittableRandom(23L + n);
        float[] a = Activations.awkward(rng, n);
        float[] b = Activations.awkward(rng, n);
        Tensor y = cpu.zeros(DType.FLOAT32, n);
        cpu.mul(y, cpu.fromArray(a, n), cpu.fromArray(b, n));
        Check.close("mul", NaiveGraphOps.mul(d(a), d(b)), y.toFloatArray(), 0, 0);
        Tensor at = cpu.fromArray(a, n);
        cpu.mul(at, at, cpu.fromArray(b, n));
        assertArrayEquals(Check.bits(y.toFloatArray()), Check.bits(at.toFloatArray()), "y = a");
        Tensor bt = cpu.fromArray(b, n);
        cpu.mul(bt, cpu.fromArray(a, n), bt);
        assertArrayEquals(Check.bits(y.toFloatArray()), Check.bits(bt.toFloatArray()), "y = b");
        mulChannelsMatchesReference(rng, 2, 3, 1, n);
        mulChannelsMatchesReference(rng, 1, n, 2, 2);
    }

    /**
     * {@code mulChannels} of {@code x [batch, channels, h, w]} (special values included) by a gate
     * {@code [batch, channels, 1, 1]}: each float product the exact one rounded; in place with the gate
     * as {@code [batch, channels]}, the same bits. {@code mulChannelsBackward}: each channel's double sum
     * of exact products in order, rounded once, which is the reference's sum rounded to the bit; the
     * same bits on one thread as on two (a channel's sum never splits).
     */
    private void mulChannelsMatchesReference(SplittableRandom rng, int batch, int channels, int h, int w) {
        int[] shape = {batch, channels, h, w};
        int spatial = h * w;
        int n = batch * channels * spatial;
        String l = " " + Arrays.toString(shape);
        float[] x = Activations.awkward(rng, n);
        float[] s = Activations.awkward(rng, batch * channels);
        Tensor y = cpu.zeros(DType.FLOAT32, shape);
        cpu.mulChannels(y, cpu.fromArray(x, shape), cpu.fromArray(s, batch, channels, 1, 1));
        Check.close("mulChannels" + l, NaiveGraphOps.mulChannels(d(x), d(s), batch, channels, spatial), y.toFloatArray(), 0, 0);
        Tensor inPlace = cpu.fromArray(x, shape);
        cpu.mulChannels(inPlace, inPlace, cpu.fromArray(s, batch, channels));
        assertArrayEquals(Check.bits(y.toFloatArray()), Check.bits(inPlace.toFloatArray()), "mulChannels y = x" + l);

        float[] xs = Check.uniform(rng, n, 4);   // finite: a NaN would make its whole channel's sum NaN
        float[] dy = Check.uniform(rng, n, 1);
        Tensor ds = cpu.zeros(DType.FLOAT32, batch, channels, 1, 1);
        cpu.mulChannelsBackward(ds, cpu.fromArray(dy, shape), cpu.fromArray(xs, shape));
        Check.close("mulChannelsBackward" + l, NaiveGraphOps.mulChannelsBackward(d(dy), d(xs), batch, channels, spatial),
                ds.toFloatArray(), 0, 0);
        try (CpuBackend one = new CpuBackend(1); Tensor ds1 = one.zeros(DType.FLOAT32, batch, channels)) {
            one.mulChannelsBackward(ds1, one.fromArray(dy, shape), one.fromArray(xs, shape));
            assertArrayEquals(Check.bits(ds.toFloatArray()), Check.bits(ds1.toFloatArray()), "mulChannelsBackward on one thread" + l);
        }
    }

    @Test
    void mulArgumentsAreChecked() {
        Tensor x = cpu.zeros(DType.FLOAT32, 2, 3, 4, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cpu.mul(cpu.zeros(DType.FLOAT32, 2),
                cpu.zeros(DType.FLOAT32, 2), cpu.zeros(DType.FLOAT32, 3)));
        assertEquals("mul: a has 2 elements but b has 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.mulChannels(x, x, cpu.zeros(DType.FLOAT32, 2, 4, 1, 1)));
        assertEquals("mulChannels: s must be [2, 3] or [2, 3, 1, 1] for x [2, 3, 4, 4], got [2, 4, 1, 1]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.mulChannels(cpu.zeros(DType.FLOAT32, 2, 3, 4, 5), x,
                cpu.zeros(DType.FLOAT32, 2, 3)));
        assertEquals("mulChannels: y must have shape [2, 3, 4, 4], got [2, 3, 4, 5]", e.getMessage());
        Tensor x3 = cpu.zeros(DType.FLOAT32, 2, 3, 4);
        e = assertThrows(IllegalArgumentException.class, () -> cpu.mulChannels(x3, x3, cpu.zeros(DType.FLOAT32, 2, 3)));
        assertEquals("mulChannels: x must be [batch, C] or [batch, C, H, W], got [2, 3, 4]", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.mulChannelsBackward(cpu.zeros(DType.FLOAT32, 2, 3, 4, 1), x, x));
        assertEquals("mulChannelsBackward: ds must be [2, 3] or [2, 3, 1, 1] for x [2, 3, 4, 4], got [2, 3, 4, 1]", e.getMessage());
        // vectors: a gate per feature, the gradient the product itself
        Tensor v = cpu.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor g = cpu.zeros(DType.FLOAT32, 2, 3);
        cpu.mulChannelsBackward(g, v, v);
        assertArrayEquals(new float[] {1, 4, 9, 16, 25, 36}, g.toFloatArray());
        cpu.mulChannels(v, v, g);
        assertArrayEquals(new float[] {1, 8, 27, 64, 125, 216}, v.toFloatArray());
    }

    @ParameterizedTest(name = "copyChannels batch={0} {1}→{2} channels {3} from {4} to {5}, {6}x{7}")
    @CsvSource({"2,5,7,3,1,4,3,3", "1,1,1,1,0,0,1,1", "3,4,9,4,0,5,5,7", "0,3,3,2,1,0,2,2", "2,6,6,0,3,6,4,4", "4,3,8,3,0,2,0,0",
            "64,40,64,40,0,24,16,16"})
    void copyChannelsMatchesReference(int batch, int cs, int cd, int channels, int srcOffset, int dstOffset, int h, int w) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, cs, cd, channels, srcOffset, dstOffset, h, w}));
        int spatial = h == 0 ? 1 : h * w;
        int[] ss = h == 0 ? new int[] {batch, cs} : new int[] {batch, cs, h, w};
        int[] ds = h == 0 ? new int[] {batch, cd} : new int[] {batch, cd, h, w};
        float[] src = Check.randn(rng, batch * cs * spatial, 1);
        float[] dst = Check.randn(rng, batch * cd * spatial, 1);
        Tensor dt = cpu.fromArray(dst, ds);
        cpu.copyChannels(dt, dstOffset, cpu.fromArray(src, ss), srcOffset, channels);
        Check.close("copyChannels", NaiveGraphOps.copyChannels(d(dst), batch, cd, dstOffset, d(src), cs, srcOffset, channels, spatial),
                dt.toFloatArray(), 0, 0);
    }

    @Test
    void copyChannelsRejectsRangesAndShapesThatDoNotFit() {
        Tensor src = cpu.zeros(DType.FLOAT32, 2, 4, 3, 3);
        assertThrows(IllegalArgumentException.class, () -> cpu.copyChannels(cpu.zeros(DType.FLOAT32, 2, 4, 3, 3), 2, src, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> cpu.copyChannels(cpu.zeros(DType.FLOAT32, 2, 8, 3, 3), 0, src, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> cpu.copyChannels(cpu.zeros(DType.FLOAT32, 2, 8, 3, 3), -1, src, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> cpu.copyChannels(cpu.zeros(DType.FLOAT32, 3, 8, 3, 3), 0, src, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> cpu.copyChannels(cpu.zeros(DType.FLOAT32, 2, 8, 3, 2), 0, src, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> cpu.copyChannels(cpu.zeros(DType.FLOAT32, 2, 8), 0, src, 0, 1));
    }

    // ---- FPGM, LAMP, segmented reduction -----------------------------------------------------------

    @Test
    void fpgmHandComputed() {
        // rows (0,0), (3,4), (6,8): distances 5 (0-1), 10 (0-2), 5 (1-2)
        Tensor out = cpu.zeros(DType.FLOAT32, 3);
        cpu.fpgmScores(out, cpu.fromArray(new float[] {0, 0, 3, 4, 6, 8}, 3, 2));
        assertArrayEquals(new float[] {15, 10, 15}, out.toFloatArray(), 1e-6f);
    }

    @Test
    void fpgmAndLampRejectShapesThatDoNotFit() {
        assertThrows(IllegalArgumentException.class, () -> cpu.fpgmScores(cpu.zeros(DType.FLOAT32, 2), cpu.zeros(DType.FLOAT32, 3, 4)));
        assertThrows(IllegalArgumentException.class, () -> cpu.lampScores(cpu.zeros(DType.FLOAT32, 11), cpu.zeros(DType.FLOAT32, 3, 4)));
    }

    @ParameterizedTest(name = "fpgm rows={0} cols={1}")
    @CsvSource({"0,3", "1,1", "2,5", "3,7", "4,1", "5,9", "9,27", "33,50", "64,288"})
    void fpgmMatchesReference(int rows, int cols) {
        SplittableRandom rng = new SplittableRandom(rows * 1000L + cols);
        float[] w = Check.randn(rng, rows * cols, 1);
        Tensor out = cpu.zeros(DType.FLOAT32, rows);
        // a convolution's weights: everything after the first dimension is the row
        Tensor wt = cols % 9 == 0 ? cpu.fromArray(w, rows, cols / 9, 3, 3) : cpu.fromArray(w, rows, cols);
        cpu.fpgmScores(out, wt);
        Check.close("fpgm", NaiveGraphOps.fpgm(d(w), rows, cols), out.toFloatArray(), 1e-6, 1e-6);
        try (CpuBackend one = new CpuBackend(1)) {
            Tensor o1 = one.zeros(DType.FLOAT32, rows);
            one.fpgmScores(o1, one.fromArray(w, rows, cols));
            assertArrayEquals(Check.bits(out.toFloatArray()), Check.bits(o1.toFloatArray()), "1 and 2 threads");
        }
    }

    @Test
    void lampHandComputedAndTies() {
        Tensor out = cpu.zeros(DType.FLOAT32, 4);
        cpu.lampScores(out, cpu.fromArray(new float[] {3, -1, 2, 0}, 4));
        // sorted |w|: 0 (index 3), 1 (index 1), 2 (index 2), 3 (index 0); suffix sums of w² 14, 14, 13, 9
        assertArrayEquals(new float[] {1f, 1f / 14, 4f / 13, 0f}, out.toFloatArray(), 1e-7f);
        // equal magnitudes in index order: index 0 before index 1, so index 1 is the last and scores 1
        Tensor ties = cpu.zeros(DType.FLOAT32, 3);
        cpu.lampScores(ties, cpu.fromArray(new float[] {2, -2, 1}, 3));
        assertArrayEquals(new float[] {0.5f, 1f, 1f / 9}, ties.toFloatArray(), 1e-7f);
        Tensor zeros = cpu.fromArray(new float[] {7, 7, 7}, 3);
        cpu.lampScores(zeros, cpu.zeros(DType.FLOAT32, 3));
        assertArrayEquals(new float[] {0, 0, 0}, zeros.toFloatArray(), "all zero scores 0");
    }

    @ParameterizedTest(name = "lamp n={0}")
    @ValueSource(ints = {0, 1, 2, 31, 257, 1023})
    void lampMatchesReference(int n) {
        SplittableRandom rng = new SplittableRandom(n);
        float[] w = Check.randn(rng, n, 1);
        for (int i = 0; i + 7 < n; i += 7) {
            w[i + 3] = -w[i]; // ties of magnitude
            w[i + 5] = 0f;
        }
        Tensor out = cpu.zeros(DType.FLOAT32, n);
        cpu.lampScores(out, cpu.fromArray(w, n));
        Check.close("lamp", NaiveGraphOps.lamp(d(w)), out.toFloatArray(), 1e-7, 1e-5);
    }

    @ParameterizedTest(name = "segmentReduce {0}")
    @EnumSource(Reduction.class)
    void segmentReduceMatchesReference(Reduction reduction) {
        SplittableRandom rng = new SplittableRandom(reduction.ordinal());
        float[] src = Check.randn(rng, 37, 5);
        // segments of sizes 3, 0, 1, 0, 7, 12, 0 (empty ones at the front, middle and end)
        int[] sizes = {0, 3, 0, 1, 0, 7, 12, 0};
        int[] offsets = new int[sizes.length + 1];
        for (int s = 0; s < sizes.length; s++) {
            offsets[s + 1] = offsets[s] + sizes[s];
        }
        int[] perm = Check.randint(rng, offsets[sizes.length], src.length);
        Tensor out = cpu.fromArray(Check.randn(rng, sizes.length, 1), sizes.length); // every entry overwritten
        cpu.segmentReduce(out, cpu.fromArray(src, src.length), cpu.fromArray(perm, perm.length), cpu.fromArray(offsets, offsets.length),
                reduction);
        double[] ref = NaiveGraphOps.segmentReduce(d(src), perm, offsets, reduction.name());
        Check.close("segmentReduce " + reduction, ref, out.toFloatArray(), 1e-6, 1e-6);
        Tensor none = cpu.zeros(DType.FLOAT32, 0);
        cpu.segmentReduce(none, cpu.fromArray(src, src.length), cpu.zeros(DType.INT32, 0), cpu.fromArray(new int[] {0}, 1), reduction);
    }

    @Test
    void segmentReduceNamesTheBadIndexOrOffset() {
        Tensor src = cpu.zeros(DType.FLOAT32, 5);
        Tensor out = cpu.zeros(DType.FLOAT32, 2);
        String[][] cases = {
                {"0,2,5,2", "perm[2] = 5"}, {"0,-1,3,1", "perm[1] = -1"},
        };
        for (String[] c : cases) {
            int[] perm = Arrays.stream(c[0].split(",")).mapToInt(Integer::parseInt).toArray();
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> cpu.segmentReduce(out, src,
                    cpu.fromArray(perm, perm.length), cpu.fromArray(new int[] {0, 2, 4}, 3), Reduction.SUM));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        Tensor perm = cpu.fromArray(new int[] {0, 1, 2, 3}, 4);
        int[][] badOffsets = {{1, 2, 4}, {0, 3, 2}, {0, 2, 3}, {0, 2, 5}};
        String[] named = {"offsets[0]", "offsets[2] = 2", "offsets[2] is 3", "offsets[2] = 5"};
        for (int i = 0; i < badOffsets.length; i++) {
            int[] o = badOffsets[i];
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> cpu.segmentReduce(out, src, perm, cpu.fromArray(o, 3), Reduction.MAX));
            assertTrue(e.getMessage().contains(named[i]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> cpu.segmentReduce(out, src, perm, cpu.fromArray(new int[] {0, 4}, 2), Reduction.SUM));
    }

    @Test
    void segmentMaxPropagatesNaN() {
        Tensor out = cpu.zeros(DType.FLOAT32, 1);
        cpu.segmentReduce(out, cpu.fromArray(new float[] {1, Float.NaN, 3}, 3), cpu.fromArray(new int[] {0, 1, 2}, 3),
                cpu.fromArray(new int[] {0, 3}, 2), Reduction.MAX);
        assertTrue(Float.isNaN(out.toFloatArray()[0]));
    }
}
