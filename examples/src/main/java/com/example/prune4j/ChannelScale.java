package com.example.prune4j;

import io.prune4j.backend.Backend;
import io.prune4j.nn.ChannelRule;
import io.prune4j.nn.ChannelSelection;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.UnaryLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * A layer of our own: {@code y[b, c, h, w] = s[c] · x[b, c, h, w]}, a learnable scale per channel
 * (parameter {@code weight [C]}). It runs on any backend as a depthwise 1×1 convolution, passes its
 * channels through (so pruning removes its entries together with the channels of the layer before it),
 * and gives a pruned copy that keeps the scales of the surviving channels.
 */
public final class ChannelScale implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final Parameter scale;
    private Tensor input;
    private Tensor out;
    private Tensor dx;

    /** A layer named {@code name}; takes ownership of {@code scale [C]}. */
    public ChannelScale(String name, Tensor scale) {
        if (scale.rank() != 1 || scale.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("ChannelScale " + name + ": the scale must be a FLOAT32 vector, got "
                    + Arrays.toString(scale.shape()));
        }
        this.name = name;
        this.backend = scale.backend();
        this.scale = new Parameter("weight", scale);
    }

    /** A layer of {@code channels} scales, all 1. */
    public static ChannelScale ones(String name, Backend backend, int channels) {
        float[] s = new float[channels];
        Arrays.fill(s, 1f);
        return new ChannelScale(name, backend.fromArray(s, channels));
    }

    public int channels() {
        return scale.value().dim(0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "ChannelScale " + name + " (" + channels() + ")";
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape.length != 3 || inputShape[0] != channels()) {
            throw new IllegalArgumentException(describe() + " expects [" + channels() + ", h, w], got " + Arrays.toString(inputShape));
        }
        return inputShape.clone();
    }

    private Tensor filters(Tensor s) {
        return backend.reshape(s, channels(), 1, 1, 1);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        if (out == null || !out.sameShape(x)) {
            if (out != null) {
                out.close();
            }
            out = backend.zeros(DType.FLOAT32, x.shape());
        }
        input = x;
        backend.conv2d(out, x, filters(scale.value()), null, 1, 0, channels(), false);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (input == null || !dy.sameShape(input)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        Tensor gx = null;
        if (needInputGrad) {
            if (dx == null || !dx.sameShape(dy)) {
                if (dx != null) {
                    dx.close();
                }
                dx = backend.zeros(DType.FLOAT32, dy.shape());
            }
            gx = dx;
        }
        backend.conv2dBackward(gx, filters(scale.grad()), null, dy, input, filters(scale.value()), 1, 0, channels());
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(scale);
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        return (long) inputShape[0] * inputShape[1] * inputShape[2];
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public ChannelScale pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs[0];
        if (keep == null) {
            return copy();
        }
        Tensor s = backend.zeros(DType.FLOAT32, keep.count());
        backend.gatherRows(s, scale.value(), keep.indices(), 0);
        return new ChannelScale(name, s);
    }

    @Override
    public ChannelScale copy() {
        Tensor s = backend.zeros(DType.FLOAT32, channels());
        backend.copy(s, scale.value());
        return new ChannelScale(name, s);
    }

    @Override
    public void close() {
        input = null;
        if (out != null) {
            out.close();
        }
        if (dx != null) {
            dx.close();
        }
        scale.close();
    }
}
