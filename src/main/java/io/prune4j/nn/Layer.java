package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * One step of a {@link Sequential} network. A layer keeps what its backward pass needs from the
 * last forward pass, and owns its output and gradient buffers (reused while the batch size stays
 * the same), so a training step allocates nothing once warm.
 */
public interface Layer extends AutoCloseable {

    /** Short description, e.g. {@code Dense(784→300, relu)}. */
    String describe();

    /**
     * Shape of one example's output for one example's input shape (the batch dimension left out):
     * {@code [features]} for Dense layers, {@code [channels, height, width]} for feature maps. Throws
     * {@link IllegalArgumentException} when the layer cannot take that input.
     */
    int[] outputShape(int[] inputShape);

    /**
     * Runs the layer on {@code x [batch, …input shape]}, which it does not modify. The returned tensor
     * belongs to the layer and stays unchanged until the next call (which overwrites or replaces it)
     * or until the layer is closed: the backward pass and {@link LayerHook}s rely on that.
     */
    Tensor forward(Tensor x, boolean training);

    /**
     * Given {@code dy}, the loss gradient with respect to the last forward output, accumulates the
     * parameter gradients (overwriting them: gradients are per step) and returns the gradient with
     * respect to the input, or null when {@code needInputGrad} is false. Writes neither {@code dy} nor
     * the last forward pass's input or output (a forward hook may still hold them, see {@link LayerHook}).
     */
    Tensor backward(Tensor dy, boolean needInputGrad);

    /** Trainable parameters, in a fixed order; empty for layers without any. */
    List<Parameter> parameters();

    /** Multiply-accumulate count per example times two (one multiply and one add), for an input of this shape. */
    long flopsPerExample(int[] inputShape);

    /** An independent copy with its own parameters on the same backend (for teachers and snapshots). */
    Layer copy();

    @Override
    void close();
}
