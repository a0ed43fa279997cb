package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * {@code x [batch, c, h, w] → [batch, c·h·w]} in NCHW order, as a view (no copy): channel {@code k}
 * becomes the {@code h·w} consecutive features starting at {@code k·h·w}, which is how compaction
 * finds a pruned channel's columns in the Dense layer behind.
 */
public final class Flatten implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private int[] inputShape;

    public Flatten(String name, Backend backend) {
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
        inputShape = x.shape();
        return backend.reshape(x, x.dim(0), x.dim(0) == 0 ? 0 : x.size() / x.dim(0));
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
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
        return copy();
    }

    @Override
    public void close() {
        inputShape = null;
    }
}
