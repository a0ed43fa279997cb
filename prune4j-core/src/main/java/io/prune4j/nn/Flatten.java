package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * {@code x [batch, c, h, w] → [batch, c·h·w]} in NCHW order, as a view (no copy): channel {@code k}
 * becomes the {@code h·w} consecutive features starting at {@code k·h·w}, which is how compaction
 * finds a pruned channel's columns in the Dense layer behind.
 */
public final class Flatten implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private int[] inputShape;

    /**
     * A flatten layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public Flatten(String name, Backend backend) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        this.name = name;
        this.backend = backend;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "Flatten " + name;
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        long n = 1;
        for (int d : in) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": " + java.util.Arrays.toString(in) + " has too many features");
        }
        return new int[] {(int) n};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        inputShape = x.shape();
        return backend.reshape(x, x.dim(0), x.dim(0) == 0 ? 0 : x.size() / x.dim(0));
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (inputShape == null || dy.size() != tensorSize(inputShape)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        return needInputGrad ? backend.reshape(dy, inputShape) : null;
    }

    private static long tensorSize(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return 0;
    }

    @Override
    public Flatten copy() {
        return new Flatten(name, backend);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.Flatten();
    }

    @Override
    public Flatten pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public void close() {
        inputShape = null;
    }
}
