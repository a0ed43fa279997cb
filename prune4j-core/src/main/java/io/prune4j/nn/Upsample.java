package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Nearest-neighbour upsampling by whole factors: {@code x [batch, c, H, W] → y [batch, c, H·sh, W·sw]},
 * each value repeated over an {@code sh × sw} block (PyTorch's {@code nn.Upsample(scale_factor=…)} and
 * {@code F.interpolate(…, mode="nearest")}, ONNX's nearest {@code Resize}; {@link Backend#upsampleNearest}),
 * as decoders, U-Nets and feature pyramids use it. The gradient sums each block. Channels pass
 * through.
 */
public final class Upsample implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int scaleH;
    private final int scaleW;
    private Tensor out;
    private Tensor dx;
    private int[] inputShape;

    /**
     * A nearest upsampling layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param scaleH  the height factor, at least 1
     * @param scaleW  the width factor, at least 1
     * @throws IllegalArgumentException when a factor is below 1
     */
    public Upsample(String name, Backend backend, int scaleH, int scaleW) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (scaleH < 1 || scaleW < 1) {
            throw new IllegalArgumentException("Upsample " + name + ": the factors must be at least 1, got " + scaleH + "x" + scaleW);
        }
        this.name = name;
        this.backend = backend;
        this.scaleH = scaleH;
        this.scaleW = scaleW;
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the height factor */
    public int scaleH() {
        return scaleH;
    }

    /** @return the width factor */
    public int scaleW() {
        return scaleW;
    }

    @Override
    public String describe() {
        return "Upsample " + name + " (nearest, " + scaleH + "x" + scaleW + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3 || in[1] < 1 || in[2] < 1) {
            throw new IllegalArgumentException(describe() + " expects [channels, height, width] per example, got " + Arrays.toString(in));
        }
        long h = (long) in[1] * scaleH;
        long w = (long) in[2] * scaleW;
        if (h * w > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(describe() + ": " + Arrays.toString(in) + " upsampled is too large");
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
        backend.upsampleNearest(out, x, scaleH, scaleW);
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
        backend.upsampleNearestBackward(dx, dy, scaleH, scaleW);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    /** A copy, no arithmetic. */
    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return 0;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public Upsample pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Upsample copy() {
        return new Upsample(name, backend, scaleH, scaleW);
    }

    @Override
    public void close() {
        inputShape = null;
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
