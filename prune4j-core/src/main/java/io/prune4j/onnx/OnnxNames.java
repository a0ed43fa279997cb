package io.prune4j.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an imported ONNX file called things, so that an export keeps the names that survive: the
 * graph's input and output, and for each prune4j node the ONNX node name, its output tensor and the
 * initializers of its parameters ({@code "node.parameter"} → initializer name), and the Softmax or
 * LogSoftmax the file ended in ({@link OutputFunction}), which the writer puts back. Immutable; a
 * node the map does not know (added or renamed since) is written under its prune4j name.
 */
public final class OnnxNames {
    /** Key suffix of the Relu fused into a Conv2d or Dense ({@code node/relu}): its node name. */
    public static final String RELU = "/relu";
    /** Key suffix of the tensor between a layer and its fused Relu ({@code node/linear}). */
    public static final String LINEAR = "/linear";
    private final String input;
    private final String output;
    private final Map<String, String> nodes;
    private final Map<String, String> outputs;
    private final Map<String, String> initializers;
    private final String graphName;
    private final OutputFunction function;
    private final String functionNode;

    public OnnxNames(String input, String output, Map<String, String> nodes, Map<String, String> outputs,
                     Map<String, String> initializers, String graphName) {
        this(input, output, nodes, outputs, initializers, graphName, OutputFunction.NONE, "");
    }

    /** Names of a file whose last node, {@code functionNode}, applies {@code function} to the network's output. */
    public OnnxNames(String input, String output, Map<String, String> nodes, Map<String, String> outputs,
                     Map<String, String> initializers, String graphName, OutputFunction function, String functionNode) {
        this.input = input;
        this.output = output;
        this.nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.graphName = graphName;
        this.function = function;
        this.functionNode = functionNode;
    }

    /** What the file did to the network's output last: {@link OutputFunction#NONE} for most. */
    public OutputFunction outputFunction() {
        return function;
    }

    /** The ONNX node name of {@link #outputFunction()}'s node ("" when none). */
    public String outputFunctionNode() {
        return functionNode;
    }

    /** Names for a network that never was an ONNX file: its input {@code input}, its output {@code output}. */
    public static OnnxNames defaults() {
        return new OnnxNames("input", "output", Map.of(), Map.of(), Map.of(), "prune4j");
    }

    /** The graph input's name. */
    public String input() {
        return input;
    }

    /** The graph output's name. */
    public String output() {
        return output;
    }

    public String graphName() {
        return graphName;
    }

    /** The ONNX node name of prune4j node {@code node}, or {@code node} itself. */
    public String nodeName(String node) {
        return nodes.getOrDefault(node, node);
    }

    /** The tensor node {@code node} wrote, or {@code node} itself. */
    public String outputOf(String node) {
        return outputs.getOrDefault(node, node);
    }

    /** The tensor recorded under {@code key} (a node, or a node with {@link #LINEAR}), or {@code fallback}. */
    public String outputOf(String key, String fallback) {
        return outputs.getOrDefault(key, fallback);
    }

    /** The initializer that held parameter {@code parameter} of {@code node}, or {@code node.parameter}. */
    public String initializer(String node, String parameter) {
        String key = node + "." + parameter;
        return initializers.getOrDefault(key, key);
    }
}
