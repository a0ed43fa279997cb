package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/**
 * A layer with a weight and a bias whose output units can be pruned: neurons of a {@link Dense}
 * layer, output channels of a {@link Conv2d}. Unit {@code n} owns row {@code n} of the weight
 * (everything after its first dimension) and element {@code n} of the bias; the weight's first
 * dimension is always the unit count, so scoring, masks and compaction treat both kinds alike.
 */
public interface WeightLayer extends Layer {

    String name();

    /** {@code [units, …]}: {@code [out, in]} for Dense, {@code [out, in, kh, kw]} for Conv2d. */
    Parameter weight();

    /** {@code [units]}. */
    Parameter bias();

    /** Prunable output units: neurons or channels. */
    int units();

    /** Input units the weight is indexed by: input features (Dense) or input channels (Conv2d). */
    int inputUnits();

    /** Whether a ReLU is fused into the output (hooks then see the activation after it). */
    boolean hasRelu();

    /**
     * A layer of the same kind and settings with new parameters, which it takes ownership of; used
     * by compaction to build the smaller layer. The shapes may differ from this layer's in the unit
     * count and the input count only.
     */
    WeightLayer withParameters(Tensor weight, Tensor bias);
}
