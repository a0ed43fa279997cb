package io.prune4j.onnx;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

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

    /**
     * Names of a file that ends in the network's scores ({@link OutputFunction#NONE}).
     *
     * @param input        the graph input's name (not null)
     * @param output       the graph output's name (not null)
     * @param nodes        prune4j node name (or {@code node/relu} key) → ONNX node name (not null); copied
     * @param outputs      prune4j node name (or {@code node/linear} key) → the tensor it wrote (not null); copied
     * @param initializers {@code node.parameter} → initializer name (not null); copied
     * @param graphName    the ONNX graph's name (not null; may be empty)
     */
    public OnnxNames(String input, String output, Map<String, String> nodes, Map<String, String> outputs,
                     Map<String, String> initializers, String graphName) {
        this(input, output, nodes, outputs, initializers, graphName, OutputFunction.NONE, "");
    }

    /**
     * Names of a file whose last node, {@code functionNode}, applies {@code function} to the network's output.
     *
     * @param input        the graph input's name (not null)
     * @param output       the graph output's name: that of the function's output when there is one (not null)
     * @param nodes        prune4j node name (or {@code node/relu} key) → ONNX node name (not null); copied
     * @param outputs      prune4j node name (or {@code node/linear} key) → the tensor it wrote (not null); copied
     * @param initializers {@code node.parameter} → initializer name (not null); copied
     * @param graphName    the ONNX graph's name (not null; may be empty)
     * @param function     what the last node does to the scores (not null; {@link OutputFunction#NONE} for nothing)
     * @param functionNode the ONNX name of that node (not null; "" when none)
     */
    public OnnxNames(String input, String output, Map<String, String> nodes, Map<String, String> outputs,
                     Map<String, String> initializers, String graphName, OutputFunction function, String functionNode) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(outputs, "outputs");
        Objects.requireNonNull(initializers, "initializers");
        Objects.requireNonNull(graphName, "graphName");
        Objects.requireNonNull(function, "function");
        Objects.requireNonNull(functionNode, "functionNode");
        this.input = input;
        this.output = output;
        this.nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
        this.outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
        this.initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        this.graphName = graphName;
        this.function = function;
        this.functionNode = functionNode;
    }

    /**
     * What the file did to the network's output last.
     *
     * @return the function, {@link OutputFunction#NONE} for most files
     */
    public OutputFunction outputFunction() {
        return function;
    }

    /**
     * The ONNX node name of {@link #outputFunction()}'s node.
     *
     * @return the name, "" when there is none or it had no name
     */
    public String outputFunctionNode() {
        return functionNode;
    }

    /**
     * Names for a network that never was an ONNX file: its input {@code input}, its output {@code output}.
     *
     * @return names that map every node to its prune4j name, graph {@code prune4j}, no output function
     */
    public static OnnxNames defaults() {
        return new OnnxNames("input", "output", Map.of(), Map.of(), Map.of(), "prune4j");
    }

    /**
     * The graph input's name.
     *
     * @return the name
     */
    public String input() {
        return input;
    }

    /**
     * The graph output's name.
     *
     * @return the name
     */
    public String output() {
        return output;
    }

    /**
     * The ONNX graph's name.
     *
     * @return the name, possibly empty
     */
    public String graphName() {
        return graphName;
    }

    /**
     * The ONNX node name of prune4j node {@code node}.
     *
     * @param node a prune4j node name, or a node name with {@link #RELU} (not null)
     * @return the recorded ONNX name, or {@code node} itself
     */
    public String nodeName(String node) {
        Objects.requireNonNull(node, "node");
        return nodes.getOrDefault(node, node);
    }

    /**
     * The tensor node {@code node} wrote.
     *
     * @param node a prune4j node name (not null)
     * @return the recorded tensor name, or {@code node} itself
     */
    public String outputOf(String node) {
        Objects.requireNonNull(node, "node");
        return outputs.getOrDefault(node, node);
    }

    /**
     * The tensor recorded under {@code key}.
     *
     * @param key      a node name, or a node name with {@link #LINEAR} (not null)
     * @param fallback what to return when nothing is recorded
     * @return the recorded tensor name, or {@code fallback}
     */
    public String outputOf(String key, String fallback) {
        Objects.requireNonNull(key, "key");
        return outputs.getOrDefault(key, fallback);
    }

    /**
     * The initializer that held parameter {@code parameter} of {@code node}.
     *
     * @param node      a prune4j node name (not null)
     * @param parameter a parameter or buffer name, e.g. {@code weight} or {@code running_mean} (not null)
     * @return the recorded initializer name, or {@code node.parameter}
     */
    public String initializer(String node, String parameter) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(parameter, "parameter");
        String key = node + "." + parameter;
        return initializers.getOrDefault(key, key);
    }
}
