package io.prune4j.nn;

/**
 * A layer with a weight whose first dimension is its output units, and an optional bias over them:
 * neurons of a {@link Dense} layer, output channels (filters) of a {@link Conv2d}. Unit {@code n}
 * owns row {@code n} of the weight (everything after its first dimension) and element {@code n} of
 * the bias, so weight-based scoring and unstructured masks treat both kinds alike.
 */
public interface WeightLayer extends Layer {

    /** {@code [units, …]}: {@code [out, in]} for Dense, {@code [out, in / groups, kh, kw]} for Conv2d. */
    Parameter weight();

    /** {@code [units]}, or null for a layer without a bias. */
    Parameter bias();

    /** Output units: neurons or channels. */
    int units();

    /** Inputs one weight row is indexed by: input features (Dense) or input channels of its group (Conv2d). */
    int inputUnits();

    /** Whether a ReLU is fused into the output (hooks then see the activation after it). */
    boolean hasRelu();
}
