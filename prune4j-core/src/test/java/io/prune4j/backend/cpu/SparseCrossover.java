package io.prune4j.backend.cpu;

import io.prune4j.backend.SparseMatrix;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Where the sparse product overtakes OpenBLAS's sgemm (not a test: run it by hand): for the default
 * MLP's layer shapes, batch 1 and 256, a range of densities, the two products timed in alternating
 * rounds in one JVM (so that what else loads the machine loads both alike), printing the median
 * dense/sparse time ratio: above 1, the sparse product is faster. {@link CpuBackend#CROSSOVER_B1}
 * and {@link CpuBackend#CROSSOVER_BATCH} come from its output (docs/sparsity.md).
 *
 * <pre>
 *   java -cp target/classes:target/test-classes:target/lib/* io.prune4j.backend.cpu.SparseCrossover [THREADS [conv]]
 *   (conv: the default CNN's two convolutions, 1→64 on 28×28 and 64→128 on 14×14, 3×3, batch 1 and 64,
 *   the dense convolution (oneDNN's where it loads) against the sparse one)
 * </pre>
 */
public final class SparseCrossover {
    private SparseCrossover() {}

    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        if (args.length > 1 && args[1].equals("conv")) {
            conv(threads);
            return;
        }
        int[][] shapes = {{300, 784}, {100, 300}, {10, 100}};
        double[] densities = {0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.4, 0.5};
        SplittableRandom rng = new SplittableRandom(1);
        try (CpuBackend cpu = new CpuBackend(threads)) {
            for (int batch : new int[] {1, 256}) {
                for (int[] shape : shapes) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "batch %3d [%3d, %3d]:", batch, shape[0], shape[1]));
                    for (double d : densities) {
                        line.append(String.format(Locale.ROOT, "  %.2f %5.2fx", d, ratio(cpu, rng, shape[0], shape[1], batch, d)));
                    }
                    System.out.println(line);
                }
            }
        }
    }

    private static void conv(int threads) {
        int[][] shapes = {{1, 64, 28}, {64, 128, 14}};
        double[] densities = {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5};
        SplittableRandom rng = new SplittableRandom(2);
        try (CpuBackend cpu = new CpuBackend(threads)) {
            for (int batch : new int[] {1, 64}) {
                for (int[] sh : shapes) {
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "conv batch %2d %3d→%3d on %dx%d:", batch, sh[0], sh[1],
                            sh[2], sh[2]));
                    for (double d : densities) {
                        line.append(String.format(Locale.ROOT, "  %.2f %5.2fx", d, convRatio(cpu, rng, batch, sh[0], sh[1], sh[2], d)));
                    }
                    System.out.println(line);
                }
            }
        }
    }

    private static double convRatio(CpuBackend cpu, SplittableRandom rng, int batch, int in, int out, int hw, double density) {
        int k = in * 9;
        float[] w = new float[out * k];
        float[] m = new float[out * k];
        for (int i = 0; i < w.length; i++) {
            m[i] = rng.nextDouble() < density ? 1 : 0;
            w[i] = m[i] * (float) rng.nextGaussian();
        }
        float[] x = new float[batch * in * hw * hw];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.max(0, rng.nextGaussian());
        }
        try (Tensor wt = cpu.fromArray(w, out, in, 3, 3);
             Tensor w2 = cpu.reshape(wt, out, k);
             Tensor mt = cpu.fromArray(m, out, k);
             Tensor xt = cpu.fromArray(x, batch, in, hw, hw);
             Tensor y = cpu.zeros(DType.FLOAT32, batch, out, hw, hw);
             SparseMatrix s = cpu.sparse(w2, mt)) {
            int reps = (int) Math.max(5, 2e8 / ((double) batch * out * k * hw * hw));
            double[] r = new double[11];
            for (int round = -4; round < r.length; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    cpu.conv2d(y, xt, wt, null, 1, 1, 1, true);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    cpu.sparseConv2d(y, xt, s, null, 3, 3, 1, 1, true);
                }
                long t2 = System.nanoTime();
                if (round >= 0) {
                    r[round] = (double) (t1 - t0) / (t2 - t1);
                }
            }
            java.util.Arrays.sort(r);
            return r[r.length / 2];
        }
    }

    /** Median over rounds of (dense time / sparse time) for one shape and density. */
    private static double ratio(CpuBackend cpu, SplittableRandom rng, int rows, int cols, int batch, double density) {
        float[] w = new float[rows * cols];
        float[] m = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            m[i] = rng.nextDouble() < density ? 1 : 0;
            w[i] = m[i] * (float) rng.nextGaussian();
        }
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.max(0, rng.nextGaussian());
        }
        try (Tensor wt = cpu.fromArray(w, rows, cols);
             Tensor mt = cpu.fromArray(m, rows, cols);
             Tensor xt = cpu.fromArray(x, batch, cols);
             Tensor y = cpu.zeros(DType.FLOAT32, batch, rows);
             SparseMatrix s = cpu.sparse(wt, mt)) {
            // enough repeats per round for a few milliseconds of work
            int reps = (int) Math.max(20, 2e7 / ((double) batch * rows * cols));
            double[] r = new double[15];
            for (int round = -5; round < r.length; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    cpu.gemm(y, xt, false, wt, true, 1f, 0f);
                }
                long t1 = System.nanoTime();
                for (int i = 0; i < reps; i++) {
                    cpu.sparseMatmul(y, xt, s);
                }
                long t2 = System.nanoTime();
                if (round >= 0) {
                    r[round] = (double) (t1 - t0) / (t2 - t1);
                }
            }
            java.util.Arrays.sort(r);
            return r[r.length / 2];
        }
    }
}
