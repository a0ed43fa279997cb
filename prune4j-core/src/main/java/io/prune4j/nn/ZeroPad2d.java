package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Zero padding of a map by its own amount on each side, PyTorch's {@code ZeroPad2d} and ONNX's
 * constant {@code Pad} of zeros: {@code x [batch, c, H, W] → y [batch, c, top + H + bottom, left + W + right]},
 * {@code x} at rows {@code top …} and columns {@code left …}. It is what a convolution or an average
 * pooling with uneven padding (Inception's 1×7 and 7×1 kernels, {@code auto_pad SAME} with stride 2)
 * reads as: the padding in front of a layer padded by 0. Channels pass through, and zeros stay zeros,
 * so a removed channel stays removed.
 */
public final class ZeroPad2d implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int top;
    private final int bottom;
    private final int left;
    private final int right;
    private Tensor out;
    private Tensor dx;
    private int[] inputShape;

    /**
     * A zero padding layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param top     rows of zeros above, at least 0
     * @param bottom  rows of zeros below, at least 0
     * @param left    columns of zeros on the left, at least 0
     * @param right   columns of zeros on the right, at least 0
     * @throws IllegalArgumentException when an amount is negative
     */
    public ZeroPad2d(String name, Backend backend, int top, int bottom, int left, int right) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("ZeroPad2d " + name + ": padding must be ≥ 0 on every side, got top " + top + ", bottom "
                    + bottom + ", left " + left + ", right " + right);
        }
        this.name = name;
        this.backend = backend;
        this.top = top;
        this.bottom = bottom;
        this.left = left;
        this.right = right;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Rows of zeros above.
     *
     * @return at least 0
     */
    public int top() {
        return top;
    }

    /**
     * Rows of zeros below.
     *
     * @return at least 0
     */
    public int bottom() {
        return bottom;
    }

    /**
     * Columns of zeros on the left.
     *
     * @return at least 0
     */
    public int left() {
        return left;
    }

    /**
     * Columns of zeros on the right.
     *
     * @return at least 0
     */
    public int right() {
        return right;
    }

    @Override
    public String describe() {
        return "ZeroPad2d " + name + " (top " + top + ", bottom " + bottom + ", left " + left + ", right " + right + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3) {
            throw new IllegalArgumentException(describe() + " expects [channels, height, width] per example, got " + Arrays.toString(in));
        }
        long h = (long) in[1] + top + bottom;
        long w = (long) in[2] + left + right;
        if (h > Integer.MAX_VALUE || w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": a padded extent of " + Math.max(h, w) + " is too large");
        }
        return new int[] {in[0], (int) h, (int) w};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + " expects input [batch, channels, height, width], got " + Arrays.toString(x.shape()));
        }
        int[] o = outputShape(new int[] {x.dim(1), x.dim(2), x.dim(3)});
        out = Workspace.ensureShape(backend, out, x.dim(0), o[0], o[1], o[2]);
        inputShape = x.shape();
        backend.zeroPad2d(out, x, top, left);
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
        backend.zeroPad2dBackward(dx, dy, top, left);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        outputShape(inputShape);
        return 0;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public ZeroPad2d pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public ZeroPad2d copy() {
        return new ZeroPad2d(name, backend, top, bottom, left, right);
    }

    @Override
    public void close() {
        inputShape = null;
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
