package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Layers applied one after the other, with hooks that see each layer's output on the way forward
 * and the loss gradient with respect to that output on the way back.
 *
 * <p>{@code x [batch, …inputShape] → logits [batch, outputSize]}. An input given flat,
 * {@code [batch, inputSize]} (how data sets hold examples), is viewed as {@code inputShape}.
 */
public final class Sequential implements AutoCloseable {
    private final Backend backend;
    private final int[] inputShape;
    private final List<Layer> layers;
    private final List<LayerHook> forwardHooks = new CopyOnWriteArrayList<>();
    private final List<LayerHook> backwardHooks = new CopyOnWriteArrayList<>();

    /** A network over flat examples of {@code inputSize} features. */
    public Sequential(Backend backend, int inputSize, List<? extends Layer> layers) {
        this(backend, new int[] {inputSize}, layers);
    }

    /** A network over examples of shape {@code inputShape}, e.g. {@code [channels, height, width]} for images. */
    public Sequential(Backend backend, int[] inputShape, List<? extends Layer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer");
        }
        if (inputShape.length == 0 || java.util.Arrays.stream(inputShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("input shape must have positive extents, got " + java.util.Arrays.toString(inputShape));
        }
        this.backend = backend;
        this.inputShape = inputShape.clone();
        this.layers = new ArrayList<>(layers);
        outputSize(); // checks that consecutive layers fit
    }

    /**
     * The multilayer perceptron {@code in → hidden… → classes} with ReLU after every hidden layer;
     * layers are named {@code fc1}, {@code fc2}, … and initialised from {@code seed}.
     */
    public static Sequential mlp(Backend backend, int in, int[] hidden, int classes, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Layer> layers = new ArrayList<>();
        int prev = in;
        for (int h = 0; h < hidden.length; h++) {
            layers.add(Dense.create(backend, "fc" + (h + 1), prev, hidden[h], true, rng));
            prev = hidden[h];
        }
        layers.add(Dense.create(backend, "fc" + (hidden.length + 1), prev, classes, false, rng));
        return new Sequential(backend, in, layers);
    }

    /**
     * A convolutional network for {@code inputShape = [channels, height, width]} images:
     * {@code conv1 (3×3, pad 1, ReLU) → pool 2 → conv2 … → flatten → fc1 (ReLU) → fc2 → classes}, one
     * conv + pool stage per entry of {@code channels}, then a hidden Dense layer of {@code hidden}
     * units ({@code channels = {64, 128}, hidden = 256} is the seeds' example). Initialised from {@code seed}.
     */
    public static Sequential cnn(Backend backend, int[] inputShape, int[] channels, int hidden, int classes, long seed) {
        if (inputShape.length != 3) {
            throw new IllegalArgumentException("a CNN needs [channels, height, width] inputs, got " + java.util.Arrays.toString(inputShape));
        }
        SplittableRandom rng = new SplittableRandom(seed);
        List<Layer> layers = new ArrayList<>();
        int prev = inputShape[0];
        for (int c = 0; c < channels.length; c++) {
            layers.add(Conv2d.create(backend, "conv" + (c + 1), prev, channels[c], 3, 1, 1, true, rng));
            layers.add(new MaxPool2d("pool" + (c + 1), backend, 2, 2));
            prev = channels[c];
        }
        layers.add(new Flatten("flatten", backend));
        int[] shape = inputShape;
        for (Layer l : layers) {
            shape = l.outputShape(shape);
        }
        layers.add(Dense.create(backend, "fc1", shape[0], hidden, true, rng));
        layers.add(Dense.create(backend, "fc2", hidden, classes, false, rng));
        return new Sequential(backend, inputShape, layers);
    }

    /** A deep copy (parameters copied, hooks not). */
    public Sequential copy() {
        List<Layer> copies = new ArrayList<>();
        for (Layer l : layers) {
            copies.add(l.copy());
        }
        return new Sequential(backend, inputShape, copies);
    }

    public Backend backend() {
        return backend;
    }

    /** Features per example, the product of {@link #inputShape()}. */
    public int inputSize() {
        return Shapes.size(inputShape);
    }

    /** Shape of one example, e.g. {@code [784]} or {@code [1, 28, 28]}. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** Shape of one example's output of layer {@code index} (−1: the input). */
    public int[] shapeAfter(int index) {
        int[] s = inputShape;
        for (int i = 0; i <= index; i++) {
            s = layers.get(i).outputShape(s);
        }
        return s.clone();
    }

    public int outputSize() {
        int[] s = shapeAfter(layers.size() - 1);
        if (s.length != 1) {
            throw new IllegalArgumentException("the network ends in " + java.util.Arrays.toString(s) + " feature maps; end it with a Dense layer");
        }
        return s[0];
    }

    public List<Layer> layers() {
        return Collections.unmodifiableList(layers);
    }

    /** Replaces layer {@code index} (used by compaction); closes the old layer when it differs. */
    public void setLayer(int index, Layer layer) {
        Layer old = layers.set(index, layer);
        if (old != layer) {
            old.close();
        }
    }

    public void addForwardHook(LayerHook hook) {
        forwardHooks.add(hook);
    }

    public void addBackwardHook(LayerHook hook) {
        backwardHooks.add(hook);
    }

    public void removeHook(LayerHook hook) {
        forwardHooks.remove(hook);
        backwardHooks.remove(hook);
    }

    /** Hooks currently installed (forward and backward), so tests can check that scorers clean up. */
    public int hookCount() {
        return forwardHooks.size() + backwardHooks.size();
    }

    /** Runs every layer; the result belongs to the last layer and is overwritten by the next call. */
    public Tensor forward(Tensor x, boolean training) {
        return forward(x, training, layers.size());
    }

    /**
     * Runs layers {@code [0, end)} only, calling the forward hooks as {@link #forward(Tensor, boolean)}
     * does, and returns what layer {@code end} would read: for {@code end == 0} the input in the
     * network's input shape (a view of {@code x}), otherwise layer {@code end − 1}'s output, which is
     * overwritten by the next call.
     */
    public Tensor forward(Tensor x, boolean training, int end) {
        if (end < 0 || end > layers.size()) {
            throw new IndexOutOfBoundsException("forward to layer " + end + " of a network of " + layers.size() + " layers");
        }
        Tensor h = x;
        if (inputShape.length > 1 && x.rank() == 2 && x.dim(1) == inputSize()) {
            h = backend.reshape(x, Workspace.batched(x.dim(0), inputShape));
        }
        for (int i = 0; i < end; i++) {
            Layer layer = layers.get(i);
            h = layer.forward(h, training);
            for (LayerHook hook : forwardHooks) {
                hook.accept(i, layer, h);
            }
        }
        return h;
    }

    /** Back-propagates {@code dLogits} through every layer, filling the parameter gradients. */
    public void backward(Tensor dLogits) {
        Tensor g = dLogits;
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer layer = layers.get(i);
            for (LayerHook hook : backwardHooks) {
                hook.accept(i, layer, g);
            }
            g = layer.backward(g, i > 0);
        }
    }

    public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>();
        for (Layer l : layers) {
            ps.addAll(l.parameters());
        }
        return ps;
    }

    /** Number of trainable scalars (masked weights included). */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.size();
        }
        return n;
    }

    /** Floating-point operations of one inference pass per example (a multiply-add counts two). */
    public long flopsPerExample() {
        long f = 0;
        int[] s = inputShape;
        for (Layer l : layers) {
            f += l.flopsPerExample(s);
            s = l.outputShape(s);
        }
        return f;
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (Layer l : layers) {
            if (sb.length() > 0) {
                sb.append(" → ");
            }
            sb.append(l.describe());
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Layer l : layers) {
            l.close();
        }
    }
}
