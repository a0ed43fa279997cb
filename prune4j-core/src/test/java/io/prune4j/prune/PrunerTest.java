package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Naive;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Schedules end to end on a small learnable problem. */
class PrunerTest {
    private final Backend cpu = new CpuBackend(1);
    private DeviceData train;
    private DeviceData test;
    private Graph initial;
    private Graph net;

    /** Four Gaussian blobs in 12 dimensions. */
    private static Dataset blobs(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        SplittableRandom centres = new SplittableRandom(99);
        float[][] c = new float[4][12];
        for (float[] row : c) {
            for (int j = 0; j < 12; j++) {
                row[j] = (float) (centres.nextDouble() * 4 - 2);
            }
        }
        float[] x = new float[n * 12];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(4);
            for (int j = 0; j < 12; j++) {
                x[i * 12 + j] = c[y[i]][j] + (float) ((rng.nextDouble() - 0.5) * 2);
            }
        }
        return new Dataset("blobs", x, y, n, 12, 4);
    }

    @BeforeEach
    void trainBaseline() {
        train = DeviceData.upload(cpu, blobs(600, 1));
        test = DeviceData.upload(cpu, blobs(200, 2));
        net = Models.mlp(cpu, 12, new int[] {32, 16}, 4, 7);
        initial = net.copy();
        try (Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(5).optBatchSize(32).optLearningRate(0.01f).build())) {
            t.fit(train, null, io.prune4j.train.TrainListener.NONE);
        }
        assertTrue(Trainer.evaluate(net, test).accuracy() > 0.9, "baseline learns the blobs");
    }

    private PruneConfig config(Criterion c, boolean structured, Schedule s, double sparsity, int rounds, int epochs, boolean rewind,
                               float distillT) {
        TrainConfig ft = TrainConfig.builder().optEpochs(epochs).optBatchSize(32).optLearningRate(0.005f).build();
        return new PruneConfig(c, structured, Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, sparsity), s, rounds, ft,
                distillT, 0.5f, rewind, 3, 5, false, false, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of());
    }

    @Test
    void oneShotStructuredCompactsToTheTarget() {
        Pruner.Outcome o = new Pruner(config(Criterion.TAYLOR, true, Schedule.ONESHOT, 0.5, 1, 1, false, 0), null).run(net, null, train, test);
        assertEquals(16, ((Dense) net.layers().get(0)).outFeatures());
        assertEquals(8, ((Dense) net.layers().get(1)).outFeatures());
        assertEquals(12 * 16 + 16 + 16 * 8 + 8 + 8 * 4 + 4, net.parameterCount());
        assertEquals(1, o.rounds().size());
        assertTrue(o.rounds().get(0).test().accuracy() > 0.85, "accuracy after pruning: " + o.rounds().get(0).test());
    }

    @Test
    void unstructuredMasksStayZeroThroughFineTuning() {
        new Pruner(config(Criterion.MAGNITUDE, false, Schedule.ONESHOT, 0.8, 1, 2, false, 0), null).run(net, null, train, test);
        for (Parameter p : net.parameters()) {
            if (p.mask() == null) {
                continue;
            }
            float[] w = p.value().toFloatArray();
            float[] m = p.mask().toFloatArray();
            int zeros = 0;
            for (int i = 0; i < w.length; i++) {
                if (m[i] == 0) {
                    assertEquals(0f, w[i], 0f, "masked weight moved");
                    zeros++;
                }
            }
            assertEquals(Math.round(0.8 * w.length), zeros);
        }
    }

    @Test
    void iterativeReachesTheTargetInRounds() {
        Pruner.Outcome o = new Pruner(config(Criterion.OBD, true, Schedule.ITERATIVE, 0.75, 3, 1, false, 0), null)
                .run(net, null, train, test);
        assertEquals(3, o.rounds().size());
        double[] targets = o.rounds().stream().mapToDouble(Pruner.Round::target).toArray();
        Check.close("round targets", new double[] {1 - Math.pow(0.25, 1 / 3.0), 1 - Math.pow(0.25, 2 / 3.0), 0.75},
                new float[] {(float) targets[0], (float) targets[1], (float) targets[2]}, 1e-6, 1e-6);
        assertEquals(8, ((Dense) net.layers().get(0)).outFeatures());
        assertEquals(4, ((Dense) net.layers().get(1)).outFeatures());
    }

    @Test
    void gradualFollowsTheCubicScheduleToTheTarget() {
        Pruner.Outcome o = new Pruner(config(Criterion.MAGNITUDE, false, Schedule.GRADUAL, 0.9, 4, 3, false, 0), null)
                .run(net, null, train, test);
        List<Pruner.Round> r = o.rounds();
        for (int k = 1; k <= 4; k++) {
            double expected = 0.9 + (0 - 0.9) * Math.pow(1 - k / 4.0, 3);
            assertEquals(expected, r.get(k - 1).target(), 1e-9);
        }
        assertEquals(4, r.size(), "one row per pruning step");
        assertTrue(r.get(3).test() != null, "the last step carries the final test metrics");
        long weights = 0;
        long kept = 0;
        for (int i = 0; i < 3; i++) {
            Parameter w = ((Dense) net.layers().get(i)).weight();
            weights += w.size();
            kept += Pruner.nonzero(w);
        }
        assertEquals(0.9, 1 - (double) kept / weights, 0.01);
    }

    @Test
    void gradualStructuredCompactsAtTheEnd() {
        new Pruner(config(Criterion.TAYLOR, true, Schedule.GRADUAL, 0.5, 3, 2, false, 0), null).run(net, null, train, test);
        assertEquals(16, ((Dense) net.layers().get(0)).outFeatures());
        assertEquals(8, ((Dense) net.layers().get(1)).outFeatures());
    }

    @Test
    void rewindingResetsSurvivorsToTheirInitialValues() {
        PruneConfig cfg = config(Criterion.MAGNITUDE, false, Schedule.ONESHOT, 0.5, 1, 0, true, 0);
        new Pruner(cfg, null).run(net, initial, train, test);
        List<Parameter> now = net.parameters();
        List<Parameter> init = initial.parameters();
        for (int i = 0; i < now.size(); i++) {
            float[] w = now.get(i).value().toFloatArray();
            float[] w0 = init.get(i).value().toFloatArray();
            float[] m = now.get(i).mask() == null ? null : now.get(i).mask().toFloatArray();
            for (int j = 0; j < w.length; j++) {
                assertEquals(m == null || m[j] != 0 ? w0[j] : 0f, w[j], 0f);
            }
        }
        assertThrows(InvalidSettingException.class, () -> new Pruner(cfg, null).run(net, null, train, test));
    }

    @Test
    void distillationFineTunesAndItsGradientMatchesFiniteDifferences() {
        Pruner.Outcome o = new Pruner(config(Criterion.TAYLOR, true, Schedule.ONESHOT, 0.5, 1, 1, false, 3f), null)
                .run(net, null, train, test);
        assertTrue(o.rounds().get(0).test().accuracy() > 0.85);

        SplittableRandom rng = new SplittableRandom(3);
        int rows = 3;
        int classes = 5;
        float[] s = Check.randn(rng, rows * classes, 3);
        float[] t = Check.randn(rng, rows * classes, 3);
        int[] y = Check.randint(rng, rows, classes);
        float temp = 2.5f;
        float alpha = 0.7f;
        Tensor grad = cpu.zeros(DType.FLOAT32, rows, classes);
        Tensor metrics = cpu.zeros(DType.FLOAT32, 2);
        cpu.distillation(grad, metrics, cpu.fromArray(s, rows, classes), cpu.fromArray(t, rows, classes), cpu.fromArray(y, rows), temp,
                alpha, 1f / rows);
        double[] sd = Naive.toDouble(s);
        double[] td = Naive.toDouble(t);
        java.util.function.DoubleSupplier loss = () -> distillLoss(sd, td, y, rows, classes, temp, alpha);
        assertEquals(loss.getAsDouble() * rows, metrics.toFloatArray()[0], 1e-4);
        double[] fd = new double[sd.length];
        for (int i = 0; i < sd.length; i++) {
            double v = sd[i];
            sd[i] = v + 1e-6;
            double up = loss.getAsDouble();
            sd[i] = v - 1e-6;
            double down = loss.getAsDouble();
            sd[i] = v;
            fd[i] = (up - down) / 2e-6;
        }
        Check.close("distillation gradient", fd, grad.toFloatArray(), 1e-5, 1e-4);
    }

    /** Mean over rows of (1−α)·CE + α·T²·KL(softmax(t/T) ‖ softmax(s/T)), in double. */
    private static double distillLoss(double[] s, double[] t, int[] y, int rows, int classes, double temp, double alpha) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double[] p = new double[classes];
            double[] q = new double[classes];
            double zs = 0;
            double zt = 0;
            for (int c = 0; c < classes; c++) {
                p[c] = Math.exp(s[r * classes + c] / temp);
                q[c] = Math.exp(t[r * classes + c] / temp);
                zs += p[c];
                zt += q[c];
            }
            double kl = 0;
            for (int c = 0; c < classes; c++) {
                kl += q[c] / zt * Math.log((q[c] / zt) / (p[c] / zs));
            }
            double[] row = java.util.Arrays.copyOfRange(s, r * classes, (r + 1) * classes);
            double ce = Naive.crossEntropy(row, new int[] {y[r]}, 1, classes);
            total += (1 - alpha) * ce + alpha * temp * temp * kl;
        }
        return total / rows;
    }

    @Test
    void builderRequiresACriterionAndKeepsDefaults() {
        assertTrue(assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().build()).getMessage().contains("setCriterion"));
        PruneConfig c = PruneConfig.builder().setCriterion(Criterion.OBD).build();
        assertTrue(c.structured());
        assertEquals(Schedule.ONESHOT, c.schedule());
        assertEquals(0.5, c.ranking().value(), 0);
        assertEquals(2, c.finetune().epochs());
        assertTrue(!c.distill() && !c.rewind() && !c.biasCompensation());
    }

    @Test
    void configurationErrorsNameTheProblem() {
        TrainConfig ft = TrainConfig.builder().optEpochs(1).build();
        Ranking.Config count = new Ranking.Config(Ranking.Scope.LAYER, Normalization.L2, Ranking.Mode.COUNT, 3, 1, 1);
        assertTrue(assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.TAYLOR, true, count, Schedule.ITERATIVE, 3, ft, 0, 0.5f, false, 3, 1, false, false, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()))
                .getMessage().contains("target sparsity"));
        Ranking.Config half = Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5);
        assertTrue(assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.APOZ, false, half, Schedule.ONESHOT, 1, ft, 0, 0.5f, false, 3, 1, false, false, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()))
                .getMessage().contains("scores units only"));
        assertTrue(assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.TAYLOR, true, half, Schedule.GRADUAL, 3, ft, 0, 0.5f, true, 3, 1, false, false, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()))
                .getMessage().contains("rewinding"));
    }

    @Test
    void withoutATestSetNoRoundCarriesTestMetricsAtAnyFineTuning() {
        for (boolean structured : new boolean[] {true, false}) {
            for (int epochs : new int[] {0, 1}) {
                for (Schedule s : new Schedule[] {Schedule.ONESHOT, Schedule.ITERATIVE, Schedule.GRADUAL}) {
                    if (s == Schedule.GRADUAL && epochs == 0) {
                        continue;
                    }
                    List<io.prune4j.train.EpochResult> seen = new java.util.ArrayList<>();
                    try (Graph copy = net.copy()) {
                        Pruner.Listener listener = new Pruner.Listener() {
                            @Override
                            public void epochDone(io.prune4j.train.EpochResult r) {
                                seen.add(r);
                            }
                        };
                        PruneConfig cfg = config(Criterion.TAYLOR, structured, s, 0.5, 2, epochs, false, 0);
                        Pruner.Outcome o = new Pruner(cfg, listener).run(copy, null, train, null);
                        String what = (structured ? "structured " : "unstructured ") + s + ", " + epochs + " epochs";
                        assertTrue(!o.rounds().isEmpty(), what);
                        for (Pruner.Round r : o.rounds()) {
                            assertEquals(null, r.test(), what);
                            assertEquals(null, r.beforeFinetune(), what);
                        }
                        assertEquals(epochs == 0 ? 0 : s == Schedule.ITERATIVE ? 2 : 1, seen.size(), what);
                        for (io.prune4j.train.EpochResult r : seen) {
                            assertEquals(null, r.test(), what);
                        }
                    }
                }
            }
        }
    }

    @Test
    void withoutTrainingDataOnlyARunThatReadsNoneIsAccepted() {
        PruneConfig scoredOnData = config(Criterion.TAYLOR, false, Schedule.ONESHOT, 0.5, 1, 0, false, 0);
        assertTrue(assertThrows(InvalidSettingException.class, () -> new Pruner(scoredOnData, null).run(net, null, null, test))
                .getMessage().contains("criterion taylor scores on calibration batches"));
        PruneConfig fineTuned = config(Criterion.MAGNITUDE, false, Schedule.ONESHOT, 0.5, 1, 1, false, 0);
        assertTrue(assertThrows(InvalidSettingException.class, () -> new Pruner(fineTuned, null).run(net, null, null, test))
                .getMessage().contains("fine-tuning runs 1 epoch"));
        Pruner.Outcome o = new Pruner(config(Criterion.MAGNITUDE, false, Schedule.ONESHOT, 0.5, 1, 0, false, 0), null)
                .run(net, null, null, test);
        assertTrue(o.rounds().get(0).test() != null, "data-free pruning still evaluates on the test set");
    }

    @Test
    void nullsThatHaveNoMeaningAreRefusedAtTheCall() {
        PruneConfig cfg = config(Criterion.MAGNITUDE, false, Schedule.ONESHOT, 0.5, 1, 0, false, 0);
        assertEquals("cfg", assertThrows(NullPointerException.class, () -> new Pruner(null, null)).getMessage());
        assertEquals("net", assertThrows(NullPointerException.class, () -> new Pruner(cfg, null).run(null, null, train, test))
                .getMessage());
        assertEquals("net", assertThrows(NullPointerException.class, () -> Pruner.nonzero((Graph) null)).getMessage());
        assertEquals("p", assertThrows(NullPointerException.class, () -> Pruner.nonzero((Parameter) null)).getMessage());
        assertEquals("v", assertThrows(NullPointerException.class, () -> PruneConfig.builder().setCriterion(null)).getMessage());
        assertEquals("v", assertThrows(NullPointerException.class, () -> PruneConfig.builder().optRanking(null)).getMessage());
        assertEquals("v", assertThrows(NullPointerException.class, () -> PruneConfig.builder().optSchedule(null, 1)).getMessage());
        assertEquals("v", assertThrows(NullPointerException.class, () -> PruneConfig.builder().optFinetune(null)).getMessage());
        assertEquals("v", assertThrows(NullPointerException.class, () -> PruneConfig.builder().optGroupReduction(null)).getMessage());
        assertThrows(NullPointerException.class, () -> Criterion.parse(null));
        assertThrows(NullPointerException.class, () -> Schedule.parse(null));
        assertEquals("teacher", assertThrows(NullPointerException.class, () -> new Distillation(null, 2, 0.5f)).getMessage());
        // the nullable settings: null means none
        PruneConfig none = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optKeep(null).optNodeSparsity(null).optPattern(null)
                .optBudget(null, 1).build();
        assertTrue(none.keep().isEmpty() && none.nodeSparsity().isEmpty() && none.pattern() == null && none.budget() == null);
    }

    @Test
    void theConstructorAndTheBuilderRefuseAMissingCriterionAlike() {
        String viaBuilder = assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().build()).getMessage();
        TrainConfig ft = TrainConfig.builder().optEpochs(1).build();
        Ranking.Config half = Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5);
        String viaConstructor = assertThrows(InvalidSettingException.class, () -> new PruneConfig(null, true, half, Schedule.ONESHOT, 1,
                ft, 0, 0.5f, false, 3, 1, false, false, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1,
                java.util.Map.of())).getMessage();
        assertEquals(viaBuilder, viaConstructor);
        assertTrue(viaConstructor.contains("setCriterion"));
    }

    @Test
    void layerwiseCriteriaNameTheGuardsInLibraryTerms() {
        Ranking.Config guarded = new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.RATIO, 0.5, 2, 1);
        String msg = assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.WANDA)
                .optStructured(false).optRanking(guarded).optFinetune(TrainConfig.builder().optEpochs(0).build()).build()).getMessage();
        assertEquals("wanda prunes every layer to the same sparsity: the minimum kept per layer and the maximum per-layer pruning ratio"
                + " do not apply", msg);
    }

    @Test
    void roundsAndOutcomesRefuseImpossibleCounts() {
        assertThrows(IllegalArgumentException.class, () -> new Pruner.Round(0, 0.5, 10, 5, 20, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Pruner.Round(1, 0.5, 10, 11, 20, null, null));
        assertThrows(IllegalArgumentException.class, () -> new Pruner.Round(1, 0.5, 10, 5, -1, null, null));
        Pruner.Round r = new Pruner.Round(1, 0.5, 10, 5, 20, null, null);
        assertEquals("rounds", assertThrows(NullPointerException.class, () -> new Pruner.Outcome(null, 0, 0, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Pruner.Outcome(List.of(r), -1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Pruner.Outcome(List.of(r), 0, Double.NaN, 0));
        List<Pruner.Round> mutable = new java.util.ArrayList<>(List.of(r));
        Pruner.Outcome o = new Pruner.Outcome(mutable, 0, 0, 0);
        mutable.clear();
        assertEquals(1, o.rounds().size(), "the outcome keeps its own copy");
        assertThrows(UnsupportedOperationException.class, () -> o.rounds().clear());
    }
}
