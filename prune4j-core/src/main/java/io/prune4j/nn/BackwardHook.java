package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/**
 * Called by {@link Graph#backward} before each node's backward pass, with the loss gradient with
 * respect to the node's output (summed over every node that reads it). The gradient is valid only
 * during the call: a hook reduces it into buffers of its own and keeps no reference.
 */
@FunctionalInterface
public interface BackwardHook {
    /**
     * @param node       the node's name
     * @param layer      the node's layer
     * @param gradOutput {@code [batch, channels, …]} gradient, shaped like the node's output
     */
    void accept(String node, Layer layer, Tensor gradOutput);
}
