package io.prune4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.testing.IdxFiles;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainListener;
import io.prune4j.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example, verbatim between the markers, on a small data set, so it keeps compiling and working. */
class ReadmeExampleTest {
    @TempDir
    Path dir;

    @Test
    void readmeExampleRuns() throws Exception {
        IdxFiles.writeToyDataset(dir, 300, 100, 8, 4, 1);
        Path dataDir = dir;
        try (Backend cpu = new CpuBackend(1);
             DeviceData tr = DeviceData.upload(cpu, Mnist.load(dataDir).train());
             Graph net = Models.mlp(cpu, 64, new int[] {16, 8}, 10, 1);
             Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(2).optBatchSize(32).optLearningRate(0.01f).build())) {
            t.fit(tr, null, TrainListener.NONE);
            ModelFile.save(net, dir.resolve("base.safetensors"), Map.of());
        }
        Path base = dir.resolve("base.safetensors");
        Path pruned = dir.resolve("pruned.safetensors");

        // README example begins
        Mnist.Splits data = Mnist.load(dataDir);
        try (Backend cpu = new CpuBackend(2);
             DeviceData train = DeviceData.upload(cpu, data.train());
             DeviceData test = DeviceData.upload(cpu, data.test());
             Graph net = ModelFile.load(base, cpu)) {
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.TAYLOR)          // structured by default
                    .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5))  // remove 50% per layer
                    .optFinetune(TrainConfig.builder().optEpochs(2).optLearningRate(1e-3f).build())
                    .build();
            Pruner.Outcome out = new Pruner(cfg, null).run(net, null, train, test);
            System.out.printf("accuracy %.4f with %d parameters%n", out.rounds().get(0).test().accuracy(), net.parameterCount());
            ModelFile.save(net, pruned, Map.of());   // a smaller dense network
        }
        // README example ends
        assertTrue(Files.size(pruned) < Files.size(base));
    }
}
