package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Global max pooling: {@code x [batch, c, H, W] → y [batch, c, 1, 1]}, each channel's maximum over
 * its positions, for maps of any shape (PyTorch's {@code AdaptiveMaxPool2d(1)}, ONNX's
 * {@code GlobalMaxPool}; {@link Backend#globalMaxPool}). The gradient goes to the position of the
 * maximum. Channels pass through.
 */
public final class GlobalMaxPool implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private Tensor out;
    private Tensor argmax;
    private Tensor dx;
    private int[] inputShape;

    /**
     * A global max pooling layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public GlobalMaxPool(String name, Backend backend) {
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
        return "GlobalMaxPool " + name;
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3 || in[1] < 1 || in[2] < 1) {
            throw new IllegalArgumentException(describe() + " expects [channels, height, width] per example, got " + Arrays.toString(in));
        }
        return new int[] {in[0], 1, 1};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + " expects input [batch, channels, height, width], got " + Arrays.toString(x.shape()));
        }
        out = Workspace.ensureShape(backend, out, x.dim(0), x.dim(1), 1, 1);
        argmax = Workspace.ensureShape(backend, argmax, DType.INT32, out.shape());
        backend.globalMaxPool(out, argmax, x);
        inputShape = x.shape();
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (inputShape == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        if (!needInputGrad) {
            return null;
        }
        dx = Workspace.ensureShape(backend, dx, inputShape);
        backend.maxPool2dBackward(dx, dy, argmax);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    /** One comparison per input value. */
    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return (long) inputShape[0] * inputShape[1] * inputShape[2];
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public GlobalMaxPool pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public GlobalMaxPool copy() {
        return new GlobalMaxPool(name, backend);
    }

    @Override
    public void close() {
        inputShape = null;
        out = Workspace.free(out);
        argmax = Workspace.free(argmax);
        dx = Workspace.free(dx);
    }
}
