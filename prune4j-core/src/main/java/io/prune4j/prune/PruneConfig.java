package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.Reduction;
import io.prune4j.train.TrainConfig;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything that decides a pruning run. Build with {@link #builder()} (every setting but the
 * criterion has a default) or with the canonical constructor; both refuse the same values with the
 * same {@link InvalidSettingException} messages.
 *
 * @param criterion          importance criterion: a built-in {@link Criterion} or a factory of one's own; not null
 * @param structured         remove whole channels (true) or single weights (false)
 * @param ranking            normalisation, scope, selection and guards; its value is the final target
 *                           (ignored for the ratio when a {@code budget} is set); not null
 * @param schedule           one-shot, iterative or gradual; not null
 * @param rounds             rounds (iterative) or pruning steps (gradual), ≥ 1; one-shot runs one round whatever it is
 * @param finetune           fine-tuning settings; its epochs are per round (one-shot, iterative) or in total
 *                           (gradual); not null
 * @param distillTemperature temperature of distillation from the unpruned model, or 0 for none
 * @param distillAlpha       weight of the distillation term in [0, 1]
 * @param rewind             lottery-ticket rewinding: reset the survivors to their initial values, then retrain
 * @param calibrationBatches calibration batches for data-driven criteria, reconstruction and BatchNorm re-estimation;
 *                           ≥ 1 when the criterion needs data or with reconstruction
 * @param seed               seed for calibration order and random scores
 * @param biasCompensation   fold the mean activation of removed units into the next layer's bias
 *                           ({@link ActivationMeans}); structured pruning with a data-driven criterion only
 * @param reconstruct        refit the surviving weights by least squares on calibration inputs before
 *                           fine-tuning ({@link Reconstruction}); one-shot and iterative schedules
 * @param keep               nodes whose output channels (structured) or weights (unstructured) are never pruned;
 *                           null for none; kept as an unmodifiable copy
 * @param groupReduction     how a dependency group's unit score is reduced over its scored members; not null
 * @param bnRecalibration    re-estimate BatchNorm running statistics on calibration batches after each
 *                           structured pruning step
 * @param budget             prune until the network has {@code budgetFraction} of the baseline's FLOPs or
 *                           parameters (structured only), or null to prune by the ranking's value
 * @param budgetFraction     the budget as a fraction of the unpruned network's, in (0, 1]
 * @param roundTo            kept channel counts are multiples of this (1: any count), ≥ 1
 * @param nodeSparsity       structured ratios of their own, each in [0, 1), for the groups whose channels these nodes
 *                           write; null for none; kept as an unmodifiable copy
 * @param pattern            unstructured, one-shot: an N:M pattern in every weight row instead of the ranking's
 *                           sparsity ({@link NmPattern}), or null
 */
public record PruneConfig(ScorerFactory criterion, boolean structured, Ranking.Config ranking, Schedule schedule, int rounds,
                          TrainConfig finetune, float distillTemperature, float distillAlpha, boolean rewind,
                          int calibrationBatches, long seed, boolean biasCompensation, boolean reconstruct, Set<String> keep,
                          Reduction groupReduction, boolean bnRecalibration, Budget budget, double budgetFraction, int roundTo,
                          Map<String, Double> nodeSparsity, NmPattern pattern) {

    /** What a budget counts. */
    public enum Budget {
        /** Floating-point operations per example ({@link io.prune4j.nn.Graph#flopsPerExample()}). */
        FLOPS,
        /** Parameters ({@link io.prune4j.nn.Graph#parameterCount()}). */
        PARAMS
    }

    /**
     * The configuration without an N:M pattern (the components before patterns existed).
     *
     * @param criterion          importance criterion; not null
     * @param structured         remove whole channels (true) or single weights (false)
     * @param ranking            normalisation, scope, selection and guards; not null
     * @param schedule           one-shot, iterative or gradual; not null
     * @param rounds             rounds (iterative) or pruning steps (gradual), ≥ 1
     * @param finetune           fine-tuning settings; not null
     * @param distillTemperature temperature of distillation from the unpruned model, or 0 for none
     * @param distillAlpha       weight of the distillation term in [0, 1]
     * @param rewind             lottery-ticket rewinding
     * @param calibrationBatches calibration batches for data-driven criteria
     * @param seed               seed for calibration order and random scores
     * @param biasCompensation   fold the mean activation of removed units into the next layer's bias
     * @param reconstruct        refit the surviving weights by least squares before fine-tuning
     * @param keep               nodes never pruned, or null for none
     * @param groupReduction     how a dependency group's unit score is reduced over its scored members; not null
     * @param bnRecalibration    re-estimate BatchNorm running statistics after each structured pruning step
     * @param budget             what a budget counts, or null to prune by the ranking's value
     * @param budgetFraction     the budget as a fraction of the unpruned network's, in (0, 1]
     * @param roundTo            kept channel counts are multiples of this, ≥ 1
     * @param nodeSparsity       structured ratios of their own per node, or null for none
     * @throws InvalidSettingException as the canonical constructor
     */
    public PruneConfig(ScorerFactory criterion, boolean structured, Ranking.Config ranking, Schedule schedule, int rounds,
                       TrainConfig finetune, float distillTemperature, float distillAlpha, boolean rewind,
                       int calibrationBatches, long seed, boolean biasCompensation, boolean reconstruct, Set<String> keep,
                       Reduction groupReduction, boolean bnRecalibration, Budget budget, double budgetFraction, int roundTo,
                       Map<String, Double> nodeSparsity) {
        this(criterion, structured, ranking, schedule, rounds, finetune, distillTemperature, distillAlpha, rewind, calibrationBatches, seed,
                biasCompensation, reconstruct, keep, groupReduction, bnRecalibration, budget, budgetFraction, roundTo, nodeSparsity, null);
    }

    /**
     * Checks every setting and how they combine; {@link Builder#build()} makes the same checks.
     *
     * @param criterion          importance criterion: a built-in {@link Criterion} or a factory of one's own; not null
     * @param structured         remove whole channels (true) or single weights (false)
     * @param ranking            normalisation, scope, selection and guards; its value is the final target
     *                           (ignored for the ratio when a {@code budget} is set); not null
     * @param schedule           one-shot, iterative or gradual; not null
     * @param rounds             rounds (iterative) or pruning steps (gradual), ≥ 1; one-shot runs one round whatever it is
     * @param finetune           fine-tuning settings; its epochs are per round (one-shot, iterative) or in total
     *                           (gradual); not null
     * @param distillTemperature temperature of distillation from the unpruned model, or 0 for none
     * @param distillAlpha       weight of the distillation term in [0, 1]
     * @param rewind             lottery-ticket rewinding: reset the survivors to their initial values, then retrain
     * @param calibrationBatches calibration batches for data-driven criteria, reconstruction and BatchNorm re-estimation;
     *                           ≥ 1 when the criterion needs data or with reconstruction
     * @param seed               seed for calibration order and random scores
     * @param biasCompensation   fold the mean activation of removed units into the next layer's bias
     *                           ({@link ActivationMeans}); structured pruning with a data-driven criterion only
     * @param reconstruct        refit the surviving weights by least squares on calibration inputs before
     *                           fine-tuning ({@link Reconstruction}); one-shot and iterative schedules
     * @param keep               nodes whose output channels (structured) or weights (unstructured) are never pruned;
     *                           null for none; kept as an unmodifiable copy
     * @param groupReduction     how a dependency group's unit score is reduced over its scored members; not null
     * @param bnRecalibration    re-estimate BatchNorm running statistics on calibration batches after each
     *                           structured pruning step
     * @param budget             prune until the network has {@code budgetFraction} of the baseline's FLOPs or
     *                           parameters (structured only), or null to prune by the ranking's value
     * @param budgetFraction     the budget as a fraction of the unpruned network's, in (0, 1]
     * @param roundTo            kept channel counts are multiples of this (1: any count), ≥ 1
     * @param nodeSparsity       structured ratios of their own, each in [0, 1), for the groups whose channels these nodes
     *                           write; null for none; kept as an unmodifiable copy
     * @param pattern            unstructured, one-shot: an N:M pattern in every weight row instead of the ranking's
     *                           sparsity ({@link NmPattern}), or null
     * @throws InvalidSettingException when the criterion or another required setting is null, a value is out of
     *                                  range, or settings do not go together; the message names them
     */
    public PruneConfig {
        if (criterion == null) {
            throw new InvalidSettingException("PruneConfig needs a criterion: call setCriterion");
        }
        if (ranking == null || schedule == null || finetune == null || groupReduction == null) {
            throw new InvalidSettingException("ranking, schedule, fine-tuning settings and group reduction must be set");
        }
        keep = keep == null ? Set.of() : Set.copyOf(keep);
        nodeSparsity = nodeSparsity == null ? Map.of() : Map.copyOf(nodeSparsity);
        if (rounds < 1) {
            throw new InvalidSettingException("rounds must be at least 1, got " + rounds);
        }
        if (schedule != Schedule.ONESHOT && ranking.mode() != Ranking.Mode.RATIO) {
            throw new InvalidSettingException(schedule.name().toLowerCase() + " schedules need a target sparsity, not a threshold or count");
        }
        if (schedule == Schedule.GRADUAL && finetune.epochs() < 1) {
            throw new InvalidSettingException("the gradual schedule prunes while fine-tuning: it needs at least 1 fine-tune epoch");
        }
        if (rewind && schedule == Schedule.GRADUAL) {
            throw new InvalidSettingException("rewinding applies to one-shot and iterative schedules, not gradual");
        }
        if (!structured && !criterion.scoresWeights()) {
            throw new InvalidSettingException("criterion " + criterion.label() + " scores units only; use structured pruning with it");
        }
        if (structured && !criterion.scoresUnits()) {
            throw new InvalidSettingException("criterion " + criterion.label() + " scores single weights only; use unstructured pruning with it");
        }
        if (reconstruct && schedule == Schedule.GRADUAL) {
            throw new InvalidSettingException("reconstruction applies to one-shot and iterative schedules, not gradual");
        }
        if (reconstruct && rewind) {
            throw new InvalidSettingException("rewinding resets the surviving weights, so it would undo the reconstruction: use one of them");
        }
        if (reconstruct && biasCompensation) {
            throw new InvalidSettingException("reconstruction refits the next layer's bias itself: use it or bias compensation, not both");
        }
        if (calibrationBatches < 1 && (criterion.needsData() || reconstruct)) {
            throw new InvalidSettingException("calibration batches must be at least 1, got " + calibrationBatches);
        }
        if (distillTemperature < 0 || Float.isNaN(distillTemperature)) {
            throw new InvalidSettingException("distillation temperature must be ≥ 0, got " + distillTemperature);
        }
        if (!(distillAlpha >= 0 && distillAlpha <= 1)) {
            // checked here, not only in Distillation, so the command line rejects it before training a baseline
            throw new InvalidSettingException("distillation weight must be in [0, 1], got " + distillAlpha);
        }
        if (budget != null) {
            if (!structured) {
                throw new InvalidSettingException("a FLOPs or parameter budget applies to structured pruning; unstructured pruning"
                        + " keeps every multiply-add");
            }
            if (!(budgetFraction > 0 && budgetFraction <= 1)) {
                throw new InvalidSettingException("the budget must be a fraction of the baseline in (0, 1], got " + budgetFraction);
            }
            if (schedule == Schedule.GRADUAL) {
                throw new InvalidSettingException("a budget applies to one-shot and iterative schedules, not gradual");
            }
        }
        if (roundTo < 1) {
            throw new InvalidSettingException("kept channel counts round to a multiple of at least 1, got " + roundTo);
        }
        if (!structured && (roundTo > 1 || !nodeSparsity.isEmpty())) {
            throw new InvalidSettingException("rounding and per-node ratios apply to structured pruning");
        }
        if (pattern != null && structured) {
            throw new InvalidSettingException("an N:M pattern masks single weights: use it with unstructured pruning");
        }
        if (pattern != null && pattern.permute() && rewind) {
            throw new InvalidSettingException("the channel permutation reorders the trained weights, not the initial ones that rewinding"
                    + " goes back to: use one of them");
        }
        if (pattern != null && pattern.permute() && criterion instanceof Criterion c && c.layerwise()) {
            throw new InvalidSettingException("the channel permutation reorders channels by their scores; " + c.label()
                    + " chooses its masks layer by layer without them: drop the permutation");
        }
        if (pattern != null && schedule != Schedule.ONESHOT) {
            throw new InvalidSettingException("an N:M pattern is reached in one step: use it with the one-shot schedule, not "
                    + schedule.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (criterion instanceof Criterion c && c.layerwise()) {
            if (ranking.mode() != Ranking.Mode.RATIO) {
                throw new InvalidSettingException(c.label() + " prunes each layer to a sparsity or a pattern, not to a threshold or a count");
            }
            if (ranking.scope() == Ranking.Scope.GLOBAL) {
                throw new InvalidSettingException(c.label() + " prunes each layer on its own (" + (c == Criterion.WANDA
                        ? "comparing weights within each output row" : "solving each layer's reconstruction") + "): rank within each layer, not globally");
            }
            if (schedule == Schedule.GRADUAL) {
                throw new InvalidSettingException(c.label() + " prunes on calibration inputs between fine-tunings: use the one-shot or"
                        + " iterative schedule, not gradual");
            }
            if (reconstruct) {
                throw new InvalidSettingException(c.label() + " chooses its masks layer by layer on calibration inputs"
                        + (c == Criterion.SPARSEGPT ? " and updates the weights itself" : "") + ": it cannot be combined with reconstruction");
            }
            if (ranking.minKeep() != 1 || ranking.maxPruneRatio() != 1.0) {
                throw new InvalidSettingException(c.label() + " prunes every layer to the same sparsity: the minimum kept per layer"
                        + " and the maximum per-layer pruning ratio do not apply");
            }
        }
        for (Map.Entry<String, Double> e : nodeSparsity.entrySet()) {
            if (!(e.getValue() >= 0 && e.getValue() < 1)) {
                throw new InvalidSettingException("the sparsity of node " + e.getKey() + " must be in [0, 1), got " + e.getValue());
            }
        }
    }

    /**
     * Whether fine-tuning distils from the unpruned model.
     *
     * @return {@code distillTemperature > 0}
     */
    public boolean distill() {
        return distillTemperature > 0;
    }

    /** Whether selection needs the host (a budget, rounding or per-node ratios) rather than the device alone. */
    boolean hostAllocation() {
        return budget != null || roundTo > 1 || !nodeSparsity.isEmpty();
    }

    /**
     * A builder: the criterion is required ({@code setCriterion}); everything else has a default
     * ({@code opt…}): structured, layer-wise 50 % with mean normalisation, one-shot, 2 fine-tune epochs
     * of Adam at 1e-3 with cosine decay, no distillation, no rewinding, 20 calibration batches,
     * seed 42, no bias compensation, no reconstruction, nothing kept, group scores averaged over their
     * members, BatchNorm statistics re-estimated, no budget, any kept count, no per-node ratios, no
     * N:M pattern.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds a {@link PruneConfig}; see {@link PruneConfig#builder()} for the defaults. Values are checked
     * in {@link #build()}, not when set (nulls excepted).
     */
    public static final class Builder {
        private ScorerFactory criterion;
        private boolean structured = true;
        private Ranking.Config ranking = Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.MEAN, 0.5);
        private Schedule schedule = Schedule.ONESHOT;
        private int rounds = 1;
        private TrainConfig finetune = TrainConfig.builder().optEpochs(2).optLearningRate(1e-3f).build();
        private float distillTemperature;
        private float distillAlpha = 0.5f;
        private boolean rewind;
        private int calibrationBatches = 20;
        private long seed = 42;
        private boolean biasCompensation;
        private boolean reconstruct;
        private Set<String> keep = Set.of();
        private Reduction groupReduction = Reduction.MEAN;
        private boolean bnRecalibration = true;
        private Budget budget;
        private double budgetFraction = 1;
        private int roundTo = 1;
        private Map<String, Double> nodeSparsity = Map.of();
        private NmPattern pattern;

        /** A builder with the defaults; also {@link PruneConfig#builder()}. */
        public Builder() {}

        /**
         * The criterion (required, no default): a built-in {@link Criterion} or one's own {@link ScorerFactory}.
         *
         * @param v the criterion; not null
         * @return this builder
         */
        public Builder setCriterion(ScorerFactory v) { criterion = Objects.requireNonNull(v, "v"); return this; }

        /**
         * Remove whole channels (true, the default) or single weights (false).
         *
         * @param v whether to prune structured
         * @return this builder
         */
        public Builder optStructured(boolean v) { structured = v; return this; }

        /**
         * Normalisation, scope, target and guards (default: layer by layer, mean normalisation, sparsity 0.5,
         * at least 1 entry kept, no cap on the per-layer ratio).
         *
         * @param v the ranking; not null
         * @return this builder
         */
        public Builder optRanking(Ranking.Config v) { ranking = Objects.requireNonNull(v, "v"); return this; }

        /**
         * The schedule and its rounds (iterative) or pruning steps (gradual) (default one-shot, 1).
         *
         * @param v      the schedule; not null
         * @param rounds rounds or pruning steps, ≥ 1
         * @return this builder
         */
        public Builder optSchedule(Schedule v, int rounds) {
            schedule = Objects.requireNonNull(v, "v");
            this.rounds = rounds;
            return this;
        }

        /**
         * Fine-tuning settings (default: 2 epochs of Adam at 1e-3 with cosine decay, the other
         * {@link TrainConfig.Builder} defaults); 0 epochs for no fine-tuning.
         *
         * @param v the fine-tuning settings; not null
         * @return this builder
         */
        public Builder optFinetune(TrainConfig v) { finetune = Objects.requireNonNull(v, "v"); return this; }

        /**
         * Distil from the unpruned model while fine-tuning, at this temperature and weight (default temperature 0:
         * no distillation; weight 0.5).
         *
         * @param temperature the temperature, ≥ 0 (0: no distillation)
         * @param alpha       the weight of the distillation term, in [0, 1]
         * @return this builder
         */
        public Builder optDistillation(float temperature, float alpha) { distillTemperature = temperature; distillAlpha = alpha; return this; }

        /**
         * Lottery-ticket rewinding after the last round (default off); needs the initial weights in {@link Pruner#run}.
         *
         * @param v whether to rewind
         * @return this builder
         */
        public Builder optRewind(boolean v) { rewind = v; return this; }

        /**
         * Calibration batches per scoring, refit and BatchNorm re-estimation (default 20).
         *
         * @param v the number of batches
         * @return this builder
         */
        public Builder optCalibrationBatches(int v) { calibrationBatches = v; return this; }

        /**
         * Seed of the calibration order and of random scores (default 42).
         *
         * @param v the seed
         * @return this builder
         */
        public Builder optSeed(long v) { seed = v; return this; }

        /**
         * Fold the mean activation of removed units into the next layer's bias (default off).
         *
         * @param v whether to compensate
         * @return this builder
         */
        public Builder optBiasCompensation(boolean v) { biasCompensation = v; return this; }

        /**
         * Refit the surviving weights by least squares before fine-tuning ({@link Reconstruction}; default off).
         *
         * @param v whether to reconstruct
         * @return this builder
         */
        public Builder optReconstruct(boolean v) { reconstruct = v; return this; }

        /**
         * Nodes whose output channels (or weights) are never pruned, e.g. the last layer before the classifier
         * (default none).
         *
         * @param v node names, or null for none
         * @return this builder
         */
        public Builder optKeep(Set<String> v) { keep = v; return this; }

        /**
         * How a group's unit score combines its members' (default mean).
         *
         * @param v the reduction; not null
         * @return this builder
         */
        public Builder optGroupReduction(Reduction v) { groupReduction = Objects.requireNonNull(v, "v"); return this; }

        /**
         * Re-estimate BatchNorm statistics after each structured pruning step (default on).
         *
         * @param v whether to re-estimate
         * @return this builder
         */
        public Builder optBnRecalibration(boolean v) { bnRecalibration = v; return this; }

        /**
         * Prune until the network has {@code fraction} of the baseline's FLOPs or parameters (default no budget).
         *
         * @param kind     what the budget counts, or null for no budget
         * @param fraction the fraction of the baseline's, in (0, 1] (ignored without a budget)
         * @return this builder
         */
        public Builder optBudget(Budget kind, double fraction) { budget = kind; budgetFraction = fraction; return this; }

        /**
         * Kept channel counts are multiples of {@code v} (e.g. 8, for SIMD widths and tensor cores) (default 1: any count).
         *
         * @param v the multiple, ≥ 1
         * @return this builder
         */
        public Builder optRoundTo(int v) { roundTo = v; return this; }

        /**
         * Ratios of their own for the groups whose channels these nodes write (default none).
         *
         * @param v sparsity per node name, each in [0, 1), or null for none
         * @return this builder
         */
        public Builder optNodeSparsity(Map<String, Double> v) { nodeSparsity = v; return this; }

        /**
         * Unstructured: keep {@code n} of every {@code m} consecutive weights of each row (e.g. 2:4) instead of a
         * sparsity (default none).
         *
         * @param v the pattern, or null for none
         * @return this builder
         */
        public Builder optPattern(NmPattern v) { pattern = v; return this; }

        /**
         * The configuration, checked as the {@link PruneConfig} constructor checks it.
         *
         * @return the configuration
         * @throws InvalidSettingException when the criterion is not set, or a value or a combination of values
         *                                 cannot work; the message names the setting
         */
        public PruneConfig build() {
            return new PruneConfig(criterion, structured, ranking, schedule, rounds, finetune, distillTemperature, distillAlpha, rewind,
                    calibrationBatches, seed, biasCompensation, reconstruct, keep, groupReduction, bnRecalibration, budget,
                    budgetFraction, roundTo, nodeSparsity, pattern);
        }
    }
}
