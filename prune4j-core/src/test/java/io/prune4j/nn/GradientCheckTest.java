package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.FiniteDifference;
import io.prune4j.testing.Naive;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Analytic gradients of the float layers against central finite differences of a double-precision
 * reference forward pass ({@link Naive}). A step of 1e-6 in double leaves truncation and rounding
 * errors far below float precision, so the tolerance only has to absorb the float arithmetic.
 */
class GradientCheckTest {
    private final Backend cpu = new CpuBackend(1);

    @ParameterizedTest(name = "Dense batch={0} in={1} out={2} relu={3}")
    @CsvSource({"1,1,1,false", "1,1,1,true", "3,5,7,false", "3,5,7,true", "4,33,1,true", "2,17,31,true", "7,2,3,false"})
    void denseGradientsMatchFiniteDifferences(int batch, int in, int out, boolean relu) {
        SplittableRandom rng = new SplittableRandom(batch * 1000L + in * 10L + out);
        float[] x = Check.uniform(rng, batch * in, 1);
        float[] w = Check.uniform(rng, out * in, 1);
        float[] b = Check.uniform(rng, out, 0.5);
        float[] r = Check.uniform(rng, batch * out, 1); // L = Σ r ⊙ y, so dL/dy = r
        Dense layer = new Dense("fc", cpu.fromArray(w, out, in), cpu.fromArray(b, out), relu);
        layer.forward(cpu.fromArray(x, batch, in), true);
        float[] dx = layer.backward(cpu.fromArray(r, batch, out), true).toFloatArray();

        double[] xd = Naive.toDouble(x);
        double[] wd = Naive.toDouble(w);
        double[] bd = Naive.toDouble(b);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, Naive.dense(xd, batch, in, wd, bd, out, relu));
        Check.close("dL/dW", FiniteDifference.gradient(wd, loss), layer.weight().grad().toFloatArray(), 1e-4, 1e-3);
        Check.close("dL/db", FiniteDifference.gradient(bd, loss), layer.bias().grad().toFloatArray(), 1e-4, 1e-3);
        Check.close("dL/dx", FiniteDifference.gradient(xd, loss), dx, 1e-4, 1e-3);
    }

    @ParameterizedTest(name = "Conv2d batch={0} in={1} {2}x{3} out={4} k={5} stride={6} pad={7} relu={8}")
    @CsvSource({"1,1,1,1,1,1,1,0,false", "2,3,5,7,4,3,1,1,true", "1,2,6,5,3,3,2,1,false", "3,1,7,7,2,2,2,0,true",
            "2,4,4,9,5,1,1,0,false", "1,3,5,3,2,3,1,2,true", "2,2,9,8,3,3,3,1,false"})
    void conv2dGradientsMatchFiniteDifferences(int batch, int in, int h, int w, int out, int k, int stride, int pad, boolean relu) {
        SplittableRandom rng = new SplittableRandom(batch * 7919L + in * 131L + h * 17L + w + out * 3L + k + stride + pad);
        float[] x = Check.uniform(rng, batch * in * h * w, 1);
        float[] wt = Check.uniform(rng, out * in * k * k, 1);
        float[] b = Check.uniform(rng, out, 0.5);
        Conv2d layer = new Conv2d("conv", cpu.fromArray(wt, out, in, k, k), cpu.fromArray(b, out), stride, pad, relu);
        Tensor y = layer.forward(cpu.fromArray(x, batch, in, h, w), true);
        int[] os = layer.outputShape(new int[] {in, h, w});
        float[] r = Check.uniform(rng, y.size(), 1);
        float[] dx = layer.backward(cpu.fromArray(r, batch, os[0], os[1], os[2]), true).toFloatArray();

        double[] xd = Naive.toDouble(x);
        double[] wd = Naive.toDouble(wt);
        double[] bd = Naive.toDouble(b);
        double[] rd = Naive.toDouble(r);
        Check.close("conv forward", Naive.conv2d(xd, batch, in, h, w, wd, bd, out, k, k, stride, pad, relu), y.toFloatArray(), 1e-5, 1e-5);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, Naive.conv2d(xd, batch, in, h, w, wd, bd, out, k, k, stride, pad, relu));
        Check.close("conv dL/dW", FiniteDifference.gradient(wd, loss), layer.weight().grad().toFloatArray(), 1e-4, 1e-3);
        Check.close("conv dL/db", FiniteDifference.gradient(bd, loss), layer.bias().grad().toFloatArray(), 1e-4, 1e-3);
        Check.close("conv dL/dx", FiniteDifference.gradient(xd, loss), dx, 1e-4, 1e-3);
    }

    @ParameterizedTest(name = "Conv2d split over {0} threads, batch {1}")
    @CsvSource({"2,5", "3,7", "4,2", "3,1"})
    void conv2dSplitAcrossThreadsMatchesOneThread(int threads, int batch) {
        SplittableRandom rng = new SplittableRandom(threads * 31L + batch);
        float[] x = Check.uniform(rng, batch * 3 * 7 * 6, 1);
        float[] wt = Check.uniform(rng, 5 * 3 * 3 * 3, 1);
        float[] b = Check.uniform(rng, 5, 0.5);
        float[] r = Check.uniform(rng, batch * 5 * 7 * 6, 1);
        float[][] out = new float[2][];
        float[][] grads = new float[2][];
        int i = 0;
        for (Backend be : new Backend[] {cpu, new CpuBackend(threads)}) {
            Conv2d layer = new Conv2d("conv", be.fromArray(wt, 5, 3, 3, 3), be.fromArray(b, 5), 1, 1, true);
            out[i] = layer.forward(be.fromArray(x, batch, 3, 7, 6), true).toFloatArray();
            float[] dx = layer.backward(be.fromArray(r, batch, 5, 7, 6), true).toFloatArray();
            float[] dw = layer.weight().grad().toFloatArray();
            grads[i] = java.util.Arrays.copyOf(dx, dx.length + dw.length);
            System.arraycopy(dw, 0, grads[i], dx.length, dw.length);
            layer.close();
            if (be != cpu) {
                be.close();
            }
            i++;
        }
        Check.close("forward, 1 vs " + threads + " threads", out[0], out[1], 0, 0);
        Check.close("gradients, 1 vs " + threads + " threads", Naive.toDouble(grads[0]), grads[1], 1e-5, 1e-5);
    }

    @ParameterizedTest(name = "MaxPool2d batch={0} c={1} {2}x{3} window={4} stride={5}")
    @CsvSource({"1,1,2,2,2,2", "2,3,5,7,2,2", "1,2,7,6,3,2", "3,1,4,4,1,1", "2,2,9,5,3,3"})
    void maxPoolGradientMatchesFiniteDifferences(int batch, int c, int h, int w, int window, int stride) {
        SplittableRandom rng = new SplittableRandom(batch * 100L + c * 10L + h + w + window);
        float[] x = Check.uniform(rng, batch * c * h * w, 1); // continuous values: no ties, so max is differentiable
        MaxPool2d pool = new MaxPool2d("pool", cpu, window, stride);
        Tensor y = pool.forward(cpu.fromArray(x, batch, c, h, w), true);
        float[] r = Check.uniform(rng, y.size(), 1);
        float[] dx = pool.backward(cpu.reshape(cpu.fromArray(r, r.length), y.shape()), true).toFloatArray();
        double[] xd = Naive.toDouble(x);
        double[] rd = Naive.toDouble(r);
        Check.close("pool forward", Naive.maxPool2d(xd, batch * c, h, w, window, stride), y.toFloatArray(), 0, 0);
        DoubleSupplier loss = () -> FiniteDifference.dot(rd, Naive.maxPool2d(xd, batch * c, h, w, window, stride));
        Check.close("pool dL/dx", FiniteDifference.gradient(xd, loss), dx, 1e-5, 1e-4);
    }

    @ParameterizedTest(name = "CNN batch={0}")
    @CsvSource({"1", "4"})
    void wholeConvolutionalNetworkGradients(int batch) {
        SplittableRandom rng = new SplittableRandom(batch + 50);
        int[] shape = {2, 6, 5};
        int in = 2 * 6 * 5;
        int classes = 3;
        Graph net = Models.cnn(cpu, shape, new int[] {3, 4}, 5, classes, batch);
        float[] x = Check.uniform(rng, batch * in, 1);
        int[] labels = Check.randint(rng, batch, classes);
        Tensor logits = net.forward(cpu.fromArray(x, batch, in), true);
        Tensor grad = cpu.zeros(DType.FLOAT32, batch, classes);
        cpu.softmaxCrossEntropy(grad, cpu.zeros(DType.FLOAT32, 2), logits, cpu.fromArray(labels, batch), 1f / batch);
        net.backward(grad);

        List<Parameter> ps = net.parameters();
        double[][] p = new double[ps.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = Naive.toDouble(ps.get(i).value().toFloatArray());
        }
        double[] xd = Naive.toDouble(x);
        DoubleSupplier loss = () -> {
            double[] h1 = Naive.conv2d(xd, batch, 2, 6, 5, p[0], p[1], 3, 3, 3, 1, 1, true);
            double[] q1 = Naive.maxPool2d(h1, batch * 3, 6, 5, 2, 2);          // 3 × 3 × 2
            double[] h2 = Naive.conv2d(q1, batch, 3, 3, 2, p[2], p[3], 4, 3, 3, 1, 1, true);
            double[] q2 = Naive.maxPool2d(h2, batch * 4, 3, 2, 2, 2);          // 4 × 1 × 1
            double[] f = Naive.dense(q2, batch, 4, p[4], p[5], 5, true);
            double[] z = Naive.dense(f, batch, 5, p[6], p[7], classes, false);
            return Naive.crossEntropy(z, labels, batch, classes);
        };
        for (int i = 0; i < p.length; i++) {
            Check.close("CNN dL/d" + ps.get(i).name() + i, FiniteDifference.gradient(p[i], loss), ps.get(i).grad().toFloatArray(), 1e-5, 1e-3);
        }
    }

    @ParameterizedTest(name = "ReLU batch={0} n={1}")
    @CsvSource({"1,1", "3,7", "5,33"})
    void reluGradientMatchesFiniteDifferences(int batch, int n) {
        SplittableRandom rng = new SplittableRandom(n);
        float[] x = Check.uniform(rng, batch * n, 1);
        float[] r = Check.uniform(rng, batch * n, 1);
        Relu relu = new Relu("relu", cpu);
        relu.forward(cpu.fromArray(x, batch, n), true);
        float[] dx = relu.backward(cpu.fromArray(r, batch, n), true).toFloatArray();
        double[] xd = Naive.toDouble(x);
        double[] rd = Naive.toDouble(r);
        DoubleSupplier loss = () -> {
            double s = 0;
            for (int i = 0; i < xd.length; i++) {
                s += rd[i] * Math.max(xd[i], 0);
            }
            return s;
        };
        Check.close("ReLU dL/dx", FiniteDifference.gradient(xd, loss), dx, 1e-5, 1e-4);
    }

    @ParameterizedTest(name = "softmax-CE rows={0} classes={1}")
    @CsvSource({"1,1", "1,2", "3,10", "17,33"})
    void softmaxCrossEntropyGradientMatchesFiniteDifferences(int rows, int classes) {
        SplittableRandom rng = new SplittableRandom(rows * 100L + classes);
        float[] logits = Check.uniform(rng, rows * classes, 3);
        int[] labels = Check.randint(rng, rows, classes);
        Tensor grad = cpu.zeros(DType.FLOAT32, rows, classes);
        cpu.softmaxCrossEntropy(grad, cpu.zeros(DType.FLOAT32, 2), cpu.fromArray(logits, rows, classes), cpu.fromArray(labels, rows),
                1f / rows);
        double[] ld = Naive.toDouble(logits);
        Check.close("dCE/dlogits", FiniteDifference.gradient(ld, () -> Naive.crossEntropy(ld, labels, rows, classes)), grad.toFloatArray(), 1e-5, 1e-4);
    }

    @ParameterizedTest(name = "MLP batch={0}")
    @CsvSource({"1", "3", "8"})
    void wholeNetworkGradientsThroughSoftmaxCrossEntropy(int batch) {
        SplittableRandom rng = new SplittableRandom(batch);
        int in = 5;
        int hidden = 4;
        int classes = 3;
        Graph net = Models.mlp(cpu, in, new int[] {hidden}, classes, batch);
        float[] x = Check.uniform(rng, batch * in, 1);
        int[] labels = Check.randint(rng, batch, classes);
        Tensor logits = net.forward(cpu.fromArray(x, batch, in), true);
        Tensor grad = cpu.zeros(DType.FLOAT32, batch, classes);
        cpu.softmaxCrossEntropy(grad, cpu.zeros(DType.FLOAT32, 2), logits, cpu.fromArray(labels, batch), 1f / batch);
        net.backward(grad);

        List<Parameter> ps = net.parameters();
        double[][] p = new double[ps.size()][];
        for (int i = 0; i < p.length; i++) {
            p[i] = Naive.toDouble(ps.get(i).value().toFloatArray());
        }
        double[] xd = Naive.toDouble(x);
        DoubleSupplier loss = () -> {
            double[] h = Naive.dense(xd, batch, in, p[0], p[1], hidden, true);
            double[] z = Naive.dense(h, batch, hidden, p[2], p[3], classes, false);
            return Naive.crossEntropy(z, labels, batch, classes);
        };
        for (int i = 0; i < p.length; i++) {
            Check.close("dL/d" + i, FiniteDifference.gradient(p[i], loss), ps.get(i).grad().toFloatArray(), 1e-5, 1e-3);
        }
    }
}
