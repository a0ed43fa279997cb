package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Objects;

/**
 * A layer with a weight whose first dimension is its output units, and an optional bias over them:
 * neurons of a {@link Dense} layer, output channels (filters) of a {@link Conv2d}. Unit {@code n}
 * owns row {@code n} of the weight (everything after its first dimension) and element {@code n} of
 * the bias, so weight-based scoring and unstructured masks treat both kinds alike.
 */
public interface WeightLayer extends Layer {

    /**
     * The weight, owned by the layer.
     *
     * @return {@code [units, …]}: {@code [out, in]} for Dense, {@code [out, in / groups, kh, kw]} for Conv2d
     */
    Parameter weight();

    /**
     * The bias, owned by the layer.
     *
     * @return {@code [units]}, or null for a layer without a bias
     */
    Parameter bias();

    /**
     * Output units: neurons or channels.
     *
     * @return the weight's first extent
     */
    int units();

    /**
     * Inputs one weight row is indexed by.
     *
     * @return input features (Dense) or input channels of its group (Conv2d)
     */
    int inputUnits();

    /**
     * Whether a ReLU is fused into the output (hooks then see the activation after it).
     *
     * @return true when the output is {@code relu(…)}
     */
    boolean hasRelu();

    /**
     * Masks the weight rows and bias entries of the masked output channels: installs masks of the
     * weight's and the bias's shapes built from {@code channelMask} ({@link Parameter#setMask}), which
     * zero those rows at once and after every optimiser step.
     */
    @Override
    default void maskChannels(Tensor channelMask) {
        Objects.requireNonNull(channelMask, "channelMask");
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
