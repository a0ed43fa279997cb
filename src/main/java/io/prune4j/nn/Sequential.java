package io.prune4j.nn;

import io.prune4j.backend.Backend;
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
 * <p>{@code x [batch, inputSize] → logits [batch, outputSize]}.
 */
public final class Sequential implements AutoCloseable {
    private final Backend backend;
    private final int inputSize;
    private final List<Layer> layers;
    private final List<LayerHook> forwardHooks = new CopyOnWriteArrayList<>();
    private final List<LayerHook> backwardHooks = new CopyOnWriteArrayList<>();

    public Sequential(Backend backend, int inputSize, List<? extends Layer> layers) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer");
        }
        this.backend = backend;
        this.inputSize = inputSize;
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

    /** A deep copy (parameters copied, hooks not). */
    public Sequential copy() {
        List<Layer> copies = new ArrayList<>();
        for (Layer l : layers) {
            copies.add(l.copy());
        }
        return new Sequential(backend, inputSize, copies);
    }

    public Backend backend() {
        return backend;
    }

    public int inputSize() {
        return inputSize;
    }

    public int outputSize() {
        int n = inputSize;
        for (Layer l : layers) {
            n = l.outputSize(n);
        }
        return n;
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
        Tensor h = x;
        for (int i = 0; i < layers.size(); i++) {
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
        int n = inputSize;
        for (Layer l : layers) {
            f += l.flopsPerExample(n);
            n = l.outputSize(n);
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
