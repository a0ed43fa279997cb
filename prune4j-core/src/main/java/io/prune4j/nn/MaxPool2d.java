package io.prune4j.nn;

import io.prune4j.backend.ArgChecks;
import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Max pooling over {@code window × window} patches {@code stride} apart, padded by {@code pad} with −∞:
 * {@code x [batch, c, H, W] → y [batch, c, (H + 2·pad − window) / stride + 1, (W + 2·pad − window) / stride + 1]},
 * or in ceil mode ({@code ceil_mode=True}) with a partial patch at the far edges kept
 * ({@link io.prune4j.backend.Backend#maxPool2d(Tensor, Tensor, Tensor, int, int, int, boolean)}).
 * Channels pass through one to one, so pruning a channel before the pool prunes it after.
 */
public final class MaxPool2d implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int window;
    private final int stride;
    private final int pad;
    private final boolean ceil;
    private Tensor out;
    private Tensor argmax;
    private Tensor dx;
    private int[] inputShape;

    /**
     * A max pooling layer without padding, in floor mode.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param window  patch height and width, at least 1
     * @param stride  stride along both axes, at least 1
     * @throws IllegalArgumentException when {@code window} or {@code stride} is below 1
     */
    public MaxPool2d(String name, Backend backend, int window, int stride) {
        this(name, backend, window, stride, 0);
    }

    /**
     * A max pooling layer in floor mode.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param window  patch height and width, at least 1
     * @param stride  stride along both axes, at least 1
     * @param pad     padding (by −∞) on every side, from 0 to {@code window / 2}
     * @throws IllegalArgumentException when {@code window}, {@code stride} or {@code pad} is out of range
     */
    public MaxPool2d(String name, Backend backend, int window, int stride, int pad) {
        this(name, backend, window, stride, pad, false);
    }

    /**
     * A max pooling layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param window  patch height and width, at least 1
     * @param stride  stride along both axes, at least 1
     * @param pad     padding (by −∞) on every side, from 0 to {@code window / 2}
     * @param ceil    true to keep a partial patch at the far edges (ceil mode)
     * @throws IllegalArgumentException when {@code window}, {@code stride} or {@code pad} is out of range
     */
    public MaxPool2d(String name, Backend backend, int window, int stride, int pad, boolean ceil) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (window < 1 || stride < 1 || pad < 0 || pad > window / 2) {
            throw new IllegalArgumentException("MaxPool2d " + name + ": window and stride must be positive and padding in [0, window / 2], got "
                    + window + ", " + stride + " and " + pad);
        }
        this.name = name;
        this.backend = backend;
        this.window = window;
        this.stride = stride;
        this.pad = pad;
        this.ceil = ceil;
    }

    /**
     * Whether a partial patch at the far edges is kept (PyTorch's and ONNX's {@code ceil_mode}).
     *
     * @return true in ceil mode
     */
    public boolean ceilMode() {
        return ceil;
    }

    /**
     * Padding, the same on every side.
     *
     * @return the padding, from 0 to {@code window / 2}
     */
    public int padding() {
        return pad;
    }

    /**
     * Patch height and width.
     *
     * @return the window, at least 1
     */
    public int window() {
        return window;
    }

    /**
     * Stride, the same along both axes.
     *
     * @return the stride, at least 1
     */
    public int stride() {
        return stride;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "MaxPool2d " + name + " (" + window + "x" + window + (stride != window ? ", stride " + stride : "")
                + (pad != 0 ? ", pad " + pad : "") + (ceil ? ", ceil mode" : "") + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3 || in[1] + 2 * pad < window || in[2] + 2 * pad < window) {
            throw new IllegalArgumentException(describe() + " expects [channels, height, width] of at least " + (window - 2 * pad) + "x"
                    + (window - 2 * pad) + " per example, got " + java.util.Arrays.toString(in));
        }
        return new int[] {in[0], (int) ArgChecks.poolExtent(in[1], window, stride, pad, ceil),
            (int) ArgChecks.poolExtent(in[2], window, stride, pad, ceil)};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + " expects input [batch, channels, height, width], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        int[] o = outputShape(new int[] {x.dim(1), x.dim(2), x.dim(3)});
        out = Workspace.ensureShape(backend, out, x.dim(0), o[0], o[1], o[2]);
        argmax = Workspace.ensureShape(backend, argmax, DType.INT32, out.shape());
        inputShape = x.shape();
        backend.maxPool2d(out, argmax, x, window, stride, pad, ceil);
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

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return 0;
    }

    @Override
    public MaxPool2d copy() {
        return new MaxPool2d(name, backend, window, stride, pad, ceil);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public MaxPool2d pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public void close() {
        inputShape = null;
        out = Workspace.free(out);
        argmax = Workspace.free(argmax);
        dx = Workspace.free(dx);
    }
}
