package org.example.prune4j;

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
 * A layer written outside the library, as a user would: {@code y[b, c, …] = s[c] · x[b, c, …]} with a
 * learnable per-channel scale {@code s [C]} (parameter {@code weight}), on feature maps or vectors.
 * It uses the public API only: the backend's operations (the scale is a depthwise 1×1 convolution,
 * so forward and backward run on any backend without copies to the host), {@link ChannelRule.PassThrough}
 * so the dependency analysis puts it in the group of the layer that writes its input, and
 * {@link #pruned} that gathers the scale of the kept channels.
 */
public final class Scale implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final Parameter scale;
    private Tensor input;
    private Tensor out;
    private Tensor dx;

    /** Takes ownership of {@code scale [C]}. */
    public Scale(String name, Tensor scale) {
        if (scale.rank() != 1 || scale.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException("Scale " + name + ": the scale must be a FLOAT32 vector, got " + Arrays.toString(scale.shape()));
        }
        this.name = name;
        this.backend = scale.backend();
        this.scale = new Parameter("weight", scale);
    }

    public Parameter scale() {
        return scale;
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
        return "Scale " + name + " (" + channels() + ")";
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        if (inputShape[0] != channels() || (inputShape.length != 1 && inputShape.length != 3)) {
            throw new IllegalArgumentException(describe() + " expects [" + channels() + "] or [" + channels() + ", h, w], got "
                    + Arrays.toString(inputShape));
        }
        return inputShape.clone();
    }

    /** {@code x} as {@code [batch, C, h, w]} (a vector's features as 1×1 maps). */
    private Tensor maps(Tensor x) {
        return x.rank() == 4 ? x : backend.reshape(x, x.dim(0), x.dim(1), 1, 1);
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
        backend.conv2d(maps(out), maps(x), filters(scale.value()), null, 1, 0, channels(), false);
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
        backend.conv2dBackward(gx == null ? null : maps(gx), filters(scale.grad()), null, maps(dy), maps(input), filters(scale.value()),
                1, 0, channels());
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(scale);
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        long n = 1;
        for (int d : inputShape) {
            n *= d;
        }
        return n;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public Scale pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs[0];
        if (keep == null) {
            return copy();
        }
        Tensor s = backend.zeros(DType.FLOAT32, keep.count());
        backend.gatherRows(s, scale.value(), keep.indices(), 0);
        return new Scale(name, s);
    }

    @Override
    public Scale copy() {
        Tensor s = backend.zeros(DType.FLOAT32, channels());
        backend.copy(s, scale.value());
        return new Scale(name, s);
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
