package io.prune4j.io;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Layer;
import io.prune4j.tensor.Tensor;
import java.util.Map;

/**
 * How a layer type of one's own is written to a model file and read back, registered with
 * {@link ModelFile#register}. The file keeps, for each such layer, its {@link #type()}, its name,
 * its inputs, the {@link #settings settings} this codec gives as strings, and every parameter and
 * buffer of the layer as a tensor named {@code <layer name>.<parameter or buffer name>} (masks
 * included, as for the built-in layers); loading reads those tensors, checks their shapes against
 * the ones saved, and hands them to {@link #create}.
 *
 * <p>A codec must be stateless and thread-safe: one instance serves every save and load.
 *
 * @param <L> the layer class this codec writes; only layers of exactly this class use it
 */
public interface LayerCodec<L extends Layer> {
    /**
     * The file's name for this layer type, written as the layer's {@code "type"}. It must not be one
     * of the built-in types ({@code dense}, {@code conv2d}, {@code batchnorm}, …); a name with the
     * owner's package or a dot in it ({@code "org.example.scale"}) cannot clash with future ones.
     *
     * @return a non-empty name, the same on every call
     */
    String type();

    /**
     * The layer class this codec writes.
     *
     * @return the class, the same on every call
     */
    Class<L> layerClass();

    /**
     * The settings that, with its tensors, rebuild {@code layer}: everything that is not a
     * parameter or a buffer (sizes, strides, flags), as strings. The layer's name and inputs are
     * saved by the file itself.
     *
     * @param layer the layer being saved (not null)
     * @return the settings, possibly empty, never null; keys and values are not null
     */
    Map<String, String> settings(L layer);

    /**
     * Builds the layer back from a file.
     *
     * @param name the layer's name in the file
     * @param settings what {@link #settings} gave at save time
     * @param tensors the layer's parameters and buffers, by their names in the layer (without the
     *     layer name), on {@code backend}, with the shapes they were saved with; the new layer takes
     *     ownership of the ones it keeps and closes the others
     * @param backend the backend the network is loaded on
     * @return the layer, whose {@link Layer#parameters()} and {@link Layer#buffers()} have the names
     *     of {@code tensors}
     * @throws ModelFormatException when the settings or the tensors do not make such a layer (the
     *     loader adds the file and the layer to the message)
     */
    L create(String name, Map<String, String> settings, Map<String, Tensor> tensors, Backend backend);
}
