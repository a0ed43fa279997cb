package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Group normalisation (Wu &amp; He 2018), PyTorch's {@code GroupNorm(groups, C)}: the channels of
 * {@code [batch, C, H, W]} (or {@code [batch, C]}) fall into {@code groups} consecutive blocks, each
 * normalised per example over its channels and positions, then {@code y = γ·x̂ + β} per channel
 * ({@link Backend#groupNorm}). With {@code groups = C} it is {@code InstanceNorm2d(C, affine=True)},
 * with {@code groups = 1} a layer normalisation over {@code [C, H, W]}. Parameters {@code weight}
 * (γ) and {@code bias} (β), {@code [C]}: PyTorch's names and layout. Training and inference compute
 * the same (no running statistics; an instance norm that tracks running statistics is another
 * layer, and refused on import).
 *
 * <p>For pruning, a block's statistics mix its channels, while blocks are independent of each other:
 * the layer couples as a grouped convolution does ({@link ChannelRule.Grouped}), a block of inputs
 * and its block of outputs going together, whole. A removed block's γ and β are masked, so it comes
 * out as exactly 0 and the masked layer computes what the compacted one (with fewer groups) does.
 * With one group no channel can go; with {@code groups = C} every channel can, alone.
 */
public final class GroupNorm implements UnaryLayer {
    /** PyTorch's default eps, 1e-5. */
    public static final float DEFAULT_EPS = 1e-5f;

    private final String name;
    private final Backend backend;
    private final int groups;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;

    private Tensor input;
    private Tensor out;
    private Tensor saveMean;
    private Tensor saveInvStd;
    private Tensor dx;

    /**
     * A layer over the given tensors, both {@code [C]} FLOAT32 on one backend, which it takes
     * ownership of (and closes in {@link #close}).
     *
     * @param name   the node name (not null)
     * @param gamma  γ, parameter {@code weight} (not null)
     * @param beta   β, parameter {@code bias} (not null)
     * @param groups the number of blocks, at least 1, dividing {@code C}
     * @param eps    added to the variance, finite and greater than 0
     * @throws IllegalArgumentException when a tensor is not {@code [C]} FLOAT32, or {@code groups} or
     *                                  {@code eps} is out of range
     */
    public GroupNorm(String name, Tensor gamma, Tensor beta, int groups, float eps) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        Shapes.requireRank("GroupNorm " + name, "weight", gamma, 1);
        Shapes.requireShape("GroupNorm " + name, "bias", beta, gamma.dim(0));
        Shapes.requireDType("GroupNorm " + name, "weight", gamma, DType.FLOAT32);
        Shapes.requireDType("GroupNorm " + name, "bias", beta, DType.FLOAT32);
        int c = gamma.dim(0);
        if (c < 1) {
            throw new IllegalArgumentException("GroupNorm " + name + ": needs at least one channel");
        }
        if (groups < 1 || c % groups != 0) {
            throw new IllegalArgumentException("GroupNorm " + name + ": groups must be at least 1 and divide the " + c + " channels, got "
                    + groups);
        }
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw new IllegalArgumentException("GroupNorm " + name + ": eps must be finite and > 0, got " + eps);
        }
        this.name = name;
        this.backend = gamma.backend();
        this.groups = groups;
        this.eps = eps;
        this.gamma = new Parameter("weight", gamma);
        this.beta = new Parameter("bias", beta);
    }

    /**
     * A fresh layer over {@code channels} in {@code groups} blocks: γ = 1, β = 0.
     *
     * @param backend  the backend to allocate on (not null)
     * @param name     the node name (not null)
     * @param groups   the number of blocks, at least 1, dividing {@code channels}
     * @param channels the channels, at least 1
     * @param eps      added to the variance, finite and greater than 0 ({@link #DEFAULT_EPS} is PyTorch's)
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when {@code channels} is below 1, or {@code groups} or {@code eps} is out of range
     */
    public static GroupNorm create(Backend backend, String name, int groups, int channels, float eps) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(name, "name");
        if (channels < 1) {
            throw new IllegalArgumentException("GroupNorm " + name + ": channels must be positive, got " + channels);
        }
        Tensor g = backend.zeros(DType.FLOAT32, channels);
        backend.fill(g, 1f);
        return new GroupNorm(name, g, backend.zeros(DType.FLOAT32, channels), groups, eps);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The channels.
     *
     * @return {@code C}
     */
    public int channels() {
        return gamma.value().dim(0);
    }

    /**
     * The number of blocks the channels fall into.
     *
     * @return the groups, at least 1, dividing {@link #channels()}
     */
    public int groups() {
        return groups;
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
        return "GroupNorm " + name + " (" + groups + " group" + (groups == 1 ? "" : "s") + " of " + channels() + " channels"
                + (eps == DEFAULT_EPS ? "" : ", eps " + eps) + ")";
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
        out = Workspace.ensureShape(backend, out, x.shape());
        saveMean = Workspace.ensureShape(backend, saveMean, x.dim(0), groups);
        saveInvStd = Workspace.ensureShape(backend, saveInvStd, x.dim(0), groups);
        backend.groupNorm(out, saveMean, saveInvStd, x, gamma.value(), beta.value(), groups, eps);
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
        backend.groupNormBackward(gx, gamma.grad(), beta.grad(), dy, input, gamma.value(), saveMean, saveInvStd, groups);
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gamma, beta);
    }

    /** Four per value, as a layer normalisation: a multiply-add for each statistic, the normalisation, the scale and shift. */
    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return 4L * Shapes.size(inputShape);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.Grouped(groups);
    }

    /**
     * Masks γ and β: a removed channel comes out as exactly 0. The dependency analysis removes whole
     * groups only ({@link ChannelRule.Grouped}), whose statistics no kept channel shares.
     */
    @Override
    public void maskChannels(Tensor channelMask) {
        Objects.requireNonNull(channelMask, "channelMask");
        Shapes.requireShape(describe(), "channelMask", channelMask, channels());
        gamma.setMask(Workspace.copyOf(backend, channelMask));
        beta.setMask(Workspace.copyOf(backend, channelMask));
    }

    /**
     * Keeps γ and β of the kept channels (the output's selection, else the input's), which must be
     * whole groups; the new layer has as many groups as are kept and no mask.
     */
    @Override
    public GroupNorm pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs[0];
        if (keep == null) {
            return copy();
        }
        int per = channels() / groups;
        int[] kept = keep.keptIndices();
        if (kept.length == 0 || kept.length % per != 0) {
            throw new IllegalArgumentException(describe() + ": keeping " + kept.length + " channels does not keep whole groups of " + per);
        }
        for (int i = 0; i < kept.length; i += per) {
            int first = kept[i];
            if (first % per != 0) {
                throw new IllegalArgumentException(describe() + ": the kept channels " + Arrays.toString(kept) + " are not whole groups of "
                        + per);
            }
            for (int k = 1; k < per; k++) {
                if (kept[i + k] != first + k) {
                    throw new IllegalArgumentException(describe() + ": the kept channels " + Arrays.toString(kept) + " are not whole groups"
                            + " of " + per);
                }
            }
        }
        return new GroupNorm(name, Workspace.keptChannels(backend, gamma.value(), keep), Workspace.keptChannels(backend, beta.value(), keep),
                kept.length / per, eps);
    }

    /** A copy with copies of γ and β; masks are not copied. */
    @Override
    public GroupNorm copy() {
        return new GroupNorm(name, Workspace.copyOf(backend, gamma.value()), Workspace.copyOf(backend, beta.value()), groups, eps);
    }

    @Override
    public void close() {
        input = null;
        out = Workspace.free(out);
        saveMean = Workspace.free(saveMean);
        saveInvStd = Workspace.free(saveInvStd);
        dx = Workspace.free(dx);
        gamma.close();
        beta.close();
    }
}
