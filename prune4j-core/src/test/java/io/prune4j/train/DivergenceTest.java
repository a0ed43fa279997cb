package io.prune4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Training that turns NaN stops at the end of that epoch, puts back the weights of the last good
 * epoch (or those it started from), and says which epoch and what turned non-finite.
 */
class DivergenceTest {
    private final Backend cpu = new CpuBackend(1);
    private final DeviceData train = DeviceData.upload(cpu, blobs(320, 1));
    private final DeviceData test = DeviceData.upload(cpu, blobs(80, 2));
    private final Graph net = Models.mlp(cpu, 6, new int[] {16, 8}, 3, 5);

    @AfterEach
    void close() {
        net.close();
        train.close();
        test.close();
    }

    /** Three Gaussian blobs in 6 dimensions. */
    static Dataset blobs(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
            for (int j = 0; j < 6; j++) {
                x[i * 6 + j] = (j % 3 == y[i] ? 2f : -1f) + (float) rng.nextGaussian();
            }
        }
        return new Dataset("blobs", x, y, n, 6, 3);
    }

    private static List<float[]> weights(Graph net) {
        List<float[]> w = new ArrayList<>();
        for (Parameter p : net.parameters()) {
            w.add(p.value().toFloatArray());
        }
        return w;
    }

    private static void assertBitEqual(List<float[]> expected, Graph net) {
        List<float[]> actual = weights(net);
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "parameter " + i);
        }
    }

    private static TrainConfig config(int epochs, float lr, TrainConfig.OptimizerKind opt) {
        return TrainConfig.builder().optEpochs(epochs).optBatchSize(32).optLearningRate(lr).optOptimizer(opt).build();
    }

    @Test
    void nanInEpochTwoRestoresTheWeightsOfEpochOne() {
        List<List<float[]>> afterEpoch = new ArrayList<>();
        int batches = config(1, 1e-2f, TrainConfig.OptimizerKind.ADAM).batchesPerEpoch(train.count());
        int[] calls = {0};
        Loss poisoned = (grad, metrics, logits, labels, inputs, scale) -> {
            Loss.crossEntropy().apply(grad, metrics, logits, labels, inputs, scale);
            if (calls[0]++ == batches + 2) { // the third step of epoch 2
                logits.backend().fill(grad, Float.NaN);
            }
        };
        try (Trainer t = new Trainer(net, config(4, 1e-2f, TrainConfig.OptimizerKind.ADAM)).setLoss(poisoned)) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(train, test, new TrainListener() {
                @Override
                public void epochDone(EpochResult r) {
                    afterEpoch.add(weights(net));
                }
            }));
            assertEquals(2, e.epoch());
            assertEquals(1, e.restoredEpoch());
            assertEquals("the training loss", e.what());
            assertTrue(Double.isNaN(e.value()));
            assertTrue(e.getMessage().startsWith("the training loss became NaN in epoch 2; the weights from the end of epoch 1"),
                    e.getMessage());
        }
        assertEquals(1, afterEpoch.size(), "epoch 2 never reported as done");
        assertBitEqual(afterEpoch.get(0), net);
        assertTrue(Double.isFinite(Trainer.evaluate(net, test).loss()), "the restored network works");
    }

    @Test
    void hugeLearningRatesRestoreTheStartingWeights() {
        for (TrainConfig cfg : new TrainConfig[] {config(3, 1e8f, TrainConfig.OptimizerKind.SGD),
            config(3, 1e30f, TrainConfig.OptimizerKind.ADAM)}) {
            List<float[]> start = weights(net);
            try (Trainer t = new Trainer(net, cfg)) {
                TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                        () -> t.fit(train, test, TrainListener.NONE), cfg.toString());
                assertEquals(1, e.epoch(), e.getMessage());
                assertEquals(0, e.restoredEpoch());
                assertTrue(e.getMessage().contains("the weights from before epoch 1 were restored") && !e.getMessage().contains("\n"),
                        e.getMessage());
            }
            assertBitEqual(start, net);
        }
    }

    /** The last step of an epoch is in no loss yet: NaN weights it leaves are found by the weight check. */
    @Test
    void nanWeightsFromTheLastStepAreCaught() {
        Parameter bias = net.layers().get(1).parameters().get(1);
        List<float[]> start = weights(net);
        TrainConfig cfg = config(2, 1e-2f, TrainConfig.OptimizerKind.ADAM);
        int batches = cfg.batchesPerEpoch(train.count());
        try (Trainer t = new Trainer(net, cfg)) {
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(train, null, new TrainListener() {
                @Override
                public void batchDone(int epoch, int batch) {
                    if (batch == batches - 1) {
                        float[] b = bias.value().toFloatArray();
                        b[3] = Float.NaN;
                        cpu.upload(bias.value(), b);
                    }
                }
            }));
            assertEquals(1, e.epoch());
            assertEquals("the bias of layer 2 (" + net.layers().get(1).describe() + ")", e.what());
        }
        assertBitEqual(start, net);
    }

    /** Masks stay: a restored weight that a mask holds at zero is zero. */
    @Test
    void restoredWeightsKeepTheirMasks() {
        Parameter w = net.parameters().get(0);
        float[] mask = new float[w.size()];
        for (int i = 0; i < mask.length; i += 2) {
            mask[i] = 1;
        }
        w.setMask(cpu.fromArray(mask, w.value().shape()));
        List<float[]> start = weights(net);
        try (Trainer t = new Trainer(net, config(2, 1e30f, TrainConfig.OptimizerKind.ADAM))) {
            assertThrows(TrainingDivergedException.class, () -> t.fit(train, test, TrainListener.NONE));
        }
        assertBitEqual(start, net);
        float[] restored = w.value().toFloatArray();
        for (int i = 1; i < restored.length; i += 2) {
            assertEquals(0f, Math.abs(restored[i]), "masked weight " + i);
        }
    }

    /**
     * A pruning run whose fine-tuning diverges leaves the pruned network with the weights it had
     * before fine-tuning: the same as a run with no fine-tuning at all.
     */
    @Test
    void prunerKeepsThePrunedWeightsFromBeforeFineTuning() {
        try (Graph reference = net.copy()) {
            Ranking.Config half = Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5);
            PruneConfig none = PruneConfig.builder().setCriterion(Criterion.TAYLOR).optRanking(half).optCalibrationBatches(2)
                    .optFinetune(config(0, 1e-3f, TrainConfig.OptimizerKind.ADAM)).build();
            new Pruner(none, null).run(reference, null, train, test);
            PruneConfig wild = PruneConfig.builder().setCriterion(Criterion.TAYLOR).optRanking(half).optCalibrationBatches(2)
                    .optFinetune(config(2, 1e30f, TrainConfig.OptimizerKind.ADAM)).build();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> new Pruner(wild, null).run(net, null, train,
                    test));
            assertEquals(0, e.restoredEpoch());
            assertEquals(reference.describe(), net.describe());
            assertBitEqual(weights(reference), net);
        }
    }
}
