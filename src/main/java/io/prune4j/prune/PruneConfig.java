package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.train.TrainConfig;

/**
 * Everything that decides a pruning run.
 *
 * @param criterion          importance criterion
 * @param structured         remove whole units (true) or single weights (false)
 * @param ranking            normalisation, scope, selection and guards; its value is the final target
 * @param schedule           one-shot, iterative or gradual
 * @param rounds             rounds (iterative) or pruning steps (gradual); 1 for one-shot
 * @param finetune           fine-tuning settings; its epochs are per round (iterative) or in total
 * @param distillTemperature temperature of distillation from the unpruned model, or 0 for none
 * @param distillAlpha       weight of the distillation term in [0, 1]
 * @param rewind             lottery-ticket rewinding: reset the survivors to their initial values, then retrain
 * @param calibrationBatches calibration batches for data-driven criteria
 * @param seed               seed for calibration order and random scores
 * @param biasCompensation   fold the mean activation of removed units into the next layer's bias
 *                           ({@link ActivationMeans}); structured pruning with a data-driven criterion only
 * @param reconstruct        refit the surviving weights by least squares on calibration inputs before
 *                           fine-tuning ({@link Reconstruction}); one-shot and iterative schedules
 */
public record PruneConfig(Criterion criterion, boolean structured, Ranking.Config ranking, Schedule schedule, int rounds,
                          TrainConfig finetune, float distillTemperature, float distillAlpha, boolean rewind,
                          int calibrationBatches, long seed, boolean biasCompensation, boolean reconstruct) {
    public PruneConfig {
        if (criterion == null || ranking == null || schedule == null || finetune == null) {
            throw new InvalidSettingException("criterion, ranking, schedule and fine-tuning settings must be set");
        }
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
            throw new InvalidSettingException("criterion " + criterion + " scores units only; use structured pruning with it");
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
    }

    public boolean distill() {
        return distillTemperature > 0;
    }

    /**
     * A builder: the criterion is required ({@code setCriterion}); everything else has a default
     * ({@code opt…}): structured, layer-wise 50 % with L2 normalisation, one-shot, 2 fine-tune epochs
     * of Adam at 1e-3 with cosine decay, no distillation, no rewinding, 20 calibration batches,
     * seed 42, no bias compensation, no reconstruction.
     */
    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private Criterion criterion;
        private boolean structured = true;
        private Ranking.Config ranking = Ranking.Config.ratio(Ranking.Scope.LAYER, io.prune4j.backend.Normalization.L2, 0.5);
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

        public Builder setCriterion(Criterion v) { criterion = v; return this; }
        /** Remove whole units (true, the default) or single weights (false). */
        public Builder optStructured(boolean v) { structured = v; return this; }
        public Builder optRanking(Ranking.Config v) { ranking = v; return this; }
        /** The schedule and its rounds (iterative) or pruning steps (gradual). */
        public Builder optSchedule(Schedule v, int rounds) { schedule = v; this.rounds = rounds; return this; }
        public Builder optFinetune(TrainConfig v) { finetune = v; return this; }
        /** Distil from the unpruned model while fine-tuning, at this temperature and weight. */
        public Builder optDistillation(float temperature, float alpha) { distillTemperature = temperature; distillAlpha = alpha; return this; }
        public Builder optRewind(boolean v) { rewind = v; return this; }
        public Builder optCalibrationBatches(int v) { calibrationBatches = v; return this; }
        public Builder optSeed(long v) { seed = v; return this; }
        public Builder optBiasCompensation(boolean v) { biasCompensation = v; return this; }
        public Builder optReconstruct(boolean v) { reconstruct = v; return this; }

        public PruneConfig build() {
            if (criterion == null) {
                throw new InvalidSettingException("PruneConfig needs a criterion: call setCriterion");
            }
            return new PruneConfig(criterion, structured, ranking, schedule, rounds, finetune, distillTemperature, distillAlpha, rewind,
                    calibrationBatches, seed, biasCompensation, reconstruct);
        }
    }
}
