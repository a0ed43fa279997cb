package io.prune4j.prune;

import io.prune4j.nn.Graph;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * Accumulates one importance score per output channel (unit) or per weight of some nodes of a
 * graph. A scorer attaches to the graph's hooks in {@link #begin}, adds each calibration batch into
 * one buffer per node (it never keeps per-batch tensors), and hands the buffers over in
 * {@link #finish}. Higher scores mean more important; ranking removes the lowest. Scores of the
 * members of a dependency group are combined by the {@link Pruner}, not here.
 *
 * <p>Life cycle: {@code begin → (forward, backward, afterBackward)* → finish → close}. A scorer made
 * outside the library plugs in through a {@link ScorerFactory}; {@link AbstractScorer} does the
 * bookkeeping.
 */
public interface Scorer extends AutoCloseable {

    /**
     * Prepares buffers for {@code nodes} (names of nodes of {@code net} that the scorer's factory
     * {@link ScorerFactory#scores scores}) and installs hooks.
     *
     * @param net         the network to score; borrowed until {@link #finish} or {@link #close}
     * @param nodes       the nodes to score, each once
     * @param granularity one score per output unit, or per weight
     * @throws IllegalArgumentException when a node is given twice, or has no weight for {@link Granularity#WEIGHT}
     */
    void begin(Graph net, List<String> nodes, Granularity granularity);

    /** Called after each calibration batch's backward pass, when parameter gradients hold that batch. */
    default void afterBackward() {}

    /**
     * The scores, one tensor per node given to {@link #begin}, in that order: {@code [output channels]}
     * for {@link Granularity#UNIT}, shaped like the node's weight for {@link Granularity#WEIGHT}.
     * The caller owns (and closes) them; hooks are removed.
     *
     * @return the scores, higher for more important
     */
    List<Tensor> finish();

    /** Removes hooks and frees buffers not yet handed over. */
    @Override
    void close();
}
