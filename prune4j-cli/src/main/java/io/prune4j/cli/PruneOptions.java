package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Normalization;
import io.prune4j.nn.Graph;
import io.prune4j.prune.BatchNormRecalibration;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Ranking;
import io.prune4j.prune.Schedule;
import io.prune4j.train.TrainConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** Options that decide how to prune (shared by {@code prune} and {@code sweep}). */
final class PruneOptions {
    static final class Kind {
        @Option(names = "--structured", description = "Remove whole neurons and compact the layers (default).")
        boolean structured;

        @Option(names = "--unstructured", description = "Zero single weights with masks kept through fine-tuning.")
        boolean unstructured;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Kind kind;

    @Option(names = "--scope", paramLabel = "global|layer", description = "Rank all layers together or each on its own (default: ${DEFAULT-VALUE}).")
    String scope = "layer";

    @Option(names = "--normalization", paramLabel = "none|l2|max|l1|mean",
            description = "Per-group (or per-layer) score normalisation before ranking: none, l2, max, l1 or mean (divide by the mean magnitude;"
                    + " the default for structured pruning: under a global ranking or a budget it treats groups of different sizes alike)"
                    + " (default: mean for structured, none for unstructured).")
    String normalization;

    @Option(names = "--min-keep", description = "Units or weights every layer keeps at least (default: ${DEFAULT-VALUE}).")
    int minKeep = 1;

    @Option(names = "--max-prune-ratio", description = "Largest fraction of any one layer that may be removed (default: ${DEFAULT-VALUE}).")
    double maxPruneRatio = 1.0;

    @Option(names = "--schedule", paramLabel = "oneshot|iterative|gradual", description = "Pruning schedule (default: ${DEFAULT-VALUE}).")
    String schedule = "oneshot";

    @Option(names = "--rounds", description = "Rounds (iterative, default 3) or pruning steps (gradual, default 10).")
    Integer rounds;

    @Option(names = "--finetune-epochs", description = "Fine-tuning epochs per round, or in total for gradual (default: ${DEFAULT-VALUE}).")
    int finetuneEpochs = 2;

    @Option(names = "--finetune-lr", description = "Fine-tuning learning rate, cosine-decayed (default: 3e-3 unstructured or for a "
            + "network with BatchNorm, 1e-3 otherwise).")
    Float finetuneLr;

    /**
     * Unstructured pruning leaves every unit with a few of its weights; on Fashion-MNIST at 90% they
     * re-fit better with larger steps (2 epochs: −0.38 / −0.59 / −0.62 / −0.48 pt for seeds 42 / 1 /
     * 2 / 3 at 3e-3, against −1.04 / −1.11 / −1.17 / −0.77 at 1e-3), while structured pruning's
     * compacted layers do better at 1e-3 (50% Taylor: −0.37 / −0.86 / −0.55 / −0.50 against −0.41 /
     * −1.02 / −0.73 / −0.96 at 3e-3). Networks with BatchNorm are the exception: the ResNet at 40%
     * of its FLOPs (Taylor, 3 epochs, seed 42) ends at 0.9094 with 3e-3 against 0.9005 with 1e-3.
     */
    float finetuneLearningRate(boolean batchNorm) {
        return finetuneLr != null ? finetuneLr : structured() && !batchNorm ? 1e-3f : 3e-3f;
    }


    @Option(names = "--distill", description = "Fine-tune with knowledge distillation from the unpruned model.")
    boolean distill;

    @Option(names = "--distill-temperature", description = "Distillation temperature (default: ${DEFAULT-VALUE}).")
    float distillTemperature = 4f;

    @Option(names = "--distill-alpha", description = "Weight of the distillation term (default: ${DEFAULT-VALUE}).")
    float distillAlpha = 0.5f;

    @Option(names = "--rewind", description = "Lottery-ticket rewinding: reset surviving weights to their initial values, then retrain.")
    boolean rewind;

    @Option(names = "--calibration-batches", description = "Batches of 128 training examples for data-driven criteria (default: ${DEFAULT-VALUE}).")
    int calibrationBatches = 20;

    @Option(names = "--bias-compensation", negatable = true, description = "Fold removed units' mean activation into the next bias (default: ${DEFAULT-VALUE}).")
    boolean biasCompensation = false;

    @Option(names = "--reconstruct", negatable = true,
            description = "Refit the weights that stay by least squares on calibration inputs before fine-tuning (Dense and conv layers; default: ${DEFAULT-VALUE}).")
    boolean reconstruct = false;

    @Option(names = "--ignore", paramLabel = "NAME,…", split = ",",
            description = "Nodes whose output channels (or weights, unstructured) are never pruned; prune4j inspect lists the names.")
    java.util.List<String> ignore = new java.util.ArrayList<>();

    @Option(names = "--node-sparsity", paramLabel = "NAME=S,…", split = ",",
            description = "Structured: a sparsity of its own for the group whose channels node NAME writes.")
    java.util.Map<String, Double> nodeSparsity = new java.util.LinkedHashMap<>();

    @Option(names = "--round-to", description = "Structured: kept channel counts are multiples of this (default: ${DEFAULT-VALUE}, any count).")
    int roundTo = 1;

    @Option(names = "--group-reduction", paramLabel = "mean|sum|max",
            description = "How a dependency group's channel score combines its members' normalised scores (default: ${DEFAULT-VALUE}).")
    String groupReduction = "mean";

    @Option(names = "--bn-recalibration", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Re-estimate BatchNorm statistics on calibration batches after each structured pruning step (default: on).")
    boolean bnRecalibration = true;

    @Option(names = "--pattern", paramLabel = "N:M",
            description = "Unstructured: keep the N best of every M consecutive weights of each row (2:4, 4:8) instead of a --sparsity.")
    String pattern;

    @Option(names = "--permute", description = "With --pattern: reorder the input channels of each Dense layer fed by another first, "
            + "so that the pattern keeps more of the score mass (the network's function unchanged).")
    boolean permute;

    /** The N:M pattern asked for, or null; checked against the other options. */
    io.prune4j.prune.NmPattern pattern(boolean targetGiven) {
        if (pattern == null) {
            if (permute) {
                throw new InvalidSettingException("--permute reorders channels for an N:M pattern: add --pattern N:M");
            }
            return null;
        }
        io.prune4j.prune.NmPattern nm = io.prune4j.prune.NmPattern.parse(pattern);
        if (permute) {
            nm = nm.withPermutation();
        }
        if (structured()) {
            throw new InvalidSettingException("--pattern masks single weights: add --unstructured");
        }
        if (targetGiven) {
            throw new InvalidSettingException("--pattern " + nm + " fixes the sparsity at " + Math.round(nm.sparsity() * 100)
                    + "%: drop --sparsity, --threshold and --keep");
        }
        if (Ranking.Scope.parse(scope) == Ranking.Scope.GLOBAL) {
            throw new InvalidSettingException("--pattern compares weights within each group of " + nm.m() + ": --scope global does not apply");
        }
        if (maxPruneRatio != 1.0 || minKeep != 1) {
            throw new InvalidSettingException("--pattern keeps " + nm + " in every row: --min-keep and --max-prune-ratio do not apply");
        }
        return nm;
    }

    boolean structured() {
        return kind == null || !kind.unstructured;
    }

    PruneConfig config(Criterion criterion, Ranking.Mode mode, double value, TrainOptions training, long seed, Graph net) {
        return config(criterion, mode, value, null, 1, training, seed, net);
    }

    /**
     * The configuration, pruning to {@code budget} of the baseline's FLOPs or parameters when it is not
     * null. {@code net} is the network it will prune, for the defaults that depend on it (the
     * fine-tuning rate); null to check the options before there is one.
     */
    PruneConfig config(Criterion criterion, Ranking.Mode mode, double value, PruneConfig.Budget budget, double budgetFraction,
                       TrainOptions training, long seed, Graph net) {
        io.prune4j.prune.NmPattern nm = pattern(false);
        Schedule sched = Schedule.parse(schedule);
        int r = rounds != null ? rounds : switch (sched) {
            case ONESHOT -> 1;
            case ITERATIVE -> 3;
            case GRADUAL -> 10;
        };
        if (finetuneEpochs < 0) {
            throw new InvalidSettingException("--finetune-epochs must be ≥ 0, got " + finetuneEpochs);
        }
        if (distill && !(distillTemperature > 0 && Float.isFinite(distillTemperature))) {
            // PruneConfig reads a temperature of 0 as "no distillation": --distill must not be dropped silently
            throw new InvalidSettingException("--distill-temperature must be a positive number, got " + distillTemperature);
        }
        Ranking.Config ranking = new Ranking.Config(Ranking.Scope.parse(scope), normalization != null ? Normalization.parse(normalization)
                : structured() ? Normalization.MEAN : Normalization.NONE, mode, value, minKeep,
                maxPruneRatio);
        TrainConfig ft = TrainConfig.builder().optEpochs(finetuneEpochs).optBatchSize(training.batch).optLearningRate(finetuneLearningRate(net != null && BatchNormRecalibration.applies(net)))
                .optOptimizer(training.finetuneOptimizer()).optMomentum(training.momentum)
                .optWeightDecay(training.finetuneWeightDecay()).optLrSchedule(TrainConfig.LrSchedule.parse(training.lrSchedule))
                .optSeed(seed + 1).optAugment(training.augment).build();
        return PruneConfig.builder().setCriterion(criterion).optStructured(structured()).optRanking(ranking).optSchedule(sched, r)
                .optFinetune(ft).optDistillation(distill ? distillTemperature : 0f, distillAlpha).optRewind(rewind)
                .optCalibrationBatches(calibrationBatches).optSeed(seed).optBiasCompensation(biasCompensation).optReconstruct(reconstruct)
                .optKeep(new java.util.LinkedHashSet<>(ignore)).optNodeSparsity(nodeSparsity).optRoundTo(roundTo)
                .optGroupReduction(io.prune4j.backend.Reduction.parse(groupReduction)).optBnRecalibration(bnRecalibration)
                .optBudget(budget, budgetFraction).optPattern(nm).build();
    }
}
