package io.prune4j.backend.cpu;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import io.prune4j.testing.Check;
import io.prune4j.testing.FiniteDifference;
import io.prune4j.testing.Naive;
import io.prune4j.testing.NaiveGraphOps;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The analytic gradients of the graph networks' backward operations against central finite
 * differences of the double-precision references of {@link NaiveGraphOps}, in the manner of
 * {@code GradientCheckTest}: the loss is {@code L = Σ r ⊙ f(…)} for a random {@code r}, so the output
 * gradient handed to the backward operation is {@code r}.
 */
class GraphOpsGradientCheckTest {
    private final Backend cpu = new CpuBackend(2);

    @AfterEach
    void close() {
        cpu.close();
    }

    @ParameterizedTest(name = "batchNorm batch={0} C={1} {2}x{3}")
    @CsvSource({"2,3,0,0", "3,2,2,3", "1,4,3,3", "4,1,1,1", "2,5,3,2", "1,2,1,2", "9,3,0,0"})
    void batchNormTrainingGradients(int batch, int channels, int h, int w) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, channels, h, w}));
        int[] shape = h == 0 ? new int[] {batch, channels} : new int[] {batch, channels, h, w};
        int spatial = h == 0 ? 1 : h * w;
        int n = batch * channels * spatial;
        float[] x = Check.randn(rng, n, 2);
        float[] gamma = Check.randn(rng, channels, 1.5);
        float[] beta = Check.randn(rng, channels, 1);
        float[] r = Check.randn(rng, n, 1);
        float eps = 1e-3f;
        Tensor xt = cpu.fromArray(x, shape);
        Tensor gt = cpu.fromArray(gamma, channels);
        Tensor mean = cpu.zeros(DType.FLOAT32, channels);
        Tensor inv = cpu.zeros(DType.FLOAT32, channels);
        cpu.batchNorm(cpu.zeros(DType.FLOAT32, shape), mean, inv, xt, gt, cpu.fromArray(beta, channels), cpu.zeros(DType.FLOAT32, channels),
                cpu.fromArray(new float[channels], channels), 0.1f, eps, true);
        Tensor dx = cpu.zeros(DType.FLOAT32, shape);
        Tensor dg = cpu.zeros(DType.FLOAT32, channels);
        Tensor db = cpu.zeros(DType.FLOAT32, channels);
        cpu.batchNormBackward(dx, dg, db, cpu.fromArray(r, shape), xt, gt, mean, inv);

        double[] xd = Naive.toDouble(x);
        double[] gd = Naive.toDouble(gamma);
        double[] bd = Naive.toDouble(beta);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.batchNormTraining(xd, batch, channels, spatial, gd, bd, eps));
        Check.close("bn dL/dx", FiniteDifference.gradient(xd, loss), dx.toFloatArray(), 1e-4, 1e-3);
        Check.close("bn dL/dgamma", FiniteDifference.gradient(gd, loss), dg.toFloatArray(), 1e-4, 1e-3);
        Check.close("bn dL/dbeta", FiniteDifference.gradient(bd, loss), db.toFloatArray(), 1e-4, 1e-3);
    }

    @ParameterizedTest(name = "conv batch={0} in={1} {2}x{3} out={4} k={5} stride={6} pad={7} groups={8}")
    @CsvSource({"2,4,5,6,6,3,1,1,2", "1,6,5,5,3,3,2,1,3", "1,6,4,4,6,1,1,0,2", "2,3,6,5,3,3,1,1,3", "1,2,7,7,4,3,2,1,2",
            "2,4,5,5,4,1,1,0,4", "1,3,6,6,6,5,1,2,3", "1,2,6,7,2,2,2,0,2"})
    void groupedAndDepthwiseConvolutionGradients(int batch, int in, int h, int w, int out, int k, int stride, int pad, int groups) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, in, h, w, out, k, stride, pad, groups}));
        int ho = NaiveGraphOps.out(h, k, stride, pad);
        int wo = NaiveGraphOps.out(w, k, stride, pad);
        int cin = in / groups;
        float[] x = Check.randn(rng, batch * in * h * w, 1);
        float[] wt = Check.randn(rng, out * cin * k * k, 1);
        float[] b = Check.randn(rng, out, 0.5);
        float[] r = Check.randn(rng, batch * out * ho * wo, 1);
        Tensor xt = cpu.fromArray(x, batch, in, h, w);
        Tensor wtt = cpu.fromArray(wt, out, cin, k, k);
        Tensor dx = cpu.zeros(DType.FLOAT32, batch, in, h, w);
        Tensor dw = cpu.zeros(DType.FLOAT32, out, cin, k, k);
        Tensor db = cpu.zeros(DType.FLOAT32, out);
        cpu.conv2dBackward(dx, dw, db, cpu.fromArray(r, batch, out, ho, wo), xt, wtt, stride, pad, groups);

        double[] xd = Naive.toDouble(x);
        double[] wd = Naive.toDouble(wt);
        double[] bd = Naive.toDouble(b);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.conv2d(xd, batch, in, h, w, wd, bd, out, k, k, stride, pad, groups, false));
        Check.close("conv dL/dx", FiniteDifference.gradient(xd, loss), dx.toFloatArray(), 1e-4, 1e-3);
        Check.close("conv dL/dW", FiniteDifference.gradient(wd, loss), dw.toFloatArray(), 1e-4, 1e-3);
        Check.close("conv dL/db", FiniteDifference.gradient(bd, loss), db.toFloatArray(), 1e-4, 1e-3);
    }

    @ParameterizedTest(name = "avgPool batch={0} c={1} {2}x{3} window={4} stride={5} pad={6} ceil={7}")
    @CsvSource({"2,2,5,7,3,2,1,false", "1,3,6,6,2,2,1,false", "1,1,4,5,3,1,1,false", "2,1,7,7,5,3,2,false", "1,2,4,4,2,2,0,false",
            "2,2,8,7,3,2,1,true", "1,3,7,5,2,2,0,true", "1,1,10,11,4,3,2,true"})
    void averagePoolingGradientsInBothModes(int batch, int c, int h, int w, int window, int stride, int pad, boolean ceil) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, c, h, w, window, stride, pad, ceil ? 1 : 0}));
        int ho = ceil ? NaiveGraphOps.outCeil(h, window, stride, pad) : NaiveGraphOps.out(h, window, stride, pad);
        int wo = ceil ? NaiveGraphOps.outCeil(w, window, stride, pad) : NaiveGraphOps.out(w, window, stride, pad);
        float[] x = Check.randn(rng, batch * c * h * w, 1);
        float[] r = Check.randn(rng, batch * c * ho * wo, 1);
        for (boolean include : new boolean[] {true, false}) {
            Tensor dx = cpu.zeros(DType.FLOAT32, batch, c, h, w);
            cpu.avgPool2dBackward(dx, cpu.fromArray(r, batch, c, ho, wo), window, stride, pad, include, ceil);
            double[] xd = Naive.toDouble(x);
            double[] rd = Naive.toDouble(r);
            DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.avgPool2d(xd, batch * c, h, w, window, stride, pad, include,
                    ceil));
            Check.close("avgPool dL/dx countIncludePad=" + include, FiniteDifference.gradient(xd, loss), dx.toFloatArray(), 1e-5, 1e-4);
        }
    }

    @ParameterizedTest(name = "clamp n={0} [{1}, {2}]")
    @CsvSource({"1,0,6", "7,0,6", "33,-1,1", "200,0,6", "50,-0.5,0.25"})
    void clampGradient(int n, float lo, float hi) {
        SplittableRandom rng = new SplittableRandom(n);
        float[] x = Check.randn(rng, n, 8);
        for (int i = 0; i < n; i++) {
            // keep the finite differences off the kinks
            if (Math.abs(x[i] - lo) < 1e-3 || Math.abs(x[i] - hi) < 1e-3) {
                x[i] += 0.01f;
            }
        }
        float[] r = Check.randn(rng, n, 1);
        Tensor y = cpu.zeros(DType.FLOAT32, n);
        cpu.clamp(y, cpu.fromArray(x, n), lo, hi);
        Tensor dx = cpu.zeros(DType.FLOAT32, n);
        cpu.clampBackward(dx, cpu.fromArray(r, n), y, lo, hi);
        double[] xd = Naive.toDouble(x);
        double[] rd = Naive.toDouble(r);
        Check.close("clamp dL/dx", FiniteDifference.gradient(xd, () -> FiniteDifference.dot(rd, NaiveGraphOps.clamp(xd, lo, hi))), dx.toFloatArray(), 1e-6, 1e-5);
    }

    /** Every activation on values in [−8, 8), kept 1e-3 off the kinks so that no difference straddles one. */
    @ParameterizedTest(name = "activation {0}")
    @MethodSource("io.prune4j.testing.Activations#all")
    void activationGradient(Activations.Case c) {
        int n = 300;
        SplittableRandom rng = new SplittableRandom(c.kind().ordinal() * 31L + Float.floatToIntBits(c.alpha()));
        float[] x = Activations.offKinks(Check.uniform(rng, n, 8), c, 1e-3);
        float[] r = Check.uniform(rng, n, 1);
        Tensor xt = cpu.fromArray(x, n);
        Tensor y = cpu.zeros(DType.FLOAT32, n);
        cpu.activation(y, xt, c.kind(), c.alpha(), c.beta());
        Tensor dx = cpu.zeros(DType.FLOAT32, n);
        cpu.activationBackward(dx, cpu.fromArray(r, n), xt, y, c.kind(), c.alpha(), c.beta());
        double[] xd = Naive.toDouble(x);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.activation(xd, c.kind(), c.alpha(), c.beta()));
        Check.close(c + " dL/dx", FiniteDifference.gradient(xd, loss), dx.toFloatArray(), 1e-6, 1e-5);
    }

    /**
     * {@code y = a ⊙ b}: the gradient of each operand is the output gradient times the other,
     * {@code mul(da, r, b)} and {@code mul(db, r, a)}; with {@code a = b} (a value multiplied by itself)
     * the two add up to {@code 2·r·a}.
     */
    @ParameterizedTest(name = "mul n={0}")
    @CsvSource({"1", "7", "300"})
    void mulGradients(int n) {
        SplittableRandom rng = new SplittableRandom(40L + n);
        float[] a = Check.uniform(rng, n, 2);
        float[] b = Check.uniform(rng, n, 2);
        float[] r = Check.uniform(rng, n, 1);
        Tensor rt = cpu.fromArray(r, n);
        Tensor da = cpu.zeros(DType.FLOAT32, n);
        Tensor db = cpu.zeros(DType.FLOAT32, n);
        cpu.mul(da, rt, cpu.fromArray(b, n));
        cpu.mul(db, rt, cpu.fromArray(a, n));
        double[] ad = Naive.toDouble(a);
        double[] bd = Naive.toDouble(b);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.mul(ad, bd));
        Check.close("mul dL/da", FiniteDifference.gradient(ad, loss), da.toFloatArray(), 1e-6, 1e-5);
        Check.close("mul dL/db", FiniteDifference.gradient(bd, loss), db.toFloatArray(), 1e-6, 1e-5);
        // a ⊙ a: both operand gradients, summed as a graph sums a value read twice
        cpu.add(da, db, db);
        DoubleSupplier square = () -> FiniteDifference.dot(rd, NaiveGraphOps.mul(ad, ad));
        Check.close("mul dL/da of a ⊙ a", FiniteDifference.gradient(ad, square), da.toFloatArray(), 1e-6, 1e-5);
    }

    /**
     * {@code y = x ⊙ s} with one gate per channel: the gated input's gradient is {@code mulChannels(r, s)},
     * the gate's {@code mulChannelsBackward(r, x)}, a sum over the channel's positions; feature maps and
     * vectors ({@code h = 0}).
     */
    @ParameterizedTest(name = "mulChannels batch={0} C={1} {2}x{3}")
    @CsvSource({"2,3,4,5", "1,1,1,1", "3,2,1,7", "2,4,0,0"})
    void mulChannelsGradients(int batch, int channels, int h, int w) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, channels, h, w}));
        int[] shape = h == 0 ? new int[] {batch, channels} : new int[] {batch, channels, h, w};
        int spatial = h == 0 ? 1 : h * w;
        int n = batch * channels * spatial;
        float[] x = Check.uniform(rng, n, 2);
        float[] s = Check.uniform(rng, batch * channels, 2);
        float[] r = Check.uniform(rng, n, 1);
        Tensor rt = cpu.fromArray(r, shape);
        Tensor st = cpu.fromArray(s, batch, channels);
        Tensor dx = cpu.zeros(DType.FLOAT32, shape);
        Tensor ds = cpu.zeros(DType.FLOAT32, batch, channels);
        cpu.mulChannels(dx, rt, st);
        cpu.mulChannelsBackward(ds, rt, cpu.fromArray(x, shape));
        double[] xd = Naive.toDouble(x);
        double[] sd = Naive.toDouble(s);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.mulChannels(xd, sd, batch, channels, spatial));
        Check.close("mulChannels dL/dx", FiniteDifference.gradient(xd, loss), dx.toFloatArray(), 1e-6, 1e-5);
        Check.close("mulChannels dL/ds", FiniteDifference.gradient(sd, loss), ds.toFloatArray(), 1e-6, 1e-5);
    }

    @ParameterizedTest(name = "copyChannels batch={0} {1}→{2} channels {3} from {4} to {5}, {6}x{7}")
    @CsvSource({"2,5,7,3,1,4,3,3", "1,1,1,1,0,0,1,1", "3,4,9,4,0,5,2,3", "2,3,8,3,0,2,0,0"})
    void copyChannelsGradientIsTheCopyBack(int batch, int cs, int cd, int channels, int srcOffset, int dstOffset, int h, int w) {
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, cs, cd, channels, srcOffset, dstOffset, h, w}));
        int spatial = h == 0 ? 1 : h * w;
        int[] ss = h == 0 ? new int[] {batch, cs} : new int[] {batch, cs, h, w};
        int[] ds = h == 0 ? new int[] {batch, cd} : new int[] {batch, cd, h, w};
        float[] src = Check.randn(rng, batch * cs * spatial, 1);
        float[] base = Check.randn(rng, batch * cd * spatial, 1);
        float[] r = Check.randn(rng, batch * cd * spatial, 1);
        // the gradient of a concatenation's slice is the same slice of the output gradient, copied back
        Tensor dsrc = cpu.zeros(DType.FLOAT32, ss);
        cpu.copyChannels(dsrc, srcOffset, cpu.fromArray(r, ds), dstOffset, channels);
        double[] sd = Naive.toDouble(src);
        double[] bd = Naive.toDouble(base);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, NaiveGraphOps.copyChannels(bd, batch, cd, dstOffset, sd, cs, srcOffset, channels, spatial));
        Check.close("copyChannels dL/dsrc", FiniteDifference.gradient(sd, loss), dsrc.toFloatArray(), 1e-6, 1e-5);
    }
}
