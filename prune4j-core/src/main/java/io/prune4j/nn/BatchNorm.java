package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Batch normalisation (Ioffe &amp; Szegedy 2015) over the channels of feature maps
 * {@code [batch, C, H, W]} (PyTorch's {@code BatchNorm2d}) or the features of vectors
 * {@code [batch, C]} ({@code BatchNorm1d}): {@code y = γ · (x − μ) / sqrt(σ² + eps) + β} with the
 * batch's statistics while training, which also move the running statistics
 * ({@code running = (1 − momentum)·running + momentum·batch}, the variance unbiased), and the running
 * statistics at inference. Parameters {@code weight} (γ) and {@code bias} (β), buffers
 * {@code running_mean} and {@code running_var}, all {@code [C]}: PyTorch's names and layout.
 *
 * <p>Channels pass through: removing channel {@code c} before the layer removes its γ, β and
 * statistics. {@link #beginAveraging} switches the running statistics to a plain average over the
 * batches that follow (PyTorch's {@code momentum=None}), to re-estimate them after pruning.
 */
public final class BatchNorm implements UnaryLayer {
    /** PyTorch's default momentum, 0.1: the weight of each batch in the running statistics. */
    public static final float DEFAULT_MOMENTUM = 0.1f;
    /** PyTorch's default eps, 1e-5, added to the variance. */
    public static final float DEFAULT_EPS = 1e-5f;

    private final String name;
    private final Backend backend;
    private final float momentum;
    private final float eps;
    private final Parameter gamma;
    private final Parameter beta;
    private final Tensor runningMean;
    private final Tensor runningVar;
    /** Batches seen since {@link #beginAveraging}, or −1 when the running statistics use the momentum. */
    private int averaged = -1;

    private Tensor input;
    private boolean trainedForward;
    private Tensor out;
    private Tensor saveMean;
    private Tensor saveInvStd;
    private Tensor dx;

    /**
     * A layer over the given tensors, all {@code [C]} FLOAT32 on one backend, which it takes ownership
     * of (and closes in {@link #close}).
     *
     * @param name        the node name (not null)
     * @param gamma       γ, parameter {@code weight} (not null)
     * @param beta        β, parameter {@code bias} (not null)
     * @param runningMean buffer {@code running_mean} (not null)
     * @param runningVar  buffer {@code running_var} (not null)
     * @param momentum    the batch's weight in the running statistics, in [0, 1] (PyTorch's, not ONNX's)
     * @param eps         added to the variance, greater than 0
     * @throws IllegalArgumentException when a tensor is not {@code [C]} or {@code momentum} or
     *     {@code eps} is out of range
     */
    public BatchNorm(String name, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float momentum, float eps) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(gamma, "gamma");
        Objects.requireNonNull(beta, "beta");
        Objects.requireNonNull(runningMean, "runningMean");
        Objects.requireNonNull(runningVar, "runningVar");
        Shapes.requireRank("BatchNorm " + name, "weight", gamma, 1);
        int c = gamma.dim(0);
        Shapes.requireShape("BatchNorm " + name, "bias", beta, c);
        Shapes.requireShape("BatchNorm " + name, "running_mean", runningMean, c);
        Shapes.requireShape("BatchNorm " + name, "running_var", runningVar, c);
        if (!(eps > 0) || !(momentum >= 0 && momentum <= 1)) {
            throw new IllegalArgumentException("BatchNorm " + name + ": eps must be > 0 and momentum in [0, 1], got " + eps + " and " + momentum);
        }
        this.name = name;
        this.backend = gamma.backend();
        this.momentum = momentum;
        this.eps = eps;
        this.gamma = new Parameter("weight", gamma);
        this.beta = new Parameter("bias", beta);
        this.runningMean = runningMean;
        this.runningVar = runningVar;
    }

    /**
     * A fresh layer over {@code channels}: γ = 1, β = 0, running mean 0 and variance 1, PyTorch's
     * momentum ({@link #DEFAULT_MOMENTUM}, 0.1) and eps ({@link #DEFAULT_EPS}, 1e-5).
     *
     * @param backend  the backend to allocate on (not null)
     * @param name     the node name (not null)
     * @param channels channels (or features) normalised, at least 1
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when {@code channels} is below 1
     */
    public static BatchNorm create(Backend backend, String name, int channels) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(name, "name");
        if (channels < 1) {
            throw new IllegalArgumentException("BatchNorm " + name + ": channels must be positive, got " + channels);
        }
        Tensor g = backend.zeros(DType.FLOAT32, channels);
        backend.fill(g, 1f);
        Tensor v = backend.zeros(DType.FLOAT32, channels);
        backend.fill(v, 1f);
        return new BatchNorm(name, g, backend.zeros(DType.FLOAT32, channels), backend.zeros(DType.FLOAT32, channels), v,
                DEFAULT_MOMENTUM, DEFAULT_EPS);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Channels (or features) normalised.
     *
     * @return {@code C}
     */
    public int channels() {
        return gamma.value().dim(0);
    }

    /**
     * The batch's weight in the running statistics (PyTorch's convention).
     *
     * @return the momentum, in [0, 1]
     */
    public float momentum() {
        return momentum;
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

    /**
     * The running mean used at inference, updated by training passes.
     *
     * @return {@code [C]}, buffer {@code running_mean}, owned by the layer
     */
    public Tensor runningMean() {
        return runningMean;
    }

    /**
     * The running (unbiased) variance used at inference, updated by training passes.
     *
     * @return {@code [C]}, buffer {@code running_var}, owned by the layer
     */
    public Tensor runningVar() {
        return runningVar;
    }

    /**
     * Resets the running statistics (mean 0, variance 1) and makes the training-mode batches that
     * follow set them to their plain average, until {@link #endAveraging}.
     */
    public void beginAveraging() {
        backend.fill(runningMean, 0f);
        backend.fill(runningVar, 1f);
        averaged = 0;
    }

    /**
     * Back to the momentum rule.
     *
     * @return how many batches went into the average (0 when {@link #beginAveraging} was not called)
     */
    public int endAveraging() {
        int n = Math.max(0, averaged);
        averaged = -1;
        return n;
    }

    @Override
    public String describe() {
        return "BatchNorm " + name + " (" + channels() + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if ((in.length != 1 && in.length != 3) || in[0] != channels()) {
            throw new IllegalArgumentException(describe() + " expects [" + channels() + "] or [" + channels()
                    + ", height, width] per example, got " + java.util.Arrays.toString(in));
        }
        return in.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if ((x.rank() != 2 && x.rank() != 4) || x.dim(1) != channels()) {
            throw new IllegalArgumentException(describe() + " expects input [batch, " + channels() + "] or [batch, " + channels()
                    + ", height, width], got " + java.util.Arrays.toString(x.shape()));
        }
        out = Workspace.ensureShape(backend, out, x.shape());
        input = x;
        trainedForward = training;
        if (training) {
            saveMean = Workspace.ensureShape(backend, saveMean, channels());
            saveInvStd = Workspace.ensureShape(backend, saveInvStd, channels());
            float m = averaged >= 0 ? 1f / ++averaged : momentum;
            backend.batchNorm(out, saveMean, saveInvStd, x, gamma.value(), beta.value(), runningMean, runningVar, m, eps, true);
        } else {
            backend.batchNorm(out, null, null, x, gamma.value(), beta.value(), runningMean, runningVar, momentum, eps, false);
        }
        return out;
    }

    /** Needs a training-mode forward pass: the gradient goes through the batch statistics. */
    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (input == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        if (!trainedForward) {
            throw new IllegalStateException(describe() + ": backward needs a training-mode forward pass (batch statistics)");
        }
        Tensor gx = null;
        if (needInputGrad) {
            dx = Workspace.ensureShape(backend, dx, input.shape());
            gx = dx;
        }
        backend.batchNormBackward(gx, gamma.grad(), beta.grad(), dy, input, gamma.value(), saveMean, saveInvStd);
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gamma, beta);
    }

    @Override
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        b.put("running_mean", runningMean);
        b.put("running_var", runningVar);
        return b;
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        // at inference a normalisation is one multiply-add per value (scale and shift folded)
        long n = 1;
        for (int d : inputShape) {
            n *= d;
        }
        return 2L * n;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    /** Masks γ and β of the masked channels: the channel then normalises to exactly 0. */
    @Override
    public void maskChannels(Tensor channelMask) {
        Objects.requireNonNull(channelMask, "channelMask");
        gamma.setMask(Workspace.copyOf(backend, channelMask));
        beta.setMask(Workspace.copyOf(backend, channelMask));
    }

    /** Keeps γ, β and the running statistics of the kept channels (the output's selection, else the input's). */
    @Override
    public BatchNorm pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs[0];
        if (keep == null) {
            return copy();
        }
        return new BatchNorm(name, Workspace.keptChannels(backend, gamma.value(), keep), Workspace.keptChannels(backend, beta.value(), keep),
                Workspace.keptChannels(backend, runningMean, keep), Workspace.keptChannels(backend, runningVar, keep), momentum, eps);
    }

    /** A copy with copies of γ, β and the running statistics; masks are not copied. */
    @Override
    public BatchNorm copy() {
        return new BatchNorm(name, Workspace.copyOf(backend, gamma.value()), Workspace.copyOf(backend, beta.value()),
                Workspace.copyOf(backend, runningMean), Workspace.copyOf(backend, runningVar), momentum, eps);
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
        runningMean.close();
        runningVar.close();
    }
}
