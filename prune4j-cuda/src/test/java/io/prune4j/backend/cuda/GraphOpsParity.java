package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.ArgChecks;
import io.prune4j.backend.Backend;
import io.prune4j.backend.Reduction;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import io.prune4j.testing.Check;
import io.prune4j.testing.NaiveGraphOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The graph networks' operations (grouped and bias-free convolutions, padded max pooling, average
 * pooling, batch normalisation, clamp, the activations, add, the products, channel copies, FPGM,
 * LAMP, segmented reduction) run on a reference backend and on the backend under test with the same
 * seeded inputs, awkward sizes as the parameters (0 and 1 extents, odd ones, channel counts around a
 * warp, groups 1, 2, 3 and depthwise with multipliers 1 and 2, stride 2, padding), and compared:
 * <ul>
 *   <li>bit for bit where both promise the same float operations in the same order: clamp and its
 *       gradient, the piecewise-linear activations and the activation gradients, add, mul and
 *       mulChannels, channel copies, max pooling (values and argmax), the max reduction;</li>
 *   <li>within a tolerance stated at each comparison where the order or precision of a sum may differ:
 *       convolutions (cuDNN's algorithms), average pooling, batch-norm statistics and gradients, the
 *       gate gradient of mulChannels, the FPGM distances, the LAMP denominators, segment sums and means;
 *       and where a device's {@code expf}, {@code tanhf} or {@code normcdff} meets the CPU's double
 *       evaluation (sigmoid, tanh, ELU, GELU).</li>
 * </ul>
 * Every output starts as garbage, so an operation that forgets to write an element fails. Subclasses
 * pick the two backends: {@link GraphOpsKernelTest} the CPU against CUDA (on a GPU), and
 * {@link GraphOpsParitySelfTest} the CPU on both sides everywhere, which proves the shapes, calls and
 * tolerances of the harness itself. While a CPU operation is still a placeholder of the ops-api branch
 * (it throws {@link UnsupportedOperationException}) the test is skipped with the reason printed.
 */
abstract class GraphOpsParity {
    private Backend ref;
    private Backend dut;
    private final List<Tensor> open = new ArrayList<>();

    /** Called by the subclass's {@code @BeforeEach}. */
    final void use(Backend reference, Backend underTest) {
        this.ref = reference;
        this.dut = underTest;
    }

    final Backend dut() {
        return dut;
    }

    @AfterEach
    void closeTensors() {
        for (Tensor t : open) {
            t.close();
        }
        open.clear();
    }

    // ---- tensors on both sides -------------------------------------------------------------------

    /** One tensor on each backend, holding the same values. */
    record Pair(Tensor r, Tensor d) {}

    /** One of the two backends, with the tensor of each {@link Pair} on that side. */
    record Side(Backend b, boolean isRef) {
        Tensor t(Pair p) {
            return p == null ? null : isRef ? p.r() : p.d();
        }
    }

    final Pair f(float[] v, int... shape) {
        return keep(new Pair(ref.fromArray(v, shape), dut.fromArray(v, shape)));
    }

    final Pair ints(int[] v, int... shape) {
        return keep(new Pair(ref.fromArray(v, shape), dut.fromArray(v, shape)));
    }

    /** An output filled with large junk on both sides, so an element left unwritten shows. */
    final Pair junk(SplittableRandom rng, int... shape) {
        return f(uniform(rng, io.prune4j.tensor.Shapes.size(shape), 1e3), shape);
    }

    private Pair keep(Pair p) {
        open.add(p.r());
        open.add(p.d());
        return p;
    }

    /** Runs {@code op} on the reference side, then on the side under test. */
    final void both(Consumer<Side> op) {
        run(new Side(ref, true), op);
        run(new Side(dut, false), op);
    }

    private static void run(Side s, Consumer<Side> op) {
        try {
            op.accept(s);
        } catch (UnsupportedOperationException e) {
            if (!(s.b() instanceof CpuBackend)) {
                throw e;   // only the CPU's ops-api placeholders may skip a test
            }
            String reason = "skipped: the CPU reference is not implemented yet (" + e.getMessage() + ")";
            System.out.println("[GraphOpsParity] " + reason);
            Assumptions.abort(reason);
        }
    }

    final float[] r(Pair p) {
        return ref.toFloatArray(p.r());
    }

    final float[] d(Pair p) {
        return dut.toFloatArray(p.d());
    }

    /** Identical bits (any NaN matches any NaN; −0 and +0 differ). */
    static void sameBits(String what, float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length, what + ": length");
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            boolean ok = Float.isNaN(expected[i]) ? Float.isNaN(actual[i])
                    : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i]);
            if (!ok) {
                if (bad < 5) {
                    sb.append(String.format("%n  [%d] expected %s got %s", i, expected[i], actual[i]));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.length + " elements differ (bit-exact expected)" + sb);
        }
    }

    final void same(String what, Pair p) {
        sameBits(what, r(p), d(p));
    }

    final void near(String what, Pair p, double atol, double rtol) {
        Check.close(what, r(p), d(p), atol, rtol);
    }

    static float[] uniform(SplittableRandom rng, int n, double scale) {
        return Check.uniform(rng, n, scale);
    }

    static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    // ---- convolution -----------------------------------------------------------------------------

    /**
     * Grouped, depthwise (multiplier 1 and 2) and bias-free convolutions. Tolerance as the existing
     * convolution parity: {@code in/groups · k²} products per output summed in another order (or
     * through cuDNN's Winograd / FFT transforms), so {@code 5e-5 · sqrt(terms)} absolute plus 1e-4
     * relative; the bias gradient is a plain sum over {@code batch · Ho · Wo} values.
     */
    @ParameterizedTest(name = "conv2d batch={0} in={1} {2}x{3} out={4} k={5} stride={6} pad={7} groups={8} bias={9} relu={10}")
    @CsvSource({
        "2, 4, 7, 9, 6, 3, 1, 1, 2, true, false",
        "3, 6, 8, 8, 6, 3, 2, 1, 3, false, true",
        "2, 6, 5, 5, 9, 1, 1, 0, 3, true, true",
        "2, 32, 9, 9, 32, 3, 1, 1, 32, true, true",
        "2, 31, 7, 7, 62, 3, 2, 1, 31, false, false",
        "1, 33, 5, 6, 33, 3, 1, 1, 33, false, true",
        "2, 33, 6, 6, 66, 1, 1, 0, 3, true, false",
        "4, 64, 14, 14, 64, 3, 2, 1, 64, false, true",
        "2, 3, 5, 5, 6, 3, 1, 1, 1, false, true",
        "1, 1, 1, 1, 1, 1, 1, 0, 1, false, false",
        "0, 4, 5, 5, 4, 3, 1, 1, 2, true, true",
        "3, 8, 9, 7, 16, 5, 2, 2, 8, true, false",
    })
    void groupedConvolution(int n, int in, int h, int w, int out, int k, int stride, int pad, int groups, boolean withBias,
                            boolean relu) {
        SplittableRandom rng = new SplittableRandom(1000L * in + 31L * out + groups);
        int ho = (h + 2 * pad - k) / stride + 1;
        int wo = (w + 2 * pad - k) / stride + 1;
        String l = " [" + n + "," + in + "," + h + "," + w + "] -> " + out + " k" + k + " s" + stride + " p" + pad + " g" + groups
                + (withBias ? "" : " no bias");
        Pair x = f(uniform(rng, n * in * h * w, 1), n, in, h, w);
        Pair wt = f(uniform(rng, out * (in / groups) * k * k, 0.5), out, in / groups, k, k);
        Pair b = withBias ? f(uniform(rng, out, 0.2), out) : null;
        Pair y = junk(rng, n, out, ho, wo);
        both(s -> s.b().conv2d(s.t(y), s.t(x), s.t(wt), s.t(b), stride, pad, groups, relu));
        double terms = (double) in / groups * k * k;
        near("conv2d" + l, y, 5e-5 * Math.sqrt(terms), 1e-4);

        Pair dy = f(uniform(rng, n * out * ho * wo, 1), n, out, ho, wo);
        Pair dx = junk(rng, n, in, h, w);
        Pair dw = junk(rng, out, in / groups, k, k);
        Pair db = withBias ? junk(rng, out) : null;
        both(s -> s.b().conv2dBackward(s.t(dx), s.t(dw), s.t(db), s.t(dy), s.t(x), s.t(wt), stride, pad, groups));
        near("conv2dBackward dx" + l, dx, 5e-5 * Math.sqrt((double) out / groups * k * k), 1e-4);
        near("conv2dBackward dw" + l, dw, 5e-5 * Math.sqrt(n * ho * wo), 1e-4);
        if (db != null) {
            near("conv2dBackward db" + l, db, 1e-6 * Math.sqrt(n * ho * wo), 1e-6);
        }
        // the first layer: no input gradient
        Pair dw2 = junk(rng, out, in / groups, k, k);
        both(s -> s.b().conv2dBackward(null, s.t(dw2), null, s.t(dy), s.t(x), s.t(wt), stride, pad, groups));
        near("conv2dBackward dx=null db=null dw" + l, dw2, 5e-5 * Math.sqrt(n * ho * wo), 1e-4);
    }

    // ---- pooling ---------------------------------------------------------------------------------

    /**
     * Padded max pooling: values and argmax bit for bit (comparisons only), with quantised inputs (ties),
     * a few NaN, and one plane set to −∞ entirely (its windows' maxima are real −∞ values, never the
     * padding). The gradient through the argmax: exact without overlap, else float atomics in another
     * order (1e-6).
     */
    @ParameterizedTest(name = "maxPool2d batch={0} c={1} {2}x{3} window={4} stride={5} pad={6} ceil={7}")
    @CsvSource({
        "2, 3, 7, 7, 3, 2, 1, false", "1, 1, 1, 1, 1, 1, 0, false", "2, 31, 8, 9, 3, 1, 1, false", "1, 32, 5, 5, 2, 2, 1, false",
        "3, 33, 6, 6, 5, 2, 2, false", "1, 2, 2, 2, 2, 1, 1, false", "0, 3, 4, 4, 3, 2, 1, false", "4, 16, 112, 112, 3, 2, 1, false",
        "2, 3, 1, 5, 3, 1, 1, false", "1, 2, 3, 3, 3, 3, 1, false",
        // ceil mode (SqueezeNet's and GoogLeNet's pools): partial windows kept, and the last-window rule
        "2, 3, 6, 7, 3, 2, 0, true", "2, 17, 54, 55, 3, 2, 0, true", "2, 2, 5, 5, 2, 2, 1, true", "1, 33, 9, 9, 3, 2, 1, true",
    })
    void paddedMaxPooling(int b, int c, int h, int w, int window, int stride, int pad, boolean ceil) {
        SplittableRandom rng = new SplittableRandom(2000L + 7L * h + window + pad);
        int ho = ceil ? NaiveGraphOps.outCeil(h, window, stride, pad) : NaiveGraphOps.out(h, window, stride, pad);
        int wo = ceil ? NaiveGraphOps.outCeil(w, window, stride, pad) : NaiveGraphOps.out(w, window, stride, pad);
        float[] xs = uniform(rng, b * c * h * w, 2);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = Math.round(xs[i] * 2) / 2f;
        }
        if (xs.length > 2 * h * w) {
            Arrays.fill(xs, h * w, 2 * h * w, Float.NEGATIVE_INFINITY);   // the second plane: all −∞
            xs[xs.length - 1] = Float.NaN;
            xs[xs.length / 2] = Float.NaN;
        }
        String l = " [" + b + "," + c + "," + h + "," + w + "] window " + window + " stride " + stride + " pad " + pad + (ceil ? " ceil" : "");
        Pair x = f(xs, b, c, h, w);
        Pair y = junk(rng, b, c, ho, wo);
        Pair am = ints(Check.randint(rng, b * c * ho * wo, 1000), b, c, ho, wo);
        both(s -> s.b().maxPool2d(s.t(y), s.t(am), s.t(x), window, stride, pad, ceil));
        same("maxPool2d y" + l, y);
        assertArrayEquals(ref.toIntArray(am.r()), dut.toIntArray(am.d()), "maxPool2d argmax" + l);
        for (int a : dut.toIntArray(am.d())) {
            if (a < 0 || a >= h * w) {
                fail("maxPool2d argmax " + a + " outside the " + h + "x" + w + " plane" + l);
            }
        }
        Pair dy = f(uniform(rng, b * c * ho * wo, 1), b, c, ho, wo);
        Pair dx = junk(rng, b, c, h, w);
        both(s -> s.b().maxPool2dBackward(s.t(dx), s.t(dy), s.t(am)));
        if (stride >= window) {
            same("maxPool2dBackward" + l, dx);
        } else {
            near("maxPool2dBackward (overlapping windows)" + l, dx, 1e-6, 1e-6);
        }
    }

    /**
     * Nearest upsampling by whole factors, bit for bit (a copy), and its gradient, each input value the
     * sum of its block in the same order on both sides: bit for bit too. Factors 1 to 4, odd planes,
     * a factor of 1 (the identity), an empty batch.
     */
    @ParameterizedTest(name = "upsampleNearest batch={0} c={1} {2}x{3} by {4}x{5}")
    @CsvSource({"2, 3, 7, 5, 2, 2", "1, 1, 1, 1, 3, 1", "3, 31, 1, 33, 1, 4", "2, 33, 14, 9, 2, 3", "0, 3, 4, 4, 2, 2",
        "1, 5, 17, 13, 1, 1", "4, 2, 2, 1, 4, 4"})
    void upsampleNearest(int b, int c, int h, int w, int sh, int sw) {
        SplittableRandom rng = new SplittableRandom(2300L + 7L * h + w + c + 11L * sh + sw);
        String l = " [" + b + "," + c + "," + h + "," + w + "] by " + sh + "x" + sw;
        Pair x = f(uniform(rng, b * c * h * w, 2), b, c, h, w);
        Pair y = junk(rng, b, c, h * sh, w * sw);
        both(s -> s.b().upsampleNearest(s.t(y), s.t(x), sh, sw));
        same("upsampleNearest y" + l, y);
        Pair dy = f(uniform(rng, b * c * h * sh * w * sw, 1), b, c, h * sh, w * sw);
        Pair dx = junk(rng, b, c, h, w);
        both(s -> s.b().upsampleNearestBackward(s.t(dx), s.t(dy), sh, sw));
        same("upsampleNearest gradient" + l, dx);
    }

    /**
     * Global max pooling of maps of any shape: values and argmax bit for bit, with quantised inputs
     * (ties: the first in row order wins), NaN in some planes (the first NaN wins) and a plane all −∞;
     * the gradient through the argmax, exact.
     */
    @ParameterizedTest(name = "globalMaxPool batch={0} c={1} {2}x{3}")
    @CsvSource({"2, 3, 7, 5", "1, 1, 1, 1", "3, 31, 1, 33", "2, 33, 14, 9", "0, 3, 4, 4", "1, 5, 64, 96", "4, 2, 2, 1"})
    void globalMaxPooling(int b, int c, int h, int w) {
        SplittableRandom rng = new SplittableRandom(2100L + 7L * h + w + c);
        float[] xs = uniform(rng, b * c * h * w, 2);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = Math.round(xs[i] * 2) / 2f;
        }
        if (xs.length > 3 * h * w) {
            Arrays.fill(xs, h * w, 2 * h * w, Float.NEGATIVE_INFINITY);
            xs[2 * h * w + (h * w) / 2] = Float.NaN;
            xs[2 * h * w + h * w - 1] = Float.NaN;
            xs[xs.length - 1] = Float.NaN;
        }
        String l = " [" + b + "," + c + "," + h + "," + w + "]";
        Pair x = f(xs, b, c, h, w);
        Pair y = junk(rng, b, c, 1, 1);
        Pair am = ints(Check.randint(rng, b * c, 1000), b, c, 1, 1);
        both(s -> s.b().globalMaxPool(s.t(y), s.t(am), s.t(x)));
        same("globalMaxPool y" + l, y);
        assertArrayEquals(ref.toIntArray(am.r()), dut.toIntArray(am.d()), "globalMaxPool argmax" + l);
        Pair dy = f(uniform(rng, b * c, 1), b, c, 1, 1);
        Pair dx = junk(rng, b, c, h, w);
        both(s -> s.b().maxPool2dBackward(s.t(dx), s.t(dy), s.t(am)));
        same("globalMaxPool gradient" + l, dx);
    }

    /**
     * Average pooling both ways of counting the padding, and in ceil mode (partial windows). At most {@code window²} float additions per
     * output (one division), in row order on both sides if the CPU sums that way; allowed: a few ulps
     * of the window's magnitude, {@code 1e-6 · window²} absolute (inputs in [−1, 1]) plus 1e-5
     * relative. The gradient adds at most {@code ⌈window/stride⌉²} quotients per input: the same bound.
     */
    @ParameterizedTest(name = "avgPool2d batch={0} c={1} {2}x{3} window={4} stride={5} pad={6} countIncludePad={7} ceil={8}")
    @CsvSource({
        "2, 3, 7, 7, 3, 2, 1, true, false", "2, 3, 7, 7, 3, 2, 1, false, false", "1, 1, 1, 1, 1, 1, 0, true, false",
        "2, 31, 8, 9, 3, 1, 1, false, false", "1, 32, 5, 5, 2, 2, 1, true, false", "3, 33, 6, 6, 5, 2, 2, false, false",
        "3, 33, 6, 6, 5, 2, 2, true, false", "0, 3, 4, 4, 3, 2, 1, true, false", "4, 64, 7, 7, 7, 1, 0, true, false",
        "2, 5, 9, 8, 4, 3, 2, false, false", "2, 3, 2, 2, 2, 2, 0, false, false",
        "2, 3, 8, 9, 3, 2, 1, true, true", "2, 3, 8, 9, 3, 2, 1, false, true", "3, 17, 7, 9, 2, 2, 0, false, true",
        "3, 17, 7, 9, 2, 2, 0, true, true", "2, 5, 10, 11, 4, 3, 2, true, true", "1, 2, 1, 1, 3, 1, 1, true, true",
    })
    void averagePooling(int b, int c, int h, int w, int window, int stride, int pad, boolean countIncludePad, boolean ceil) {
        SplittableRandom rng = new SplittableRandom(3000L + 7L * h + window + pad + (countIncludePad ? 1 : 0) + (ceil ? 11 : 0));
        int ho = (int) ArgChecks.poolExtent(h, window, stride, pad, ceil);
        int wo = (int) ArgChecks.poolExtent(w, window, stride, pad, ceil);
        String l = " [" + b + "," + c + "," + h + "," + w + "] window " + window + " stride " + stride + " pad " + pad
                + (countIncludePad ? " include pad" : " exclude pad") + (ceil ? " ceil mode" : "");
        Pair x = f(uniform(rng, b * c * h * w, 1), b, c, h, w);
        Pair y = junk(rng, b, c, ho, wo);
        both(s -> s.b().avgPool2d(s.t(y), s.t(x), window, stride, pad, countIncludePad, ceil));
        near("avgPool2d" + l, y, 1e-6 * window * window, 1e-5);
        Pair dy = f(uniform(rng, b * c * ho * wo, 1), b, c, ho, wo);
        Pair dx = junk(rng, b, c, h, w);
        both(s -> s.b().avgPool2dBackward(s.t(dx), s.t(dy), window, stride, pad, countIncludePad, ceil));
        int overlaps = (window + stride - 1) / stride;
        near("avgPool2dBackward" + l, dx, 1e-6 * overlaps * overlaps, 1e-5);
    }

    /**
     * Zero padding and its gradient (a crop): copies on both sides, so bit for bit, NaN and −0
     * included; every output starts as garbage, so a padded position left unwritten fails.
     */
    @ParameterizedTest(name = "zeroPad2d batch={0} c={1} {2}x{3} pads {4},{5},{6},{7}")
    @CsvSource({
        "2, 3, 5, 7, 1, 1, 1, 1", "1, 2, 7, 6, 0, 0, 3, 3", "3, 1, 4, 4, 3, 3, 0, 0", "2, 2, 1, 1, 0, 1, 1, 0", "0, 2, 5, 5, 1, 2, 3, 4",
        "1, 1, 1, 1, 0, 0, 0, 0", "2, 33, 9, 8, 2, 0, 0, 5", "4, 31, 17, 15, 1, 1, 1, 1", "1, 1, 0, 3, 1, 1, 0, 0",
    })
    void zeroPadding(int b, int c, int h, int w, int top, int bottom, int left, int right) {
        SplittableRandom rng = new SplittableRandom(3500L + 7L * h + w + top + 3L * left);
        int hp = h + top + bottom;
        int wp = w + left + right;
        String l = " [" + b + "," + c + "," + h + "," + w + "] pads " + top + "," + bottom + "," + left + "," + right;
        float[] xs = uniform(rng, b * c * h * w, 1);
        if (xs.length > 2) {
            xs[0] = -0f;
            xs[xs.length - 1] = Float.NaN;
        }
        Pair x = f(xs, b, c, h, w);
        Pair y = junk(rng, b, c, hp, wp);
        both(s -> s.b().zeroPad2d(s.t(y), s.t(x), top, left));
        same("zeroPad2d" + l, y);
        Pair dy = f(uniform(rng, b * c * hp * wp, 1), b, c, hp, wp);
        Pair dx = junk(rng, b, c, h, w);
        both(s -> s.b().zeroPad2dBackward(s.t(dx), s.t(dy), top, left));
        same("zeroPad2dBackward" + l, dx);
    }

    // ---- layer normalisation over the channels ---------------------------------------------------

    /**
     * Layer normalisation over the channels at every position ([batch, C] when {@code h = 0}), without
     * a mask, with a random one and with one that keeps nothing, on data offset by {@code offset}
     * (the two-pass variance keeps it), then the backward pass from the reference's saved statistics,
     * with and without dx. The device sums each position's channels in double in the CPU's order and
     * rounds as it does: y and the statistics within an ulp or two (1e-6 relative); dGamma and dBeta
     * are a tree over {@code batch·H·W} doubles against the CPU's sequential double sum.
     */
    @ParameterizedTest(name = "layerNorm batch={0} C={1} {2}x{3} offset={4} mask={5}")
    @CsvSource({
        "2, 1, 0, 0, 0, none", "3, 31, 0, 0, 0, random", "5, 768, 0, 0, 3, random", "2, 3, 1, 1, 0, none", "1, 2, 3, 3, 0, random",
        "4, 31, 7, 7, 10, random", "2, 33, 8, 8, 0, none", "3, 96, 14, 14, 0, random", "1, 1, 64, 64, 0, none", "3, 5, 40, 41, 100, random",
        "2, 7, 3, 3, 0, empty",
    })
    void layerNormalisation(int batch, int c, int h, int w, int offset, String maskKind) {
        SplittableRandom rng = new SplittableRandom(4500L + 17L * c + batch + h + offset);
        int[] shape = h == 0 ? new int[] {batch, c} : new int[] {batch, c, h, w};
        int spatial = h == 0 ? 1 : h * w;
        int size = batch * c * spatial;
        float[] xs = uniform(rng, size, 1);
        for (int i = 0; i < size; i++) {
            xs[i] += offset;
        }
        String l = " " + Arrays.toString(shape) + " offset " + offset + " mask " + maskKind;
        Pair x = f(xs, shape);
        Pair gamma = f(uniform(rng, c, 1), c);
        Pair beta = f(uniform(rng, c, 1), c);
        float[] m = new float[c];
        for (int i = 0; i < c; i++) {
            m[i] = maskKind.equals("none") ? 1f : maskKind.equals("empty") ? 0f : rng.nextInt(3) == 0 ? 0f : 1f;
        }
        Pair mask = maskKind.equals("none") ? null : f(m, c);
        Pair y = junk(rng, shape);
        Pair sm = junk(rng, batch, spatial);
        Pair si = junk(rng, batch, spatial);
        both(s -> s.b().layerNorm(s.t(y), s.t(sm), s.t(si), s.t(x), s.t(gamma), s.t(beta), mask == null ? null : s.t(mask), 1e-6f));
        near("layerNorm saveMean" + l, sm, 1e-6 * (1 + offset), 1e-6);
        near("layerNorm saveInvStd" + l, si, 1e-7, 1e-6);
        near("layerNorm y" + l, y, 1e-5 * (1 + 0.2 * offset), 1e-5);
        Pair y2 = junk(rng, shape);
        both(s -> s.b().layerNorm(s.t(y2), null, null, s.t(x), s.t(gamma), s.t(beta), mask == null ? null : s.t(mask), 1e-6f));
        near("layerNorm y without statistics" + l, y2, 1e-5 * (1 + 0.2 * offset), 1e-5);

        Pair sm2 = f(r(sm), batch, spatial);
        Pair si2 = f(r(si), batch, spatial);
        Pair dy = f(uniform(rng, size, 1), shape);
        Pair dx = junk(rng, shape);
        Pair dg = junk(rng, c);
        Pair dbt = junk(rng, c);
        both(s -> s.b().layerNormBackward(s.t(dx), s.t(dg), s.t(dbt), s.t(dy), s.t(x), s.t(gamma), mask == null ? null : s.t(mask),
                s.t(sm2), s.t(si2)));
        double sumTol = 1e-6 * Math.sqrt((double) batch * spatial) * (1 + 0.2 * offset);
        near("layerNormBackward dBeta" + l, dbt, sumTol, 1e-5);
        near("layerNormBackward dGamma" + l, dg, sumTol, 1e-5);
        near("layerNormBackward dx" + l, dx, 1e-5 * (1 + 0.2 * offset) * Math.max(1, maxAbs(r(dx))), 1e-4);
        Pair dg2 = junk(rng, c);
        Pair db2 = junk(rng, c);
        both(s -> s.b().layerNormBackward(null, s.t(dg2), s.t(db2), s.t(dy), s.t(x), s.t(gamma), mask == null ? null : s.t(mask),
                s.t(sm2), s.t(si2)));
        near("layerNormBackward dx=null dGamma" + l, dg2, sumTol, 1e-5);
    }

    // ---- group normalisation ---------------------------------------------------------------------

    /**
     * Group normalisation ([batch, C] when {@code h = 0}) with one group, several, and one per channel
     * (an instance norm), on data offset by {@code offset}, then the backward pass from the
     * reference's saved statistics, with and without dx. The device sums each unit in double over a
     * fixed tree, the CPU in order: the statistics within an ulp or two (1e-6 relative), y and dx as
     * for the layer norm; dGamma and dBeta are a tree over {@code batch·H·W} doubles against the CPU's
     * sequential double sum.
     */
    @ParameterizedTest(name = "groupNorm batch={0} C={1} groups={2} {3}x{4} offset={5}")
    @CsvSource({
        "2, 6, 3, 0, 0, 0", "3, 8, 1, 0, 0, 2", "1, 1, 1, 1, 1, 0", "2, 4, 4, 1, 1, 0", "3, 6, 2, 3, 5, 0", "4, 32, 8, 7, 7, 10",
        "2, 12, 12, 8, 8, 0", "1, 64, 32, 14, 14, 3", "3, 5, 5, 40, 41, 100", "2, 9, 3, 33, 1, 0", "1, 2, 1, 64, 64, 0",
    })
    void groupNormalisation(int batch, int c, int groups, int h, int w, int offset) {
        SplittableRandom rng = new SplittableRandom(4600L + 17L * c + batch + h + offset + groups);
        int[] shape = h == 0 ? new int[] {batch, c} : new int[] {batch, c, h, w};
        int spatial = h == 0 ? 1 : h * w;
        int size = batch * c * spatial;
        float[] xs = uniform(rng, size, 1);
        for (int i = 0; i < size; i++) {
            xs[i] += offset;
        }
        String l = " " + Arrays.toString(shape) + " groups " + groups + " offset " + offset;
        Pair x = f(xs, shape);
        Pair gamma = f(uniform(rng, c, 1), c);
        Pair beta = f(uniform(rng, c, 1), c);
        Pair y = junk(rng, shape);
        Pair sm = junk(rng, batch, groups);
        Pair si = junk(rng, batch, groups);
        both(s -> s.b().groupNorm(s.t(y), s.t(sm), s.t(si), s.t(x), s.t(gamma), s.t(beta), groups, 1e-5f));
        near("groupNorm saveMean" + l, sm, 1e-6 * (1 + offset), 1e-6);
        near("groupNorm saveInvStd" + l, si, 1e-7, 1e-6);
        near("groupNorm y" + l, y, 1e-5 * (1 + 0.2 * offset), 1e-5);
        Pair y2 = junk(rng, shape);
        both(s -> s.b().groupNorm(s.t(y2), null, null, s.t(x), s.t(gamma), s.t(beta), groups, 1e-5f));
        near("groupNorm y without statistics" + l, y2, 1e-5 * (1 + 0.2 * offset), 1e-5);

        Pair sm2 = f(r(sm), batch, groups);
        Pair si2 = f(r(si), batch, groups);
        Pair dy = f(uniform(rng, size, 1), shape);
        Pair dx = junk(rng, shape);
        Pair dg = junk(rng, c);
        Pair dbt = junk(rng, c);
        both(s -> s.b().groupNormBackward(s.t(dx), s.t(dg), s.t(dbt), s.t(dy), s.t(x), s.t(gamma), s.t(sm2), s.t(si2), groups));
        double sumTol = 1e-6 * Math.sqrt((double) batch * spatial) * (1 + 0.2 * offset);
        near("groupNormBackward dBeta" + l, dbt, sumTol, 1e-5);
        near("groupNormBackward dGamma" + l, dg, sumTol, 1e-5);
        near("groupNormBackward dx" + l, dx, 1e-5 * (1 + 0.2 * offset) * Math.max(1, maxAbs(r(dx))), 1e-4);
        Pair dg2 = junk(rng, c);
        Pair db2 = junk(rng, c);
        both(s -> s.b().groupNormBackward(null, s.t(dg2), s.t(db2), s.t(dy), s.t(x), s.t(gamma), s.t(sm2), s.t(si2), groups));
        near("groupNormBackward dx=null dGamma" + l, dg2, sumTol, 1e-5);
    }

    // ---- batch normalisation ---------------------------------------------------------------------

    /**
     * Training-mode batch norm, BatchNorm1d ({@code h = 0}: x is [batch, C]) and BatchNorm2d, on data
     * with a per-channel offset of {@code offset} standard deviations (a one-pass variance without a
     * shift would lose it), then the backward pass from the reference's saved statistics, then
     * inference with the updated running statistics, then in place (y = x).
     *
     * <p>Tolerances: mean and variance are double sums on the device (the shifted one-pass form),
     * and the saved and running statistics are rounded to float: 1e-5 relative (room for a CPU that
     * sums in another order or precision) plus {@code 1e-6·(1 + offset)} absolute for means near 0.
     * y and dx are float expressions whose inputs differ by those ulps, and {@code x − μ} on data
     * offset by k standard deviations carries the rounding of a float μ of that size (about
     * {@code 2e-7·k}): {@code 1e-5·(1 + 0.2·offset)} absolute, 1e-4 relative. dGamma and dBeta are
     * sums over {@code n = batch·H·W} values, which a CPU may add in float:
     * {@code 2e-6·sqrt(n)·(1 + 0.2·offset)} absolute, 1e-5 relative.
     */
    @ParameterizedTest(name = "batchNorm batch={0} C={1} {2}x{3} offset={4}")
    @CsvSource({
        "2, 1, 0, 0, 0", "3, 31, 0, 0, 0", "64, 32, 0, 0, 3", "5, 33, 0, 0, 0", "1000, 7, 0, 0, 50", "2, 4096, 0, 0, 0",
        "2, 3, 1, 1, 0", "1, 2, 3, 3, 0", "4, 31, 7, 7, 0", "2, 32, 8, 8, 2", "3, 33, 5, 5, 0", "16, 64, 28, 28, 0",
        "2, 3, 1, 33, 100", "1, 1, 64, 64, 0", "8, 3, 2, 3, 0", "3, 5, 40, 41, 10",
    })
    void batchNormalisation(int batch, int c, int h, int w, int offset) {
        SplittableRandom rng = new SplittableRandom(4000L + 13L * c + batch + h + offset);
        int[] shape = h == 0 ? new int[] {batch, c} : new int[] {batch, c, h, w};
        int spatial = h == 0 ? 1 : h * w;
        int size = batch * c * spatial;
        float[] xs = uniform(rng, size, 1);
        float[] shifts = uniform(rng, c, 1);
        for (int i = 0; i < size; i++) {
            int ch = (i / spatial) % c;
            xs[i] = xs[i] * (0.5f + ch % 3) + offset * (1 + shifts[ch]);
        }
        String l = " " + Arrays.toString(shape) + " offset " + offset;
        double n = (double) batch * spatial;
        Pair x = f(xs, shape);
        Pair gamma = f(uniform(rng, c, 1), c);
        Pair beta = f(uniform(rng, c, 1), c);
        Pair rm = f(uniform(rng, c, 1), c);
        float[] rv0 = uniform(rng, c, 1);
        for (int i = 0; i < c; i++) {
            rv0[i] = 0.5f + Math.abs(rv0[i]);
        }
        Pair rv = f(rv0, c);
        Pair y = junk(rng, shape);
        Pair sm = junk(rng, c);
        Pair si = junk(rng, c);
        both(s -> s.b().batchNorm(s.t(y), s.t(sm), s.t(si), s.t(x), s.t(gamma), s.t(beta), s.t(rm), s.t(rv), 0.1f, 1e-5f, true));
        double statTol = 1e-6 * (1 + offset);
        double valueTol = 1e-5 * (1 + 0.2 * offset);
        near("batchNorm saveMean" + l, sm, statTol, 1e-5);
        near("batchNorm saveInvStd" + l, si, 1e-7, 1e-5);
        near("batchNorm runningMean" + l, rm, statTol, 1e-5);
        near("batchNorm runningVar (unbiased)" + l, rv, statTol, 1e-5);
        near("batchNorm y" + l, y, valueTol, 1e-4);

        // backward from the same saved statistics on both sides (the reference's), so only the pass differs
        float[] mean = r(sm);
        float[] inv = r(si);
        Pair sm2 = f(mean, c);
        Pair si2 = f(inv, c);
        Pair dy = f(uniform(rng, size, 1), shape);
        Pair dx = junk(rng, shape);
        Pair dg = junk(rng, c);
        Pair dbt = junk(rng, c);
        both(s -> s.b().batchNormBackward(s.t(dx), s.t(dg), s.t(dbt), s.t(dy), s.t(x), s.t(gamma), s.t(sm2), s.t(si2)));
        double sumTol = 2e-6 * Math.sqrt(n) * (1 + 0.2 * offset);
        near("batchNormBackward dBeta" + l, dbt, sumTol, 1e-5);
        near("batchNormBackward dGamma" + l, dg, sumTol, 1e-5);
        near("batchNormBackward dx" + l, dx, valueTol * Math.max(1, maxAbs(r(dx))), 1e-4);
        Pair dg2 = junk(rng, c);
        Pair db2 = junk(rng, c);
        both(s -> s.b().batchNormBackward(null, s.t(dg2), s.t(db2), s.t(dy), s.t(x), s.t(gamma), s.t(sm2), s.t(si2)));
        near("batchNormBackward dx=null dGamma" + l, dg2, sumTol, 1e-5);

        // inference with the running statistics, which stay as they are; no save tensors
        float[] rmBefore = r(rm);
        float[] rvBefore = r(rv);
        Pair yi = junk(rng, shape);
        both(s -> s.b().batchNorm(s.t(yi), null, null, s.t(x), s.t(gamma), s.t(beta), s.t(rm), s.t(rv), 0.1f, 1e-3f, false));
        near("batchNorm inference y" + l, yi, valueTol, 1e-4);
        sameBits("batchNorm inference leaves runningMean" + l, rmBefore, d(rm));
        sameBits("batchNorm inference leaves runningVar" + l, rvBefore, d(rv));

        // in place, training, momentum 1 (the running statistics become the batch's)
        Pair xy = f(xs, shape);
        Pair rm1 = f(new float[c], c);
        Pair rv1 = f(new float[c], c);
        Pair sm1 = junk(rng, c);
        Pair si1 = junk(rng, c);
        both(s -> s.b().batchNorm(s.t(xy), s.t(sm1), s.t(si1), s.t(xy), s.t(gamma), s.t(beta), s.t(rm1), s.t(rv1), 1f, 1e-5f, true));
        near("batchNorm in place y" + l, xy, valueTol, 1e-4);
        near("batchNorm momentum 1 runningVar" + l, rv1, statTol, 1e-5);
        // the unbiased running variance is the saved biased one times n / (n − 1)
        float[] unbiased = d(rv1);
        float[] invStd = d(si1);
        for (int ch = 0; ch < c; ch++) {
            double biased = 1 / ((double) invStd[ch] * invStd[ch]) - 1e-5;
            double expected = biased * n / (n - 1);
            if (Math.abs(unbiased[ch] - expected) > 1e-5 * Math.abs(expected) + 1e-6) {
                fail("batchNorm runningVar of channel " + ch + " is " + unbiased[ch] + ", expected the unbiased " + expected + l);
            }
        }
    }

    // ---- element-wise ----------------------------------------------------------------------------

    /** Values around the clamp bounds and the special ones: ±0, ±∞, NaN, the bounds themselves. */
    static float[] awkward(SplittableRandom rng, int n) {
        float[] special = {0f, -0f, 6f, -6f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 6.0000005f,
            Math.nextDown(0f), Float.MIN_VALUE};
        float[] a = uniform(rng, n, 8);
        for (int i = 0; i < n; i++) {
            if (rng.nextInt(4) == 0) {
                a[i] = special[rng.nextInt(special.length)];
            }
        }
        return a;
    }

    /** clamp (ReLU6 and a symmetric hardtanh, and bounds at ±0), its gradient and add: bit for bit, aliasing included. */
    @ParameterizedTest(name = "clamp and add n={0}")
    @ValueSource(ints = {0, 1, 31, 32, 33, 1023, 4097, 100_003})
    void clampAndAdd(int n) {
        SplittableRandom rng = new SplittableRandom(5000L + n);
        float[] xs = awkward(rng, n);
        float[][] bounds = {{0f, 6f}, {-1f, 1f}, {-0f, 0f}, {0f, 0f}, {-3f, Float.POSITIVE_INFINITY}};
        for (float[] lh : bounds) {
            float lo = lh[0];
            float hi = lh[1];
            String l = " n=" + n + " [" + lo + ", " + hi + "]";
            Pair x = f(xs, n);
            Pair y = junk(rng, n);
            both(s -> s.b().clamp(s.t(y), s.t(x), lo, hi));
            same("clamp" + l, y);
            Pair dy = f(awkward(rng, n), n);
            Pair dx = junk(rng, n);
            both(s -> s.b().clampBackward(s.t(dx), s.t(dy), s.t(y), lo, hi));
            same("clampBackward" + l, dx);
            both(s -> s.b().clampBackward(s.t(dy), s.t(dy), s.t(y), lo, hi));   // dx = dy
            sameBits("clampBackward in place" + l, r(dx), d(dy));
            both(s -> s.b().clamp(s.t(x), s.t(x), lo, hi));   // y = x
            sameBits("clamp in place" + l, r(y), d(x));
        }
        Pair a = f(awkward(rng, n), n);
        Pair b = f(awkward(rng, n), n);
        Pair y = junk(rng, n);
        both(s -> s.b().add(s.t(y), s.t(a), s.t(b)));
        same("add n=" + n, y);
        both(s -> s.b().add(s.t(a), s.t(a), s.t(b)));   // y = a
        sameBits("add into a n=" + n, r(y), d(a));
        both(s -> s.b().add(s.t(b), s.t(y), s.t(b)));   // y = b
        same("add into b n=" + n, b);
    }

    /**
     * Every activation ({@link Activations#all}) and its gradient on inputs around the kinks and the
     * special values, aliasing included. The piecewise-linear kinds (LeakyReLU, HardSigmoid,
     * HardSwish) are float operations on both sides: bit for bit. The others call a device's
     * {@code expf}, {@code tanhf}, {@code expm1f}, {@code log1pf} and {@code normcdff} against the CPU's
     * double evaluation rounded once: a few ulps, 1e-6 relative (8 ulps at most), plus the smallest
     * normal float absolute (a sigmoid below −88 underflows to 0 sooner on a device, and GELU's Φ is
     * subnormal below −13). The backward runs on the reference's forward output on both sides, so that
     * only the gradient's own arithmetic differs: bit for bit, but ELU's, SELU's, CELU's and
     * Softplus's, whose {@code e^x} is the device's (1e-6 relative), and GELU's and Mish's, whose
     * {@code Φ(x) + x·φ(x)} and {@code t + x·σ(x)·(1 − t²)} are the device's float sums: 1e-6
     * relative, and 4e-7 absolute for the cancellation near their roots ({@code x ≈ −0.75} and
     * {@code −1.19}), where each term is about 0.25 and a few ulps of each (1.5e-8 an ulp, normcdff 5
     * at most) times {@code |dy| ≤ 2} remain.
     */
    @ParameterizedTest(name = "activations n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void activations(int n) {
        for (Activations.Case c : Activations.all()) {
            SplittableRandom rng = new SplittableRandom(5500L + n + 101L * c.kind().ordinal());
            String l = " " + c + " n=" + n;
            boolean exact = c.kind() == ActivationKind.LEAKY_RELU || c.kind() == ActivationKind.HARD_SIGMOID
                    || c.kind() == ActivationKind.HARD_SWISH;
            float[] xs = Activations.awkward(rng, n);
            Pair x = f(xs, n);
            Pair y = junk(rng, n);
            both(s -> s.b().activation(s.t(y), s.t(x), c.kind(), c.alpha(), c.beta()));
            if (exact) {
                same("activation" + l, y);
            } else if (c.kind() == ActivationKind.MISH) {
                near("activation" + l, y, 1e-36, 1e-6);   // below about −87, x times a subnormal e^x on the device
            } else {
                near("activation" + l, y, Float.MIN_NORMAL, 1e-6);
            }
            Pair yr = f(r(y), n);
            Pair dy = f(uniform(rng, n, 2), n);
            Pair dx = junk(rng, n);
            both(s -> s.b().activationBackward(s.t(dx), s.t(dy), s.t(x), s.t(yr), c.kind(), c.alpha(), c.beta()));
            ActivationKind k = c.kind();
            if (k == ActivationKind.ELU || k == ActivationKind.SELU || k == ActivationKind.CELU || k == ActivationKind.SOFTPLUS
                    || k == ActivationKind.GELU_TANH) {
                near("activationBackward" + l, dx, Float.MIN_NORMAL, 1e-6);
            } else if (k == ActivationKind.GELU || k == ActivationKind.MISH) {
                near("activationBackward" + l, dx, 4e-7, 1e-6);
            } else {
                same("activationBackward" + l, dx);
            }
            both(s -> s.b().activationBackward(s.t(dy), s.t(dy), s.t(x), s.t(yr), c.kind(), c.alpha(), c.beta()));   // dx = dy
            sameBits("activationBackward in place" + l, d(dx), d(dy));
            both(s -> s.b().activation(s.t(x), s.t(x), c.kind(), c.alpha(), c.beta()));   // y = x
            sameBits("activation in place" + l, d(y), d(x));
            closeTensors();   // ten kinds of a million elements: one at a time
        }
    }

    /**
     * The products of SiLU and of a squeeze-and-excitation gate: {@code mul}, then {@code mulChannels}
     * and its gradient on long planes {@code [2, 3, 1, n]} and on many short ones {@code [1, n, 2, 2]}
     * ({@link #channelProducts}). {@code mul} is one float product per element on both sides: bit for
     * bit, special values and aliasing included.
     */
    @ParameterizedTest(name = "mul and mulChannels n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void products(int n) {
        SplittableRandom rng = new SplittableRandom(5700L + n);
        Pair a = f(Activations.awkward(rng, n), n);
        Pair b = f(Activations.awkward(rng, n), n);
        Pair y = junk(rng, n);
        both(s -> s.b().mul(s.t(y), s.t(a), s.t(b)));
        same("mul n=" + n, y);
        both(s -> s.b().mul(s.t(a), s.t(a), s.t(b)));   // y = a
        sameBits("mul into a n=" + n, r(y), d(a));
        both(s -> s.b().mul(s.t(b), s.t(y), s.t(b)));   // y = b
        same("mul into b n=" + n, b);
        closeTensors();
        channelProducts(rng, 2, 3, 1, n);
        closeTensors();
        channelProducts(rng, 1, n, 2, 2);
    }

    /**
     * {@code mulChannels} of {@code x [batch, channels, h, w]} by a gate {@code [batch, channels, 1, 1]},
     * then in place with the gate as {@code [batch, channels]}: one float product per element, bit for
     * bit. {@code mulChannelsBackward} sums each channel's exact products in double, in plane order on
     * the CPU and over a warp's lanes on a device: the double sums differ by a few units of 2^−53 of the
     * sum of magnitudes (at most {@code 4·h·w} here, so {@code 4e-12·h·w} absolute), the float results by
     * an ulp where the two straddle a rounding boundary (1e-6 relative).
     */
    private void channelProducts(SplittableRandom rng, int batch, int channels, int h, int w) {
        int[] shape = {batch, channels, h, w};
        int n = batch * channels * h * w;
        String l = " " + Arrays.toString(shape);
        Pair x = f(Activations.awkward(rng, n), shape);
        float[] gate = Activations.awkward(rng, batch * channels);
        Pair s4 = f(gate, batch, channels, 1, 1);
        Pair s2 = f(gate, batch, channels);
        Pair y = junk(rng, shape);
        both(s -> s.b().mulChannels(s.t(y), s.t(x), s.t(s4)));
        same("mulChannels" + l, y);
        both(s -> s.b().mulChannels(s.t(x), s.t(x), s.t(s2)));   // y = x
        sameBits("mulChannels in place" + l, r(y), d(x));
        Pair dy = f(uniform(rng, n, 1), shape);
        Pair xs = f(uniform(rng, n, 4), shape);
        Pair ds = junk(rng, batch, channels, 1, 1);
        both(s -> s.b().mulChannelsBackward(s.t(ds), s.t(dy), s.t(xs)));
        near("mulChannelsBackward" + l, ds, 4e-12 * h * w + Float.MIN_NORMAL, 1e-6);
    }

    /**
     * Channel copies (a concatenation and its gradient), rank 2 and 4: bit for bit, with offsets and
     * counts that make the 16-, 8- and 4-byte paths run, an empty copy, and a copy within one tensor
     * whose two ranges overlap (the CPU's per-example arraycopy is a memmove).
     */
    @ParameterizedTest(name = "copyChannels batch={0} dst C={1} src C={2} {3}x{4} dstOffset={5} srcOffset={6} channels={7}")
    @CsvSource({
        "2, 8, 4, 3, 3, 4, 0, 4", "3, 64, 32, 7, 7, 32, 0, 32", "3, 64, 32, 7, 7, 0, 0, 32", "2, 33, 31, 4, 4, 1, 0, 31",
        "2, 33, 31, 4, 4, 2, 2, 29", "2, 65, 33, 1, 1, 32, 0, 33", "1, 1, 1, 1, 1, 0, 0, 1", "0, 4, 4, 2, 2, 0, 0, 4",
        "4, 6, 6, 5, 5, 3, 3, 0", "5, 96, 96, 0, 0, 17, 40, 31", "7, 3, 5, 9, 11, 1, 3, 2", "2, 128, 256, 14, 14, 0, 128, 128",
        "3, 5, 7, 1, 2, 1, 3, 3", "3, 6, 6, 1, 2, 1, 2, 3",
    })
    void channelCopies(int batch, int cd, int cs, int h, int w, int dstOffset, int srcOffset, int channels) {
        SplittableRandom rng = new SplittableRandom(6000L + cd * 7L + cs + dstOffset + srcOffset);
        int[] dShape = h == 0 ? new int[] {batch, cd} : new int[] {batch, cd, h, w};
        int[] sShape = h == 0 ? new int[] {batch, cs} : new int[] {batch, cs, h, w};
        String l = " " + Arrays.toString(dShape) + "[" + dstOffset + "..] <- " + Arrays.toString(sShape) + "[" + srcOffset + "..] x"
                + channels;
        Pair dst = junk(rng, dShape);
        Pair src = f(awkward(rng, io.prune4j.tensor.Shapes.size(sShape)), sShape);
        both(s -> s.b().copyChannels(s.t(dst), dstOffset, s.t(src), srcOffset, channels));
        same("copyChannels" + l, dst);
        if (cd == cs) {
            // within one tensor: shift the channel block by one (overlapping when channels > 1)
            int shift = srcOffset + channels < cs ? srcOffset + 1 : Math.max(0, srcOffset - 1);
            Pair t = f(awkward(rng, io.prune4j.tensor.Shapes.size(sShape)), sShape);
            both(s -> s.b().copyChannels(s.t(t), shift, s.t(t), srcOffset, channels));
            same("copyChannels within one tensor to " + shift + l, t);
        }
    }

    // ---- scoring ---------------------------------------------------------------------------------

    /**
     * FPGM over rows of rank-2 and rank-4 weights, with duplicated rows (distance exactly 0). Both
     * sides sum squared differences in double; the distances are then added in another order:
     * 1e-6 relative plus {@code 1e-6·rows·scale} absolute.
     */
    @ParameterizedTest(name = "fpgmScores rows={0} in={1} k={2}")
    @CsvSource({
        "0, 3, 3", "1, 3, 3", "2, 1, 1", "31, 3, 3", "32, 16, 3", "33, 1, 3", "65, 27, 1", "300, 64, 3", "7, 1000, 0",
        "64, 1, 1", "129, 9, 1",
    })
    void fpgm(int rows, int in, int k) {
        SplittableRandom rng = new SplittableRandom(7000L + rows * 3L + in + k);
        int[] shape = k == 0 ? new int[] {rows, in} : new int[] {rows, in, k, k};
        int size = io.prune4j.tensor.Shapes.size(shape);
        float[] ws = uniform(rng, size, 0.5);
        int cols = rows == 0 ? 0 : size / rows;
        if (rows > 3) {
            System.arraycopy(ws, 0, ws, 2 * cols, cols);   // row 2 = row 0
        }
        Pair w = f(ws, shape);
        Pair out = junk(rng, rows);
        both(s -> s.b().fpgmScores(s.t(out), s.t(w)));
        near("fpgmScores " + Arrays.toString(shape), out, 1e-6 * Math.max(1, rows), 1e-6);
    }

    /**
     * LAMP scores: ties in magnitude (quantised values, and ± pairs of one magnitude) ranked by index,
     * zeros, and sizes around the 2048-element tiles. The denominators are double suffix sums in
     * another association on both sides: a few ulps of the float score, 1e-6 relative.
     */
    @ParameterizedTest(name = "lampScores n={0} levels={1}")
    @CsvSource({
        "0, 0", "1, 0", "2, 0", "31, 4", "32, 0", "33, 3", "2047, 0", "2048, 16", "2049, 0", "4097, 5", "100003, 0",
        "100003, 64", "1000003, 0",
    })
    void lamp(int n, int levels) {
        SplittableRandom rng = new SplittableRandom(8000L + n + levels);
        float[] ws = uniform(rng, n, 1);
        if (levels > 0) {
            for (int i = 0; i < n; i++) {
                ws[i] = Math.round(ws[i] * levels) / (float) levels;   // many equal magnitudes, signs mixed, zeros
            }
        }
        Pair w = f(ws, n);
        Pair out = junk(rng, n);
        both(s -> s.b().lampScores(s.t(out), s.t(w)));
        near("lampScores n=" + n + " levels=" + levels, out, 1e-12, 1e-6);
        if (n > 0) {
            float[] sc = d(out);
            int largest = 0;
            for (int i = 1; i < n; i++) {
                if (Math.abs(ws[i]) >= Math.abs(ws[largest])) {
                    largest = i;   // the last of the largest magnitudes is sorted last
                }
            }
            if (ws[largest] != 0) {
                assertEquals(1f, sc[largest], "lampScores: the largest element scores 1");
            }
        }
        Pair zero = f(new float[n], n);
        Pair zout = junk(rng, n);
        both(s -> s.b().lampScores(s.t(zout), s.t(zero)));
        same("lampScores of an all-zero tensor n=" + n, zout);
    }

    /**
     * Segmented reductions with empty segments and repeated indices: the maximum bit for bit, sums and
     * means within double-sum rounding (1e-6 relative; sums of at most a few hundred terms), and an
     * index outside the source as the CPU's {@link IndexOutOfBoundsException}, thrown at the call or,
     * on a device, at the next read.
     */
    @ParameterizedTest(name = "segmentReduce segments={0} src={1} maxLen={2}")
    @CsvSource({"0, 5, 3", "1, 1, 1", "31, 100, 4", "32, 7, 9", "33, 1000, 40", "1000, 4097, 7", "5, 3, 200"})
    void segmentReduction(int segments, int srcSize, int maxLen) {
        SplittableRandom rng = new SplittableRandom(9000L + segments + srcSize + maxLen);
        int[] offsets = new int[segments + 1];
        for (int k = 0; k < segments; k++) {
            offsets[k + 1] = offsets[k] + (rng.nextInt(5) == 0 ? 0 : rng.nextInt(maxLen + 1));
        }
        int permSize = offsets[segments];
        int[] perm = Check.randint(rng, permSize, srcSize);
        float[] src = uniform(rng, srcSize, 3);
        Pair s0 = f(src, srcSize);
        Pair p = ints(perm, permSize);
        Pair off = ints(offsets, segments + 1);
        for (Reduction red : Reduction.values()) {
            Pair out = junk(rng, segments);
            both(s -> s.b().segmentReduce(s.t(out), s.t(s0), s.t(p), s.t(off), red));
            String l = "segmentReduce " + red + " segments=" + segments;
            if (red == Reduction.MAX) {
                same(l, out);
            } else {
                near(l, out, 1e-9, 1e-6);
            }
        }
        if (segments > 0 && permSize > 0) {
            int[] badPerm = perm.clone();
            badPerm[rng.nextInt(permSize)] = srcSize + rng.nextInt(3);
            Pair bp = ints(badPerm, permSize);
            Pair out = junk(rng, segments);
            both(s -> assertThrows(IndexOutOfBoundsException.class, () -> {
                s.b().segmentReduce(s.t(out), s.t(s0), s.t(bp), s.t(off), Reduction.SUM);
                s.b().toFloatArray(s.t(out));
            }, "segmentReduce with an index outside the source on " + s.b().name()));
        }
    }

    // ---- determinism -----------------------------------------------------------------------------

    /**
     * The reductions promised deterministic give the same bits twice on the backend under test: batch
     * norm (forward statistics and backward), FPGM, LAMP and segment sums, at sizes where the
     * device splits each reduction over many blocks.
     */
    @ParameterizedTest(name = "deterministic reductions batch={0} C={1} {2}x{2}")
    @CsvSource({"64, 32, 28", "256, 16, 1", "4, 3, 224"})
    void reductionsAreDeterministic(int batch, int c, int hw) {
        SplittableRandom rng = new SplittableRandom(10_000L + batch + c + hw);
        Backend b = dut;
        int[] shape = {batch, c, hw, hw};
        int size = batch * c * hw * hw;
        try (Tensor x = b.fromArray(uniform(rng, size, 1), shape); Tensor dy = b.fromArray(uniform(rng, size, 1), shape);
             Tensor g = b.fromArray(uniform(rng, c, 1), c); Tensor be = b.fromArray(uniform(rng, c, 1), c)) {
            float[][] first = null;
            for (int run = 0; run < 2; run++) {
                try (Tensor y = b.zeros(DType.FLOAT32, shape); Tensor sm = b.zeros(DType.FLOAT32, c); Tensor si = b.zeros(DType.FLOAT32, c);
                     Tensor rm = b.zeros(DType.FLOAT32, c); Tensor rv = b.zeros(DType.FLOAT32, c); Tensor dx = b.zeros(DType.FLOAT32, shape);
                     Tensor dg = b.zeros(DType.FLOAT32, c); Tensor db = b.zeros(DType.FLOAT32, c);
                     Tensor lamp = b.zeros(DType.FLOAT32, size); Tensor fpgm = b.zeros(DType.FLOAT32, batch)) {
                    run(new Side(b, false), s -> {
                        b.batchNorm(y, sm, si, x, g, be, rm, rv, 0.1f, 1e-5f, true);
                        b.batchNormBackward(dx, dg, db, dy, x, g, sm, si);
                        b.lampScores(lamp, x);
                        b.fpgmScores(fpgm, x);
                    });
                    float[][] now = {b.toFloatArray(y), b.toFloatArray(sm), b.toFloatArray(si), b.toFloatArray(rv), b.toFloatArray(dx),
                        b.toFloatArray(dg), b.toFloatArray(db), b.toFloatArray(lamp), b.toFloatArray(fpgm)};
                    if (first == null) {
                        first = now;
                    } else {
                        String[] names = {"y", "saveMean", "saveInvStd", "runningVar", "dx", "dGamma", "dBeta", "lamp", "fpgm"};
                        for (int i = 0; i < now.length; i++) {
                            sameBits("second run of " + names[i] + " on " + b.name(), first[i], now[i]);
                        }
                    }
                }
            }
        }
    }
}
