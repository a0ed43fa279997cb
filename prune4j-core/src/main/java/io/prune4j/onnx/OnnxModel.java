package io.prune4j.onnx;

import io.prune4j.nn.Graph;
import java.util.Map;

/**
 * A network read from an ONNX file: the prune4j graph, what the file called its parts (for an
 * export that keeps them), and the file's metadata ({@code metadata_props}, producer, opset).
 * Closing it closes the graph.
 */
public record OnnxModel(Graph graph, OnnxNames names, int opset, String producer, Map<String, String> metadata)
        implements AutoCloseable {
    @Override
    public void close() {
        graph.close();
    }
}
