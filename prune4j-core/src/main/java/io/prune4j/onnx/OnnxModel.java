package io.prune4j.onnx;

import io.prune4j.nn.Graph;
import java.util.Map;
import java.util.Objects;

/**
 * A network read from an ONNX file: the prune4j graph, what the file called its parts (for an
 * export that keeps them), and the file's metadata ({@code metadata_props}, producer, opset).
 * Closing it closes the graph.
 *
 * @param graph    the network; whoever holds the record owns it and closes it (not null)
 * @param names    the file's names of the graph's parts ({@link OnnxNames#defaults()} for a network
 *                 that was no ONNX file) (not null)
 * @param opset    the file's opset of the default ONNX domain, 0 for a safetensors file, at least 0
 * @param producer the producer's name and version, e.g. {@code pytorch 2.1.0} (not null; may be empty)
 * @param metadata the file's metadata, string keys and values (not null)
 * @param dataBytes the bytes of the external data files the file's tensors were read from (see
 *                 {@code ExternalData}), each file once; 0 when it keeps them all in itself
 */
public record OnnxModel(Graph graph, OnnxNames names, int opset, String producer, Map<String, String> metadata, long dataBytes)
        implements AutoCloseable {
    /**
     * Checks the components.
     *
     * @param graph    the network (not null)
     * @param names    the file's names (not null)
     * @param opset    the opset, at least 0
     * @param producer the producer (not null)
     * @param metadata the metadata (not null)
     * @param dataBytes the bytes of its external data files, at least 0
     * @throws IllegalArgumentException when {@code opset} or {@code dataBytes} is negative
     */
    public OnnxModel {
        Objects.requireNonNull(graph, "graph");
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(metadata, "metadata");
        if (opset < 0) {
            throw new IllegalArgumentException("an ONNX model's opset must be ≥ 0, got " + opset);
        }
        if (dataBytes < 0) {
            throw new IllegalArgumentException("an ONNX model's external data bytes must be ≥ 0, got " + dataBytes);
        }
    }

    /**
     * A model with all its tensors in its own file.
     *
     * @param graph    the network (not null)
     * @param names    the file's names (not null)
     * @param opset    the opset, at least 0
     * @param producer the producer (not null)
     * @param metadata the metadata (not null)
     */
    public OnnxModel(Graph graph, OnnxNames names, int opset, String producer, Map<String, String> metadata) {
        this(graph, names, opset, producer, metadata, 0);
    }

    /** Closes the graph. */
    @Override
    public void close() {
        graph.close();
    }
}
