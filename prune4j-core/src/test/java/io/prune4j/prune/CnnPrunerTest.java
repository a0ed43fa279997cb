package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The pruning pipeline on a small CNN: channels and neurons ranked together or layer by layer, every schedule. */
class CnnPrunerTest {
    private final Backend cpu = new CpuBackend(1);

    /** The corner-patch images ({@link io.prune4j.data.CornerPatches}). */
    private static Dataset patches(int n, long seed) {
        return io.prune4j.data.CornerPatches.generate(n, seed);
    }

    private static PruneConfig config(Ranking.Scope scope, Schedule schedule, int rounds, boolean structured) {
        return PruneConfig.builder().setCriterion(Criterion.TAYLOR).optStructured(structured)
                .optRanking(Ranking.Config.ratio(scope, Normalization.L2, 0.5)).optSchedule(schedule, rounds)
                .optFinetune(TrainConfig.builder().optEpochs(1).optBatchSize(32).optLearningRate(0.005f).build())
                .optCalibrationBatches(2).optSeed(3).build();
    }

    private Graph trained(DeviceData train) {
        Graph net = Models.cnn(cpu, new int[] {1, 8, 8}, new int[] {6, 8}, 10, 4, 5);
        try (io.prune4j.train.Trainer t = new io.prune4j.train.Trainer(net,
                TrainConfig.builder().optEpochs(3).optBatchSize(32).optLearningRate(0.01f).build())) {
            t.fit(train, null, io.prune4j.train.TrainListener.NONE);
        }
        return net;
    }

    @ParameterizedTest
    @EnumSource(Ranking.Scope.class)
    void halfOfTheChannelsAndNeuronsGoAndTheCnnStillWorks(Ranking.Scope scope) {
        try (DeviceData train = DeviceData.upload(cpu, patches(400, 1)); DeviceData test = DeviceData.upload(cpu, patches(200, 2))) {
            Graph net = trained(train);
            double before = io.prune4j.train.Trainer.evaluate(net, test).accuracy();
            assertTrue(before > 0.9, "baseline learns the patches: " + before);
            long flops = net.flopsPerExample();
            Pruner.Outcome o = new Pruner(config(scope, Schedule.ONESHOT, 1, true), null).run(net, null, train, test);
            List<String> layers = Plans.unitLayers(net);
            int kept = 0;
            for (String li : layers) {
                int units = ((WeightLayer) net.layer(li)).units();
                assertTrue(units >= 1);
                kept += units;
                if (scope == Ranking.Scope.LAYER) {
                    assertEquals(List.of(3, 4, 5).get(layers.indexOf(li)), units, net.describe());
                }
            }
            assertEquals(12, kept, "half of 6 + 8 + 10 units in all: " + net.describe());
            assertTrue(net.flopsPerExample() < flops * 0.5, net.flopsPerExample() + " of " + flops);
            assertTrue(o.rounds().get(0).test().accuracy() > 0.85, "after pruning: " + o.rounds().get(0).test());
        }
    }

    @Test
    void gradualChannelMasksEndCompacted() {
        try (DeviceData train = DeviceData.upload(cpu, patches(400, 1)); DeviceData test = DeviceData.upload(cpu, patches(200, 2))) {
            Graph net = trained(train);
            new Pruner(config(Ranking.Scope.LAYER, Schedule.GRADUAL, 3, true), null).run(net, null, train, test);
            assertEquals(3, ((WeightLayer) net.layers().get(0)).units(), net.describe());
            for (Parameter p : net.parameters()) {
                assertEquals(null, p.mask(), "compacted layers carry no masks");
            }
        }
    }

    @Test
    void unstructuredMasksOnFilters() {
        try (DeviceData train = DeviceData.upload(cpu, patches(400, 1)); DeviceData test = DeviceData.upload(cpu, patches(200, 2))) {
            Graph net = trained(train);
            new Pruner(config(Ranking.Scope.GLOBAL, Schedule.ONESHOT, 1, false), null).run(net, null, train, test);
            long total = 0;
            long zeros = 0;
            for (Parameter p : net.parameters()) {
                if (p.mask() != null) {
                    for (float v : p.value().toFloatArray()) {
                        zeros += v == 0f ? 1 : 0;
                    }
                    total += p.size();
                }
            }
            assertEquals(0.5, (double) zeros / total, 0.01);
        }
    }
}
