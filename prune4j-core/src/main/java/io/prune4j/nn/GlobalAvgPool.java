package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Global average pooling: {@code x [batch, c, H, W] → y [batch, c, 1, 1]}, each channel's mean over
 * its positions (PyTorch's {@code AdaptiveAvgPool2d(1)}, ONNX's {@code GlobalAveragePool}). Channels
 * pass through.
 */
public final class GlobalAvgPool implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private Tensor out;
    private Tensor dx;
    private int[] inputShape;

    /**
     * A global average pooling layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public GlobalAvgPool(String name, Backend backend) {
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
        return "GlobalAvgPool " + name;
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3 || in[1] < 1 || in[2] < 1) {
            throw new IllegalArgumentException(describe() + " expects [channels, height, width] per example, got "
                    + java.util.Arrays.toString(in));
        }
        return new int[] {in[0], 1, 1};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + " expects input [batch, channels, height, width], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int planes = x.dim(0) * x.dim(1);
        int positions = x.dim(2) * x.dim(3);
        out = Workspace.ensureShape(backend, out, x.dim(0), x.dim(1), 1, 1);
        inputShape = x.shape();
        // a [planes, positions] view: each plane's sum, then the mean
        backend.rowSums(backend.reshape(out, planes), backend.reshape(x, planes, positions));
        backend.scale(out, 1f / positions);
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
        int planes = inputShape[0] * inputShape[1];
        int positions = inputShape[2] * inputShape[3];
        dx = Workspace.ensureShape(backend, dx, inputShape);
        backend.broadcastRows(backend.reshape(dx, planes, positions), backend.reshape(dy, planes));
        backend.scale(dx, 1f / positions);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

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
    public GlobalAvgPool pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public GlobalAvgPool copy() {
        return new GlobalAvgPool(name, backend);
    }

    @Override
    public void close() {
        inputShape = null;
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
