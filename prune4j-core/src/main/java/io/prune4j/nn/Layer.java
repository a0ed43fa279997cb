package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * One operation of a {@link Graph}: a node's computation, its parameters, and what the pruning code
 * needs to know about its channels. A layer keeps what its backward pass needs from the last forward
 * pass and owns its output and gradient buffers (reused while the shapes stay the same), so a
 * training step allocates nothing once warm.
 *
 * <p>Shapes leave the batch dimension out: {@code [features]} for vectors, {@code [channels, height, width]}
 * for feature maps; dimension 1 of a batched tensor is always the channel (or feature) axis.
 *
 * <p>Layers written outside the library implement this interface (or {@link UnaryLayer} for one
 * input) and take part in pruning through {@link #channelRule} and {@link #pruned}, with no change
 * to library code.
 */
public interface Layer extends AutoCloseable {

    /** The node name, unique in its graph; parameters are saved as {@code name.parameter}. */
    String name();

    /** Short description, e.g. {@code Dense fc1 (784→300, relu)}. */
    String describe();

    /**
     * Shape of one example's output for one example's shape of each input, in the order the graph
     * passes them. Throws {@link IllegalArgumentException} when the layer cannot take those inputs
     * (wrong count, channels or rank), naming what it expected.
     */
    int[] outputShape(int[][] inputShapes);

    /**
     * Runs the layer on batched inputs {@code [batch, …input shape]}, which it does not modify. The
     * returned tensor belongs to the layer (or is its input or a view of it, for layers that only pass
     * it on) and stays unchanged until the layer's next {@code forward} call or until it is closed: the
     * backward pass and {@link ForwardHook}s rely on that.
     */
    Tensor forward(Tensor[] inputs, boolean training);

    /**
     * Given {@code dy}, the loss gradient with respect to the last forward output, overwrites the
     * parameter gradients (gradients are per step) and returns the gradient with respect to each
     * input, an entry being null where {@code needInputGrad} is false. A returned gradient may be
     * {@code dy} itself or a view of it (a pass-through). Writes neither {@code dy} nor the last
     * forward pass's inputs or output (a forward hook may still hold them, see {@link ForwardHook}).
     */
    Tensor[] backward(Tensor dy, boolean[] needInputGrad);

    /** Trainable parameters, in a fixed order; empty for layers without any. */
    List<Parameter> parameters();

    /**
     * State that is saved and copied with the layer but not trained, by name (BatchNorm's
     * {@code running_mean} and {@code running_var}); empty for most layers.
     */
    default Map<String, Tensor> buffers() {
        return Map.of();
    }

    /** Multiply-accumulate count per example times two (one multiply and one add), for inputs of these shapes. */
    long flopsPerExample(int[][] inputShapes);

    /** An independent copy with its own parameters and buffers on the same backend (for teachers and snapshots). */
    Layer copy();

    /**
     * How this layer's output channels relate to its inputs' channels; the dependency analysis
     * ({@code io.prune4j.prune.ChannelGroups}) builds the groups of channels that must be removed
     * together from these rules alone. {@link ChannelRule.Opaque} (the default) keeps every channel
     * the layer touches.
     */
    default ChannelRule channelRule() {
        return new ChannelRule.Opaque(describe() + " does not say how its channels couple");
    }

    /**
     * A layer of the same kind with channels removed, owning new parameters (this layer is left as it
     * is; the caller closes it). {@code keepInputs[i]} selects the channels of input {@code i} that stay
     * (null: all), {@code keepOutput} those of the output (null: all). Only called with selections the
     * {@link #channelRule} allows: for {@link ChannelRule.PassThrough} and {@link ChannelRule.Product}
     * layers the output selection equals every input's, for {@link ChannelRule.Grouped} ones whole
     * groups go.
     */
    default Layer pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        throw new UnsupportedOperationException(describe() + " cannot remove channels");
    }

    /**
     * Inference forward passes ({@code training = false}) follow until {@link #releaseInference}, with
     * the parameters unchanged: a layer may build a faster form of its weights for them (a masked
     * Dense layer its sparse matrix, where the backend's sparse product is faster). By default nothing.
     */
    default void prepareInference() {}

    /** Drops what {@link #prepareInference} built. A training pass drops it too. */
    default void releaseInference() {}

    /**
     * Holds the output channels where {@code channelMask [channels]} (0/1, FLOAT32) is 0 at zero, for
     * structured pruning by masks (the gradual schedule prunes while training and compacts at the end):
     * a layer whose parameters give a removed channel a value of its own even where its inputs are zero
     * (a per-channel shift) masks those parameters, with masks the optimiser re-applies
     * ({@link Parameter#setMask}), so that the masked network computes what the compacted one will.
     * The default does nothing, which is right for layers whose output channel is zero wherever their
     * inputs are (ReLU, pooling, Add, Concat, …). The caller keeps {@code channelMask}.
     */
    default void maskChannels(Tensor channelMask) {}

    @Override
    void close();
}
