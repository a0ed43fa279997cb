package io.prune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trainer's contract at its edges: what may be null and what that means. */
class TrainerTest {
    private static final TrainConfig TWO_EPOCHS = TrainConfig.builder().optEpochs(2).optBatchSize(16).build();

    @Test
    void withoutATestSetOrAListenerTheEpochsHaveNoTestMetrics() {
        try (CpuBackend cpu = new CpuBackend(1);
             DeviceData train = DeviceData.upload(cpu, Dataset.random(new int[] {6}, 3, 64, 1));
             Graph net = Models.mlp(cpu, 6, new int[] {8}, 3, 1);
             Trainer t = new Trainer(net, TWO_EPOCHS)) {
            List<EpochResult> r = t.fit(train, null, null);
            assertEquals(2, r.size());
            for (int e = 0; e < 2; e++) {
                assertEquals(e + 1, r.get(e).epoch());
                assertNotNull(r.get(e).train());
                assertEquals(64, r.get(e).train().count());
                assertNull(r.get(e).test(), "no test set: no test metrics");
            }
            assertNull(t.runEpoch(3, train, null, 8, null).test());
        }
    }

    @Test
    void aTestSetGivesTestMetricsEveryEpoch() {
        try (CpuBackend cpu = new CpuBackend(1);
             DeviceData train = DeviceData.upload(cpu, Dataset.random(new int[] {6}, 3, 64, 1));
             DeviceData test = DeviceData.upload(cpu, Dataset.random(new int[] {6}, 3, 20, 2));
             Graph net = Models.mlp(cpu, 6, new int[] {8}, 3, 1);
             Trainer t = new Trainer(net, TWO_EPOCHS)) {
            for (EpochResult r : t.fit(train, test, TrainListener.NONE)) {
                assertEquals(20, r.test().count());
            }
        }
    }

    @Test
    void nullsThatHaveNoMeaningAreRefusedAtTheCall() {
        try (CpuBackend cpu = new CpuBackend(1);
             Graph net = Models.mlp(cpu, 6, new int[] {8}, 3, 1);
             Trainer t = new Trainer(net, TWO_EPOCHS)) {
            assertEquals("train", assertThrows(NullPointerException.class, () -> t.fit(null, null, null)).getMessage());
            assertEquals("train", assertThrows(NullPointerException.class, () -> t.runEpoch(1, null, null, 1, null)).getMessage());
            assertEquals("loss", assertThrows(NullPointerException.class, () -> t.setLoss(null)).getMessage());
            assertEquals("net", assertThrows(NullPointerException.class, () -> new Trainer(null, TWO_EPOCHS)).getMessage());
            assertEquals("config", assertThrows(NullPointerException.class, () -> new Trainer(net, null)).getMessage());
            assertEquals("data", assertThrows(NullPointerException.class, () -> Trainer.evaluate(net, null)).getMessage());
            assertEquals("data", assertThrows(NullPointerException.class, () -> DeviceData.upload(cpu, null)).getMessage());
        }
    }

    @Test
    void resultsRefuseWhatTrainingCannotProduce() {
        Metrics m = new Metrics(0.5, 0.75, 4);
        assertThrows(IllegalArgumentException.class, () -> new Metrics(0.5, 0.75, -1));
        assertEquals("train", assertThrows(NullPointerException.class, () -> new EpochResult(1, null, m, 1, 4)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EpochResult(1, m, null, -1, 4));
        assertThrows(IllegalArgumentException.class, () -> new EpochResult(1, m, null, 1, Double.NaN));
        assertNull(new EpochResult(1, m, null, 1, 4).test());
        assertThrows(NullPointerException.class, () -> new TrainingDivergedException(1, null, Double.NaN, 0.1f));
    }
}
