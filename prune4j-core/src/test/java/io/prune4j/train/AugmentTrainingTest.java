package io.prune4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.CornerPatches;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import org.junit.jupiter.api.Test;

/** Training with augmentation: seeded (the same run twice gives the same weights), not a no-op, and only for images. */
class AugmentTrainingTest {
    private float[] trainedWeights(boolean augment) {
        try (CpuBackend cpu = new CpuBackend(2);
             DeviceData data = DeviceData.upload(cpu, CornerPatches.generate(200, 3));
             Graph net = Models.resnet(cpu, new int[] {1, 8, 8}, 1, 4, 4, 1);
             Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(1).optBatchSize(32).optAugment(augment).build())) {
            t.fit(data, null, TrainListener.NONE);
            return net.parameters().get(0).value().toFloatArray();
        }
    }

    @Test
    void augmentedTrainingIsSeededAndDiffers() {
        float[] a = trainedWeights(true);
        assertArrayEquals(a, trainedWeights(true), "the same seed, the same augmented run");
        assertFalse(java.util.Arrays.equals(a, trainedWeights(false)), "augmentation changes what the network sees");
    }

    @Test
    void aVectorNetworkIsRefused() {
        try (CpuBackend cpu = new CpuBackend(1);
             DeviceData data = DeviceData.upload(cpu, CornerPatches.generate(64, 3));
             Graph net = Models.mlp(cpu, 64, new int[] {8}, 4, 1);
             Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(1).optAugment(true).build())) {
            assertThrows(InvalidSettingException.class, () -> t.fit(data, null, TrainListener.NONE));
        }
    }
}
