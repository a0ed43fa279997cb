package io.prune4j.train;

import io.prune4j.InvalidSettingException;
import java.util.Locale;
import java.util.Objects;

/**
 * How to train: epochs, batch size, optimiser and learning-rate schedule, the seed that fixes
 * shuffling, and whether images are augmented (each training image shifted by up to
 * {@link #AUGMENT_SHIFT} pixels either way and flipped left to right at random, a fresh draw each
 * step: {@link io.prune4j.backend.Backend#augmentImages}). Build with {@link #builder()}; every setting
 * has a default, and {@code build()} rejects values that cannot work with a message naming the setting.
 * The canonical constructor makes the same checks with the same messages, so a {@code TrainConfig}
 * built either way holds values that can train.
 *
 * @param epochs       passes over the training set, ≥ 0 (0: no training steps)
 * @param batchSize    examples per training step, ≥ 1 (the last batch of an epoch may be smaller)
 * @param learningRate the (peak) learning rate, a finite number &gt; 0
 * @param optimizer    the optimiser; not null
 * @param momentum     SGD momentum in [0, 1); Adam ignores it (its β₁ is 0.9)
 * @param weightDecay  weight decay, a finite number ≥ 0 (0: none)
 * @param lrSchedule   how the learning rate changes over the steps; not null
 * @param seed         the seed of the shuffling order and of the augmentation draws
 * @param augment      shift and flip training images at random; needs {@code [C, H, W]} examples
 */
public record TrainConfig(int epochs, int batchSize, float learningRate, OptimizerKind optimizer, float momentum,
                          float weightDecay, LrSchedule lrSchedule, long seed, boolean augment) {
    /** The largest shift of an augmented image, in pixels (a 28×28 image padded by 2 and cropped back, as is usual for it). */
    public static final int AUGMENT_SHIFT = 2;

    /**
     * Checks every setting, as {@link Builder#build()} does, with the same messages.
     *
     * @param epochs       passes over the training set, ≥ 0 (0: no training steps)
     * @param batchSize    examples per training step, ≥ 1 (the last batch of an epoch may be smaller)
     * @param learningRate the (peak) learning rate, a finite number &gt; 0
     * @param optimizer    the optimiser; not null
     * @param momentum     SGD momentum in [0, 1); Adam ignores it (its β₁ is 0.9)
     * @param weightDecay  weight decay, a finite number ≥ 0 (0: none)
     * @param lrSchedule   how the learning rate changes over the steps; not null
     * @param seed         the seed of the shuffling order and of the augmentation draws
     * @param augment      shift and flip training images at random; needs {@code [C, H, W]} examples
     * @throws InvalidSettingException when a value cannot work (the message names the setting), or when
     *                                  {@code optimizer} or {@code lrSchedule} is null
     */
    public TrainConfig {
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
    }

    /** The optimiser a {@link Trainer} steps with. */
    public enum OptimizerKind {
        /** Adam (β₁ 0.9, β₂ 0.999, ε 1e-8) with the configured weight decay. */
        ADAM,
        /** Stochastic gradient descent with the configured momentum and weight decay. */
        SGD;

        /**
         * The optimiser named {@code s}, ignoring case and surrounding blanks.
         *
         * @param s {@code adam} or {@code sgd}
         * @return the optimiser kind
         * @throws InvalidSettingException when {@code s} names neither
         */
        public static OptimizerKind parse(String s) {
            Objects.requireNonNull(s, "s");
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown optimizer '" + s + "': expected adam or sgd");
            }
        }
    }

    /** Constant learning rate, or cosine decay from the set rate to zero over all steps (Loshchilov &amp; Hutter 2017, no restarts). */
    public enum LrSchedule {
        /** The set learning rate at every step. */
        CONSTANT,
        /** {@code lr · ½(1 + cos(π · step / totalSteps))}: from the set rate down to zero at the last step. */
        COSINE;

        /**
         * The schedule named {@code s}, ignoring case and surrounding blanks.
         *
         * @param s {@code constant} or {@code cosine}
         * @return the schedule
         * @throws InvalidSettingException when {@code s} names neither
         */
        public static LrSchedule parse(String s) {
            Objects.requireNonNull(s, "s");
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new InvalidSettingException("unknown learning-rate schedule '" + s + "': expected constant or cosine");
            }
        }
    }

    /**
     * A builder with every default set (see {@link Builder}).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Mini-batches in one epoch over {@code examples} examples (the last one may be smaller).
     *
     * @param examples the number of training examples, ≥ 0
     * @return {@code ⌈examples / batchSize⌉}
     */
    public int batchesPerEpoch(int examples) {
        return (examples + batchSize - 1) / batchSize;
    }

    /**
     * Steps of a whole run of {@code epochs} over {@code examples} examples.
     *
     * @param examples the number of training examples, ≥ 0
     * @return {@code epochs · batchesPerEpoch(examples)}
     */
    public long totalSteps(int examples) {
        return (long) epochs * batchesPerEpoch(examples);
    }

    /**
     * The learning rate at step {@code step} of {@code totalSteps}: the set rate for
     * {@link LrSchedule#CONSTANT} (or when {@code totalSteps ≤ 0}), else the cosine decay, which
     * stays at zero past the last step.
     *
     * @param step       steps taken so far, from 0
     * @param totalSteps steps of the whole run ({@link #totalSteps})
     * @return the learning rate for the step
     */
    public float learningRateAt(long step, long totalSteps) {
        if (lrSchedule == LrSchedule.CONSTANT || totalSteps <= 0) {
            return learningRate;
        }
        double progress = Math.min(1.0, (double) step / totalSteps);
        return (float) (learningRate * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    /**
     * A builder holding this configuration's values, to change some of them.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder().optEpochs(epochs).optBatchSize(batchSize).optLearningRate(learningRate).optOptimizer(optimizer)
                .optMomentum(momentum).optWeightDecay(weightDecay).optLrSchedule(lrSchedule).optSeed(seed).optAugment(augment);
    }

    /**
     * Builds a {@link TrainConfig}. The defaults: 10 epochs, batch 128, learning rate 1e-3, Adam,
     * momentum 0.9 (SGD only), no weight decay, cosine decay, seed 42, no augmentation. Values are
     * checked in {@link #build()}, not when set.
     */
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

        /** A builder with the defaults; also {@link TrainConfig#builder()}. */
        public Builder() {}

        /**
         * Passes over the training set (default 10), ≥ 0.
         *
         * @param v the epochs
         * @return this builder
         */
        public Builder optEpochs(int v) { epochs = v; return this; }

        /**
         * Examples per training step (default 128), ≥ 1.
         *
         * @param v the batch size
         * @return this builder
         */
        public Builder optBatchSize(int v) { batchSize = v; return this; }

        /**
         * The learning rate, or the peak of the cosine decay (default 1e-3), a finite number &gt; 0.
         *
         * @param v the learning rate
         * @return this builder
         */
        public Builder optLearningRate(float v) { learningRate = v; return this; }

        /**
         * The optimiser (default {@link OptimizerKind#ADAM}).
         *
         * @param v the optimiser; not null
         * @return this builder
         */
        public Builder optOptimizer(OptimizerKind v) { optimizer = Objects.requireNonNull(v, "v"); return this; }

        /**
         * SGD momentum (default 0.9), in [0, 1); Adam ignores it.
         *
         * @param v the momentum
         * @return this builder
         */
        public Builder optMomentum(float v) { momentum = v; return this; }

        /**
         * Weight decay (default 0: none), a finite number ≥ 0.
         *
         * @param v the weight decay
         * @return this builder
         */
        public Builder optWeightDecay(float v) { weightDecay = v; return this; }

        /**
         * The learning-rate schedule (default {@link LrSchedule#COSINE}).
         *
         * @param v the schedule; not null
         * @return this builder
         */
        public Builder optLrSchedule(LrSchedule v) { lrSchedule = Objects.requireNonNull(v, "v"); return this; }

        /**
         * The seed of the shuffling order and of the augmentation draws (default 42).
         *
         * @param v the seed
         * @return this builder
         */
        public Builder optSeed(long v) { seed = v; return this; }

        /**
         * Shift and flip training images at random (default off); needs image inputs, {@code [C, H, W]} examples.
         *
         * @param v whether to augment
         * @return this builder
         */
        public Builder optAugment(boolean v) { augment = v; return this; }

        /**
         * The configuration, checked as the {@link TrainConfig} constructor checks it.
         *
         * @return the configuration
         * @throws InvalidSettingException when a value cannot work; the message names the setting
         */
        public TrainConfig build() {
            return new TrainConfig(epochs, batchSize, learningRate, optimizer, momentum, weightDecay, lrSchedule, seed, augment);
        }
    }
}
