package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.backend.SparseMatrix;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.Parameter;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sparse convolution against a double reference and the dense convolution on the masked filters, and Conv2d's use of it. */
class SparseConvTest {
    private final CpuBackend cpu = new CpuBackend(2);

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void matchesTheDenseMaskedConvolution() {
        long seed = 1201L;
        SplittableRandom rng = new SplittableRandom(seed);
        double[] densities = {0, 0.04, 0.3, 1};
        for (int t = 0; t < 60; t++) {
            int batch = rng.nextInt(4);
            int in = 1 + rng.nextInt(5);
            int out = 1 + rng.nextInt(7);
            int k = 1 + rng.nextInt(3);
            int stride = 1 + rng.nextInt(2);
            int pad = rng.nextInt(2);
            int h = k + rng.nextInt(8);
            int w = k + rng.nextInt(8);
            check(rng, batch, in, out, k, stride, pad, h, w, densities[t % densities.length], rng.nextBoolean(), rng.nextBoolean(),
                    "seed " + seed + " case " + t);
        }
        check(rng, 3, 64, 128, 3, 1, 1, 14, 14, 0.1, true, true, "seed " + seed + " the default CNN's conv2");
    }

    /**
     * A geometry whose column count fits only in wrapped int arithmetic (65537² = 2³² + 131073) is
     * refused, not run: a 65537×65537 kernel over a 3×3 map padded by 32768 on a filter matrix of
     * 131073 columns.
     */
    @Test
    void aGeometryThatFitsOnlyByOverflowIsRefused() {
        int cols = 131073;
        float[] w = new float[2 * cols];
        float[] m = new float[2 * cols];
        w[5] = 1f;
        m[5] = 1f;
        try (Tensor wT = cpu.fromArray(w, 2, cols); Tensor mT = cpu.fromArray(m, 2, cols); SparseMatrix s = cpu.sparse(wT, mT);
             Tensor x = cpu.zeros(DType.FLOAT32, 1, 1, 3, 3); Tensor y = cpu.zeros(DType.FLOAT32, 1, 2, 3, 3)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> cpu.sparseConv2d(y, x, s, null, 65537, 65537, 1, 32768, false));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().endsWith("does not fit"), e.getMessage());
        }
    }

    private void check(SplittableRandom rng, int batch, int in, int out, int k, int stride, int pad, int h, int w, double density,
                       boolean withBias, boolean relu, String what) {
        int ho = (h + 2 * pad - k) / stride + 1;
        int wo = (w + 2 * pad - k) / stride + 1;
        float[] wt = Check.gaussian(rng, out * in * k * k, 1);
        float[] m = new float[wt.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = rng.nextDouble() < density ? 1 : 0;
            wt[i] *= m[i];
        }
        float[] x = Check.gaussian(rng, batch * in * h * w, 1);
        float[] b = withBias ? Check.gaussian(rng, out, 1) : null;
        try (Tensor wT = cpu.fromArray(wt, out, in, k, k);
             Tensor w2 = cpu.reshape(wT, out, in * k * k);
             Tensor m2 = cpu.fromArray(m, out, in * k * k);
             Tensor xT = cpu.fromArray(x, batch, in, h, w);
             Tensor bT = b == null ? null : cpu.fromArray(b, out);
             Tensor dense = cpu.zeros(DType.FLOAT32, batch, out, ho, wo);
             Tensor sparse = cpu.zeros(DType.FLOAT32, batch, out, ho, wo);
             SparseMatrix s = cpu.sparse(w2, m2)) {
            cpu.fill(sparse, 7f);
            cpu.conv2d(dense, xT, wT, bT, stride, pad, 1, relu);
            cpu.sparseConv2d(sparse, xT, s, bT, k, k, stride, pad, relu);
            float[] d = dense.toFloatArray();
            float[] sp = sparse.toFloatArray();
            for (int e = 0; e < batch; e++) {
                for (int o = 0; o < out; o++) {
                    for (int oy = 0; oy < ho; oy++) {
                        for (int ox = 0; ox < wo; ox++) {
                            double ref = b == null ? 0 : b[o];
                            double scale = Math.abs(ref);
                            for (int c = 0; c < in; c++) {
                                for (int ky = 0; ky < k; ky++) {
                                    for (int kx = 0; kx < k; kx++) {
                                        int iy = oy * stride - pad + ky;
                                        int ix = ox * stride - pad + kx;
                                        if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                            double term = (double) wt[((o * in + c) * k + ky) * k + kx] * x[((e * in + c) * h + iy) * w + ix];
                                            ref += term;
                                            scale += Math.abs(term);
                                        }
                                    }
                                }
                            }
                            if (relu) {
                                ref = Math.max(0, ref);
                            }
                            int i = ((e * out + o) * ho + oy) * wo + ox;
                            double tol = 1e-5 * Math.max(scale, 1e-30);
                            if (Math.abs(sp[i] - ref) > tol || Math.abs(sp[i] - d[i]) > 2 * tol + 1e-6 * scale) {
                                fail(what + ": [" + batch + ", " + in + ", " + h + ", " + w + "] → " + out + " k " + k + " stride " + stride
                                        + " pad " + pad + " density " + density + " at (" + e + ", " + o + ", " + oy + ", " + ox + "): sparse "
                                        + sp[i] + ", dense " + d[i] + ", reference " + ref);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void conv2dRunsSparseInsideAnInferenceScopeWithTheSameOutputs() {
        SplittableRandom rng = new SplittableRandom(4);
        try (Graph net = Models.cnn(cpu, new int[] {8, 8, 8}, new int[] {16}, 8, 3, 2);
             Tensor x = cpu.fromArray(Check.gaussian(rng, 5 * 512, 1), 5, 8, 8, 8)) {
            Conv2d conv = (Conv2d) net.layer("conv1");
            Parameter w = conv.weight();
            float[] m = new float[w.size()];
            for (int i = 0; i < m.length; i++) {
                m[i] = rng.nextInt(50) == 0 ? 1 : 0;
            }
            w.setMask(cpu.fromArray(m, w.value().shape()));
            float[] outside = net.forward(x, false).toFloatArray();
            assertFalse(conv.runsSparse(8, 8));
            try (Graph.InferenceScope s = net.inferenceScope()) {
                assertTrue(conv.runsSparse(8, 8), "2% density of 72-tap filters is below the crossover");
                Check.close("sparse conv inside the scope", outside, net.forward(x, false).toFloatArray(), 1e-5, 1e-5);
                net.forward(x, true);
                assertFalse(conv.runsSparse(8, 8), "a training pass ends the sparse form");
            }
        }
    }
}
