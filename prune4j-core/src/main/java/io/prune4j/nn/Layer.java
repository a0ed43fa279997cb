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
 * input) and take part in training, pruning and compaction through these methods alone, with no
 * change to library code. What an implementation must do:
 * <ul>
 *   <li><b>Ownership.</b> The layer owns its parameters ({@link #parameters}), its buffers
 *   ({@link #buffers}), the tensors handed to its constructor, and every tensor it allocates
 *   (outputs, input gradients, work space), and releases all of them in {@link #close}. It never
 *   closes a tensor a method call gave it: inputs, {@code dy}, channel selections and channel masks
 *   stay the caller's.</li>
 *   <li><b>Forward and backward.</b> {@link #forward} reads its inputs without writing them and
 *   returns an output that stays unchanged until its next {@code forward} (hooks and the backward pass
 *   read it later). {@link #backward} follows the forward pass of the same batch, overwrites the
 *   gradient of every parameter ({@link Parameter#grad()}) and returns the input gradients.</li>
 *   <li><b>Pruning.</b> {@link #channelRule} says how output channels follow input channels, so the
 *   dependency analysis can group them; {@link #pruned} builds the smaller layer once a group is
 *   removed; {@link #maskChannels} zeroes the removed channels in place during gradual pruning.
 *   A layer that cannot follow its channels keeps the default {@link ChannelRule.Opaque} and is never
 *   pruned.</li>
 *   <li><b>Copies.</b> {@link #copy} gives an independent layer with the same name and values.</li>
 * </ul>
 * To be saved in and loaded from prune4j's model files, a layer class also needs a
 * {@link io.prune4j.io.LayerCodec} ({@link io.prune4j.io.ModelFile#register}). Layers are not
 * thread-safe: a graph runs one pass at a time.
 */
public interface Layer extends AutoCloseable {

    /**
     * The node name, unique in its graph; parameters are saved as {@code name.parameter}. It stays the
     * same for the layer's life, and {@link #copy} and {@link #pruned} keep it.
     *
     * @return the name: not null, not empty and not {@link Graph#INPUT}
     */
    String name();

    /**
     * Short description for messages and summaries.
     *
     * @return one line, e.g. {@code Dense fc1 (784→300, relu)}
     */
    String describe();

    /**
     * Shape of one example's output for one example's shape of each input, in the order the graph
     * passes them. The graph calls it while it is built and after compaction, before any forward pass.
     *
     * @param inputShapes one per-example shape per input (without the batch dimension); read only:
     *     an implementation must not modify the arrays
     * @return the output's per-example shape, a new array the caller owns
     * @throws IllegalArgumentException when the layer cannot take those inputs (wrong count, channels
     *     or rank), naming what it expected
     */
    int[] outputShape(int[][] inputShapes);

    /**
     * Runs the layer on batched inputs {@code [batch, …input shape]}, which it does not modify. The
     * returned tensor belongs to the layer (or is its input or a view of it, for layers that only pass
     * it on) and stays unchanged until the layer's next {@code forward} call or until it is closed: the
     * backward pass and {@link ForwardHook}s rely on that. The caller never closes it. The layer keeps
     * what {@link #backward} needs (references to its inputs, which stay valid until the backward pass
     * of the same batch).
     *
     * @param inputs   one tensor {@code [batch, …]} per input, in the node's input order (the array
     *                 and its entries not null); borrowed for the pass
     * @param training true in a training step (BatchNorm uses and updates batch statistics, what
     *                 {@link #prepareInference} built is dropped), false for inference
     * @return the output {@code [batch, …outputShape]}, owned by the layer
     * @throws IllegalArgumentException when the inputs do not have the shapes the layer takes
     */
    Tensor forward(Tensor[] inputs, boolean training);

    /**
     * Given {@code dy}, the loss gradient with respect to the last forward output, overwrites the
     * parameter gradients (gradients are per step, never accumulated) and returns the gradient with
     * respect to each input, an entry being null where {@code needInputGrad} is false. A returned
     * gradient may be {@code dy} itself or a view of it (a pass-through); any other is a buffer the
     * layer owns, valid until its next {@code backward} or until it is closed. Writes neither
     * {@code dy} nor the last forward pass's inputs or output (a forward hook may still hold them, see
     * {@link ForwardHook}).
     *
     * @param dy            {@code [batch, …outputShape]}, shaped as the last forward output (not null);
     *                      borrowed: the caller owns it
     * @param needInputGrad one flag per input, in input order (not null): whether that input's
     *                      gradient is needed
     * @return one entry per input: its gradient {@code [batch, …input shape]}, or null where not needed
     * @throws IllegalStateException when no matching forward pass came before (a layer that needs
     *     batch statistics may also refuse an inference-mode forward pass)
     */
    Tensor[] backward(Tensor dy, boolean[] needInputGrad);

    /**
     * Trainable parameters, in a fixed order: the same {@link Parameter} objects on every call, owned
     * by the layer (closed by {@link #close}). The optimiser updates their values in place; compaction
     * builds a new layer instead ({@link #pruned}).
     *
     * @return the parameters; empty for layers without any
     */
    List<Parameter> parameters();

    /**
     * State that is saved and copied with the layer but not trained, by name (BatchNorm's
     * {@code running_mean} and {@code running_var}); saved as {@code name.buffer}. The tensors are the
     * layer's own, not copies: callers may overwrite their contents (to restore a snapshot) but never
     * close them.
     *
     * @return the buffers by name, in a fixed order; empty for most layers (the default)
     */
    default Map<String, Tensor> buffers() {
        return Map.of();
    }

    /**
     * Floating-point operations of one example's inference pass, for inputs of these shapes: each
     * multiply-accumulate counts two (one multiply and one add).
     *
     * @param inputShapes one per-example shape per input, as for {@link #outputShape(int[][])}
     * @return the count, 0 for layers that only move data
     */
    long flopsPerExample(int[][] inputShapes);

    /**
     * An independent copy with its own parameters and buffers on the same backend (for teachers and
     * snapshots): same name and values, nothing shared with this layer, no forward state. The caller
     * owns the copy and closes it.
     *
     * @return the copy
     */
    Layer copy();

    /**
     * How this layer's output channels relate to its inputs' channels; the dependency analysis
     * ({@code io.prune4j.prune.ChannelGroups}) builds the groups of channels that must be removed
     * together from these rules alone. {@link ChannelRule.Opaque} (the default) keeps every channel
     * the layer touches.
     *
     * @return the rule; not null
     */
    default ChannelRule channelRule() {
        return new ChannelRule.Opaque(describe() + " does not say how its channels couple");
    }

    /**
     * A layer of the same kind and name with channels removed, owning new parameters and buffers (this
     * layer is left as it is and stays valid; the caller closes it, as {@link Graph#setLayer} does).
     * {@code keepInputs[i]} selects the channels of input {@code i} that stay, {@code keepOutput}
     * those of the output. Only called with selections the {@link #channelRule} allows: for
     * {@link ChannelRule.PassThrough}, {@link ChannelRule.Product} and {@link ChannelRule.Gate}
     * layers the output selection equals every input's, for {@link ChannelRule.Grouped} ones whole
     * groups go, and an {@link ChannelRule.Opaque} layer is never called. A layer without per-channel
     * parameters returns {@link #copy()}. The selections are borrowed: their index tensors are closed
     * after the call, so the new layer must not keep them.
     *
     * @param keepInputs one entry per input (the array not null); an entry is null where that input
     *                   keeps all its channels
     * @param keepOutput the output channels that stay, or null for all
     * @return the pruned layer, a new object the caller owns
     * @throws UnsupportedOperationException by default: the layer cannot remove channels
     * @throws IllegalArgumentException when a selection does not fit the layer
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

    /** Drops what {@link #prepareInference} built. A training pass drops it too. By default nothing. */
    default void releaseInference() {}

    /**
     * Holds the output channels where {@code channelMask [channels]} (0/1, FLOAT32) is 0 at zero, for
     * structured pruning by masks (the gradual schedule prunes while training and compacts at the end):
     * a layer whose parameters give a removed channel a value of its own even where its inputs are zero
     * (a per-channel shift) masks those parameters, with masks the optimiser re-applies
     * ({@link Parameter#setMask}), so that the masked network computes what the compacted one will.
     * The default does nothing, which is right for layers whose output channel is zero wherever their
     * inputs are (ReLU, pooling, Add, Concat, …). The caller keeps {@code channelMask}: a layer that
     * keeps a mask copies it.
     *
     * @param channelMask {@code [channels]} of the output, 1 where a channel stays and 0 where it is
     *                    removed, on the layer's backend (not null); borrowed
     */
    default void maskChannels(Tensor channelMask) {}

    /**
     * Releases the parameters, buffers and every tensor the layer allocated; the layer is not used
     * afterwards. Tensors it was given as inputs are not closed.
     */
    @Override
    void close();
}
