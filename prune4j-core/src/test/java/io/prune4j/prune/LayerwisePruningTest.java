package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Wanda against a brute-force reference, SparseGPT's reconstruction against magnitude's, both through the Pruner. */
class LayerwisePruningTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    /** {@code n} correlated inputs {@code [n, d]}: a random mixing of independent draws of uneven scales (Hessians far from diagonal). */
    private static double[] correlated(SplittableRandom rng, int n, int d) {
        double[] mix = new double[d * d];
        for (int i = 0; i < mix.length; i++) {
            mix[i] = rng.nextGaussian();
        }
        double[] x = new double[n * d];
        double[] z = new double[d];
        for (int e = 0; e < n; e++) {
            for (int k = 0; k < d; k++) {
                z[k] = rng.nextGaussian() * (0.2 + 3.0 * k / d);
            }
            for (int j = 0; j < d; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += mix[j * d + k] * z[k];
                }
                x[e * d + j] = s + 0.5; // a shared offset, as ReLU activations have
            }
        }
        return x;
    }

    /** {@code ‖W Xᵀ − Ŵ Xᵀ‖_F²} for {@code W, Ŵ [rows, d]} and {@code X [n, d]}. */
    private static double error(double[] w, double[] hat, int rows, int d, double[] x, int n) {
        double sum = 0;
        for (int e = 0; e < n; e++) {
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += (w[r * d + j] - hat[r * d + j]) * x[e * d + j];
                }
                sum += s * s;
            }
        }
        return sum;
    }

    private static double[] gram(double[] x, int n, int d) {
        double[] h = new double[d * d];
        for (int e = 0; e < n; e++) {
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    h[i * d + j] += x[e * d + i] * x[e * d + j] / n;
                }
            }
        }
        return h;
    }

    @Test
    void upperCholeskyOfTheInverseFactorsTheInverse() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int d : new int[] {1, 2, 7, 33}) {
            double[] h = gram(correlated(rng, 4 * d + 8, d), 4 * d + 8, d);
            for (int i = 0; i < d; i++) {
                h[i * d + i] += 0.01;
            }
            double[] u = SparseGpt.upperCholeskyOfInverse(h, d);
            for (int i = 0; i < d; i++) { // (UᵀU) H = I, and U is upper triangular
                for (int j = 0; j < d; j++) {
                    if (i > j) {
                        assertEquals(0, u[i * d + j], 0, "U is upper triangular");
                    }
                    double s = 0;
                    for (int k = 0; k < d; k++) {
                        double inv = 0;
                        for (int t = 0; t < d; t++) {
                            inv += u[t * d + i] * u[t * d + k];
                        }
                        s += inv * h[k * d + j];
                    }
                    assertEquals(i == j ? 1 : 0, s, 1e-8, "d " + d + " (" + i + ", " + j + ")");
                }
            }
        }
    }

    /** Magnitude's mask for the same target: per layer (unstructured), or the 2 largest |w| of each 4. */
    private static double[] magnitude(double[] w, double sparsity, NmPattern p) {
        float[] abs = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            abs[i] = (float) Math.abs(w[i]);
        }
        float[] keep = p != null ? NmPattern.keepTopInGroups(abs, p.m(), p.n())
                : NmPattern.keepTopInGroups(abs, abs.length, abs.length - (int) Math.round(sparsity * abs.length));
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] * keep[i];
        }
        return out;
    }

    @Test
    void sparseGptReconstructsTheLayerOutputBetterThanMagnitude() {
        SplittableRandom rng = new SplittableRandom(17);
        int rows = 24;
        int d = 160; // more than one block of 128 columns, and not a multiple of it
        int n = 600;
        double[] x = correlated(rng, n, d);
        double[] w = new double[rows * d];
        for (int i = 0; i < w.length; i++) {
            w[i] = rng.nextGaussian();
        }
        for (NmPattern p : new NmPattern[] {null, new NmPattern(2, 4)}) {
            double[] hat = w.clone();
            float[] keep = SparseGpt.prune(hat, rows, d, gram(x, n, d), 0.5, p, null, 0.01);
            int kept = 0;
            for (int i = 0; i < keep.length; i++) {
                kept += keep[i] != 0 ? 1 : 0;
                if (keep[i] == 0) {
                    assertEquals(0, hat[i], 0, "a pruned weight ends at zero");
                }
            }
            assertEquals(rows * d / 2, kept, "half the weights stay");
            if (p != null) {
                float[] f = new float[keep.length];
                System.arraycopy(keep, 0, f, 0, keep.length);
                assertTrue(p.holds(f), "2:4 in every row");
            }
            double sparseGpt = error(w, hat, rows, d, x, n);
            double mag = error(w, magnitude(w, 0.5, p), rows, d, x, n);
            // the OBS update takes off a good part of the error, not a few percent (0.59 of magnitude's at 50% here; SparseGPT
            // is not the least-squares optimum on its mask, which is 0.27: the update of column j only reaches columns after j)
            assertTrue(sparseGpt < 0.75 * mag, (p == null ? "50%" : "2:4") + ": SparseGPT " + sparseGpt + " against magnitude " + mag);
        }
    }

    @Test
    void sparseGptKeepsWhatAPriorMaskRemoved() {
        SplittableRandom rng = new SplittableRandom(5);
        int rows = 6;
        int d = 16;
        double[] x = correlated(rng, 80, d);
        double[] w = new double[rows * d];
        float[] prior = new float[rows * d];
        for (int i = 0; i < w.length; i++) {
            prior[i] = rng.nextInt(4) == 0 ? 0 : 1;
            w[i] = prior[i] * rng.nextGaussian();
        }
        float[] keep = SparseGpt.prune(w, rows, d, gram(x, 80, d), 0.6, null, prior, 0.01);
        for (int i = 0; i < keep.length; i++) {
            assertTrue(prior[i] != 0 || keep[i] == 0, "entry " + i + " was pruned before and stays pruned");
        }
    }

    /** Examples of 12 features, a multiple of the calibration batch so that calibration reads every one of them. */
    private static Dataset data(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * 12];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 12; j++) {
                x[i * 12 + j] = (float) (rng.nextGaussian() * (0.1 + j * 0.3)); // uneven scales: the norms matter
            }
            y[i] = rng.nextInt(3);
        }
        return new Dataset("noise", x, y, n, 12, 3);
    }

    @Test
    void wandaMatchesABruteForceReferenceLayerByLayer() {
        int n = 2 * Calibration.BATCH;
        Dataset ds = data(n, 1);
        for (NmPattern p : new NmPattern[] {null, new NmPattern(2, 4)}) {
            try (DeviceData train = DeviceData.upload(cpu, ds);
                 Graph net = Models.mlp(cpu, 12, new int[] {8}, 3, 4)) {
                Dense fc1 = (Dense) net.layers().get(0);
                Dense fc2 = (Dense) net.layers().get(1);
                float[] w1 = fc1.weight().value().toFloatArray();
                float[] b1 = fc1.bias().value().toFloatArray();
                float[] w2 = fc2.weight().value().toFloatArray();
                PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.WANDA).optStructured(false).optPattern(p)
                        .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, io.prune4j.backend.Normalization.NONE, 0.5))
                        .optCalibrationBatches(2).optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
                new Pruner(cfg, null).run(net, null, train, null);
                float[] m1 = reference(w1, 8, 12, ds.features(), n, p);
                assertArrayEquals(m1, fc1.weight().mask().toFloatArray(), "fc1 " + p);
                // fc2's inputs are those of the network with fc1 already pruned: relu(x·(W1∘M1)ᵀ + b1)
                float[] h = new float[n * 8];
                for (int e = 0; e < n; e++) {
                    for (int o = 0; o < 8; o++) {
                        double s = b1[o];
                        for (int j = 0; j < 12; j++) {
                            s += ds.features()[e * 12 + j] * w1[o * 12 + j] * m1[o * 12 + j];
                        }
                        h[e * 8 + o] = (float) Math.max(0, s);
                    }
                }
                assertArrayEquals(reference(w2, 3, 8, h, n, p), fc2.weight().mask().toFloatArray(), "fc2 " + p);
                float[] m2 = fc2.weight().mask().toFloatArray();
                float[] v2 = fc2.weight().value().toFloatArray();
                for (int i = 0; i < w2.length; i++) {
                    assertEquals(w2[i] * m2[i], v2[i], 0, "Wanda does not change the weights it keeps");
                }
            }
        }
    }

    /** Wanda by its definition: per row, the highest |w_ij|·sqrt(Σ_e x_ej²) stay (half of them, or 2 of each 4), ties to the lower index. */
    private static float[] reference(float[] w, int rows, int cols, float[] x, int n, NmPattern p) {
        double[] norm = new double[cols];
        for (int j = 0; j < cols; j++) {
            double s = 0;
            for (int e = 0; e < n; e++) {
                s += (double) x[e * cols + j] * x[e * cols + j];
            }
            norm[j] = Math.sqrt(s);
        }
        float[] mask = new float[w.length];
        int group = p == null ? cols : p.m();
        int keep = p == null ? cols / 2 : p.n();
        for (int g = 0; g < w.length; g += group) {
            for (int i = g; i < g + group; i++) {
                double si = Math.abs(w[i]) * norm[i % cols];
                int beaten = 0;
                for (int k = g; k < g + group; k++) {
                    double sk = Math.abs(w[k]) * norm[k % cols];
                    if (sk > si || (sk == si && k < i)) {
                        beaten++;
                    }
                }
                mask[i] = beaten < keep ? 1 : 0;
            }
        }
        return mask;
    }

    @Test
    void bothRunOnConvolutionsThroughThePrunerAndKeepTheirMasksThroughFineTuning() {
        for (Criterion c : new Criterion[] {Criterion.WANDA, Criterion.SPARSEGPT}) {
            SplittableRandom rng = new SplittableRandom(9);
            int n = 256;
            float[] x = new float[n * 4 * 6 * 6];
            int[] y = new int[n];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.max(0, rng.nextGaussian());
            }
            for (int i = 0; i < n; i++) {
                y[i] = rng.nextInt(4);
            }
            try (DeviceData train = DeviceData.upload(cpu, new Dataset("img", x, y, n, 144, 4));
                 Graph net = Models.cnn(cpu, new int[] {4, 6, 6}, new int[] {8}, 16, 4, 3)) {
                NmPattern p = new NmPattern(2, 4);
                PruneConfig cfg = PruneConfig.builder().setCriterion(c).optStructured(false).optPattern(p).optCalibrationBatches(2)
                        .optFinetune(TrainConfig.builder().optEpochs(1).optBatchSize(32).build()).build();
                Pruner.Outcome o = new Pruner(cfg, null).run(net, null, train, null);
                for (Layer l : net.layers()) {
                    if (l instanceof WeightLayer w) {
                        float[] mask = w.weight().mask().toFloatArray();
                        assertTrue(p.holds(mask), c + ": " + l.name() + " keeps 2:4 after fine-tuning");
                        float[] v = w.weight().value().toFloatArray();
                        for (int i = 0; i < v.length; i++) {
                            assertTrue(mask[i] != 0 || v[i] == 0, c + ": " + l.name() + " weight " + i);
                        }
                    }
                }
                assertEquals(0.5, o.rounds().get(0).target(), 0);
            }
        }
    }

    @Test
    void settingsThatDoNotApplyAreRefusedInOneLine() {
        TrainConfig none = TrainConfig.builder().optEpochs(0).build();
        String global = assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.WANDA)
                .optStructured(false).optRanking(Ranking.Config.ratio(Ranking.Scope.GLOBAL, io.prune4j.backend.Normalization.NONE, 0.5))
                .optFinetune(none).build()).getMessage();
        assertEquals("wanda prunes each layer on its own (comparing weights within each output row): rank within each layer, not globally", global);
        assertTrue(assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.SPARSEGPT)
                .optFinetune(none).build()).getMessage().contains("single weights only"), "structured");
        assertTrue(assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.SPARSEGPT)
                .optStructured(false).optReconstruct(true).optFinetune(none).build()).getMessage().contains("cannot be combined with reconstruct"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.WANDA)
                .optStructured(false).optRanking(new Ranking.Config(Ranking.Scope.LAYER, io.prune4j.backend.Normalization.NONE,
                        Ranking.Mode.THRESHOLD, 0.1, 1, 1)).optFinetune(none).build()).getMessage().contains("not to a threshold"));
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 1, 3, 2, 2);
        g.dense("fc", g.flatten("flat", g.depthwise("dw", Graph.INPUT, 1, 1, 0)), 3);
        try (DeviceData train = DeviceData.upload(cpu, data(128, 3));
             Graph net = g.build()) {
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.WANDA).optStructured(false).optFinetune(none).build();
            String msg = assertThrows(InvalidSettingException.class, () -> new Pruner(cfg, null).run(net, null, train, null)).getMessage();
            assertTrue(msg.startsWith("wanda prunes Dense layers and one-group convolutions; ") && msg.endsWith("keep dw out of pruning"), msg);
        }
    }
}
