package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

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

    /** Masks the weight rows and bias entries of the masked output channels. */
    @Override
    default void maskChannels(Tensor channelMask) {
        Backend b = channelMask.backend();
        Tensor rows = b.zeros(DType.FLOAT32, weight().value().shape());
        b.broadcastRows(rows, channelMask);
        weight().setMask(rows);
        if (bias() != null) {
            Tensor m = b.zeros(DType.FLOAT32, channelMask.shape());
            b.copy(m, channelMask);
            bias().setMask(m);
        }
    }
}
