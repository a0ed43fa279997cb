package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * Average pooling over {@code window × window} patches {@code stride} apart with zero padding
 * {@code pad}: {@code x [batch, c, H, W] → y [batch, c, (H + 2·pad − window) / stride + 1, …]}. A patch's
 * sum is divided by {@code window²} ({@code countIncludePad}, PyTorch's default) or by the number of
 * its positions inside the input. In ceil mode ({@code ceil_mode=True}) a partial patch at the far
 * edges is kept, as {@link MaxPool2d} keeps one, its divisor counting its positions up to the far
 * padding (PyTorch's rule). Channels pass through.
 */
public final class AvgPool2d implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int window;
    private final int stride;
    private final int pad;
    private final boolean countIncludePad;
    private final boolean ceil;
    private Tensor out;
    private Tensor dx;
    private int[] inputShape;

    /**
     * An average pooling layer.
     *
     * @param name            the node name (not null)
     * @param backend         the backend its buffers are allocated on (not null)
     * @param window          patch height and width, at least 1
     * @param stride          stride along both axes, at least 1
     * @param pad             zero padding on every side, from 0 to {@code window / 2}
     * @param countIncludePad true to divide by {@code window²} (PyTorch's default), false to divide by
     *                        the positions of the patch inside the input
     * @throws IllegalArgumentException when {@code window}, {@code stride} or {@code pad} is out of range
     */
    public AvgPool2d(String name, Backend backend, int window, int stride, int pad, boolean countIncludePad) {
        this(name, backend, window, stride, pad, countIncludePad, false);
    }

    /**
     * An average pooling layer, in ceil mode when {@code ceil}.
     *
     * @param name            the node name (not null)
     * @param backend         the backend its buffers are allocated on (not null)
     * @param window          patch height and width, at least 1
     * @param stride          stride along both axes, at least 1
     * @param pad             zero padding on every side, from 0 to {@code window / 2}
     * @param countIncludePad true to divide by the patch's positions up to the far padding
     *                        ({@code window²} but for a partial patch; PyTorch's default), false to
     *                        divide by its positions inside the input
     * @param ceil            true to keep a partial patch at the far edges (ceil mode)
     * @throws IllegalArgumentException when {@code window}, {@code stride} or {@code pad} is out of range
     */
    public AvgPool2d(String name, Backend backend, int window, int stride, int pad, boolean countIncludePad, boolean ceil) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (window < 1 || stride < 1 || pad < 0 || pad > window / 2) {
            throw new IllegalArgumentException("AvgPool2d " + name + ": window and stride must be positive and padding in [0, window / 2], got "
                    + window + ", " + stride + " and " + pad);
        }
        this.name = name;
        this.backend = backend;
        this.window = window;
        this.stride = stride;
        this.pad = pad;
        this.countIncludePad = countIncludePad;
        this.ceil = ceil;
    }

    @Override
    public String name() {
        return name;
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

    /**
     * Padding, the same on every side.
     *
     * @return the padding, from 0 to {@code window / 2}
     */
    public int padding() {
        return pad;
    }

    /**
     * Whether padded positions count in a patch's divisor.
     *
     * @return true when every patch is divided by {@code window²}
     */
    public boolean countIncludePad() {
        return countIncludePad;
    }

    /**
     * Whether a partial patch at the far edges is kept (PyTorch's and ONNX's {@code ceil_mode}).
     *
     * @return true in ceil mode
     */
    public boolean ceilMode() {
        return ceil;
    }

    @Override
    public String describe() {
        return "AvgPool2d " + name + " (" + window + "x" + window + (stride != window ? ", stride " + stride : "")
                + (pad != 0 ? ", pad " + pad + (countIncludePad ? "" : ", padding not counted") : "") + (ceil ? ", ceil mode" : "") + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3 || in[1] + 2 * pad < window || in[2] + 2 * pad < window) {
            throw new IllegalArgumentException(describe() + " expects [channels, height, width] of at least " + (window - 2 * pad) + "x"
                    + (window - 2 * pad) + " per example, got " + java.util.Arrays.toString(in));
        }
        return new int[] {in[0], (int) io.prune4j.backend.ArgChecks.poolExtent(in[1], window, stride, pad, ceil),
            (int) io.prune4j.backend.ArgChecks.poolExtent(in[2], window, stride, pad, ceil)};
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
        inputShape = x.shape();
        backend.avgPool2d(out, x, window, stride, pad, countIncludePad, ceil);
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
        backend.avgPool2dBackward(dx, dy, window, stride, pad, countIncludePad, ceil);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        int[] o = outputShape(inputShape);
        return (long) o[0] * o[1] * o[2] * window * window;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public AvgPool2d pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public AvgPool2d copy() {
        return new AvgPool2d(name, backend, window, stride, pad, countIncludePad, ceil);
    }

    @Override
    public void close() {
        inputShape = null;
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
