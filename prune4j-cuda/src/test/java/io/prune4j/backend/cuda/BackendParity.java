package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.Transform;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Every {@link Backend} operation run on a reference backend (the CPU) and on the backend under
 * test with the same seeded inputs, awkward sizes included, and compared: bit for bit where the
 * two promise the same float arithmetic, within a tolerance where the summation order differs
 * (matrix products, convolutions, row and whole-tensor sums, the losses).
 *
 * <p>Written against two arbitrary backends so that {@code BackendParitySelfTest} can run it with
 * the CPU on both sides on machines without a GPU: the harness itself (shapes, calls, tolerances)
 * is then exercised everywhere, {@code MutantBackendTest} shows that each of its checks catches a
 * backend that gets its operations wrong, and {@link CudaBackendTest} runs it against CUDA.
 */
final class BackendParity implements AutoCloseable {
    final Backend ref;
    final Backend dut;
    private final List<Tensor> open = new ArrayList<>();

    BackendParity(Backend ref, Backend dut) {
        this.ref = ref;
        this.dut = dut;
    }

    /** A tensor on each backend holding the same values. */
    final class Twin {
        final Tensor r;
        final Tensor d;

        Twin(Tensor r, Tensor d) {
            this.r = r;
            this.d = d;
            open.add(r);
            open.add(d);
        }

        float[] ref() {
            return ref.toFloatArray(r);
        }

        float[] dut() {
            return dut.toFloatArray(d);
        }
    }

    Twin f(float[] v, int... shape) {
        return new Twin(ref.fromArray(v, shape), dut.fromArray(v, shape));
    }

    Twin i(int[] v, int... shape) {
        return new Twin(ref.fromArray(v, shape), dut.fromArray(v, shape));
    }

    Twin zeros(DType t, int... shape) {
        return new Twin(ref.zeros(t, shape), dut.zeros(t, shape));
    }

    /** Bit-identical ({@link Check#sameBits}: −0 and +0 differ, NaN payloads do not count). */
    void same(String what, Twin t) {
        Check.sameBits(what, t.ref(), t.dut());
    }

    void sameInts(String what, Twin t) {
        assertArrayEquals(ref.toIntArray(t.r), dut.toIntArray(t.d), what);
    }

    /** Within {@code atol + rtol·|ref|} ({@link Check#close}: NaN only against NaN, an infinity only against itself). */
    void near(String what, Twin t, double atol, double rtol) {
        Check.close(what, t.ref(), t.dut(), atol, rtol);
    }

    /** Both backends reject {@code op} with the same exception class and message. */
    void sameError(String what, Class<? extends RuntimeException> type, Consumer<Backend> op) {
        RuntimeException r = assertThrows(type, () -> op.accept(ref), what + " on " + ref.name());
        RuntimeException d = assertThrows(type, () -> op.accept(dut), what + " on " + dut.name());
        assertEquals(r.getMessage(), d.getMessage(), what + ": the two backends' messages");
    }

    /**
     * Both backends reject {@code op} with {@code type}; the messages may differ (a device finds a bad
     * index only after the launch, so it cannot name the index as the CPU does).
     */
    void bothThrow(String what, Class<? extends RuntimeException> type, Consumer<Backend> op) {
        RuntimeException r = assertThrows(type, () -> op.accept(ref), what + " on " + ref.name());
        RuntimeException d = assertThrows(type, () -> op.accept(dut), what + " on " + dut.name());
        System.out.println("[BackendParity] " + what + ": " + r.getMessage() + " | " + d.getMessage());
    }

    static float[] mask(SplittableRandom rng, int n, double keep) {
        float[] m = new float[n];
        for (int j = 0; j < n; j++) m[j] = rng.nextDouble() < keep ? 1f : 0f;
        return m;
    }

    // ---- tensors -------------------------------------------------------------------------------

    void tensors() {
        SplittableRandom rng = new SplittableRandom(101);
        for (int n : Sizes.awkward()) {
            float[] x = Check.uniform(rng, n, 3);
            int[] k = Check.randint(rng, n, 1000);
            Twin tx = f(x, n);
            Twin tk = i(k, n);
            same("fromArray/toFloatArray n=" + n, tx);
            sameInts("fromArray/toIntArray n=" + n, tk);
            assertArrayEquals(x, dut.toFloatArray(tx.d), "round trip n=" + n);
            Twin z = zeros(DType.FLOAT32, n);
            same("zeros n=" + n, z);
            Twin zi = zeros(DType.INT32, n);
            sameInts("zeros INT32 n=" + n, zi);
            float[] y = Check.uniform(rng, n, 1);
            ref.upload(z.r, y);
            dut.upload(z.d, y);
            same("upload n=" + n, z);
            ref.upload(zi.r, k);
            dut.upload(zi.d, k);
            sameInts("upload INT32 n=" + n, zi);
            ref.copy(z.r, tx.r);
            dut.copy(z.d, tx.d);
            same("copy n=" + n, z);
            ref.fill(z.r, -0.625f);
            dut.fill(z.d, -0.625f);
            same("fill n=" + n, z);
            if (n >= 33) {
                Twin dst = zeros(DType.FLOAT32, n);
                ref.copyRange(dst.r, 3, tx.r, 7, n - 10);
                dut.copyRange(dst.d, 3, tx.d, 7, n - 10);
                same("copyRange n=" + n, dst);
                Twin dsti = zeros(DType.INT32, n);
                ref.copyRange(dsti.r, 1, tk.r, 0, n - 1);
                dut.copyRange(dsti.d, 1, tk.d, 0, n - 1);
                sameInts("copyRange INT32 n=" + n, dsti);
            }
        }
        // a view shares storage: writes through it are seen by the owner
        Twin base = f(Check.uniform(rng, 6 * 35, 1), 6, 35);
        Tensor rv = ref.reshape(base.r, 2, 3, 5, 7);
        Tensor dv = dut.reshape(base.d, 2, 3, 5, 7);
        assertArrayEquals(new int[] {2, 3, 5, 7}, dv.shape());
        ref.scale(rv, 2f);
        dut.scale(dv, 2f);
        same("a write through a view", base);
        dv.close();   // closing a view releases nothing
        ref.scale(base.r, 0.5f);
        dut.scale(base.d, 0.5f);
        same("the owner after its view was closed", base);
        sameError("reshape to another size", IllegalArgumentException.class, b -> b.reshape(b == ref ? base.r : base.d, 7, 31));
    }

    // ---- element-wise and reductions -----------------------------------------------------------

    void elementWise() {
        SplittableRandom rng = new SplittableRandom(102);
        for (int n : Sizes.awkward()) {
            String l = " n=" + n;
            Twin x = f(Check.uniform(rng, n, 3), n);
            Twin y = f(Check.uniform(rng, n, 3), n);
            Twin m = f(mask(rng, n, 0.5), n);
            ref.axpy(y.r, 0.37f, x.r);
            dut.axpy(y.d, 0.37f, x.d);
            same("axpy" + l, y);
            ref.scale(y.r, -1.7f);
            dut.scale(y.d, -1.7f);
            same("scale" + l, y);
            ref.mul(y.r, m.r);
            dut.mul(y.d, m.d);
            same("mul" + l, y);
            ref.maskedFill(x.r, m.r, Float.NEGATIVE_INFINITY);
            dut.maskedFill(x.d, m.d, Float.NEGATIVE_INFINITY);
            same("maskedFill" + l, x);
            Twin r = zeros(DType.FLOAT32, n);
            Twin v = f(Check.uniform(rng, n, 2), n);
            ref.relu(r.r, v.r);
            dut.relu(r.d, v.d);
            same("relu" + l, r);
            Twin g = f(Check.uniform(rng, n, 1), n);
            ref.reluBackward(g.r, g.r, r.r);   // in place, as the interface allows
            dut.reluBackward(g.d, g.d, r.d);
            same("reluBackward in place" + l, g);
            Twin s = zeros(DType.FLOAT32, 1);
            ref.sum(s.r, v.r);
            dut.sum(s.d, v.d);
            near("sum" + l, s, 1e-9, 1e-6);
        }
        int[][] shapes = {{0, 5}, {1, 1}, {3, 31}, {128, 300}, {33, 1023}, {1000, 10}, {7, 4097}};
        for (int[] sh : shapes) {
            int rows = sh[0];
            int cols = sh[1];
            String l = " " + rows + "x" + cols;
            for (boolean relu : new boolean[] {false, true}) {
                Twin y = f(Check.uniform(rng, rows * cols, 2), rows, cols);
                Twin b = f(Check.uniform(rng, cols, 1), cols);
                ref.biasAdd(y.r, b.r, relu);
                dut.biasAdd(y.d, b.d, relu);
                same("biasAdd relu=" + relu + l, y);
            }
            for (float beta : new float[] {0f, 1f, 0.5f}) {
                Twin out = f(Check.uniform(rng, cols, 1), cols);
                Twin x = f(Check.uniform(rng, rows * cols, 1), rows, cols);
                ref.sumRows(out.r, x.r, beta);
                dut.sumRows(out.d, x.d, beta);
                near("sumRows beta=" + beta + l, out, 1e-6 * (rows + 1), 1e-6);
            }
            Twin v = f(Check.uniform(rng, rows, 1), rows);
            Twin out = f(Check.uniform(rng, rows * cols, 5), rows, cols);
            ref.broadcastRows(out.r, v.r);
            dut.broadcastRows(out.d, v.d);
            same("broadcastRows" + l, out);
        }
    }

    // ---- matrix products -----------------------------------------------------------------------

    void gemm() {
        SplittableRandom rng = new SplittableRandom(103);
        int[][] mnk = {{1, 1, 1}, {33, 31, 17}, {128, 300, 784}, {128, 10, 100}, {1, 300, 784}, {300, 784, 128}, {5, 7, 0}, {0, 4, 3},
            {4097, 3, 2}};
        for (int[] s : mnk) {
            int m = s[0], n = s[1], k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                Twin a = ta ? f(Check.uniform(rng, k * m, 1), k, m) : f(Check.uniform(rng, m * k, 1), m, k);
                Twin b = tb ? f(Check.uniform(rng, n * k, 1), n, k) : f(Check.uniform(rng, k * n, 1), k, n);
                Twin c = f(Check.uniform(rng, m * n, 1), m, n);
                float beta = t == 3 ? 0.5f : 0f;
                ref.gemm(c.r, a.r, ta, b.r, tb, 1.25f, beta);
                dut.gemm(c.d, a.d, ta, b.d, tb, 1.25f, beta);
                // k products in another order: a few ulps of the largest partial sums
                near("gemm " + m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb, c, 2e-6 * Math.sqrt(k + 1) * 4, 1e-5);
            }
        }
        sameError("gemm with mismatched inner sizes", IllegalArgumentException.class, b -> {
            try (Tensor a = b.zeros(DType.FLOAT32, 3, 4); Tensor bb = b.zeros(DType.FLOAT32, 5, 6); Tensor c = b.zeros(DType.FLOAT32, 3, 6)) {
                b.gemm(c, a, false, bb, false, 1f, 0f);
            }
        });
    }

    // ---- convolution and pooling ---------------------------------------------------------------

    /** batch, in, h, w, out, k, stride, pad. */
    static final int[][] CONVS = {
        {2, 3, 7, 9, 5, 3, 1, 1}, {4, 1, 28, 28, 8, 3, 1, 1}, {3, 4, 9, 9, 6, 3, 2, 0}, {2, 6, 5, 5, 4, 1, 1, 0}, {1, 2, 6, 7, 3, 5, 1, 2},
        {33, 5, 14, 14, 7, 3, 1, 1}, {2, 3, 8, 8, 2, 2, 2, 0}, {0, 3, 5, 5, 4, 3, 1, 1},
    };

    void convolution() {
        SplittableRandom rng = new SplittableRandom(104);
        for (int[] c : CONVS) {
            int n = c[0], in = c[1], h = c[2], w = c[3], out = c[4], k = c[5], stride = c[6], pad = c[7];
            int ho = (h + 2 * pad - k) / stride + 1;
            int wo = (w + 2 * pad - k) / stride + 1;
            String l = " " + Arrays.toString(c);
            Twin x = f(Check.uniform(rng, n * in * h * w, 1), n, in, h, w);
            Twin wt = f(Check.uniform(rng, out * in * k * k, 0.5), out, in, k, k);
            Twin b = f(Check.uniform(rng, out, 0.2), out);
            // tolerance: in·k·k products per output in another order, or cuDNN's Winograd/FFT transforms
            double atol = 5e-5 * Math.sqrt(in * k * k);
            for (boolean relu : new boolean[] {false, true}) {
                Twin y = f(Check.uniform(rng, n * out * ho * wo, 9), n, out, ho, wo);
                ref.conv2d(y.r, x.r, wt.r, b.r, stride, pad, relu);
                dut.conv2d(y.d, x.d, wt.d, b.d, stride, pad, relu);
                near("conv2d relu=" + relu + l, y, atol, 1e-4);
            }
            Twin dy = f(Check.uniform(rng, n * out * ho * wo, 1), n, out, ho, wo);
            Twin dx = f(Check.uniform(rng, x.r.size(), 9), n, in, h, w);
            Twin dw = f(Check.uniform(rng, wt.r.size(), 9), out, in, k, k);
            Twin db = f(Check.uniform(rng, out, 9), out);
            ref.conv2dBackward(dx.r, dw.r, db.r, dy.r, x.r, wt.r, stride, pad);
            dut.conv2dBackward(dx.d, dw.d, db.d, dy.d, x.d, wt.d, stride, pad);
            near("conv2dBackward dx" + l, dx, 5e-5 * Math.sqrt(out * k * k), 1e-4);
            near("conv2dBackward dw" + l, dw, 5e-5 * Math.sqrt(n * ho * wo), 1e-4);
            near("conv2dBackward db" + l, db, 1e-6 * Math.sqrt(n * ho * wo), 1e-6);
            // without the input gradient (the first layer)
            ref.conv2dBackward(null, dw.r, db.r, dy.r, x.r, wt.r, stride, pad);
            dut.conv2dBackward(null, dw.d, db.d, dy.d, x.d, wt.d, stride, pad);
            near("conv2dBackward dx=null dw" + l, dw, 5e-5 * Math.sqrt(n * ho * wo), 1e-4);
        }
        sameError("conv2d with mismatched channels", IllegalArgumentException.class, b -> {
            try (Tensor x = b.zeros(DType.FLOAT32, 2, 3, 5, 5); Tensor w = b.zeros(DType.FLOAT32, 4, 2, 3, 3);
                 Tensor bias = b.zeros(DType.FLOAT32, 4); Tensor y = b.zeros(DType.FLOAT32, 2, 4, 5, 5)) {
                b.conv2d(y, x, w, bias, 1, 1, false);
            }
        });
        sameError("conv2d with a wrong output shape", IllegalArgumentException.class, b -> {
            try (Tensor x = b.zeros(DType.FLOAT32, 2, 3, 5, 5); Tensor w = b.zeros(DType.FLOAT32, 4, 3, 3, 3);
                 Tensor bias = b.zeros(DType.FLOAT32, 4); Tensor y = b.zeros(DType.FLOAT32, 2, 4, 5, 5)) {
                b.conv2d(y, x, w, bias, 1, 0, false);
            }
        });
    }

    void pooling() {
        SplittableRandom rng = new SplittableRandom(105);
        int[][] shapes = {{2, 3, 4, 4, 2, 2}, {3, 5, 7, 9, 2, 2}, {4, 64, 28, 28, 2, 2}, {2, 3, 9, 7, 3, 2}, {1, 1, 33, 31, 2, 1},
            {2, 3, 5, 5, 2, 3}};
        for (int[] s : shapes) {
            int n = s[0], c = s[1], h = s[2], w = s[3], win = s[4], stride = s[5];
            int ho = (h - win) / stride + 1;
            int wo = (w - win) / stride + 1;
            String l = " " + Arrays.toString(s);
            float[] xv = Check.uniform(rng, n * c * h * w, 2);
            for (int j = 0; j < xv.length; j++) xv[j] = Math.round(xv[j] * 2) / 2f;   // ties
            Twin x = f(xv, n, c, h, w);
            Twin y = zeros(DType.FLOAT32, n, c, ho, wo);
            Twin am = zeros(DType.INT32, n, c, ho, wo);
            ref.maxPool2d(y.r, am.r, x.r, win, stride);
            dut.maxPool2d(y.d, am.d, x.d, win, stride);
            same("maxPool2d" + l, y);
            sameInts("maxPool2d argmax" + l, am);
            Twin dy = f(Check.uniform(rng, n * c * ho * wo, 1), n, c, ho, wo);
            Twin dx = f(Check.uniform(rng, xv.length, 9), n, c, h, w);
            ref.maxPool2dBackward(dx.r, dy.r, am.r);
            dut.maxPool2dBackward(dx.d, dy.d, am.d);
            if (stride >= win) {
                same("maxPool2dBackward" + l, dx);
            } else {
                near("maxPool2dBackward (overlapping windows)" + l, dx, 1e-6, 1e-6);
            }
        }
    }

    // ---- losses --------------------------------------------------------------------------------

    void losses() {
        SplittableRandom rng = new SplittableRandom(106);
        int[][] shapes = {{1, 1}, {1, 10}, {31, 10}, {128, 10}, {33, 33}, {7, 1000}, {4097, 10}};
        for (int[] s : shapes) {
            int rows = s[0], classes = s[1];
            String l = " " + rows + "x" + classes;
            float[] logits = Check.uniform(rng, rows * classes, 4);
            if (rows > 1 && classes > 2) {
                logits[classes] = 9f;
                logits[classes + 2] = 9f;
            }
            Twin lg = f(logits, rows, classes);
            Twin teacher = f(Check.uniform(rng, rows * classes, 6), rows, classes);
            Twin labels = i(Check.randint(rng, rows, classes), rows);
            Twin metrics = f(new float[] {1.5f, 2f}, 2);
            Twin grad = zeros(DType.FLOAT32, rows, classes);
            ref.softmaxCrossEntropy(grad.r, metrics.r, lg.r, labels.r, 1f / rows);
            dut.softmaxCrossEntropy(grad.d, metrics.d, lg.d, labels.d, 1f / rows);
            near("softmaxCrossEntropy metrics" + l, metrics, 1e-4, 1e-6);
            near("softmaxCrossEntropy grad" + l, grad, 1e-9, 1e-6);
            ref.softmaxCrossEntropy(null, metrics.r, lg.r, labels.r, 0f);
            dut.softmaxCrossEntropy(null, metrics.d, lg.d, labels.d, 0f);
            near("softmaxCrossEntropy without gradient" + l, metrics, 1e-4, 1e-6);
            ref.distillation(grad.r, metrics.r, lg.r, teacher.r, labels.r, 4f, 0.5f, 1f / rows);
            dut.distillation(grad.d, metrics.d, lg.d, teacher.d, labels.d, 4f, 0.5f, 1f / rows);
            near("distillation metrics" + l, metrics, 1e-4, 1e-6);
            near("distillation grad" + l, grad, 1e-9, 1e-6);
        }
        sameError("distillation with temperature 0", IllegalArgumentException.class, b -> {
            try (Tensor s = b.zeros(DType.FLOAT32, 2, 3); Tensor t = b.zeros(DType.FLOAT32, 2, 3); Tensor g = b.zeros(DType.FLOAT32, 2, 3);
                 Tensor m = b.zeros(DType.FLOAT32, 2); Tensor y = b.zeros(DType.INT32, 2)) {
                b.distillation(g, m, s, t, y, 0f, 0.5f, 1f);
            }
        });
    }

    // ---- gathers -------------------------------------------------------------------------------

    void gathers() {
        SplittableRandom rng = new SplittableRandom(107);
        int[][] shapes = {{1, 1}, {300, 784}, {33, 31}, {1000, 3}, {5, 4097}};
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            String l = " " + rows + "x" + cols;
            Twin src = f(Check.uniform(rng, rows * cols, 1), rows, cols);
            Twin srcI = i(Check.randint(rng, rows, 10), rows);
            int[] order = new int[rows + 5];
            for (int j = 0; j < order.length; j++) order[j] = rng.nextInt(rows);
            Twin idx = i(order, order.length);
            int take = Math.max(1, rows / 2);
            Twin out = zeros(DType.FLOAT32, take, cols);
            ref.gatherRows(out.r, src.r, idx.r, 3);
            dut.gatherRows(out.d, src.d, idx.d, 3);
            same("gatherRows" + l, out);
            Twin outI = zeros(DType.INT32, take);
            ref.gatherRows(outI.r, srcI.r, idx.r, 5);
            dut.gatherRows(outI.d, srcI.d, idx.d, 5);
            sameInts("gatherRows INT32 (labels)" + l, outI);
            int k = Math.max(1, cols / 2);
            int[] keep = new int[k];
            for (int j = 0; j < k; j++) keep[j] = rng.nextInt(cols);
            Twin kc = i(keep, k);
            Twin oc = zeros(DType.FLOAT32, rows, k);
            ref.gatherColumns(oc.r, src.r, kc.r);
            dut.gatherColumns(oc.d, src.d, kc.d);
            same("gatherColumns" + l, oc);
        }
        // column blocks: the next conv's input channels (block = kh·kw) and a flattened map's channels (block = h·w)
        int[][] blocks = {{8, 6, 9, 3}, {256, 128, 49, 64}, {10, 3, 1, 2}, {5, 7, 16, 7}};   // rows, channels, block, kept
        for (int[] s : blocks) {
            int rows = s[0], ch = s[1], block = s[2], k = s[3];
            Twin src = f(Check.uniform(rng, rows * ch * block, 1), rows, ch * block);
            int[] keep = new int[k];
            for (int j = 0; j < k; j++) keep[j] = (j * 7 + 1) % ch;
            Twin kc = i(keep, k);
            Twin out = zeros(DType.FLOAT32, rows, k * block);
            ref.gatherColumnBlocks(out.r, src.r, kc.r, block);
            dut.gatherColumnBlocks(out.d, src.d, kc.d, block);
            same("gatherColumnBlocks " + Arrays.toString(s), out);
        }
        bothThrow("gatherColumns with an index out of range", IndexOutOfBoundsException.class, b -> {
            try (Tensor src = b.zeros(DType.FLOAT32, 3, 4); Tensor idx = b.fromArray(new int[] {1, 4}, 2);
                 Tensor out = b.zeros(DType.FLOAT32, 3, 2)) {
                b.gatherColumns(out, src, idx);
            }
        });
        bothThrow("gatherColumnBlocks with an index out of range", IndexOutOfBoundsException.class, b -> {
            try (Tensor src = b.zeros(DType.FLOAT32, 3, 4, 3, 3); Tensor idx = b.fromArray(new int[] {-1}, 1);
                 Tensor out = b.zeros(DType.FLOAT32, 3, 1, 3, 3)) {
                b.gatherColumnBlocks(out, src, idx, 9);
            }
        });
    }

    // ---- scoring -------------------------------------------------------------------------------

    void scoring() {
        SplittableRandom rng = new SplittableRandom(108);
        // [batch, units, spatial]
        int[][] maps = {{1, 1, 1}, {128, 300, 1}, {33, 31, 1}, {16, 64, 196}, {7, 5, 49}, {2, 4097, 1}, {0, 5, 1}};
        for (int[] s : maps) {
            int b = s[0], u = s[1], sp = s[2];
            String l = " " + Arrays.toString(s);
            int[] shape = sp == 1 ? new int[] {b, u} : new int[] {b, u, 7, sp / 7};
            Twin a = f(Check.uniform(rng, b * u * sp, 1), shape);
            Twin g = f(Check.uniform(rng, b * u * sp, 0.01), shape);
            for (boolean absInside : new boolean[] {false, true}) {
                Twin acc = f(Check.uniform(rng, u, 0.1), u);
                ref.taylorAccumulate(acc.r, a.r, g.r, absInside, 0.5f);
                dut.taylorAccumulate(acc.d, a.d, g.d, absInside, 0.5f);
                same("taylorAccumulate absInside=" + absInside + l, acc);
            }
            Twin cnt = f(Check.uniform(rng, u, 2), u);
            ref.countPositive(cnt.r, a.r);
            dut.countPositive(cnt.d, a.d);
            same("countPositive" + l, cnt);
        }
        for (int n : Sizes.awkward()) {
            String l = " n=" + n;
            Twin x = f(Check.uniform(rng, n, 2), n);
            Twin y = f(Check.uniform(rng, n, 2), n);
            for (Transform t : Transform.values()) {
                Twin acc = f(Check.uniform(rng, n, 1), n);
                ref.accumulate(acc.r, x.r, 0.3f, t);
                dut.accumulate(acc.d, x.d, 0.3f, t);
                same("accumulate " + t + l, acc);
            }
            Twin acc = f(Check.uniform(rng, n, 1), n);
            ref.accumulateAbsProduct(acc.r, x.r, y.r, 0.7f);
            dut.accumulateAbsProduct(acc.d, x.d, y.d, 0.7f);
            same("accumulateAbsProduct" + l, acc);
            ref.accumulateNormalizedAbs(acc.r, x.r);
            dut.accumulateNormalizedAbs(acc.d, x.d);
            near("accumulateNormalizedAbs" + l, acc, 1e-7, 2.4e-7);
            for (Normalization kind : Normalization.values()) {
                Twin sc = f(Check.uniform(rng, n, 3), n);
                ref.normalize(sc.r, kind);
                dut.normalize(sc.d, kind);
                near("normalize " + kind + l, sc, 0, 2.4e-7);
            }
        }
        int[][] mats = {{0, 4}, {1, 1}, {31, 33}, {300, 784}, {64, 576}, {2, Sizes.LARGE}};
        for (int[] s : mats) {
            int rows = s[0], cols = s[1];
            String l = " " + rows + "x" + cols;
            Twin w = f(Check.uniform(rng, rows * cols, 1), rows, cols);
            Twin g = f(Check.uniform(rng, rows * cols, 0.1), rows, cols);
            for (int p = 1; p <= 2; p++) {
                Twin out = zeros(DType.FLOAT32, rows);
                ref.rowNorms(out.r, w.r, p);
                dut.rowNorms(out.d, w.d, p);
                near("rowNorms p=" + p + l, out, 0, 2.4e-7);
            }
            Twin out = zeros(DType.FLOAT32, rows);
            ref.rowSums(out.r, w.r);
            dut.rowSums(out.d, w.d);
            near("rowSums" + l, out, 1e-12, 2.4e-7);
            float[] fr = new float[cols];
            for (int c = 0; c < cols; c++) fr[c] = (float) rng.nextDouble();
            Twin freq = f(fr, cols);
            ref.compositeScores(out.r, w.r, g.r, freq.r);
            dut.compositeScores(out.d, w.d, g.d, freq.d);
            near("compositeScores" + l, out, 0, 2.4e-7);
        }
        // a convolution: one frequency per input channel, shared by its 3x3 weights
        Twin w = f(Check.uniform(rng, 16 * 8 * 9, 1), 16, 8, 3, 3);
        Twin g = f(Check.uniform(rng, 16 * 8 * 9, 0.1), 16, 8, 3, 3);
        float[] fr = new float[8];
        for (int c = 0; c < 8; c++) fr[c] = (float) rng.nextDouble();
        Twin freq = f(fr, 8);
        Twin out = zeros(DType.FLOAT32, 16);
        ref.compositeScores(out.r, w.r, g.r, freq.r);
        dut.compositeScores(out.d, w.d, g.d, freq.d);
        near("compositeScores per input channel", out, 0, 2.4e-7);
    }

    // ---- ranking -------------------------------------------------------------------------------

    void ranking() {
        SplittableRandom rng = new SplittableRandom(109);
        for (int n : Sizes.awkward()) {
            float[] s = Check.uniform(rng, n, 1);
            for (int j = 0; j < n; j++) {
                if (j % 7 == 0) s[j] = Math.round(s[j] * 4) / 4f;   // ties
            }
            if (n > 10) {
                s[2] = Float.NaN;
                s[5] = -0f;
                s[6] = 0f;
                s[9] = Float.NEGATIVE_INFINITY;
            }
            Twin sc = f(s, n);
            for (int keep : new int[] {0, 1, n / 3, n / 2, n - 1, n}) {
                if (keep < 0 || keep > n) continue;
                Twin mask = f(Check.uniform(rng, n, 1), n);
                ref.selectTopK(mask.r, sc.r, keep);
                dut.selectTopK(mask.d, sc.d, keep);
                same("selectTopK keep=" + keep + " n=" + n, mask);
                Twin idx = zeros(DType.INT32, n);
                int kr = ref.maskToIndices(idx.r, mask.r);
                int kd = dut.maskToIndices(idx.d, mask.d);
                assertEquals(keep, kr, "maskToIndices count (reference) n=" + n);
                assertEquals(kr, kd, "maskToIndices count n=" + n);
                assertArrayEquals(Arrays.copyOf(ref.toIntArray(idx.r), kr), Arrays.copyOf(dut.toIntArray(idx.d), kd),
                        "maskToIndices n=" + n + " keep=" + keep);
                // the overload that leaves the count on the device, in a slot of a counts tensor
                Twin idx2 = zeros(DType.INT32, n);
                Twin counts = i(new int[] {-7, -7, -7}, 3);
                ref.maskToIndices(idx2.r, mask.r, counts.r, 1);
                dut.maskToIndices(idx2.d, mask.d, counts.d, 1);
                assertArrayEquals(new int[] {-7, kr, -7}, ref.toIntArray(counts.r), "counts slot (reference) n=" + n);
                sameInts("maskToIndices count slot n=" + n + " keep=" + keep, counts);
                assertArrayEquals(Arrays.copyOf(ref.toIntArray(idx.r), kr), Arrays.copyOf(dut.toIntArray(idx2.d), kd),
                        "maskToIndices (count on the device) n=" + n + " keep=" + keep);
            }
            for (float t : new float[] {-2f, 0f, 0.25f, 0.9f}) {
                assertEquals(ref.countAtLeast(sc.r, t), dut.countAtLeast(sc.d, t), "countAtLeast " + t + " n=" + n);
            }
        }
        sameError("selectTopK keeping more than there are", IllegalArgumentException.class, b -> {
            try (Tensor m = b.zeros(DType.FLOAT32, 4); Tensor s = b.zeros(DType.FLOAT32, 4)) {
                b.selectTopK(m, s, 5);
            }
        });
        sameError("maskToIndices without room", IllegalArgumentException.class, b -> {
            try (Tensor ix = b.zeros(DType.INT32, 3); Tensor m = b.zeros(DType.FLOAT32, 4)) {
                b.maskToIndices(ix, m);
            }
        });
        sameError("maskToIndices with a count slot outside counts", IndexOutOfBoundsException.class, b -> {
            try (Tensor ix = b.zeros(DType.INT32, 4); Tensor m = b.zeros(DType.FLOAT32, 4); Tensor c = b.zeros(DType.INT32, 2)) {
                b.maskToIndices(ix, m, c, 2);
            }
        });
    }

    // ---- optimisers ----------------------------------------------------------------------------

    void optimisers() {
        SplittableRandom rng = new SplittableRandom(110);
        for (int n : Sizes.awkward()) {
            String l = " n=" + n;
            float[] w = Check.uniform(rng, n, 1);
            float[] g = Check.uniform(rng, n, 0.1);
            for (float momentum : new float[] {0f, 0.9f}) {
                Twin tw = f(w, n);
                Twin tv = f(Check.uniform(rng, n, 0.01), n);
                Twin tg = f(g, n);
                for (int step = 0; step < 3; step++) {
                    ref.sgdStep(tw.r, tv.r, tg.r, 0.05f, momentum, 1e-4f);
                    dut.sgdStep(tw.d, tv.d, tg.d, 0.05f, momentum, 1e-4f);
                }
                same("sgdStep w momentum=" + momentum + l, tw);
                same("sgdStep v momentum=" + momentum + l, tv);
            }
            Twin tw = f(w, n);
            Twin tm = zeros(DType.FLOAT32, n);
            Twin tv = zeros(DType.FLOAT32, n);
            Twin tg = f(g, n);
            for (int step = 1; step <= 3; step++) {
                ref.adamStep(tw.r, tm.r, tv.r, tg.r, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
                dut.adamStep(tw.d, tm.d, tv.d, tg.d, 1e-3f, 0.9f, 0.999f, 1e-8f, 1e-4f, step);
            }
            same("adamStep m" + l, tm);
            same("adamStep v" + l, tv);
            // the bias corrections are folded on the host with C's pow on the device side: an ulp per step
            near("adamStep w" + l, tw, 1e-9, 4e-7);
        }
        sameError("adamStep at step 0", IllegalArgumentException.class, b -> {
            try (Tensor w = b.zeros(DType.FLOAT32, 3); Tensor m = b.zeros(DType.FLOAT32, 3); Tensor v = b.zeros(DType.FLOAT32, 3);
                 Tensor g = b.zeros(DType.FLOAT32, 3)) {
                b.adamStep(w, m, v, g, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0);
            }
        });
    }

    // ---- argument checks -----------------------------------------------------------------------

    void validation() {
        sameError("an INT32 tensor where FLOAT32 is expected", IllegalArgumentException.class, b -> {
            try (Tensor t = b.zeros(DType.INT32, 4)) {
                b.fill(t, 1f);
            }
        });
        sameError("a FLOAT32 index", IllegalArgumentException.class, b -> {
            try (Tensor src = b.zeros(DType.FLOAT32, 3, 4); Tensor idx = b.zeros(DType.FLOAT32, 2); Tensor out = b.zeros(DType.FLOAT32, 3, 2)) {
                b.gatherColumns(out, src, idx);
            }
        });
        sameError("fromArray with a wrong length", IllegalArgumentException.class, b -> b.fromArray(new float[5], 2, 3));
        sameError("relu of mismatched sizes", IllegalArgumentException.class, b -> {
            try (Tensor y = b.zeros(DType.FLOAT32, 4); Tensor x = b.zeros(DType.FLOAT32, 5)) {
                b.relu(y, x);
            }
        });
        sameError("biasAdd with a wrong bias", IllegalArgumentException.class, b -> {
            try (Tensor y = b.zeros(DType.FLOAT32, 4, 3); Tensor bias = b.zeros(DType.FLOAT32, 4)) {
                b.biasAdd(y, bias, true);
            }
        });
        sameError("maxPool2d with a window larger than the input", IllegalArgumentException.class, b -> {
            try (Tensor x = b.zeros(DType.FLOAT32, 1, 1, 2, 2); Tensor y = b.zeros(DType.FLOAT32, 1, 1, 1, 1);
                 Tensor a = b.zeros(DType.INT32, 1, 1, 1, 1)) {
                b.maxPool2d(y, a, x, 3, 1);
            }
        });
        sameError("rowNorms with p = 3", IllegalArgumentException.class, b -> {
            try (Tensor w = b.zeros(DType.FLOAT32, 2, 2); Tensor o = b.zeros(DType.FLOAT32, 2)) {
                b.rowNorms(o, w, 3);
            }
        });
        sameError("copyRange out of bounds", IllegalArgumentException.class, b -> {
            try (Tensor d = b.zeros(DType.FLOAT32, 4); Tensor s = b.zeros(DType.FLOAT32, 4)) {
                b.copyRange(d, 2, s, 0, 3);
            }
        });
        // a tensor of the other backend
        try (Tensor r = ref.zeros(DType.FLOAT32, 3); Tensor d = dut.zeros(DType.FLOAT32, 3)) {
            if (ref != dut && !ref.name().equals(dut.name())) {
                assertThrows(IllegalArgumentException.class, () -> dut.relu(d, r));
                assertThrows(IllegalArgumentException.class, () -> ref.relu(r, d));
            }
        }
    }

    /** One check: an operation family run on both backends, by the name the tests report it under. */
    record Named(String name, Consumer<BackendParity> check) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * The checks above, in order: what {@link CudaBackendTest} runs against CUDA and
     * {@code MutantBackendTest} against broken backends, one at a time, so that a failure names its
     * family.
     */
    static List<Named> checks() {
        return List.of(new Named("tensors", BackendParity::tensors), new Named("elementWise", BackendParity::elementWise),
                new Named("gemm", BackendParity::gemm), new Named("convolution", BackendParity::convolution),
                new Named("pooling", BackendParity::pooling), new Named("losses", BackendParity::losses),
                new Named("gathers", BackendParity::gathers), new Named("scoring", BackendParity::scoring),
                new Named("ranking", BackendParity::ranking), new Named("optimisers", BackendParity::optimisers),
                new Named("validation", BackendParity::validation));
    }

    @Override
    public void close() {
        for (Tensor t : open) {
            t.close();
        }
        open.clear();
    }
}
