package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Fully connected layer with an optional bias and an optional fused ReLU: {@code x [batch, in] → y [batch, out]},
 * {@code y = act(x · Wᵀ + b)} with {@code W [out, in]} and {@code b [out]} (PyTorch's layout, so
 * weights move between the two without a transpose). Unit {@code n} of the layer is output
 * neuron {@code n}: row {@code n} of {@code W} and element {@code n} of {@code b}.
 *
 * <p>With the ReLU fused, hooks see the activation after the ReLU and the gradient with respect to
 * it; since {@code relu(z)·∂L/∂relu(z) = z·∂L/∂z}, activation×gradient scores are the same either side.
 */
public final class Dense implements WeightLayer, UnaryLayer {
    private final String name;
    private final Backend backend;
    private final boolean relu;
    private final Parameter weight;
    private final Parameter bias;

    /** The masked weight's sparse form inside an inference scope, and the mask it was built from. */
    private io.prune4j.backend.SparseMatrix sparse;
    private Tensor sparseMask;
    private Tensor input;
    private Tensor out;
    private Tensor dz;
    private Tensor dx;

    /**
     * A layer over the given tensors, which it takes ownership of (and closes in {@link #close}).
     *
     * @param name   the node name (not null)
     * @param weight {@code [out, in]} FLOAT32 (not null)
     * @param bias   {@code [out]} FLOAT32 on the weight's backend, or null for a layer without a bias
     * @param relu   whether a ReLU is fused into the output
     * @throws IllegalArgumentException when the weight is not a FLOAT32 matrix or the bias does not
     *     have its rows' count
     */
    public Dense(String name, Tensor weight, Tensor bias, boolean relu) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(weight, "weight");
        Shapes.requireRank("Dense " + name, "weight", weight, 2);
        Shapes.requireDType("Dense " + name, "weight", weight, DType.FLOAT32);
        if (bias != null) {
            Shapes.requireShape("Dense " + name, "bias", bias, weight.dim(0));
            Shapes.requireDType("Dense " + name, "bias", bias, DType.FLOAT32);
        }
        this.name = name;
        this.backend = weight.backend();
        this.relu = relu;
        this.weight = new Parameter("weight", weight);
        this.bias = bias == null ? null : new Parameter("bias", bias);
    }

    /**
     * A layer with He-uniform weights ({@code U(±sqrt(6/in))} before a ReLU, {@code U(±sqrt(3/in))}
     * otherwise) and zero bias, drawn from {@code rng} so a seed fixes the network.
     *
     * @param backend the backend to allocate on (not null)
     * @param name    the node name (not null)
     * @param in      input features, at least 1
     * @param out     output units, at least 1
     * @param relu    whether a ReLU is fused into the output
     * @param rng     the random numbers the weights are drawn from, {@code out·in} of them (not null)
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when {@code in} or {@code out} is below 1
     */
    public static Dense create(Backend backend, String name, int in, int out, boolean relu, SplittableRandom rng) {
        return create(backend, name, in, out, true, relu, rng);
    }

    /**
     * {@link #create(Backend, String, int, int, boolean, SplittableRandom)} with or without a (zero) bias.
     *
     * @param backend  the backend to allocate on (not null)
     * @param name     the node name (not null)
     * @param in       input features, at least 1
     * @param out      output units, at least 1
     * @param withBias whether the layer has a bias
     * @param relu     whether a ReLU is fused into the output
     * @param rng      the random numbers the weights are drawn from (not null)
     * @return the layer, which the caller owns
     * @throws IllegalArgumentException when {@code in} or {@code out} is below 1
     */
    public static Dense create(Backend backend, String name, int in, int out, boolean withBias, boolean relu, SplittableRandom rng) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rng, "rng");
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Dense " + name + ": sizes must be positive, got " + in + "→" + out);
        }
        double bound = Math.sqrt((relu ? 6.0 : 3.0) / in);
        float[] w = new float[Shapes.size(out, in)];
        for (int j = 0; j < w.length; j++) {
            w[j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return new Dense(name, backend.fromArray(w, out, in), withBias ? backend.zeros(DType.FLOAT32, out) : null, relu);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * Input features.
     *
     * @return {@code in}, the weight's columns
     */
    public int inFeatures() {
        return weight.value().dim(1);
    }

    /**
     * Output units.
     *
     * @return {@code out}, the weight's rows
     */
    public int outFeatures() {
        return weight.value().dim(0);
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
    public String describe() {
        return "Dense " + name + " (" + inFeatures() + "→" + outFeatures() + (bias == null ? ", no bias" : "") + (relu ? ", relu)" : ")");
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        if (inputShape.length != 1 || inputShape[0] != inFeatures()) {
            throw new IllegalArgumentException(describe() + " expects " + inFeatures() + " input features, got "
                    + (inputShape.length == 1 ? Integer.toString(inputShape[0]) : "shape " + java.util.Arrays.toString(inputShape)
                    + " (flatten it first)"));
        }
        return new int[] {outFeatures()};
    }

    @Override
    public int units() {
        return outFeatures();
    }

    @Override
    public int inputUnits() {
        return inFeatures();
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.Independent();
    }

    /**
     * Keeps the rows of the kept output units (and their bias entries) and the columns of the kept
     * input features.
     */
    @Override
    public Dense pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        Tensor w = weight.value();
        Tensor b = bias == null ? null : bias.value();
        Tensor rows = null;
        Tensor rowBias = null;
        if (keepOutput != null) {
            rows = backend.zeros(DType.FLOAT32, keepOutput.count(), inFeatures());
            backend.gatherRows(rows, w, keepOutput.indices(), 0);
            w = rows;
            if (b != null) {
                rowBias = backend.zeros(DType.FLOAT32, keepOutput.count());
                backend.gatherRows(rowBias, b, keepOutput.indices(), 0);
                b = rowBias;
            }
        }
        ChannelSelection in = keepInputs[0];
        Tensor cols = null;
        if (in != null) {
            if (in.total() != inFeatures()) {
                throw new IllegalArgumentException(describe() + ": a selection of " + in.total() + " input features for " + inFeatures());
            }
            cols = backend.zeros(DType.FLOAT32, w.dim(0), in.count());
            backend.gatherColumns(cols, w, in.indices());
            if (rows != null) {
                rows.close();
            }
            w = cols;
        }
        Tensor newWeight = w == weight.value() ? Workspace.copyOf(backend, w) : w;
        Tensor newBias = b == null ? null : b == rowBias ? b : Workspace.copyOf(backend, b);
        return new Dense(name, newWeight, newBias, relu);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        Shapes.requireRank(describe(), "input", x, 2);
        if (x.dim(1) != inFeatures()) {
            throw new IllegalArgumentException(describe() + " expects " + inFeatures() + " input features, got " + x.dim(1));
        }
        int batch = x.dim(0);
        out = Workspace.ensure(backend, out, batch, outFeatures());
        input = x;
        if (training) {
            releaseInference();
        }
        if (sparse != null && sparseMask == weight.mask() && backend.sparseFaster(sparse, batch)) {
            backend.sparseMatmul(out, x, sparse);
        } else {
            backend.gemm(out, x, false, weight.value(), true, 1f, 0f);
        }
        if (bias != null) {
            backend.biasAdd(out, bias.value(), relu);
        } else if (relu) {
            backend.relu(out, out);
        }
        return out;
    }

    /** Builds the sparse form of a masked weight (where the backend has a sparse product). */
    @Override
    public void prepareInference() {
        releaseInference();
        if (weight.mask() != null) {
            sparse = backend.sparse(weight.value(), weight.mask());
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
     * Whether an inference pass of {@code batch} examples runs as a sparse product now (inside an
     * inference scope, with a mask, and below the backend's crossover density), for reports.
     *
     * @param batch examples per pass
     * @return true when {@link #forward} with {@code training} false would use the sparse product
     */
    public boolean runsSparse(int batch) {
        return sparse != null && sparseMask == weight.mask() && backend.sparseFaster(sparse, batch);
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (input == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        Tensor g = dy;
        if (relu) {
            dz = Workspace.ensure(backend, dz, dy.dim(0), dy.dim(1));
            backend.reluBackward(dz, dy, out);
            g = dz;
        }
        backend.gemm(weight.grad(), g, true, input, false, 1f, 0f);
        if (bias != null) {
            backend.sumRows(bias.grad(), g, 0f);
        }
        if (!needInputGrad) {
            return null;
        }
        dx = Workspace.ensure(backend, dx, g.dim(0), inFeatures());
        backend.gemm(dx, g, false, weight.value(), false, 1f, 0f);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return 2L * inFeatures() * outFeatures();
    }

    /** A copy with copies of the weight and bias; masks are not copied (masked weights hold their zeros). */
    @Override
    public Dense copy() {
        return new Dense(name, Workspace.copyOf(backend, weight.value()), bias == null ? null : Workspace.copyOf(backend, bias.value()),
                relu);
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
