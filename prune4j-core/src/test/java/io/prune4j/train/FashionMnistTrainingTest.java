package io.prune4j.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The default MLP (784-300-100-10, Adam, cosine schedule, 10 epochs, batch 128, seed 42) trained on
 * the real Fashion-MNIST from Debian's dataset-fashion-mnist package must reach 88.5% test accuracy.
 */
@Tag("slow")
class FashionMnistTrainingTest {
    @Test
    void defaultMlpReachesTheAccuracyBar() {
        Mnist.Splits data = Mnist.load(Mnist.FASHION_MNIST_DIR);
        TrainConfig config = TrainConfig.builder().build();
        try (CpuBackend cpu = new CpuBackend(2);
             DeviceData train = DeviceData.upload(cpu, data.train());
             DeviceData test = DeviceData.upload(cpu, data.test());
             Graph net = Models.mlp(cpu, 784, new int[] {300, 100}, 10, config.seed());
             Trainer trainer = new Trainer(net, config)) {
            List<EpochResult> epochs = trainer.fit(train, test, new TrainListener() {
                @Override
                public void epochDone(EpochResult r) {
                    System.out.printf("epoch %d: train loss %.4f acc %.4f, test acc %.4f, %.0f samples/s%n", r.epoch(),
                            r.train().loss(), r.train().accuracy(), r.test().accuracy(), r.trainSamplesPerSecond());
                }
            });
            double acc = epochs.get(epochs.size() - 1).test().accuracy();
            assertTrue(acc >= 0.885, "test accuracy " + acc + " below 0.885");
        }
    }
}
