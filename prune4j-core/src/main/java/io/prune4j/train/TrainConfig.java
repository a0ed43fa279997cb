package io.prune4j.train;

import io.prune4j.InvalidSettingException;
import java.util.Locale;

/**
 * How to train: epochs, batch size, optimiser and learning-rate schedule, the seed that fixes
 * shuffling, and whether images are augmented (each training image shifted by up to
 * {@link #AUGMENT_SHIFT} pixels either way and flipped left to right at random, a fresh draw each
 * step: {@link io.prune4j.backend.Backend#augmentImages}). Build with {@link #builder()}; every setting
 * has a default, and {@code build()} rejects values that cannot work with a message naming the setting.
 */
public record TrainConfig(int epochs, int batchSize, float learningRate, OptimizerKind optimizer, float momentum,
                          float weightDecay, LrSchedule lrSchedule, long seed, boolean augment) {
    /** The largest shift of an augmented image, in pixels (a 28×28 image padded by 2 and cropped back, as is usual for it). */
    public static final int AUGMENT_SHIFT = 2;

    public enum OptimizerKind {
        ADAM, SGD;

        public static OptimizerKind parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown optimizer '" + s + "': expected adam or sgd");
            }
        }
    }

    /** Constant learning rate, or cosine decay from the set rate to zero over all steps (Loshchilov &amp; Hutter 2017, no restarts). */
    public enum LrSchedule {
        CONSTANT, COSINE;

        public static LrSchedule parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown learning-rate schedule '" + s + "': expected constant or cosine");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Mini-batches in one epoch over {@code examples} examples (the last one may be smaller). */
    public int batchesPerEpoch(int examples) {
        return (examples + batchSize - 1) / batchSize;
    }

    /** Steps of a whole run of {@code epochs} over {@code examples} examples. */
    public long totalSteps(int examples) {
        return (long) epochs * batchesPerEpoch(examples);
    }

    /** The learning rate at step {@code step} of {@code totalSteps}. */
    public float learningRateAt(long step, long totalSteps) {
        if (lrSchedule == LrSchedule.CONSTANT || totalSteps <= 0) {
            return learningRate;
        }
        double progress = Math.min(1.0, (double) step / totalSteps);
        return (float) (learningRate * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    public Builder toBuilder() {
        return new Builder().optEpochs(epochs).optBatchSize(batchSize).optLearningRate(learningRate).optOptimizer(optimizer)
                .optMomentum(momentum).optWeightDecay(weightDecay).optLrSchedule(lrSchedule).optSeed(seed).optAugment(augment);
    }

    public static final class Builder {
        private int epochs = 10;
        private int batchSize = 128;
        private float learningRate = 1e-3f;
        private OptimizerKind optimizer = OptimizerKind.ADAM;
        private float momentum = 0.9f;
        private float weightDecay = 0f;
        private LrSchedule lrSchedule = LrSchedule.COSINE;
        private long seed = 42;
        private boolean augment;

        public Builder optEpochs(int v) { epochs = v; return this; }
        public Builder optBatchSize(int v) { batchSize = v; return this; }
        public Builder optLearningRate(float v) { learningRate = v; return this; }
        public Builder optOptimizer(OptimizerKind v) { optimizer = v; return this; }
        public Builder optMomentum(float v) { momentum = v; return this; }
        public Builder optWeightDecay(float v) { weightDecay = v; return this; }
        public Builder optLrSchedule(LrSchedule v) { lrSchedule = v; return this; }
        public Builder optSeed(long v) { seed = v; return this; }
        /** Shift and flip training images at random (default off); needs image inputs, {@code [C, H, W]} examples. */
        public Builder optAugment(boolean v) { augment = v; return this; }

        public TrainConfig build() {
            if (epochs < 0) {
                throw new InvalidSettingException("epochs must be ≥ 0, got " + epochs);
            }
            if (batchSize < 1) {
                throw new InvalidSettingException("batch size must be ≥ 1, got " + batchSize);
            }
            if (!(learningRate > 0) || Float.isInfinite(learningRate)) {
                throw new InvalidSettingException("learning rate must be a positive number, got " + learningRate);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new InvalidSettingException("momentum must be in [0, 1), got " + momentum);
            }
            if (!(weightDecay >= 0) || Float.isInfinite(weightDecay)) {
                throw new InvalidSettingException("weight decay must be ≥ 0, got " + weightDecay);
            }
            if (optimizer == null || lrSchedule == null) {
                throw new InvalidSettingException("optimizer and learning-rate schedule must be set");
            }
            return new TrainConfig(epochs, batchSize, learningRate, optimizer, momentum, weightDecay, lrSchedule, seed, augment);
        }
    }
}
