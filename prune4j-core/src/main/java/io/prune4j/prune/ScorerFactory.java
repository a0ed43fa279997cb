package io.prune4j.prune;

import io.prune4j.nn.Layer;
import io.prune4j.nn.WeightLayer;

/**
 * An importance criterion as the {@link Pruner} uses it: what it can score and a new {@link Scorer}
 * for each pruning step. Every built-in {@link Criterion} is one; a criterion written outside the
 * library implements this interface and is given to {@link PruneConfig.Builder#setCriterion}, and
 * runs through the same calibration, group reduction, ranking, schedules and reports.
 */
public interface ScorerFactory {

    /**
     * Short name used in reports and messages, e.g. {@code taylor}.
     *
     * @return the name
     */
    String label();

    /**
     * Whether scoring runs calibration batches forward and backward; data-free criteria score from the weights alone.
     *
     * @return true when the scorer needs calibration batches
     */
    boolean needsData();

    /**
     * Whether it can score whole output channels (structured pruning); true by default.
     *
     * @return true when it gives unit scores
     */
    default boolean scoresUnits() {
        return true;
    }

    /**
     * Whether it can score single weights (unstructured pruning).
     *
     * @return true when it gives weight scores
     */
    boolean scoresWeights();

    /**
     * Whether it scores the output channels of {@code layer} in structured pruning: by default the
     * filters and neurons of {@link WeightLayer}s. A group's score is reduced over the members it scores.
     *
     * @param layer a layer that writes channels of a prunable group
     * @return true when it scores that layer's output channels
     */
    default boolean scores(Layer layer) {
        return layer instanceof WeightLayer;
    }

    /**
     * A new scorer for one pruning step; {@code seed} fixes any randomness it has.
     *
     * @param seed the seed of the step
     * @return a new scorer, owned by the caller, who closes it
     */
    Scorer create(long seed);
}
