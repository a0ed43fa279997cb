package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/**
 * Called by {@link Sequential} after a layer's forward pass with its output activations, or during
 * the backward pass with the loss gradient with respect to those activations. Importance scorers
 * attach here. A hook reads the tensor and never writes into it.
 *
 * <p>How long the tensor may be kept:
 * <ul>
 *   <li>a forward hook's tensor is what the layer's {@link Layer#forward} returned: the layer's own
 *       output buffer (for {@link Flatten}, a view of the layer before it's). It stays valid and
 *       unchanged until that layer's next forward call, or until the layer is closed or replaced
 *       (compaction, {@link Sequential#setLayer}). {@link Sequential#backward} of the same batch comes
 *       before the next forward, and no layer's backward writes into its forward input or output
 *       ({@link Layer}), so a hook may keep the tensor from the forward pass of a batch to its backward
 *       pass ({@code TaylorScorer} multiplies it with the gradient there), and no longer;</li>
 *   <li>a backward hook's tensor (the next layer's input-gradient buffer, or the caller's gradient of
 *       the logits) is valid only during the call: the hook reduces it into buffers of its own.</li>
 * </ul>
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
