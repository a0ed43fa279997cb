package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.Objects;

/**
 * A {@link Layer} with exactly one input, written in terms of that input: an implementation writes
 * the four one-input methods and inherits the {@link Layer} ones, which check that there is one input
 * (an {@link IllegalArgumentException} otherwise) and pass it on. The contracts are those of
 * {@link Layer}.
 */
public interface UnaryLayer extends Layer {

    /**
     * Shape of one example's output for one example's input shape.
     *
     * @param inputShape the per-example input shape (without the batch dimension); read only
     * @return the per-example output shape, a new array the caller owns
     * @throws IllegalArgumentException when the layer cannot take that shape
     * @see Layer#outputShape(int[][])
     */
    int[] outputShape(int[] inputShape);

    /**
     * Runs the layer on {@code x [batch, …input shape]}; see {@link Layer#forward(Tensor[], boolean)}.
     *
     * @param x        the batched input (not null); borrowed, not modified
     * @param training true in a training step, false for inference
     * @return the output {@code [batch, …outputShape]}, owned by the layer (or {@code x} or a view of it)
     * @throws IllegalArgumentException when {@code x} does not have a shape the layer takes
     */
    Tensor forward(Tensor x, boolean training);

    /**
     * The gradient with respect to the input; see {@link Layer#backward}.
     *
     * @param dy            the loss gradient with respect to the last forward output, of its shape
     *                      (not null); borrowed
     * @param needInputGrad whether the input's gradient is needed
     * @return the input gradient {@code [batch, …input shape]} (owned by the layer, or {@code dy} or a
     *     view of it), or null when {@code needInputGrad} is false
     * @throws IllegalStateException when no matching forward pass came before
     */
    Tensor backward(Tensor dy, boolean needInputGrad);

    /**
     * Operations per example for an input of this shape; see {@link Layer#flopsPerExample(int[][])}.
     *
     * @param inputShape the per-example input shape
     * @return floating-point operations of one example's inference pass (a multiply-add counts two)
     */
    long flopsPerExample(int[] inputShape);

    @Override
    default int[] outputShape(int[][] inputShapes) {
        Objects.requireNonNull(inputShapes, "inputShapes");
        return outputShape(single(inputShapes.length, inputShapes.length == 1 ? inputShapes[0] : null));
    }

    @Override
    default Tensor forward(Tensor[] inputs, boolean training) {
        Objects.requireNonNull(inputs, "inputs");
        return forward(single(inputs.length, inputs.length == 1 ? inputs[0] : null), training);
    }

    @Override
    default Tensor[] backward(Tensor dy, boolean[] needInputGrad) {
        Objects.requireNonNull(needInputGrad, "needInputGrad");
        return new Tensor[] {backward(dy, needInputGrad[0])};
    }

    @Override
    default long flopsPerExample(int[][] inputShapes) {
        Objects.requireNonNull(inputShapes, "inputShapes");
        return flopsPerExample(single(inputShapes.length, inputShapes.length == 1 ? inputShapes[0] : null));
    }

    private <T> T single(int count, T only) {
        if (count != 1) {
            throw new IllegalArgumentException(describe() + " takes one input, got " + count);
        }
        return only;
    }
}
