package io.prune4j.nn;

import io.prune4j.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** The architectures the command line builds ({@code --arch}), initialised from a seed. */
public final class Models {
    private Models() {}

    /**
     * The multilayer perceptron {@code in → hidden… → classes} with ReLU after every hidden layer;
     * layers are named {@code fc1}, {@code fc2}, … and initialised from {@code seed}.
     */
    public static Graph mlp(Backend backend, int in, int[] hidden, int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Layer> layers = new ArrayList<>();
        int prev = in;
        for (int h = 0; h < hidden.length; h++) {
            layers.add(Dense.create(backend, "fc" + (h + 1), prev, hidden[h], true, rng));
            prev = hidden[h];
        }
        layers.add(Dense.create(backend, "fc" + (hidden.length + 1), prev, classes, false, rng));
        return Graph.chain(backend, in, layers);
    }

    /**
     * A convolutional network for {@code inputShape = [channels, height, width]} images:
     * {@code conv1 (3×3, pad 1, ReLU) → pool 2 → conv2 … → flatten → fc1 (ReLU) → fc2 → classes}, one
     * conv + pool stage per entry of {@code channels}, then a hidden Dense layer of {@code hidden}
     * units ({@code channels = {64, 128}, hidden = 256} is the seeds' example). Initialised from {@code seed}.
     */
    public static Graph cnn(Backend backend, int[] inputShape, int[] channels, int hidden, int classes, long seed) {
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("a CNN needs [channels, height, width] inputs, got " + java.util.Arrays.toString(inputShape));
        }
        SplittableRandom rng = new SplittableRandom(seed);
        List<UnaryLayer> layers = new ArrayList<>();
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
    }
}
