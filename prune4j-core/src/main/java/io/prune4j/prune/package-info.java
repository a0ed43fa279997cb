/**
 * Pruning: importance {@link io.prune4j.prune.Scorer}s (one per {@link io.prune4j.prune.Criterion}),
 * {@link io.prune4j.prune.Calibration} to feed them, {@link io.prune4j.prune.Ranking} to turn
 * scores into keep masks, {@link io.prune4j.prune.Reconstruction} to refit the weights that stay
 * (optional), {@link io.prune4j.prune.Compaction} to apply the masks, and the
 * {@link io.prune4j.prune.Pruner} that runs schedules with fine-tuning. The seams follow the
 * pipeline: a scorer only scores, ranking only selects, compaction only applies a plan.
 */
package io.prune4j.prune;
