package io.prune4j.nn;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds a {@link Graph} node by node: each call adds a node that reads the named values and returns
 * the node's name, the value later nodes read. Shapes are inferred as nodes are added, so the
 * convenience methods take only what is new (output channels, kernel size) and a mistake is reported
 * at the node that makes it. Weights are initialised from the builder's seed, in the order the nodes
 * are added. The last node added is the output.
 *
 * <pre>{@code
 * GraphBuilder g = Graph.builder(backend, 42, 1, 28, 28);
 * String x = g.relu("relu1", g.batchNorm("bn1", g.conv("conv1", Graph.INPUT, 16, 3, 1, 1)));
 * String y = g.batchNorm("bn2", g.conv("conv2", x, 16, 3, 1, 1));
 * x = g.relu("relu2", g.add("add", x, y));
 * g.dense("fc", g.flatten("flatten", g.globalAvgPool("pool", x)), 10);
 * Graph net = g.build();
 * }</pre>
 */
public final class GraphBuilder {
    private final Backend backend;
    private final SplittableRandom rng;
    private final int[] inputShape;
    private final List<Graph.Node> nodes = new ArrayList<>();
    private final Map<String, int[]> shapes = new HashMap<>();
    private boolean built;

    GraphBuilder(Backend backend, long seed, int[] inputShape) {
        if (inputShape.length == 0) {
            throw new IllegalArgumentException("the input needs a shape, e.g. 784 or 1, 28, 28");
        }
        this.backend = backend;
        this.rng = new SplittableRandom(seed);
        this.inputShape = inputShape.clone();
        shapes.put(Graph.INPUT, inputShape.clone());
    }

    public Backend backend() {
        return backend;
    }

    /** The random numbers the convenience methods draw weights from (for layers made by hand). */
    public SplittableRandom rng() {
        return rng;
    }

    /** Shape of one example of value {@code name}, added so far. */
    public int[] shape(String name) {
        int[] s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no node '" + name + "' has been added yet");
        }
        return s.clone();
    }

    /** Channels (dimension 0 of one example) of value {@code name}. */
    public int channels(String name) {
        return shape(name)[0];
    }

    /** Adds a node running {@code layer} on {@code inputs} (names of earlier nodes or {@link Graph#INPUT}); returns its name. */
    public String add(Layer layer, String... inputs) {
        if (built) {
            throw new IllegalStateException("the graph has been built");
        }
        if (shapes.containsKey(layer.name())) {
            layer.close();
            throw new IllegalArgumentException("a node named '" + layer.name() + "' exists already");
        }
        int[][] in = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            in[i] = shape(inputs[i]);
        }
        try {
            shapes.put(layer.name(), layer.outputShape(in));
        } catch (RuntimeException e) {
            layer.close();
            throw e;
        }
        nodes.add(new Graph.Node(layer, List.of(inputs)));
        return layer.name();
    }

    /** A fully connected layer of {@code out} units with a bias, on a vector {@code input}. */
    public String dense(String name, String input, int out) {
        return add(Dense.create(backend, name, vector(name, input), out, true, false, rng), input);
    }

    /** A fully connected layer with a fused ReLU. */
    public String denseRelu(String name, String input, int out) {
        return add(Dense.create(backend, name, vector(name, input), out, true, true, rng), input);
    }

    private int vector(String name, String input) {
        int[] s = shape(input);
        if (s.length != 1) {
            throw new IllegalArgumentException(name + ": a Dense layer reads vectors, '" + input + "' gives " + java.util.Arrays.toString(s)
                    + " (flatten it first)");
        }
        return s[0];
    }

    /** A {@code kernel × kernel} convolution to {@code out} channels without a bias (a BatchNorm usually follows). */
    public String conv(String name, String input, int out, int kernel, int stride, int pad) {
        return conv(name, input, out, kernel, stride, pad, 1, false);
    }

    /** A convolution with {@code groups} groups, with or without a bias. */
    public String conv(String name, String input, int out, int kernel, int stride, int pad, int groups, boolean withBias) {
        return add(Conv2d.create(backend, name, channels(input), out, kernel, stride, pad, groups, withBias, false, rng), input);
    }

    /** A depthwise {@code kernel × kernel} convolution (one group per channel) without a bias. */
    public String depthwise(String name, String input, int kernel, int stride, int pad) {
        int c = channels(input);
        return conv(name, input, c, kernel, stride, pad, c, false);
    }

    public String batchNorm(String name, String input) {
        return add(BatchNorm.create(backend, name, channels(input)), input);
    }

    public String relu(String name, String input) {
        return add(new Relu(name, backend), input);
    }

    public String relu6(String name, String input) {
        return add(Clamp.relu6(name, backend), input);
    }

    /** An {@link Activation} of {@code kind}, with {@code alpha} and {@code beta} where its formula has them. */
    public String activation(String name, String input, ActivationKind kind, float alpha, float beta) {
        return add(new Activation(name, backend, kind, alpha, beta), input);
    }

    public String leakyRelu(String name, String input, float alpha) {
        return add(Activation.leakyRelu(name, backend, alpha), input);
    }

    public String sigmoid(String name, String input) {
        return add(Activation.sigmoid(name, backend), input);
    }

    public String tanh(String name, String input) {
        return add(Activation.tanh(name, backend), input);
    }

    /** PyTorch's {@code hardsigmoid} (α = 1/6, β = 1/2). */
    public String hardSigmoid(String name, String input) {
        return add(Activation.hardSigmoid(name, backend), input);
    }

    public String hardSwish(String name, String input) {
        return add(Activation.hardSwish(name, backend), input);
    }

    public String elu(String name, String input, float alpha) {
        return add(Activation.elu(name, backend, alpha), input);
    }

    /** The element-wise product of two values of one shape, or of a gate {@code [C, 1, 1]} and a map {@code [C, H, W]} ({@link Mul}). */
    public String mul(String name, String a, String b) {
        return add(new Mul(name, backend), a, b);
    }

    /** The element-wise sum of two or more values of one shape. */
    public String add(String name, String... inputs) {
        return add(new Add(name, backend), inputs);
    }

    /** Two or more values concatenated along their channels. */
    public String concat(String name, String... inputs) {
        return add(new Concat(name, backend), inputs);
    }

    public String maxPool(String name, String input, int window, int stride, int pad) {
        return add(new MaxPool2d(name, backend, window, stride, pad), input);
    }

    public String avgPool(String name, String input, int window, int stride, int pad) {
        return add(new AvgPool2d(name, backend, window, stride, pad, true), input);
    }

    public String globalAvgPool(String name, String input) {
        return add(new GlobalAvgPool(name, backend), input);
    }

    public String flatten(String name, String input) {
        return add(new Flatten(name, backend), input);
    }

    public String identity(String name, String input) {
        return add(new Identity(name, backend), input);
    }

    /** The graph of every node added; the last is its output. The builder cannot be used after. */
    public Graph build() {
        if (built) {
            throw new IllegalStateException("the graph has been built");
        }
        built = true;
        try {
            return new Graph(backend, inputShape, nodes);
        } catch (RuntimeException e) {
            nodes.forEach(n -> n.layer().close());
            throw e;
        }
    }
}
