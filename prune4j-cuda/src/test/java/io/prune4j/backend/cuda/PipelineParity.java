package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.TransferStats;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.prune.Schedule;
import io.prune4j.train.DeviceData;
import io.prune4j.train.EpochResult;
import io.prune4j.train.Metrics;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainListener;
import io.prune4j.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The whole pipeline on a reference backend and on the backend under test from the same seed:
 * training a tiny MLP and a tiny CNN (losses compared epoch by epoch), and structured Taylor
 * pruning (kept units, accuracy, and the number of device-to-host copies a run makes).
 *
 * <p>Written against two arbitrary backends, like {@link BackendParity}: {@code PipelineParitySelfTest}
 * runs it CPU against CPU everywhere, {@link CudaPipelineTest} CPU against CUDA.
 */
final class PipelineParity {
    private PipelineParity() {}

    /** Three Gaussian blobs in 20 dimensions, overlapping enough that accuracy is not trivially 1. */
    static Dataset blobs(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        SplittableRandom centres = new SplittableRandom(99);
        float[][] mu = new float[3][20];
        for (float[] m : mu) {
            for (int j = 0; j < 20; j++) m[j] = (float) centres.nextGaussian();
        }
        float[] x = new float[n * 20];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
            for (int j = 0; j < 20; j++) x[i * 20 + j] = mu[y[i]][j] + (float) (rng.nextGaussian() * 1.5);
        }
        return new Dataset("blobs", x, y, n, 20, 3);
    }

    /** The corner-patch images ({@link io.prune4j.data.CornerPatches}). */
    static Dataset patches(int n, long seed) {
        return io.prune4j.data.CornerPatches.generate(n, seed);
    }

    static Graph mlp(Backend b) {
        return Models.mlp(b, 20, new int[] {32, 16}, 3, 7);
    }

    static Graph cnn(Backend b) {
        return Models.cnn(b, new int[] {1, 8, 8}, new int[] {6, 8}, 10, 4, 5);
    }

    /** What one backend's training run gave: the untrained test metrics, then per epoch train and test metrics. */
    record Run(Metrics untrained, List<EpochResult> epochs) {}

    static Run train(Backend b, boolean conv, int epochs, TrainConfig cfg) {
        Dataset trainSet = conv ? patches(400, 1) : blobs(600, 1);
        Dataset testSet = conv ? patches(200, 2) : blobs(300, 2);
        try (DeviceData train = DeviceData.upload(b, trainSet); DeviceData test = DeviceData.upload(b, testSet);
             Graph net = conv ? cnn(b) : mlp(b); Trainer t = new Trainer(net, cfg.toBuilder().optEpochs(epochs).build())) {
            Metrics untrained = Trainer.evaluate(net, test);
            return new Run(untrained, t.fit(train, test, TrainListener.NONE));
        }
    }

    static TrainConfig trainConfig() {
        return TrainConfig.builder().optBatchSize(32).optLearningRate(0.01f).optSeed(11).build();
    }

    /**
     * Trains on both backends from the same seed and compares the untrained loss (one forward pass:
     * float rounding only) and every epoch's train and test loss and accuracy (a few hundred Adam
     * steps: rounding differences grow, but stay far below these bounds).
     */
    static void trainingMatches(Backend ref, Backend dut, boolean conv) {
        String what = conv ? "CNN" : "MLP";
        Run r = train(ref, conv, 3, trainConfig());
        Run d = train(dut, conv, 3, trainConfig());
        System.out.printf("[PipelineParity] %s untrained test loss %s %.6f, %s %.6f%n", what, ref.name(), r.untrained().loss(),
                dut.name(), d.untrained().loss());
        assertEquals(r.untrained().loss(), d.untrained().loss(), 1e-5 + 1e-5 * Math.abs(r.untrained().loss()),
                what + ": untrained test loss");
        assertEquals(r.untrained().accuracy(), d.untrained().accuracy(), 0.01, what + ": untrained test accuracy");
        for (int e = 0; e < r.epochs().size(); e++) {
            EpochResult a = r.epochs().get(e);
            EpochResult b = d.epochs().get(e);
            System.out.printf("[PipelineParity] %s epoch %d: train loss %.6f / %.6f, test loss %.6f / %.6f, test accuracy %.4f / %.4f"
                    + " (%s / %s)%n", what, e + 1, a.train().loss(), b.train().loss(), a.test().loss(), b.test().loss(),
                    a.test().accuracy(), b.test().accuracy(), ref.name(), dut.name());
            assertEquals(a.train().loss(), b.train().loss(), 1e-3 + 1e-2 * a.train().loss(), what + " epoch " + (e + 1) + " train loss");
            assertEquals(a.test().loss(), b.test().loss(), 1e-3 + 1e-2 * a.test().loss(), what + " epoch " + (e + 1) + " test loss");
            assertEquals(a.test().accuracy(), b.test().accuracy(), 0.03, what + " epoch " + (e + 1) + " test accuracy");
        }
        EpochResult last = r.epochs().get(r.epochs().size() - 1);
        assertTrue(last.test().accuracy() > (conv ? 0.9 : 0.8), what + " learns on " + ref.name() + ": " + last.test());
    }

    /** What a pruning run left: units per prunable layer before and after, the last round's test metrics, and the copies it made. */
    record Pruned(int[] unitsBefore, int[] unitsAfter, Metrics test, TransferStats copies, int rounds, int finetuneEpochs) {}

    static PruneConfig taylor(Schedule schedule, int rounds, int finetuneEpochs, boolean distill, boolean biasCompensation) {
        return taylor(Ranking.Scope.LAYER, schedule, rounds, finetuneEpochs, distill, biasCompensation);
    }

    static PruneConfig taylor(Ranking.Scope scope, Schedule schedule, int rounds, int finetuneEpochs, boolean distill,
                              boolean biasCompensation) {
        PruneConfig.Builder b = PruneConfig.builder().setCriterion(Criterion.TAYLOR).optStructured(true)
                .optRanking(Ranking.Config.ratio(scope, Normalization.L2, 0.5)).optSchedule(schedule, rounds)
                .optFinetune(TrainConfig.builder().optEpochs(finetuneEpochs).optBatchSize(32).optLearningRate(0.005f).optSeed(13).build())
                .optCalibrationBatches(2).optSeed(3).optBiasCompensation(biasCompensation);
        if (distill) {
            b.optDistillation(4f, 0.5f);
        }
        return b.build();
    }

    /** Trains a network on {@code b} (2 epochs), then runs {@code cfg} on it, counting the device-to-host copies of the pruning run alone. */
    static Pruned prune(Backend b, boolean conv, PruneConfig cfg) {
        Dataset trainSet = conv ? patches(400, 1) : blobs(600, 1);
        Dataset testSet = conv ? patches(200, 2) : blobs(300, 2);
        try (DeviceData train = DeviceData.upload(b, trainSet); DeviceData test = DeviceData.upload(b, testSet);
             Graph net = conv ? cnn(b) : mlp(b)) {
            try (Trainer t = new Trainer(net, trainConfig().toBuilder().optEpochs(conv ? 3 : 2).build())) {
                t.fit(train, null, TrainListener.NONE);
            }
            int[] before = units(net);
            TransferStats t0 = b.transfers();
            Pruner.Outcome o = new Pruner(cfg, null).run(net, null, train, test);
            TransferStats copies = b.transfers().minus(t0);
            Metrics m = o.rounds().get(o.rounds().size() - 1).test();
            return new Pruned(before, units(net), m, copies, o.rounds().size(), cfg.finetune().epochs());
        }
    }

    static int[] units(Graph net) {
        // every weight layer but the last (the classes): in these chains, the prunable ones
        List<Integer> layers = new java.util.ArrayList<>();
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof WeightLayer) {
                layers.add(i);
            }
        }
        layers.remove(layers.size() - 1);
        int[] u = new int[layers.size()];
        for (int j = 0; j < u.length; j++) u[j] = ((WeightLayer) net.layers().get(layers.get(j))).units();
        return u;
    }

    /**
     * Structured Taylor pruning, layer by layer, half of the units: the same units remain on both
     * backends (the counts are fixed by the ratio), the accuracy after fine-tuning agrees, and the
     * backend under test reads back only scalars, at most {@code 1 + E} copies per round for E
     * fine-tuning epochs, layer-wise or global: Compaction reads the keep counts of all
     * layers at once, and the Trainer one set of sums per epoch.
     */
    static void pruningMatches(Backend ref, Backend dut, boolean conv, PruneConfig cfg, String what) {
        Pruned r = prune(ref, conv, cfg);
        Pruned d = prune(dut, conv, cfg);
        String label = (conv ? "CNN " : "MLP ") + what;
        System.out.printf("[PipelineParity] %s: units %s -> %s on both; test accuracy %.4f (%s) / %.4f (%s); %s copied %d times, %d bytes"
                + " in %d round(s) of %d fine-tuning epoch(s)%n", label, java.util.Arrays.toString(d.unitsBefore()),
                java.util.Arrays.toString(d.unitsAfter()), r.test().accuracy(), ref.name(), d.test().accuracy(), dut.name(), dut.name(),
                d.copies().copies(), d.copies().bytes(), d.rounds(), d.finetuneEpochs());
        assertEquals(java.util.Arrays.toString(r.unitsAfter()), java.util.Arrays.toString(d.unitsAfter()), label + ": units kept");
        for (int j = 0; j < d.unitsBefore().length; j++) {
            assertTrue(d.unitsAfter()[j] < d.unitsBefore()[j], label + ": layer " + j + " lost units");
        }
        assertEquals(r.test().accuracy(), d.test().accuracy(), 0.05, label + ": test accuracy after pruning and fine-tuning");
        assertTrue(d.test().accuracy() > (conv ? 0.85 : 0.75), label + ": still works on " + dut.name() + ": " + d.test());
        // per round: the keep counts of all layers in one copy (compaction) and one copy per fine-tuning epoch (the
        // trainer brings its training sums, one sum per parameter tensor and the test sums back together)
        long bound = (long) d.rounds() * (1 + d.finetuneEpochs());
        assertTrue(d.copies().copies() <= bound, label + ": " + d.copies().copies() + " device-to-host copies, more than the "
                + bound + " (= rounds·(1 + epochs)) the pipeline needs");
        int parameterTensors = 2 * (d.unitsBefore().length + 1);
        long scalars = 4L * (4 + parameterTensors);
        assertTrue(d.copies().bytes() <= scalars * d.copies().copies(), label + ": " + d.copies().bytes() + " bytes in "
                + d.copies().copies() + " copies: more than a few scalars per copy came back");
    }

    /**
     * Least-squares reconstruction ({@code --reconstruct}) with no fine-tuning, structured (Taylor,
     * half the units, MLP and CNN) and unstructured (global magnitude, 70%): the refitted weights agree between
     * the backends (relative L2 difference under 1e-2: the solve amplifies the float differences of
     * training and of the Gram matrices) and so does the accuracy.
     */
    static void reconstructionMatches(Backend ref, Backend dut) {
        TrainConfig none = TrainConfig.builder().optEpochs(0).optSeed(13).build();
        PruneConfig structured = PruneConfig.builder().setCriterion(Criterion.TAYLOR)
                .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5)).optFinetune(none)
                .optCalibrationBatches(2).optSeed(3).optReconstruct(true).build();
        PruneConfig unstructured = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false)
                .optRanking(Ranking.Config.ratio(Ranking.Scope.GLOBAL, Normalization.NONE, 0.7)).optFinetune(none)
                .optCalibrationBatches(2).optSeed(3).optReconstruct(true).build();
        for (int run = 0; run < 3; run++) {
            boolean conv = run == 2; // the CNN: conv1 → conv2 on patches, conv2 → flatten → fc1, fc1 → fc2
            PruneConfig cfg = run == 1 ? unstructured : structured;
            String label = (conv ? "CNN" : "MLP") + " reconstruction, " + (cfg.structured() ? "structured" : "unstructured");
            float[][] w = new float[2][];
            double[] accuracy = new double[2];
            Backend[] sides = {ref, dut};
            for (int s = 0; s < 2; s++) {
                Backend b = sides[s];
                try (DeviceData train = DeviceData.upload(b, conv ? patches(400, 1) : blobs(600, 1));
                     DeviceData test = DeviceData.upload(b, conv ? patches(200, 2) : blobs(300, 2));
                     Graph net = conv ? cnn(b) : mlp(b)) {
                    try (Trainer t = new Trainer(net, trainConfig().toBuilder().optEpochs(conv ? 3 : 2).build())) {
                        t.fit(train, null, TrainListener.NONE);
                    }
                    TransferStats t0 = b.transfers();
                    Pruner.Outcome o = new Pruner(cfg, null).run(net, null, train, test);
                    accuracy[s] = o.rounds().get(0).test().accuracy();
                    if (s == 1) {
                        System.out.printf("[PipelineParity] %s: accuracy %.4f (%s) / %.4f (%s); %s copied %d times%n", label, accuracy[0],
                                ref.name(), accuracy[1], dut.name(), dut.name(), b.transfers().minus(t0).copies());
                    }
                    List<float[]> parts = new ArrayList<>();
                    int n = 0;
                    for (var p : net.parameters()) {
                        float[] v = b.toFloatArray(p.value());
                        parts.add(v);
                        n += v.length;
                    }
                    w[s] = new float[n];
                    int at = 0;
                    for (float[] v : parts) {
                        System.arraycopy(v, 0, w[s], at, v.length);
                        at += v.length;
                    }
                }
            }
            assertEquals(w[0].length, w[1].length, label + ": parameter count");
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < w[0].length; i++) {
                diff += (w[0][i] - w[1][i]) * (double) (w[0][i] - w[1][i]);
                norm += w[0][i] * (double) w[0][i];
            }
            double rel = Math.sqrt(diff / norm);
            assertTrue(rel < 1e-2, label + ": refitted weights differ by " + rel + " (relative L2)");
            assertEquals(accuracy[0], accuracy[1], 0.02, label + ": test accuracy");
            assertTrue(accuracy[1] > (conv ? 0.85 : 0.75), label + ": still works on " + dut.name() + ": " + accuracy[1]);
        }
    }

    /** All pipeline checks, as {@link CudaPipelineTest} and the self-test run them. */
    /**
     * A ResNet (width 4, one block per stage, BatchNorm and residual adds) trained on the corner
     * patches, then structured Taylor pruning to half of its FLOPs by the global ranking of its
     * dependency groups, BatchNorm statistics re-estimated, one fine-tuning epoch: both backends keep
     * the same number of channels per group to within the ranking's near ties (the counts come out of
     * one global ranking, so a near tie may move one channel between groups), reach about the same
     * accuracy, and the backend under test copies to the host only scalars: per round the group scores
     * (the budget is met on the host), the kept counts, the accuracy before fine-tuning and one set
     * of sums per epoch.
     */
    static void resnetPruningMatches(Backend ref, Backend dut) {
        PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.TAYLOR)
                .optRanking(Ranking.Config.ratio(Ranking.Scope.GLOBAL, Normalization.L2, 0.5))
                .optBudget(PruneConfig.Budget.FLOPS, 0.5)
                .optFinetune(TrainConfig.builder().optEpochs(1).optBatchSize(32).optLearningRate(0.005f).optSeed(13).build())
                .optCalibrationBatches(2).optSeed(3).build();
        long[] flops = new long[2];
        long[] baseline = new long[2];
        double[] accuracy = new double[2];
        double[] before = new double[2];
        TransferStats copies = null;
        Backend[] sides = {ref, dut};
        for (int s = 0; s < 2; s++) {
            Backend b = sides[s];
            try (DeviceData train = DeviceData.upload(b, patches(400, 1)); DeviceData test = DeviceData.upload(b, patches(200, 2));
                 Graph net = Models.resnet(b, new int[] {1, 8, 8}, 1, 4, 4, 5)) {
                try (Trainer t = new Trainer(net, trainConfig().toBuilder().optEpochs(3).build())) {
                    t.fit(train, null, TrainListener.NONE);
                }
                baseline[s] = net.flopsPerExample();
                TransferStats t0 = b.transfers();
                Pruner.Outcome o = new Pruner(cfg, null).run(net, null, train, test);
                copies = b.transfers().minus(t0);
                flops[s] = net.flopsPerExample();
                accuracy[s] = o.rounds().get(0).test().accuracy();
                before[s] = o.rounds().get(0).beforeFinetune().accuracy();
            }
        }
        System.out.printf("[PipelineParity] ResNet, FLOPs budget 0.5: %d -> %d (%s) / %d (%s) FLOPs; accuracy before fine-tuning"
                + " %.4f / %.4f, after %.4f / %.4f; %s copied %d times, %d bytes%n", baseline[1], flops[0], ref.name(), flops[1], dut.name(),
                before[0], before[1], accuracy[0], accuracy[1], dut.name(), copies.copies(), copies.bytes());
        for (int s = 0; s < 2; s++) {
            assertTrue(flops[s] <= 0.5 * baseline[s], "ResNet on " + sides[s].name() + ": " + flops[s] + " FLOPs, over half of " + baseline[s]);
        }
        assertEquals(flops[0], flops[1], 0.05 * baseline[0], "ResNet: FLOPs after pruning");
        assertEquals(accuracy[0], accuracy[1], 0.05, "ResNet: test accuracy after pruning and fine-tuning");
        assertTrue(accuracy[1] > 0.85, "ResNet still works on " + dut.name() + ": " + accuracy[1]);
        // the group scores (the budget is met on the host), the kept counts, the accuracy before fine-tuning, one per epoch
        long bound = 3 + cfg.finetune().epochs();
        assertTrue(copies.copies() <= bound, "ResNet: " + copies.copies() + " device-to-host copies, more than " + bound);
    }

    static List<Runnable> all(Backend ref, Backend dut) {
        List<Runnable> checks = new ArrayList<>();
        checks.add(() -> trainingMatches(ref, dut, false));
        checks.add(() -> trainingMatches(ref, dut, true));
        checks.add(() -> pruningMatches(ref, dut, false, taylor(Schedule.ONESHOT, 1, 2, false, false), "one-shot"));
        checks.add(() -> pruningMatches(ref, dut, false, taylor(Schedule.ITERATIVE, 2, 1, true, true),
                "iterative, distillation, bias compensation"));
        checks.add(() -> pruningMatches(ref, dut, false, taylor(Ranking.Scope.GLOBAL, Schedule.ITERATIVE, 2, 1, false, false),
                "iterative, global ranking"));
        checks.add(() -> pruningMatches(ref, dut, true, taylor(Schedule.ONESHOT, 1, 1, false, false), "one-shot channels"));
        checks.add(() -> reconstructionMatches(ref, dut));
        checks.add(() -> resnetPruningMatches(ref, dut));
        return checks;
    }
}
