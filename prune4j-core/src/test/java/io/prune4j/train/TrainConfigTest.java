package io.prune4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.InvalidSettingException;
import org.junit.jupiter.api.Test;

/** The builder's checks hold for the canonical constructor too, with the same messages; the documented defaults. */
class TrainConfigTest {
    private static final TrainConfig.OptimizerKind ADAM = TrainConfig.OptimizerKind.ADAM;
    private static final TrainConfig.LrSchedule COSINE = TrainConfig.LrSchedule.COSINE;

    private static String refusal(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(InvalidSettingException.class, e).getMessage();
    }

    @Test
    void theConstructorRefusesWhatTheBuilderRefuses() {
        assertEquals("batch size must be ≥ 1, got 0", refusal(() -> new TrainConfig(1, 0, 1e-3f, ADAM, 0.9f, 0f, COSINE, 1, false)));
        assertEquals(refusal(() -> TrainConfig.builder().optBatchSize(0).build()),
                refusal(() -> new TrainConfig(1, 0, 1e-3f, ADAM, 0.9f, 0f, COSINE, 1, false)));
        assertEquals(refusal(() -> TrainConfig.builder().optEpochs(-1).build()),
                refusal(() -> new TrainConfig(-1, 8, 1e-3f, ADAM, 0.9f, 0f, COSINE, 1, false)));
        assertEquals(refusal(() -> TrainConfig.builder().optLearningRate(Float.NaN).build()),
                refusal(() -> new TrainConfig(1, 8, Float.NaN, ADAM, 0.9f, 0f, COSINE, 1, false)));
        assertEquals(refusal(() -> TrainConfig.builder().optMomentum(1f).build()),
                refusal(() -> new TrainConfig(1, 8, 1e-3f, TrainConfig.OptimizerKind.SGD, 1f, 0f, COSINE, 1, false)));
        assertEquals(refusal(() -> TrainConfig.builder().optWeightDecay(-1f).build()),
                refusal(() -> new TrainConfig(1, 8, 1e-3f, ADAM, 0.9f, -1f, COSINE, 1, false)));
        refusal(() -> new TrainConfig(1, 8, 1e-3f, null, 0.9f, 0f, COSINE, 1, false));
        refusal(() -> new TrainConfig(1, 8, 1e-3f, ADAM, 0.9f, 0f, null, 1, false));
    }

    @Test
    void nullSettingsAreRefusedWhereTheyAreSet() {
        assertEquals("v", assertThrows(NullPointerException.class, () -> TrainConfig.builder().optOptimizer(null)).getMessage());
        assertEquals("v", assertThrows(NullPointerException.class, () -> TrainConfig.builder().optLrSchedule(null)).getMessage());
        assertThrows(NullPointerException.class, () -> TrainConfig.OptimizerKind.parse(null));
        assertThrows(NullPointerException.class, () -> TrainConfig.LrSchedule.parse(null));
    }

    @Test
    void theDefaultsAreTheDocumentedOnes() {
        TrainConfig c = TrainConfig.builder().build();
        assertEquals(10, c.epochs());
        assertEquals(128, c.batchSize());
        assertEquals(1e-3f, c.learningRate());
        assertEquals(TrainConfig.OptimizerKind.ADAM, c.optimizer());
        assertEquals(0.9f, c.momentum());
        assertEquals(0f, c.weightDecay());
        assertEquals(TrainConfig.LrSchedule.COSINE, c.lrSchedule());
        assertEquals(42, c.seed());
        assertFalse(c.augment());
        assertEquals(c, c.toBuilder().build());
    }
}
