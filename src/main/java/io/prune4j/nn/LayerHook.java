package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/**
 * Called by {@link Sequential} after a layer's forward pass with its output activations, or during
 * the backward pass with the loss gradient with respect to those activations. Importance scorers
 * attach here; the tensor is only valid during the call, so a hook reduces it into buffers of its
 * own and keeps no reference.
 */
@FunctionalInterface
public interface LayerHook {
    /**
     * @param layerIndex position of the layer in the network
     * @param layer      the layer
     * @param tensor     {@code [batch, units]} output (forward hook) or its gradient (backward hook)
     */
    void accept(int layerIndex, Layer layer, Tensor tensor);
}
