package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Layer normalisation over the channels (Ba, Kiros &amp; Hinton 2016): for each example and position
 * of {@code [batch, C, H, W]}, or each example of {@code [batch, C]},
 * {@code y = γ · (x − μ) / sqrt(σ² + eps) + β} with μ and σ² the mean and biased variance of that
 * position's {@code C} channels. This is ConvNeXt's {@code LayerNorm2d} (PyTorch's {@code LayerNorm}
 * applied to a channels-last map, {@code x.permute(0, 2, 3, 1)}) and, on vectors, PyTorch's
 * {@code LayerNorm(C)}. Parameters {@code weight} (γ) and {@code bias} (β), {@code [C]}: PyTorch's
 * names and layout. Training and inference compute the same (no running statistics).
 *
 * <p>Channels pass through for pruning ({@link ChannelRule.PassThrough}), but unlike a batch
 * normalisation the statistics mix the channels: a channel that is only zeroed would still count
 * in μ and σ². So {@link #maskChannels} keeps the mask and the statistics are taken over the kept
 * channels alone ({@link Backend#layerNorm}), which makes the masked layer compute exactly what the
 * compacted one does.
 */
public final class LayerNorm implements UnaryLayer {
    /** PyTorch's default eps, 1e-5 (ConvNeXt uses 1e-6). */
    public static final float DEFAULT_EPS = 1e-5f;

    private final String name;
    private final Backend backend;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;
    /** The kept channels (0/1) since {@link #maskChannels}, or null for all. */
    private Tensor channelMask;

    private Tensor input;
    private Tensor out;
    private Tensor saveMean;
    private Tensor saveInvStd;
    private Tensor dx;

    /**
     * A layer over the given tensors, both {@code [C]} FLOAT32 on one backend, which it takes
     * ownership of (and closes in {@link #close}).
     *
     * @param name  the node name (not null)
     * @param gamma γ, parameter {@code weight} (not null)
     * @param beta  β, parameter {@code bias} (not null)
     * @param eps   added to the variance, finite and greater than 0
     * @throws IllegalArgumentException when a tensor is not {@code [C]} FLOAT32 or {@code eps} is out of range
     */
    public LayerNorm(String name, Tensor gamma, Tensor beta, float eps) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        Shapes.requireRank("LayerNorm " + name, "weight", gamma, 1);
        Shapes.requireShape("LayerNorm " + name, "bias", beta, gamma.dim(0));
        Shapes.requireDType("LayerNorm " + name, "weight", gamma, DType.FLOAT32);
        Shapes.requireDType("LayerNorm " + name, "bias", beta, DType.FLOAT32);
        if (gamma.dim(0) < 1) {
            throw new IllegalArgumentException("LayerNorm " + name + ": needs at least one channel");
        }
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("LayerNorm " + name + ": eps must be finite and > 0, got " + eps);
        }
        this.name = name;
        this.backend = gamma.backend();
        this.eps = eps;
        this.gamma = new Parameter("weight", gamma);
        this.beta = new Parameter("bias", beta);
    }

    /**
     * A fresh layer over {@code channels}: γ = 1, β = 0.
     *
     * @param backend  the backend to allocate on (not null)
     * @param name     the node name (not null)
     * @param channels channels normalised together, at least 1
     * @param eps      added to the variance, finite and greater than 0 ({@link #DEFAULT_EPS} is PyTorch's)
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when {@code channels} is below 1 or {@code eps} is out of range
     */
    public static LayerNorm create(Backend backend, String name, int channels, float eps) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(name, "name");
        if (channels < 1) {
            throw new IllegalArgumentException("LayerNorm " + name + ": channels must be positive, got " + channels);
        }
        Tensor g = backend.zeros(DType.FLOAT32, channels);
        backend.fill(g, 1f);
        return new LayerNorm(name, g, backend.zeros(DType.FLOAT32, channels), eps);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Channels normalised together.
     *
     * @return {@code C}
     */
    public int channels() {
        return gamma.value().dim(0);
    }

    /**
     * Added to the variance before the square root.
     *
     * @return eps, greater than 0
     */
    public float eps() {
        return eps;
    }

    /**
     * The scale.
     *
     * @return γ, {@code [C]}, parameter {@code weight}, owned by the layer
     */
    public Parameter gamma() {
        return gamma;
    }

    /**
     * The shift.
     *
     * @return β, {@code [C]}, parameter {@code bias}, owned by the layer
     */
    public Parameter beta() {
        return beta;
    }

    @Override
    public String describe() {
        return "LayerNorm " + name + " (" + channels() + " channels" + (eps == DEFAULT_EPS ? "" : ", eps " + eps) + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if ((in.length != 1 && in.length != 3) || in[0] != channels()) {
            throw new IllegalArgumentException(describe() + " expects [" + channels() + "] or [" + channels()
                    + ", height, width] per example, got " + Arrays.toString(in));
        }
        return in.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if ((x.rank() != 2 && x.rank() != 4) || x.dim(1) != channels()) {
            throw new IllegalArgumentException(describe() + " expects input [batch, " + channels() + "] or [batch, " + channels()
                    + ", height, width], got " + Arrays.toString(x.shape()));
        }
        int positions = x.rank() == 2 ? 1 : x.dim(2) * x.dim(3);
        out = Workspace.ensureShape(backend, out, x.shape());
        saveMean = Workspace.ensureShape(backend, saveMean, x.dim(0), positions);
        saveInvStd = Workspace.ensureShape(backend, saveInvStd, x.dim(0), positions);
        backend.layerNorm(out, saveMean, saveInvStd, x, gamma.value(), beta.value(), channelMask, eps);
        input = x;
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (input == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        Tensor gx = null;
        if (needInputGrad) {
            dx = Workspace.ensureShape(backend, dx, input.shape());
            gx = dx;
        }
        backend.layerNormBackward(gx, gamma.grad(), beta.grad(), dy, input, gamma.value(), channelMask, saveMean, saveInvStd);
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gamma, beta);
    }

    /** Four per value: a multiply-add for each of the two statistics, the normalisation, and the scale and shift. */
    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return 4L * Shapes.size(inputShape);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    /**
     * Keeps a copy of the mask, over whose channels the statistics are then taken, and masks γ and
     * β: a removed channel comes out as exactly 0 and no longer counts in any position's statistics.
     */
    @Override
    public void maskChannels(Tensor channelMask) {
        Objects.requireNonNull(channelMask, "channelMask");
        Shapes.requireShape(describe(), "channelMask", channelMask, channels());
        Tensor m = Workspace.copyOf(backend, channelMask);
        Workspace.free(this.channelMask);
        this.channelMask = m;
        gamma.setMask(Workspace.copyOf(backend, channelMask));
        beta.setMask(Workspace.copyOf(backend, channelMask));
    }

    /** Keeps γ and β of the kept channels (the output's selection, else the input's); the new layer has no mask. */
    @Override
    public LayerNorm pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs[0];
        if (keep == null) {
            return copy();
        }
        return new LayerNorm(name, Workspace.keptChannels(backend, gamma.value(), keep), Workspace.keptChannels(backend, beta.value(), keep),
                eps);
    }

    /** A copy with copies of γ and β; masks are not copied. */
    @Override
    public LayerNorm copy() {
        return new LayerNorm(name, Workspace.copyOf(backend, gamma.value()), Workspace.copyOf(backend, beta.value()), eps);
    }

    @Override
    public void close() {
        input = null;
        out = Workspace.free(out);
        saveMean = Workspace.free(saveMean);
        saveInvStd = Workspace.free(saveInvStd);
        dx = Workspace.free(dx);
        channelMask = Workspace.free(channelMask);
        gamma.close();
        beta.close();
    }
}
