package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.backend.SparseMatrix;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.Parameter;
import io.prune4j.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sparse × dense product against the dense masked product and a double reference, and Dense's use of it. */
class SparseMatmulTest {
    private final CpuBackend cpu = new CpuBackend(2);

    @AfterEach
    void close() {
        cpu.close();
    }

    private static float[] mask(SplittableRandom rng, int n, double density) {
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = rng.nextDouble() < density ? 1 : 0;
        }
        return m;
    }

    @Test
    void matchesTheDenseMaskedProductOnAwkwardShapesAndDensities() {
        long seed = 20261201L;
        SplittableRandom rng = new SplittableRandom(seed);
        int[] sizes = {1, 2, 31, 32, 33, 97};
        int[] batches = {0, 1, 2, 31, 32, 33, 70, 257};
        double[] densities = {0, 0.003, 0.05, 0.3, 0.9, 1};
        int cases = 0;
        for (int rows : sizes) {
            for (int cols : sizes) {
                for (double density : densities) {
                    int batch = batches[rng.nextInt(batches.length)];
                    check(rng, rows, cols, batch, density, "seed " + seed + " case " + cases++);
                }
            }
        }
        // large enough that the chunks go to both workers (batch · kept ≥ CpuWorkers.SERIAL_WORK)
        check(rng, 300, 784, 256, 0.1, "seed " + seed + " the default MLP's fc1 at 256");
        check(rng, 100, 300, 1, 0.5, "seed " + seed + " fc2 at 1");
    }

    private void check(SplittableRandom rng, int rows, int cols, int batch, double density, String what) {
        float[] w = io.prune4j.testing.Check.gaussian(rng, rows * cols, 1);
        float[] m = mask(rng, rows * cols, density);
        float[] x = io.prune4j.testing.Check.gaussian(rng, batch * cols, 1);
        float[] wm = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            wm[i] = w[i] * m[i];
        }
        try (Tensor wt = cpu.fromArray(wm, rows, cols);
             Tensor mt = cpu.fromArray(m, rows, cols);
             Tensor xt = cpu.fromArray(x, batch, cols);
             Tensor dense = cpu.zeros(io.prune4j.tensor.DType.FLOAT32, batch, rows);
             Tensor sparse = cpu.zeros(io.prune4j.tensor.DType.FLOAT32, batch, rows);
             SparseMatrix s = cpu.sparse(wt, mt)) {
            cpu.fill(sparse, 7f); // every output is written
            cpu.gemm(dense, xt, false, wt, true, 1f, 0f);
            cpu.sparseMatmul(sparse, xt, s);
            float[] d = dense.toFloatArray();
            float[] sp = sparse.toFloatArray();
            for (int b = 0; b < batch; b++) {
                for (int r = 0; r < rows; r++) {
                    double ref = 0;
                    double scale = 0;
                    for (int j = 0; j < cols; j++) {
                        double t = (double) wm[r * cols + j] * x[b * cols + j];
                        ref += t;
                        scale += Math.abs(t);
                    }
                    double tol = 1e-5 * Math.max(scale, 1e-30);
                    int i = b * rows + r;
                    if (Math.abs(sp[i] - ref) > tol || Math.abs(sp[i] - d[i]) > 2 * tol) {
                        fail(what + " [" + rows + ", " + cols + "] batch " + batch + " density " + density + ": output (" + b + ", " + r
                                + ") sparse " + sp[i] + ", dense " + d[i] + ", reference " + ref);
                    }
                }
            }
            long kept = 0;
            for (float v : m) {
                kept += v != 0 ? 1 : 0;
            }
            assertEquals(kept, s.nonzeros(), what);
        }
    }

    @Test
    void denseRunsSparseOnlyInsideAnInferenceScopeAndGivesTheSameOutputs() {
        SplittableRandom rng = new SplittableRandom(3);
        try (Graph net = Models.mlp(cpu, 120, new int[] {40}, 7, 1)) {
            Dense fc1 = (Dense) net.layers().get(0);
            Parameter w = fc1.weight();
            w.setMask(cpu.fromArray(mask(rng, w.size(), 0.05), w.value().shape()));
            float[] x = io.prune4j.testing.Check.gaussian(rng, 9 * 120, 1);
            try (Tensor xt = cpu.fromArray(x, 9, 120)) {
                float[] outside = net.forward(xt, false).toFloatArray();
                assertFalse(fc1.runsSparse(9), "no sparse form outside a scope");
                float[] inside;
                try (Graph.InferenceScope s = net.inferenceScope()) {
                    assertTrue(fc1.runsSparse(9) && fc1.runsSparse(1), "5% density is below both crossovers");
                    assertFalse(((Dense) net.layers().get(1)).runsSparse(9), "an unmasked layer stays dense");
                    inside = net.forward(xt, false).toFloatArray();
                    net.forward(xt, true); // a training pass ends the sparse form
                    assertFalse(fc1.runsSparse(9));
                }
                io.prune4j.testing.Check.close("sparse inside the scope", outside, inside, 1e-6, 1e-5);
                try (Graph.InferenceScope s = net.inferenceScope()) {
                    w.setMask(cpu.fromArray(mask(rng, w.size(), 0.05), w.value().shape()));
                    assertFalse(fc1.runsSparse(9), "a new mask is not the one the sparse form was built from");
                }
                assertFalse(fc1.runsSparse(1), "closed");
            }
        }
    }

    @Test
    void aDenseMaskAboveTheCrossoverStaysOnTheDenseProduct() {
        try (Tensor w = cpu.zeros(io.prune4j.tensor.DType.FLOAT32, 4, 4);
             Tensor m = cpu.fromArray(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, 4, 4);
             SparseMatrix s = cpu.sparse(w, m)) {
            assertEquals(14.0 / 16, s.density(), 0);
            assertFalse(cpu.sparseFaster(s, 1) || cpu.sparseFaster(s, 256));
        }
    }
}
