package io.prune4j.nn;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 *
 * <p>Every method that adds a node takes the new node's {@code name} (not null, not empty, not
 * {@link Graph#INPUT}, unique in the graph) and the names of the values it reads (earlier nodes'
 * names as these methods return them, or {@link Graph#INPUT}), and returns {@code name}. Shapes are
 * those of one example ({@code [C, H, W]} feature maps, {@code [features]} vectors). They throw
 * {@link IllegalArgumentException} when the name is taken, an input has not been added, or the layer
 * does not fit its inputs' shapes, and {@link IllegalStateException} after {@link #build}. The
 * builder owns the layers added until {@link #build} hands them to the graph.
 */
public final class GraphBuilder implements AutoCloseable {
    private final Backend backend;
    private final SplittableRandom rng;
    private final int[] inputShape;
    private final List<Graph.Node> nodes = new ArrayList<>();
    private final Map<String, int[]> shapes = new HashMap<>();
    private boolean built;
    private boolean closed;

    GraphBuilder(Backend backend, long seed, int[] inputShape) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(inputShape, "inputShape");
        if (inputShape.length == 0) {
            throw new IllegalArgumentException("the input needs a shape, e.g. 784 or 1, 28, 28");
        }
        this.backend = backend;
        this.rng = new SplittableRandom(seed);
        this.inputShape = inputShape.clone();
        shapes.put(Graph.INPUT, inputShape.clone());
    }

    /**
     * The backend the layers are allocated on, for layers made by hand.
     *
     * @return the builder's backend
     */
    public Backend backend() {
        return backend;
    }

    /**
     * The random numbers the convenience methods draw weights from (for layers made by hand).
     *
     * @return the builder's generator, seeded by the builder's seed; drawing from it changes the
     *     weights of the nodes added after
     */
    public SplittableRandom rng() {
        return rng;
    }

    /**
     * Shape of one example of value {@code name}, added so far.
     *
     * @param name a node added so far, or {@link Graph#INPUT} (not null)
     * @return a copy of the per-example shape
     * @throws IllegalArgumentException when no such value has been added
     */
    public int[] shape(String name) {
        Objects.requireNonNull(name, "name");
        int[] s = shapes.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no node '" + name + "' has been added yet");
        }
        return s.clone();
    }

    /**
     * Channels (dimension 0 of one example) of value {@code name}.
     *
     * @param name a node added so far, or {@link Graph#INPUT} (not null)
     * @return the first extent of its per-example shape: channels of a map, features of a vector
     * @throws IllegalArgumentException when no such value has been added
     */
    public int channels(String name) {
        return shape(name)[0];
    }

    /**
     * Adds a node running {@code layer} on {@code inputs}. The builder takes ownership of the layer;
     * when it cannot add it (the graph is built, the name is taken, an input is unknown or the layer
     * does not fit its inputs' shapes), it closes the layer and throws.
     *
     * @param layer  the node's layer, whose name is the node's (not null)
     * @param inputs the values it reads, in the layer's input order: names of earlier nodes or
     *               {@link Graph#INPUT} (not null)
     * @return the node's name, {@code layer.name()}
     * @throws IllegalArgumentException when a node of that name exists, an input has not been added,
     *     or the layer refuses the inputs' shapes
     * @throws IllegalStateException when the graph has been built
     */
    public String add(Layer layer, String... inputs) {
        Objects.requireNonNull(layer, "layer");
        try {
            Objects.requireNonNull(inputs, "inputs");
            if (built || closed) {
                throw new IllegalStateException(built ? "the graph has been built" : "the builder has been closed");
            }
            if (shapes.containsKey(layer.name())) {
                throw new IllegalArgumentException("a node named '" + layer.name() + "' exists already");
            }
            int[][] in = new int[inputs.length][];
            for (int i = 0; i < inputs.length; i++) {
                in[i] = shape(inputs[i]);
            }
            shapes.put(layer.name(), layer.outputShape(in));
        } catch (RuntimeException e) {
            layer.close();
            throw e;
        }
        nodes.add(new Graph.Node(layer, List.of(inputs)));
        return layer.name();
    }

    /**
     * A fully connected layer of {@code out} units with a (zero) bias and no ReLU, on a vector
     * {@code input}: {@code [in] → [out]}, He-uniform weights ({@link Dense#create}).
     *
     * @param name  the node's name
     * @param input a vector value {@code [in]}
     * @param out   output units, at least 1
     * @return {@code name}
     */
    public String dense(String name, String input, int out) {
        return add(Dense.create(backend, name, vector(name, input), out, true, false, rng), input);
    }

    /**
     * A fully connected layer of {@code out} units with a (zero) bias and a fused ReLU, on a vector
     * {@code input}: {@code [in] → [out]}.
     *
     * @param name  the node's name
     * @param input a vector value {@code [in]}
     * @param out   output units, at least 1
     * @return {@code name}
     */
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

    /**
     * A {@code kernel × kernel} convolution to {@code out} channels: one group, no bias (a BatchNorm
     * usually follows), no fused ReLU. {@code [C, H, W] → [out, Ho, Wo]} with
     * {@code Ho = (H + 2·pad − kernel) / stride + 1}.
     *
     * @param name   the node's name
     * @param input  a feature-map value {@code [C, H, W]}
     * @param out    output channels, at least 1
     * @param kernel kernel height and width, at least 1
     * @param stride stride along both axes, at least 1
     * @param pad    zero padding on every side, at least 0
     * @return {@code name}
     */
    public String conv(String name, String input, int out, int kernel, int stride, int pad) {
        return conv(name, input, out, kernel, stride, pad, 1, false);
    }

    /**
     * A convolution with {@code groups} groups, with or without a (zero) bias, no fused ReLU
     * ({@link Conv2d#create(Backend, String, int, int, int, int, int, int, boolean, boolean, SplittableRandom)}).
     *
     * @param name     the node's name
     * @param input    a feature-map value {@code [C, H, W]}
     * @param out      output channels, at least 1
     * @param kernel   kernel height and width, at least 1
     * @param stride   stride along both axes, at least 1
     * @param pad      zero padding on every side, at least 0
     * @param groups   groups, dividing both {@code C} and {@code out}
     * @param withBias whether the layer has a bias
     * @return {@code name}
     */
    public String conv(String name, String input, int out, int kernel, int stride, int pad, int groups, boolean withBias) {
        return add(Conv2d.create(backend, name, channels(input), out, kernel, stride, pad, groups, withBias, false, rng), input);
    }

    /**
     * A depthwise {@code kernel × kernel} convolution (one group per channel, {@code [C, H, W] → [C, Ho, Wo]})
     * without a bias.
     *
     * @param name   the node's name
     * @param input  a feature-map value {@code [C, H, W]}
     * @param kernel kernel height and width, at least 1
     * @param stride stride along both axes, at least 1
     * @param pad    zero padding on every side, at least 0
     * @return {@code name}
     */
    public String depthwise(String name, String input, int kernel, int stride, int pad) {
        int c = channels(input);
        return conv(name, input, c, kernel, stride, pad, c, false);
    }

    /**
     * Adds a fresh {@link LayerNorm} over {@code input}'s channels (γ = 1, β = 0).
     *
     * @param name  the node name
     * @param input the node it reads ({@code [C]} or {@code [C, H, W]} per example)
     * @param eps   added to the variance, finite and above 0 ({@link LayerNorm#DEFAULT_EPS} is PyTorch's)
     * @return {@code name}
     * @throws IllegalArgumentException when the name is taken, the input unknown or {@code eps} out of range
     */
    public String layerNorm(String name, String input, float eps) {
        return add(LayerNorm.create(backend, name, channels(input), eps), input);
    }

    /**
     * Adds a fresh {@link GroupNorm} over {@code input}'s channels in {@code groups} blocks (γ = 1,
     * β = 0): PyTorch's {@code GroupNorm(groups, C)}; {@code groups = C} is an instance norm.
     *
     * @param name   the node name
     * @param input  the node it reads ({@code [C]} or {@code [C, H, W]} per example)
     * @param groups the number of blocks, at least 1, dividing the input's channels
     * @param eps    added to the variance, finite and above 0 ({@link GroupNorm#DEFAULT_EPS} is PyTorch's)
     * @return {@code name}
     * @throws IllegalArgumentException when the name is taken, the input unknown, or {@code groups} or {@code eps} out of range
     */
    public String groupNorm(String name, String input, int groups, float eps) {
        return add(GroupNorm.create(backend, name, groups, channels(input), eps), input);
    }

    /**
     * A batch normalisation over the channels of {@code input} ({@link BatchNorm#create}: γ = 1, β = 0,
     * running mean 0 and variance 1, momentum 0.1 and eps 1e-5, PyTorch's defaults); the shape is unchanged.
     *
     * @param name  the node's name
     * @param input a value {@code [C, H, W]} or {@code [C]}
     * @return {@code name}
     */
    public String batchNorm(String name, String input) {
        return add(BatchNorm.create(backend, name, channels(input)), input);
    }

    /**
     * A ReLU, {@code max(x, 0)}; the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String relu(String name, String input) {
        return add(new Relu(name, backend), input);
    }

    /**
     * A ReLU6, {@code min(max(x, 0), 6)} ({@link Clamp#relu6}); the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String relu6(String name, String input) {
        return add(Clamp.relu6(name, backend), input);
    }

    /**
     * An {@link Activation} of {@code kind}, with {@code alpha} and {@code beta} where its formula has
     * them (ignored elsewhere); the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @param kind  the function (not null)
     * @param alpha α, finite where {@code kind} has one
     * @param beta  β, finite where {@code kind} has one
     * @return {@code name}
     */
    public String activation(String name, String input, ActivationKind kind, float alpha, float beta) {
        return add(new Activation(name, backend, kind, alpha, beta), input);
    }

    /**
     * A LeakyReLU, {@code x > 0 ? x : α·x}; the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @param alpha the slope below 0, finite (PyTorch's default is 0.01)
     * @return {@code name}
     */
    public String leakyRelu(String name, String input, float alpha) {
        return add(Activation.leakyRelu(name, backend, alpha), input);
    }

    /**
     * A sigmoid, {@code 1 / (1 + e^−x)}; the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String sigmoid(String name, String input) {
        return add(Activation.sigmoid(name, backend), input);
    }

    /**
     * A hyperbolic tangent; the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String tanh(String name, String input) {
        return add(Activation.tanh(name, backend), input);
    }

    /**
     * PyTorch's {@code hardsigmoid}, {@code min(max(α·x + β, 0), 1)} with α = 1/6, β = 1/2; the shape
     * is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String hardSigmoid(String name, String input) {
        return add(Activation.hardSigmoid(name, backend), input);
    }

    /**
     * A HardSwish, {@code x · hardsigmoid(x)} (PyTorch's); the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String hardSwish(String name, String input) {
        return add(Activation.hardSwish(name, backend), input);
    }

    /**
     * An ELU, {@code x > 0 ? x : α·(e^x − 1)}; the shape is unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @param alpha α, finite (PyTorch's default is 1)
     * @return {@code name}
     */
    public String elu(String name, String input, float alpha) {
        return add(Activation.elu(name, backend, alpha), input);
    }

    /**
     * The element-wise product of two values of one shape, or of a gate {@code [C, 1, 1]} and a map
     * {@code [C, H, W]} in either order ({@link Mul}); the output has the larger shape.
     *
     * @param name the node's name
     * @param a    the first factor
     * @param b    the second factor
     * @return {@code name}
     */
    public String mul(String name, String a, String b) {
        return add(new Mul(name, backend), a, b);
    }

    /**
     * The element-wise sum of two or more values of one shape ({@link Add}).
     *
     * @param name   the node's name
     * @param inputs two or more values of one shape (not null)
     * @return {@code name}
     */
    public String add(String name, String... inputs) {
        return add(new Add(name, backend), inputs);
    }

    /**
     * Two or more values concatenated along their channels ({@link Concat}):
     * {@code [C_0, …] ⊕ [C_1, …] → [C_0 + C_1 + …, …]}.
     *
     * @param name   the node's name
     * @param inputs two or more values that agree in everything but their channels (not null)
     * @return {@code name}
     */
    public String concat(String name, String... inputs) {
        return add(new Concat(name, backend), inputs);
    }

    /**
     * Channels {@code start … start + count − 1} of a value ({@link ChannelSlice}):
     * {@code [C, …] → [count, …]}; a channel split is one slice per piece.
     *
     * @param name  the node's name
     * @param input a value of at least {@code start + count} channels
     * @param start the first channel kept, ≥ 0
     * @param count the channels kept, ≥ 1
     * @return {@code name}
     */
    public String slice(String name, String input, int start, int count) {
        return add(new ChannelSlice(name, backend, start, count), input);
    }

    /**
     * ShuffleNet's channel shuffle ({@link PermuteChannels#shuffle}): the channels of {@code input},
     * in {@code groups} groups, interleaved.
     *
     * @param name   the node's name
     * @param input  a value whose channel count {@code groups} divides
     * @param groups the groups, ≥ 1
     * @return {@code name}
     */
    public String shuffle(String name, String input, int groups) {
        return add(PermuteChannels.shuffle(name, backend, channels(input), groups), input);
    }

    /**
     * Max pooling over {@code window × window} patches ({@link MaxPool2d}, floor mode):
     * {@code [C, H, W] → [C, (H + 2·pad − window) / stride + 1, …]}.
     *
     * @param name   the node's name
     * @param input  a feature-map value {@code [C, H, W]}
     * @param window patch height and width, at least 1
     * @param stride stride along both axes, at least 1
     * @param pad    padding (by −∞) on every side, from 0 to {@code window / 2}
     * @return {@code name}
     */
    public String maxPool(String name, String input, int window, int stride, int pad) {
        return add(new MaxPool2d(name, backend, window, stride, pad), input);
    }

    /**
     * Average pooling over {@code window × window} patches ({@link AvgPool2d}), dividing by
     * {@code window²} (padding counted, PyTorch's default): {@code [C, H, W] → [C, (H + 2·pad − window) / stride + 1, …]}.
     *
     * @param name   the node's name
     * @param input  a feature-map value {@code [C, H, W]}
     * @param window patch height and width, at least 1
     * @param stride stride along both axes, at least 1
     * @param pad    zero padding on every side, from 0 to {@code window / 2}
     * @return {@code name}
     */
    public String avgPool(String name, String input, int window, int stride, int pad) {
        return add(new AvgPool2d(name, backend, window, stride, pad, true), input);
    }

    /**
     * Zero padding by its own amount on each side ({@link ZeroPad2d}):
     * {@code [C, H, W] → [C, top + H + bottom, left + W + right]}.
     *
     * @param name   the node's name
     * @param input  a feature-map value {@code [C, H, W]}
     * @param top    rows of zeros above, at least 0
     * @param bottom rows of zeros below, at least 0
     * @param left   columns of zeros on the left, at least 0
     * @param right  columns of zeros on the right, at least 0
     * @return {@code name}
     */
    public String zeroPad(String name, String input, int top, int bottom, int left, int right) {
        return add(new ZeroPad2d(name, backend, top, bottom, left, right), input);
    }

    /**
     * Global average pooling ({@link GlobalAvgPool}): {@code [C, H, W] → [C, 1, 1]}.
     *
     * @param name  the node's name
     * @param input a feature-map value {@code [C, H, W]}
     * @return {@code name}
     */
    public String globalAvgPool(String name, String input) {
        return add(new GlobalAvgPool(name, backend), input);
    }

    /**
     * Global max pooling ({@link GlobalMaxPool}): {@code [C, H, W] → [C, 1, 1]}, of maps of any shape.
     *
     * @param name  the node's name
     * @param input a feature-map value {@code [C, H, W]}
     * @return {@code name}
     */
    public String globalMaxPool(String name, String input) {
        return add(new GlobalMaxPool(name, backend), input);
    }

    /**
     * Nearest upsampling by whole factors ({@link Upsample}): {@code [C, H, W] → [C, H·sh, W·sw]}.
     *
     * @param name   the node's name
     * @param input  a feature-map value {@code [C, H, W]}
     * @param scaleH the height factor, at least 1
     * @param scaleW the width factor, at least 1
     * @return {@code name}
     */
    public String upsample(String name, String input, int scaleH, int scaleW) {
        return add(new Upsample(name, backend, scaleH, scaleW), input);
    }

    /**
     * A flatten ({@link Flatten}): {@code [C, H, W] → [C·H·W]}, as a view.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String flatten(String name, String input) {
        return add(new Flatten(name, backend), input);
    }

    /**
     * An identity ({@link Identity}): a named point that passes its input on unchanged.
     *
     * @param name  the node's name
     * @param input any value
     * @return {@code name}
     */
    public String identity(String name, String input) {
        return add(new Identity(name, backend), input);
    }

    /**
     * The graph of every node added; the last is its output. The builder cannot be used after. When
     * the graph is refused, the builder closes every layer added and rethrows.
     *
     * @return the graph, which owns the layers; the caller closes it
     * @throws IllegalArgumentException as {@link Graph#Graph(Backend, int[], List)} does: no node, a
     *     node other than the last that nothing reads, shapes that do not fit
     * @throws IllegalStateException when the graph has been built already
     */
    public Graph build() {
        if (built || closed) {
            throw new IllegalStateException(built ? "the graph has been built" : "the builder has been closed");
        }
        built = true;
        try {
            return new Graph(backend, inputShape, nodes);
        } catch (RuntimeException e) {
            nodes.forEach(n -> n.layer().close());
            throw e;
        }
    }

    /**
     * Closes every layer added, unless {@link #build} has handed them to a graph: for a graph given
     * up half way (a node that does not fit, an exception of the caller's own). After {@code build} it
     * does nothing, so {@code try (GraphBuilder g = …) { …; return g.build(); }} leaks no layer
     * whatever throws. The builder cannot be used after.
     */
    @Override
    public void close() {
        if (built || closed) {
            return;
        }
        closed = true;
        nodes.forEach(n -> n.layer().close());
        nodes.clear();
    }
}
