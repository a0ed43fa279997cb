package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/** A {@link Layer} with exactly one input, written in terms of that input. */
public interface UnaryLayer extends Layer {

    /** Shape of one example's output for one example's input shape. */
    int[] outputShape(int[] inputShape);

    /** Runs the layer on {@code x [batch, …input shape]}; see {@link Layer#forward(Tensor[], boolean)}. */
    Tensor forward(Tensor x, boolean training);

    /** The gradient with respect to the input, or null when {@code needInputGrad} is false; see {@link Layer#backward}. */
    Tensor backward(Tensor dy, boolean needInputGrad);

    /** Operations per example for an input of this shape; see {@link Layer#flopsPerExample(int[][])}. */
    long flopsPerExample(int[] inputShape);

    @Override
    default int[] outputShape(int[][] inputShapes) {
        return outputShape(single(inputShapes.length, inputShapes.length == 1 ? inputShapes[0] : null));
    }

    @Override
    default Tensor forward(Tensor[] inputs, boolean training) {
        return forward(single(inputs.length, inputs.length == 1 ? inputs[0] : null), training);
    }

    @Override
    default Tensor[] backward(Tensor dy, boolean[] needInputGrad) {
        return new Tensor[] {backward(dy, needInputGrad[0])};
    }

    @Override
    default long flopsPerExample(int[][] inputShapes) {
        return flopsPerExample(single(inputShapes.length, inputShapes.length == 1 ? inputShapes[0] : null));
    }

    private <T> T single(int count, T only) {
        if (count != 1) {
            throw new IllegalArgumentException(describe() + " takes one input, got " + count);
        }
        return only;
    }
}
