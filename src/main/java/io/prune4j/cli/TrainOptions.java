package io.prune4j.cli;

import io.prune4j.train.TrainConfig;
import picocli.CommandLine.Option;

/** Options that shape training (and fine-tuning). */
final class TrainOptions {
    private static final int[] DEFAULT_HIDDEN = {300, 100};

    /** Null when not given: with {@code --model} a given value must match the file (see {@link Baseline}). */
    @Option(names = "--hidden", paramLabel = "N,N,…", split = ",", description = "Hidden layer sizes (default: 300,100).")
    int[] hidden;

    @Option(names = "--epochs", description = "Training epochs (default: ${DEFAULT-VALUE}).")
    int epochs = 10;

    @Option(names = "--batch", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Option(names = "--lr", description = "Learning rate (default: 1e-3 for adam, 0.05 for sgd).")
    Float lr;

    @Option(names = "--optimizer", paramLabel = "adam|sgd", description = "Optimiser (default: ${DEFAULT-VALUE}).")
    String optimizer = "adam";

    @Option(names = "--momentum", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
    float momentum = 0.9f;

    @Option(names = "--weight-decay", description = "L2 weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay = 0f;

    @Option(names = "--lr-schedule", paramLabel = "constant|cosine", description = "Learning-rate schedule (default: ${DEFAULT-VALUE}).")
    String lrSchedule = "cosine";

    TrainConfig config(long seed) {
        TrainConfig.OptimizerKind kind = TrainConfig.OptimizerKind.parse(optimizer);
        float rate = lr != null ? lr : (kind == TrainConfig.OptimizerKind.ADAM ? 1e-3f : 0.05f);
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be at least 1, got " + epochs);
        }
        try {
            return TrainConfig.builder().optEpochs(epochs).optBatchSize(batch).optLearningRate(rate).optOptimizer(kind)
                    .optMomentum(momentum).optWeightDecay(weightDecay).optLrSchedule(TrainConfig.LrSchedule.parse(lrSchedule))
                    .optSeed(seed).build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("training options: " + e.getMessage());
        }
    }

    int[] hiddenSizes() {
        if (hidden == null) {
            return DEFAULT_HIDDEN.clone();
        }
        for (int h : hidden) {
            if (h < 1) {
                throw new IllegalArgumentException("--hidden sizes must be positive, got " + h);
            }
        }
        return hidden.clone();
    }
}
