package io.prune4j.backend.cuda;

import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training and element-wise kernels against the CPU backend: the element-wise ones and the
 * optimiser steps promise the CPU's float arithmetic, so they must match bit for bit; sum_rows and
 * softmax_xent sum in another (fixed) order, so they match within a tight tolerance.
 */
@Tag("gpu")
class TrainingKernelTest {

    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("TrainingKernelTest", test);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void elementWiseOpsAreBitIdentical(int n) {
        SplittableRandom rng = new SplittableRandom(21);
        float[] x = Check.uniform(rng, n, 3);
        float[] y = Check.uniform(rng, n, 3);
        float[] mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = rng.nextBoolean() ? 1f : 0f;
        if (n > 3) {
            x[0] = Float.NaN;
            x[1] = -0f;
            x[2] = Float.NEGATIVE_INFINITY;
        }
        String l = " n=" + n;
        try (DeviceBuffer dx = Gpu.up(x); DeviceBuffer dy = Gpu.up(y); DeviceBuffer dm = Gpu.up(mask)) {
            Tensor tx = Gpu.CPU.fromArray(x, n);
            Tensor ty = Gpu.CPU.fromArray(y, n);

            Gpu.CPU.axpy(ty, 0.37f, tx);
            Gpu.run(CudaKernels.p4j_axpy(dy.address(), dx.address(), n, 0.37f, 0L), "axpy" + l);
            Check.sameBits("axpy" + l, Gpu.cpu(ty), dy.toFloats(n));

            Gpu.CPU.scale(ty, -1.7f);
            Gpu.run(CudaKernels.p4j_scale(dy.address(), n, -1.7f, 0L), "scale" + l);
            Check.sameBits("scale" + l, Gpu.cpu(ty), dy.toFloats(n));

            Gpu.CPU.mul(ty, Gpu.CPU.fromArray(mask, n));
            Gpu.run(CudaKernels.p4j_mul(dy.address(), dy.address(), dm.address(), n, 0L), "mul (mask apply)" + l);
            Check.sameBits("mul" + l, Gpu.cpu(ty), dy.toFloats(n));

            Gpu.CPU.maskedFill(tx, Gpu.CPU.fromArray(mask, n), -5f);
            Gpu.run(CudaKernels.p4j_masked_fill(dx.address(), dm.address(), n, -5f, 0L), "masked_fill" + l);
            Check.sameBits("masked_fill" + l, Gpu.cpu(tx), dx.toFloats(n));

            Gpu.CPU.relu(ty, tx);
            Gpu.run(CudaKernels.p4j_relu(dy.address(), dx.address(), n, 0L), "relu" + l);
            Check.sameBits("relu" + l, Gpu.cpu(ty), dy.toFloats(n));

            Gpu.CPU.relu(tx, tx);   // in place
            Gpu.run(CudaKernels.p4j_relu(dx.address(), dx.address(), n, 0L), "relu in place" + l);
            Check.sameBits("relu in place" + l, Gpu.cpu(tx), dx.toFloats(n));

            float[] dyv = Check.uniform(rng, n, 1);
            try (DeviceBuffer ddy = Gpu.up(dyv); DeviceBuffer ddx = DeviceBuffer.floats(Math.max(1, n))) {
                Tensor tdx = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, n);
                Gpu.CPU.reluBackward(tdx, Gpu.CPU.fromArray(dyv, n), ty);
                Gpu.run(CudaKernels.p4j_relu_backward(ddx.address(), ddy.address(), dy.address(), n, 0L), "relu_backward" + l);
                Check.sameBits("relu_backward" + l, Gpu.cpu(tdx), ddx.toFloats(n));
            }

            Gpu.CPU.fill(tx, 0.125f);
            Gpu.run(CudaKernels.p4j_fill(dx.address(), n, 0.125f, 0L), "fill" + l);
            Check.sameBits("fill" + l, Gpu.cpu(tx), dx.toFloats(n));
        }
        System.out.println("[TrainingKernelTest] ok element-wise n=" + n);
    }

    static int[][] broadcastShapes() {
        return new int[][] {{0, 3}, {1, 1}, {31, 33}, {1023, 4}, {3, 4097}, {70_000, 3}};
    }

    @ParameterizedTest(name = "rows, cols = {0}")
    @MethodSource("broadcastShapes")
    void broadcastRows(int[] s) {
        SplittableRandom rng = new SplittableRandom(22);
        int rows = s[0], cols = s[1];
        float[] v = Check.uniform(rng, rows, 1);
        Tensor ref = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, rows, cols);
        Gpu.CPU.broadcastRows(ref, Gpu.CPU.fromArray(v, rows));
        try (DeviceBuffer dv = Gpu.up(v); DeviceBuffer out = DeviceBuffer.floats(Math.max(1, rows * cols))) {
            Gpu.run(CudaKernels.p4j_broadcast_rows(out.address(), dv.address(), rows, cols, 0L), "broadcast_rows");
            Check.sameBits("broadcast_rows " + rows + "x" + cols, Gpu.cpu(ref), out.toFloats(rows * cols));
        }
    }

    static int[][] sumRowsShapes() {
        return new int[][] {{0, 5}, {1, 1}, {128, 300}, {33, 31}, {1023, 32}, {2, 4097}, {4097, 33}, {3, Sizes.LARGE}};
    }

    @ParameterizedTest(name = "rows, n = {0}")
    @MethodSource("sumRowsShapes")
    void sumRowsMatchesTheCpu(int[] s) {
        SplittableRandom rng = new SplittableRandom(23);
        int rows = s[0], n = s[1];
        float[] x = Check.uniform(rng, rows * n, 1);
        for (float beta : new float[] {0f, 1f, 0.5f}) {
            float[] out0 = Check.uniform(rng, n, 1);
            Tensor ref = Gpu.CPU.fromArray(out0, n);
            Gpu.CPU.sumRows(ref, Gpu.CPU.fromArray(x, rows, n), beta);
            try (DeviceBuffer dx = Gpu.up(x); DeviceBuffer out = Gpu.up(out0)) {
                String label = "sum_rows " + rows + "x" + n + " beta=" + beta;
                Gpu.run(CudaKernels.p4j_sum_rows(out.address(), dx.address(), rows, n, beta, 0L), label);
                // another (fixed) summation order: the CPU's sequential float sum of `rows` terms
                // in [-1, 1) is itself off by about sqrt(rows)·ulp(sqrt(rows)); 1e-6·rows is far above that
                Check.close(label, Gpu.cpu(ref), out.toFloats(n), 1e-6 * (rows + 1), 1e-6);
            }
        }
        System.out.println("[TrainingKernelTest] ok sum_rows " + rows + "x" + n);
    }

    static int[][] softmaxShapes() {
        return new int[][] {{1, 1}, {1, 10}, {31, 10}, {128, 10}, {33, 33}, {1023, 3}, {7, 1000}, {4097, 10}, {100_003, 10}};
    }

    @ParameterizedTest(name = "rows, classes = {0}")
    @MethodSource("softmaxShapes")
    void softmaxCrossEntropyMatchesTheCpu(int[] s) {
        SplittableRandom rng = new SplittableRandom(24);
        try (DeviceBuffer ws = Gpu.reduceWorkspace()) {
            int rows = s[0], classes = s[1];
            float[] logits = Check.uniform(rng, rows * classes, 4);
            if (rows > 1 && classes > 2) {   // a tied maximum: the lower class is the prediction
                logits[classes] = 9f;
                logits[classes + 2] = 9f;
            }
            int[] labels = Check.randint(rng, rows, classes);
            for (boolean withGrad : new boolean[] {true, false}) {
                float[] metrics0 = {1.5f, 2f};
                Tensor refMetrics = Gpu.CPU.fromArray(metrics0, 2);
                Tensor refGrad = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, rows, classes);
                Gpu.CPU.softmaxCrossEntropy(withGrad ? refGrad : null, refMetrics, Gpu.CPU.fromArray(logits, rows, classes),
                        Gpu.CPU.fromArray(labels, rows), 1f / rows);
                String label = "softmax_xent " + rows + "x" + classes + (withGrad ? "" : " (no grad)");
                try (DeviceBuffer dl = Gpu.up(logits); DeviceBuffer dy = Gpu.up(labels); DeviceBuffer dm = Gpu.up(metrics0);
                     DeviceBuffer dg = DeviceBuffer.floats(rows * classes)) {
                    Gpu.run(CudaKernels.p4j_softmax_xent(withGrad ? dg.address() : 0L, dm.address(), dl.address(), dy.address(), rows,
                            classes, 1f / rows, ws.address(), ws.bytes(), 0L), label);
                    float[] m = dm.toFloats(2);
                    float[] rm = Gpu.cpu(refMetrics);
                    Check.close(label + " loss", new float[] {rm[0]}, new float[] {m[0]}, 1e-4, 1e-6);
                    Check.sameBits(label + " correct", new float[] {rm[1]}, new float[] {m[1]});
                    if (withGrad) Check.close(label + " grad", Gpu.cpu(refGrad), dg.toFloats(rows * classes), 1e-9, 1e-6);
                }
            }
        }
        System.out.println("[TrainingKernelTest] ok softmax_xent " + s[0] + "x" + s[1]);
    }

    /** A label out of range: the device cannot throw, so the loss becomes NaN. */
    @Test
    void aBadLabelMakesTheLossNaN() {
        try (DeviceBuffer ws = Gpu.reduceWorkspace(); DeviceBuffer dl = Gpu.up(new float[] {1, 2, 3, 4}); DeviceBuffer dy = Gpu.up(new int[] {0, 7});
             DeviceBuffer dm = Gpu.up(new float[] {0, 0})) {
            Gpu.run(CudaKernels.p4j_softmax_xent(0L, dm.address(), dl.address(), dy.address(), 2, 2, 1f, ws.address(), ws.bytes(), 0L),
                    "softmax_xent bad label");
            org.junit.jupiter.api.Assertions.assertTrue(Float.isNaN(dm.toFloats(2)[0]), "bad label makes the loss NaN");
        }
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void optimiserStepsAreBitIdentical(int n) {
        SplittableRandom rng = new SplittableRandom(25);
        float[] w = Check.uniform(rng, n, 1);
        float[] g = Check.uniform(rng, n, 0.1);
        float[] v = Check.uniform(rng, n, 0.01);
        float[] m = Check.uniform(rng, n, 0.01);
        float[] v2 = new float[n];
        for (int i = 0; i < n; i++) v2[i] = (float) (rng.nextDouble() * 1e-3);
        String l = " n=" + n;
        for (float momentum : new float[] {0f, 0.9f}) {
            Tensor tw = Gpu.CPU.fromArray(w, n);
            Tensor tv = Gpu.CPU.fromArray(v, n);
            Gpu.CPU.sgdStep(tw, tv, Gpu.CPU.fromArray(g, n), 0.05f, momentum, 1e-4f);
            try (DeviceBuffer dw = Gpu.up(w); DeviceBuffer dv = Gpu.up(v); DeviceBuffer dg = Gpu.up(g)) {
                Gpu.run(CudaKernels.p4j_sgd_step(dw.address(), momentum == 0f ? 0L : dv.address(), dg.address(), n, 0.05f, momentum,
                        1e-4f, 0L), "sgd momentum=" + momentum + l);
                Check.sameBits("sgd w momentum=" + momentum + l, Gpu.cpu(tw), dw.toFloats(n));
                Check.sameBits("sgd v momentum=" + momentum + l, Gpu.cpu(tv), dv.toFloats(n));
            }
        }
        for (int step : new int[] {1, 7, 1000}) {
            Tensor tw = Gpu.CPU.fromArray(w, n);
            Tensor tm = Gpu.CPU.fromArray(m, n);
            Tensor tv = Gpu.CPU.fromArray(v2, n);
            Gpu.CPU.adamStep(tw, tm, tv, Gpu.CPU.fromArray(g, n), 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            try (DeviceBuffer dw = Gpu.up(w); DeviceBuffer dm = Gpu.up(m); DeviceBuffer dv = Gpu.up(v2); DeviceBuffer dg = Gpu.up(g)) {
                Gpu.run(CudaKernels.p4j_adam_step(dw.address(), dm.address(), dv.address(), dg.address(), n, 1e-3f, 0.9f, 0.999f, 1e-8f,
                        1e-4f, step, 0L), "adam step=" + step + l);
                Check.sameBits("adam m step=" + step + l, Gpu.cpu(tm), dm.toFloats(n));
                Check.sameBits("adam v step=" + step + l, Gpu.cpu(tv), dv.toFloats(n));
                // the host folds the bias corrections with C's pow, the CPU backend with Java's: allow one ulp
                Check.close("adam w step=" + step + l, Gpu.cpu(tw), dw.toFloats(n), 0, 1.2e-7);
            }
        }
        System.out.println("[TrainingKernelTest] ok sgd, adam n=" + n);
    }

    static int[][] sumChannelsShapes() {
        return new int[][] {{0, 3, 4}, {1, 1, 1}, {2, 3, 49}, {3, 31, 33}, {128, 64, 784}, {300, 5, 9}, {1, 2, Sizes.LARGE}, {5, 4, 0}};
    }

    /** The bias gradient of a convolution against the CPU's ({@code conv2dBackward}'s db): per example a double sum, float adds in order. */
    @ParameterizedTest(name = "batch, channels, spatial = {0}")
    @MethodSource("sumChannelsShapes")
    void sumChannelsMatchesTheCpu(int[] s) {
        SplittableRandom rng = new SplittableRandom(26);
        int batch = s[0], ch = s[1], sp = s[2];
        float[] dy = Check.uniform(rng, batch * ch * sp, 1);
        float[] ref = new float[ch];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < ch; c++) {
                double sum = 0;
                for (int k = 0; k < sp; k++) sum += dy[(b * ch + c) * sp + k];
                ref[c] += (float) sum;
            }
        }
        String label = "sum_channels " + batch + "x" + ch + "x" + sp;
        try (DeviceBuffer d = Gpu.up(dy); DeviceBuffer out = Gpu.up(Check.uniform(rng, Math.max(1, ch), 5))) {
            Gpu.run(CudaKernels.p4j_sum_channels(out.address(), d.address(), batch, ch, sp, 0L), label);
            // only the order of each example's double sum differs: its rounding to float may move one ulp
            Check.close(label, ref, out.toFloats(ch), 1e-6, 1e-6);
        }
        System.out.println("[TrainingKernelTest] ok " + label);
    }

    static int[][] distillationShapes() {
        return new int[][] {{1, 1}, {1, 10}, {31, 10}, {128, 10}, {33, 33}, {7, 1000}, {4097, 10}};
    }

    /** Knowledge distillation against {@code CpuBackend.distillation}: double arithmetic in another summation order. */
    @ParameterizedTest(name = "rows, classes = {0}")
    @MethodSource("distillationShapes")
    void distillationMatchesTheCpu(int[] s) {
        SplittableRandom rng = new SplittableRandom(27);
        float[][] settings = {{4f, 0.5f}, {1f, 0f}, {2.5f, 1f}, {0.7f, 0.3f}};
        try (DeviceBuffer ws = Gpu.reduceWorkspace()) {
            int rows = s[0], classes = s[1];
            float[] st = Check.uniform(rng, rows * classes, 4);
            float[] te = Check.uniform(rng, rows * classes, 6);
            if (rows > 1 && classes > 2) {
                st[classes] = 9f;   // a tied maximum: the lower class is the prediction
                st[classes + 2] = 9f;
            }
            int[] labels = Check.randint(rng, rows, classes);
            for (float[] ta : settings) {
                float t = ta[0], alpha = ta[1];
                float[] metrics0 = {0.5f, 3f};
                Tensor rm = Gpu.CPU.fromArray(metrics0, 2);
                Tensor rg = Gpu.CPU.zeros(io.prune4j.tensor.DType.FLOAT32, rows, classes);
                Gpu.CPU.distillation(rg, rm, Gpu.CPU.fromArray(st, rows, classes), Gpu.CPU.fromArray(te, rows, classes),
                        Gpu.CPU.fromArray(labels, rows), t, alpha, 1f / rows);
                String label = "distillation " + rows + "x" + classes + " T=" + t + " alpha=" + alpha;
                try (DeviceBuffer ds = Gpu.up(st); DeviceBuffer dt = Gpu.up(te); DeviceBuffer dl = Gpu.up(labels);
                     DeviceBuffer dm = Gpu.up(metrics0); DeviceBuffer dg = DeviceBuffer.floats(rows * classes)) {
                    Gpu.run(CudaKernels.p4j_distillation(dg.address(), dm.address(), ds.address(), dt.address(), dl.address(), rows,
                            classes, t, alpha, 1f / rows, ws.address(), ws.bytes(), 0L), label);
                    float[] m = dm.toFloats(2);
                    float[] r = Gpu.cpu(rm);
                    Check.close(label + " loss", new float[] {r[0]}, new float[] {m[0]}, 1e-4, 1e-6);
                    Check.sameBits(label + " correct", new float[] {r[1]}, new float[] {m[1]});
                    Check.close(label + " grad", Gpu.cpu(rg), dg.toFloats(rows * classes), 1e-9, 1e-6);
                }
            }
        }
        System.out.println("[TrainingKernelTest] ok distillation " + s[0] + "x" + s[1]);
    }
}
