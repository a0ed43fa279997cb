package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/**
 * Called by {@link Graph#forward} after each node's forward pass, with the node's inputs and output.
 * Importance scorers attach here.
 *
 * <p>Validity: every tensor a forward pass produces stays valid and unchanged until the next forward
 * pass of the graph (layers own their outputs and never write into their inputs), so a hook may keep
 * a reference until the backward pass of the same batch; it must not keep one beyond that, nor write
 * into the tensors.
 */
@FunctionalInterface
public interface ForwardHook {
    /**
     * @param node   the node's name
     * @param layer  the node's layer
     * @param inputs {@code [batch, …]} inputs, in the node's input order
     * @param output {@code [batch, channels, …]} output
     */
    void accept(String node, Layer layer, Tensor[] inputs, Tensor output);
}
