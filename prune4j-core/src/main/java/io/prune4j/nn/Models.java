package io.prune4j.nn;

import io.prune4j.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The built-in architectures (those the command line builds by name), initialised from a seed: the
 * same arguments and seed give the same weights. Each returns a new {@link Graph} on {@code backend},
 * owned by the caller, that maps a batch of examples to class scores {@code [batch, classes]}. Weights
 * are He-uniform ({@link Dense#create}, {@link Conv2d#create}), biases zero, BatchNorms at PyTorch's
 * initial state ({@link BatchNorm#create}).
 */
public final class Models {
    private Models() {}

    /**
     * The multilayer perceptron {@code in → hidden… → classes} with ReLU after every hidden layer;
     * layers are named {@code fc1}, {@code fc2}, … and initialised from {@code seed}. A chain of Dense
     * layers with biases, the ReLUs fused into the hidden ones: {@code [batch, in] → [batch, classes]}.
     *
     * @param backend the backend to allocate on (not null)
     * @param in      input features, at least 1
     * @param hidden  units of each hidden layer, each at least 1 (not null; empty for one Dense layer)
     * @param classes output classes, at least 1
     * @param seed    the seed of the weights
     * @return the network, which the caller owns and closes
     * @throws IllegalArgumentException when a size is below 1
     */
    public static Graph mlp(Backend backend, int in, int[] hidden, int classes, long seed) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(hidden, "hidden");
        SplittableRandom rng = new SplittableRandom(seed);
        List<Layer> layers = new ArrayList<>();
        try {
            int prev = in;
            for (int h = 0; h < hidden.length; h++) {
                layers.add(Dense.create(backend, "fc" + (h + 1), prev, hidden[h], true, rng));
                prev = hidden[h];
            }
            layers.add(Dense.create(backend, "fc" + (hidden.length + 1), prev, classes, false, rng));
            return Graph.chain(backend, in, layers);
        } catch (RuntimeException e) {
            layers.forEach(Layer::close);   // what was made before the layer or the graph that failed
            throw e;
        }
    }

    /**
     * A convolutional network for {@code inputShape = [channels, height, width]} images:
     * {@code conv1 (3×3, pad 1, ReLU) → pool 2 → conv2 … → flatten → fc1 (ReLU) → fc2 → classes}, one
     * conv + pool stage per entry of {@code channels}, then a hidden Dense layer of {@code hidden}
     * units ({@code channels = {64, 128}, hidden = 256} is the seeds' example). Initialised from {@code seed}.
     * The convolutions have biases and fused ReLUs, the pools are 2×2 with stride 2 (each halves the
     * resolution, rounding down), and fc1 has a fused ReLU: {@code [batch, C, H, W] → [batch, classes]}.
     * Nodes: {@code conv1}, {@code pool1}, {@code conv2}, {@code pool2}, …, {@code flatten},
     * {@code fc1}, {@code fc2}.
     *
     * @param backend    the backend to allocate on (not null)
     * @param inputShape {@code [channels, height, width]} of one example (not null)
     * @param channels   output channels of each convolution stage, each at least 1 (not null)
     * @param hidden     units of the hidden Dense layer, at least 1
     * @param classes    output classes, at least 1
     * @param seed       the seed of the weights
     * @return the network, which the caller owns and closes
     * @throws IllegalArgumentException when {@code inputShape} is not of rank 3, a size is below 1, or
     *     the image is too small for the pools (each stage's pool needs at least 2×2)
     */
    public static Graph cnn(Backend backend, int[] inputShape, int[] channels, int hidden, int classes, long seed) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(inputShape, "inputShape");
        Objects.requireNonNull(channels, "channels");
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("a CNN needs [channels, height, width] inputs, got " + java.util.Arrays.toString(inputShape));
        }
        SplittableRandom rng = new SplittableRandom(seed);
        List<UnaryLayer> layers = new ArrayList<>();
        try {
            int prev = inputShape[0];
            for (int c = 0; c < channels.length; c++) {
                layers.add(Conv2d.create(backend, "conv" + (c + 1), prev, channels[c], 3, 1, 1, true, rng));
                layers.add(new MaxPool2d("pool" + (c + 1), backend, 2, 2));
                prev = channels[c];
            }
            layers.add(new Flatten("flatten", backend));
            int[] shape = inputShape;
            for (UnaryLayer l : layers) {
                shape = l.outputShape(shape);
            }
            layers.add(Dense.create(backend, "fc1", shape[0], hidden, true, rng));
            layers.add(Dense.create(backend, "fc2", hidden, classes, false, rng));
            return Graph.chain(backend, inputShape, layers);
        } catch (RuntimeException e) {
            layers.forEach(Layer::close);   // what was made before the layer, the shape or the graph that failed
            throw e;
        }
    }

    /**
     * A ResNet for small images (He et al. 2016, the CIFAR variant): a 3×3 stem convolution with
     * BatchNorm and ReLU, three stages of {@code depth} basic blocks each ({@code width}, {@code 2·width}
     * and {@code 4·width} channels; the first block of stages 2 and 3 halves the resolution), global
     * average pooling and a Dense classifier. A basic block is {@code conv 3×3 → BN → ReLU → conv 3×3 → BN},
     * added to its input (an identity shortcut) or, where the shape changes, to a 1×1 projection with
     * BatchNorm, then ReLU. Convolutions followed by a BatchNorm have no bias.
     * {@code [batch, C, H, W] → [batch, classes]}.
     *
     * <p>Node names: {@code stem}, {@code stem.bn}, {@code stem.relu}; per block
     * {@code s<stage>b<block>.} followed by {@code conv1}, {@code bn1}, {@code relu1}, {@code conv2},
     * {@code bn2}, {@code down} and {@code down.bn} (projection blocks only), {@code add}, {@code relu};
     * then {@code pool}, {@code flatten}, {@code fc}.
     *
     * @param backend    the backend to allocate on (not null)
     * @param inputShape {@code [channels, height, width]} of one example (not null)
     * @param depth      basic blocks per stage, at least 1
     * @param width      channels of the first stage, at least 1
     * @param classes    output classes, at least 1
     * @param seed       the seed of the weights
     * @return the network, which the caller owns and closes
     * @throws IllegalArgumentException when {@code inputShape} is not of rank 3, or {@code depth},
     *     {@code width} or {@code classes} is below 1
     */
    public static Graph resnet(Backend backend, int[] inputShape, int depth, int width, int classes, long seed) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(inputShape, "inputShape");
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("a ResNet needs [channels, height, width] inputs, got " + java.util.Arrays.toString(inputShape));
        }
        if (depth < 1 || width < 1) {
            throw new IllegalArgumentException("a ResNet needs at least one block per stage and one channel, got depth " + depth
                    + " and width " + width);
        }
        try (GraphBuilder g = new GraphBuilder(backend, seed, inputShape)) {
            return resnet(g, depth, width, classes);
        }
    }

    private static Graph resnet(GraphBuilder g, int depth, int width, int classes) {
        String x = g.relu("stem.relu", g.batchNorm("stem.bn", g.conv("stem", Graph.INPUT, width, 3, 1, 1)));
        for (int stage = 1; stage <= 3; stage++) {
            int channels = width << (stage - 1);
            for (int block = 1; block <= depth; block++) {
                String p = "s" + stage + "b" + block + ".";
                int stride = stage > 1 && block == 1 ? 2 : 1;
                String y = g.relu(p + "relu1", g.batchNorm(p + "bn1", g.conv(p + "conv1", x, channels, 3, stride, 1)));
                y = g.batchNorm(p + "bn2", g.conv(p + "conv2", y, channels, 3, 1, 1));
                String shortcut = x;
                if (stride != 1 || g.channels(x) != channels) {
                    shortcut = g.batchNorm(p + "down.bn", g.conv(p + "down", x, channels, 1, stride, 0));
                }
                x = g.relu(p + "relu", g.add(p + "add", y, shortcut));
            }
        }
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("pool", x)), classes);
        return g.build();
    }

    /**
     * A MobileNetV2-style network for small images (Sandler et al. 2018): a 3×3 stem convolution with
     * BatchNorm and ReLU6, then inverted residual blocks, each {@code 1×1 expansion (×expand) → BN →
     * ReLU6 → 3×3 depthwise → BN → ReLU6 → 1×1 projection → BN}, added to its input when the shape is
     * unchanged; a 1×1 convolution to four times the last block's channels with BN and ReLU6, global
     * average pooling and a Dense classifier. The stem has {@code width} channels; {@code stages}
     * lists, per stage, its output channels and block count; the first block of each stage after the
     * first has stride 2 (halves the resolution). With {@code expand} 1 the expansion is left out.
     * Convolutions have no bias. {@code [batch, C, H, W] → [batch, classes]}.
     *
     * <p>Node names: {@code stem}, {@code stem.bn}, {@code stem.relu}; per block, numbered from 1
     * across all stages, {@code b<n>.} followed by {@code expand}, {@code expand.bn},
     * {@code expand.relu} (when {@code expand} is not 1), {@code dw}, {@code dw.bn}, {@code dw.relu},
     * {@code project}, {@code project.bn}, and {@code add} (when the block keeps its shape); then
     * {@code head}, {@code head.bn}, {@code head.relu}, {@code pool}, {@code flatten}, {@code fc}.
     *
     * @param backend    the backend to allocate on (not null)
     * @param inputShape {@code [channels, height, width]} of one example (not null)
     * @param width      channels of the stem, at least 1
     * @param expand     the expansion factor of the inverted residual blocks, at least 1
     * @param stages     per stage {@code {output channels, blocks}} (not null, at least one stage)
     * @param classes    output classes, at least 1
     * @param seed       the seed of the weights
     * @return the network, which the caller owns and closes
     * @throws IllegalArgumentException when {@code inputShape} is not of rank 3, {@code width},
     *     {@code expand} or {@code classes} is below 1, or {@code stages} is empty
     */
    public static Graph mobilenet(Backend backend, int[] inputShape, int width, int expand, int[][] stages, int classes, long seed) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(inputShape, "inputShape");
        Objects.requireNonNull(stages, "stages");
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("a MobileNet needs [channels, height, width] inputs, got "
                    + java.util.Arrays.toString(inputShape));
        }
        if (width < 1 || expand < 1 || stages.length == 0) {
            throw new IllegalArgumentException("a MobileNet needs a positive width, an expansion of at least 1 and one stage or more");
        }
        try (GraphBuilder g = new GraphBuilder(backend, seed, inputShape)) {
            return mobilenet(g, width, expand, stages, classes);
        }
    }

    private static Graph mobilenet(GraphBuilder g, int width, int expand, int[][] stages, int classes) {
        String x = g.relu6("stem.relu", g.batchNorm("stem.bn", g.conv("stem", Graph.INPUT, width, 3, 1, 1)));
        int block = 0;
        for (int s = 0; s < stages.length; s++) {
            int out = stages[s][0];
            for (int k = 0; k < stages[s][1]; k++) {
                block++;
                String p = "b" + block + ".";
                int stride = s > 0 && k == 0 ? 2 : 1;
                int in = g.channels(x);
                int hidden = in * expand;
                String y = x;
                if (expand != 1) {
                    y = g.relu6(p + "expand.relu", g.batchNorm(p + "expand.bn", g.conv(p + "expand", y, hidden, 1, 1, 0)));
                }
                y = g.relu6(p + "dw.relu", g.batchNorm(p + "dw.bn", g.depthwise(p + "dw", y, 3, stride, 1)));
                y = g.batchNorm(p + "project.bn", g.conv(p + "project", y, out, 1, 1, 0));
                x = stride == 1 && in == out ? g.add(p + "add", y, x) : y;
            }
        }
        x = g.relu6("head.relu", g.batchNorm("head.bn", g.conv("head", x, 4 * g.channels(x), 1, 1, 0)));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("pool", x)), classes);
        return g.build();
    }
}
