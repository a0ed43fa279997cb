package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * 2-D convolution (cross-correlation, as PyTorch's {@code Conv2d}) with an optional bias, groups and
 * an optional fused ReLU: {@code x [batch, in, H, W] → y [batch, out, Ho, Wo]} with
 * {@code W [out, in / groups, kh, kw]}, {@code b [out]}, zero padding {@code pad} and
 * {@code Ho = (H + 2·pad − kh) / stride + 1}. Unit {@code n} is output channel {@code n}: filter
 * {@code W[n]} and bias {@code b[n]}. With {@code groups > 1} output block {@code g} (of
 * {@code out / groups} channels) reads input block {@code g} only; {@code groups == in} is a depthwise
 * convolution. The layer does not fix the spatial size; any input at least as large as the kernel works.
 *
 * <p>With the ReLU fused, hooks see the feature map after it, as for {@link Dense}.
 */
public final class Conv2d implements WeightLayer, UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int stride;
    private final int pad;
    private final int groups;
    private final boolean relu;
    private final Parameter weight;
    private final Parameter bias;

    /** The masked filter bank's sparse form inside an inference scope, and the mask it was built from. */
    private io.prune4j.backend.SparseMatrix sparse;
    private Tensor sparseMask;
    private Tensor input;
    private Tensor out;
    private Tensor dz;
    private Tensor dx;

    /**
     * A one-group layer over the given tensors, which it takes ownership of (and closes in {@link #close}).
     *
     * @param name   the node name (not null)
     * @param weight {@code [out, in, kh, kw]} FLOAT32 (not null)
     * @param bias   {@code [out]} FLOAT32 on the weight's backend, or null for a layer without a bias
     * @param stride stride along both axes, at least 1
     * @param pad    zero padding on every side, at least 0
     * @param relu   whether a ReLU is fused into the output
     * @throws IllegalArgumentException when a tensor does not have the shape and type above, or
     *     {@code stride} or {@code pad} is out of range
     */
    public Conv2d(String name, Tensor weight, Tensor bias, int stride, int pad, boolean relu) {
        this(name, weight, bias, stride, pad, 1, relu);
    }

    /**
     * A layer over the given tensors, which it takes ownership of (and closes in {@link #close}).
     *
     * @param name   the node name (not null)
     * @param weight {@code [out, in / groups, kh, kw]} FLOAT32 (not null)
     * @param bias   {@code [out]} FLOAT32 on the weight's backend, or null for a layer without a bias
     * @param stride stride along both axes, at least 1
     * @param pad    zero padding on every side, at least 0
     * @param groups groups, at least 1 and dividing {@code out}
     * @param relu   whether a ReLU is fused into the output
     * @throws IllegalArgumentException when a tensor does not have the shape and type above, or
     *     {@code stride}, {@code pad} or {@code groups} is out of range
     */
    public Conv2d(String name, Tensor weight, Tensor bias, int stride, int pad, int groups, boolean relu) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(weight, "weight");
        Shapes.requireRank("Conv2d " + name, "weight", weight, 4);
        Shapes.requireDType("Conv2d " + name, "weight", weight, DType.FLOAT32);
        if (bias != null) {
            Shapes.requireShape("Conv2d " + name, "bias", bias, weight.dim(0));
            Shapes.requireDType("Conv2d " + name, "bias", bias, DType.FLOAT32);
        }
        if (stride < 1 || pad < 0) {
            throw new IllegalArgumentException("Conv2d " + name + ": stride must be ≥ 1 and padding ≥ 0, got " + stride + " and " + pad);
        }
        if (groups < 1 || weight.dim(0) % groups != 0) {
            throw new IllegalArgumentException("Conv2d " + name + ": " + groups + " groups do not divide " + weight.dim(0) + " output channels");
        }
        this.name = name;
        this.backend = weight.backend();
        this.stride = stride;
        this.pad = pad;
        this.groups = groups;
        this.relu = relu;
        this.weight = new Parameter("weight", weight);
        this.bias = bias == null ? null : new Parameter("bias", bias);
    }

    /**
     * A layer with He-uniform filters ({@code U(±sqrt(6/fanIn))} before a ReLU, {@code U(±sqrt(3/fanIn))}
     * otherwise, {@code fanIn = in·k·k}) and zero bias, drawn from {@code rng}: one group, with a bias.
     *
     * @param backend the backend to allocate on (not null)
     * @param name    the node name (not null)
     * @param in      input channels, at least 1
     * @param out     output channels, at least 1
     * @param kernel  kernel height and width, at least 1
     * @param stride  stride along both axes, at least 1
     * @param pad     zero padding on every side, at least 0
     * @param relu    whether a ReLU is fused into the output
     * @param rng     the random numbers the filters are drawn from (not null)
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when a size is out of range
     */
    public static Conv2d create(Backend backend, String name, int in, int out, int kernel, int stride, int pad, boolean relu,
                                SplittableRandom rng) {
        return create(backend, name, in, out, kernel, stride, pad, 1, true, relu, rng);
    }

    /**
     * A grouped layer with He-uniform filters ({@code fanIn = (in / groups)·k·k}), with or without a
     * (zero) bias, drawn from {@code rng}.
     *
     * @param backend  the backend to allocate on (not null)
     * @param name     the node name (not null)
     * @param in       input channels, at least 1
     * @param out      output channels, at least 1
     * @param kernel   kernel height and width, at least 1
     * @param stride   stride along both axes, at least 1
     * @param pad      zero padding on every side, at least 0
     * @param groups   groups, at least 1 and dividing {@code in} and {@code out}
     * @param withBias whether the layer has a bias
     * @param relu     whether a ReLU is fused into the output
     * @param rng      the random numbers the filters are drawn from (not null)
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when a size is out of range or {@code groups} does not divide the channels
     */
    public static Conv2d create(Backend backend, String name, int in, int out, int kernel, int stride, int pad, int groups,
                                boolean withBias, boolean relu, SplittableRandom rng) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rng, "rng");
        if (in < 1 || out < 1 || kernel < 1 || groups < 1) {
            throw new IllegalArgumentException("Conv2d " + name + ": channels, kernel and groups must be positive, got " + in + "→" + out
                    + ", kernel " + kernel + ", groups " + groups);
        }
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("Conv2d " + name + ": " + groups + " groups do not divide " + in + "→" + out + " channels");
        }
        int fanIn = in / groups * kernel * kernel;
        double bound = Math.sqrt((relu ? 6.0 : 3.0) / fanIn);
        float[] w = new float[Shapes.size(out, in / groups, kernel, kernel)];
        for (int j = 0; j < w.length; j++) {
            w[j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return new Conv2d(name, backend.fromArray(w, out, in / groups, kernel, kernel), withBias ? backend.zeros(DType.FLOAT32, out) : null,
                stride, pad, groups, relu);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Input channels of the whole layer.
     *
     * @return those of one group times the groups
     */
    public int inChannels() {
        return weight.value().dim(1) * groups;
    }

    /**
     * Output channels.
     *
     * @return {@code out}, the weight's first extent
     */
    public int outChannels() {
        return weight.value().dim(0);
    }

    /**
     * Kernel height.
     *
     * @return {@code kh}
     */
    public int kernelHeight() {
        return weight.value().dim(2);
    }

    /**
     * Kernel width.
     *
     * @return {@code kw}
     */
    public int kernelWidth() {
        return weight.value().dim(3);
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
     * Zero padding, the same on every side.
     *
     * @return the padding, at least 0
     */
    public int padding() {
        return pad;
    }

    /**
     * Groups.
     *
     * @return 1 for an ordinary convolution
     */
    public int groups() {
        return groups;
    }

    /**
     * Whether each output channel reads one input channel.
     *
     * @return true for more than one group of one input channel each
     */
    public boolean depthwise() {
        return groups > 1 && weight.value().dim(1) == 1;
    }

    @Override
    public boolean hasRelu() {
        return relu;
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Parameter bias() {
        return bias;
    }

    @Override
    public int units() {
        return outChannels();
    }

    @Override
    public int inputUnits() {
        return weight.value().dim(1);
    }

    @Override
    public ChannelRule channelRule() {
        return groups == 1 ? new ChannelRule.Independent() : new ChannelRule.Grouped(groups);
    }

    /**
     * Keeps the filters of the kept output channels (and their bias entries) and, with one group, the
     * weight columns of the kept input channels; with several groups, whole groups go and the kept
     * inputs must be those of the kept groups.
     */
    @Override
    public Conv2d pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection in = keepInputs[0];
        int newGroups = groups;
        if (groups > 1) {
            // whole groups go: the kept output channels say which, and the inputs must agree
            int outPerGroup = outChannels() / groups;
            int inPerGroup = weight.value().dim(1);
            int keptOut = keepOutput == null ? outChannels() : keepOutput.count();
            int keptIn = in == null ? inChannels() : in.count();
            if (keptOut % outPerGroup != 0 || keptIn != keptOut / outPerGroup * inPerGroup) {
                throw new IllegalArgumentException(describe() + ": keeping " + keptIn + " input and " + keptOut
                        + " output channels does not keep whole groups of " + inPerGroup + " → " + outPerGroup);
            }
            newGroups = keptOut / outPerGroup;
            in = null; // a group's filters read their own inputs only, so gathering the kept filters is all
        }
        Tensor w = weight.value();
        Tensor b = bias == null ? null : bias.value();
        Tensor rows = null;
        Tensor rowBias = null;
        if (keepOutput != null) {
            int[] shape = w.shape();
            shape[0] = keepOutput.count();
            rows = backend.zeros(DType.FLOAT32, shape);
            backend.gatherRows(rows, w, keepOutput.indices(), 0);
            w = rows;
            if (b != null) {
                rowBias = backend.zeros(DType.FLOAT32, keepOutput.count());
                backend.gatherRows(rowBias, b, keepOutput.indices(), 0);
                b = rowBias;
            }
        }
        if (in != null) {
            if (in.total() != inChannels()) {
                throw new IllegalArgumentException(describe() + ": a selection of " + in.total() + " input channels for "
                        + inChannels());
            }
            int[] shape = w.shape();
            shape[1] = in.count();
            Tensor cols = backend.zeros(DType.FLOAT32, shape);
            backend.gatherColumnBlocks(cols, w, in.indices(), kernelHeight() * kernelWidth());
            if (rows != null) {
                rows.close();
            }
            w = cols;
        }
        Tensor newWeight = w == weight.value() ? Workspace.copyOf(backend, w) : w;
        Tensor newBias = b == null ? null : b == rowBias ? b : Workspace.copyOf(backend, b);
        return new Conv2d(name, newWeight, newBias, stride, pad, newGroups, relu);
    }

    @Override
    public String describe() {
        String kind = depthwise() ? "depthwise, " : groups > 1 ? groups + " groups, " : "";
        return "Conv2d " + name + " (" + inChannels() + "→" + outChannels() + ", " + kind + kernelHeight() + "x" + kernelWidth()
                + (stride != 1 ? ", stride " + stride : "") + (pad != 0 ? ", pad " + pad : "") + (bias == null ? ", no bias" : "")
                + (relu ? ", relu)" : ")");
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 3 || in[0] != inChannels()) {
            throw new IllegalArgumentException(describe() + " expects [" + inChannels() + ", height, width] per example, got "
                    + java.util.Arrays.toString(in));
        }
        // in long: a padding near 2^30 (a model file may hold any int) must not wrap into a plausible size
        long ho = in[1] + 2L * pad - kernelHeight();
        long wo = in[2] + 2L * pad - kernelWidth();
        if (ho < 0 || wo < 0) {
            throw new IllegalArgumentException(describe() + ": a " + in[1] + "x" + in[2] + " input is smaller than the kernel");
        }
        long oh = ho / stride + 1;
        long ow = wo / stride + 1;
        Shapes.intSize(describe(), "an output of " + outChannels() + "x" + oh + "x" + ow + " per example", outChannels(), oh, ow);
        return new int[] {outChannels(), (int) oh, (int) ow};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        int[] o = outputShape(perExample(x));
        out = Workspace.ensureShape(backend, out, x.dim(0), o[0], o[1], o[2]);
        input = x;
        if (training) {
            releaseInference();
        }
        if (sparse != null && sparseMask == weight.mask() && backend.sparseConvFaster(sparse, o[1] * o[2])) {
            backend.sparseConv2d(out, x, sparse, bias == null ? null : bias.value(), kernelHeight(), kernelWidth(), stride, pad, relu);
        } else {
            backend.conv2d(out, x, weight.value(), bias == null ? null : bias.value(), stride, pad, groups, relu);
        }
        return out;
    }

    /** Builds the sparse form of a masked one-group filter bank, {@code [out, in·kh·kw]} (where the backend has a sparse convolution). */
    @Override
    public void prepareInference() {
        releaseInference();
        if (weight.mask() != null && groups == 1) {
            int k = weight.size() / outChannels();
            Tensor w = backend.reshape(weight.value(), outChannels(), k);
            Tensor m = backend.reshape(weight.mask(), outChannels(), k);
            sparse = backend.sparse(w, m);
            sparseMask = sparse == null ? null : weight.mask();
        }
    }

    @Override
    public void releaseInference() {
        if (sparse != null) {
            sparse.close();
            sparse = null;
            sparseMask = null;
        }
    }

    /**
     * Whether an inference pass with an input of {@code h × w} runs as a sparse convolution now (see
     * {@link Dense#runsSparse}): inside an inference scope, with a mask, one group, and where the
     * backend prefers it.
     *
     * @param h input height
     * @param w input width
     * @return true when {@link #forward} with {@code training} false would use the sparse convolution
     * @throws IllegalArgumentException when the input is smaller than the kernel
     */
    public boolean runsSparse(int h, int w) {
        int[] o = outputShape(new int[] {inChannels(), h, w});
        return sparse != null && sparseMask == weight.mask() && backend.sparseConvFaster(sparse, o[1] * o[2]);
    }

    private int[] perExample(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + " expects input [batch, channels, height, width], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        return new int[] {x.dim(1), x.dim(2), x.dim(3)};
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (input == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        Tensor g = dy;
        if (relu) {
            dz = Workspace.ensureShape(backend, dz, dy.shape());
            backend.reluBackward(dz, dy, out);
            g = dz;
        }
        Tensor gx = null;
        if (needInputGrad) {
            dx = Workspace.ensureShape(backend, dx, input.shape());
            gx = dx;
        }
        backend.conv2dBackward(gx, weight.grad(), bias == null ? null : bias.grad(), g, input, weight.value(), stride, pad, groups);
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        int[] o = outputShape(inputShape);
        return 2L * o[0] * o[1] * o[2] * weight.value().dim(1) * kernelHeight() * kernelWidth();
    }

    /** A copy with copies of the weight and bias; masks are not copied (masked weights hold their zeros). */
    @Override
    public Conv2d copy() {
        return new Conv2d(name, Workspace.copyOf(backend, weight.value()), bias == null ? null : Workspace.copyOf(backend, bias.value()),
                stride, pad, groups, relu);
    }

    @Override
    public void close() {
        releaseInference();
        input = null;
        out = Workspace.free(out);
        dz = Workspace.free(dz);
        dx = Workspace.free(dx);
        weight.close();
        if (bias != null) {
            bias.close();
        }
    }
}
