package io.prune4j.nn;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * An element-wise activation of the input's shape, {@code x [batch, …] → f(x)}: LeakyReLU(α),
 * sigmoid, tanh, HardSigmoid(α, β), HardSwish, ELU(α), GELU, SELU(α, γ as β), CELU(α), Softplus and
 * Mish, the formulas and gradients of {@link ActivationKind} (PyTorch's, kinks included). Those with
 * {@code f(0) = 0} pass channels through for pruning (GELU and Mish among them); sigmoid, Softplus,
 * and a HardSigmoid with {@code β > 0}, are gates ({@link ChannelRule.Gate}): their channels can be
 * pruned only where products alone read them (SiLU, a squeeze-and-excitation block).
 */
public final class Activation implements UnaryLayer {
    /** α of PyTorch's {@code hardsigmoid}, 1/6 (ONNX's default is 0.2). */
    public static final float HARD_SIGMOID_ALPHA = 1f / 6f;
    /** β of PyTorch's {@code hardsigmoid}, 1/2 (ONNX's default too). */
    public static final float HARD_SIGMOID_BETA = 0.5f;

    private final String name;
    private final Backend backend;
    private final ActivationKind kind;
    private final float alpha;
    private final float beta;
    private Tensor input;
    private Tensor out;
    private Tensor dx;

    /**
     * An activation of {@code kind}. {@code alpha} and {@code beta} must be finite where {@code kind}'s
     * formula has them; elsewhere they are ignored (and read as 0).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param kind    the function; must not be null (refused with an {@link IllegalArgumentException}
     *                that lists the kinds)
     * @param alpha   α, where {@code kind} has one ({@link ActivationKind#hasAlpha()})
     * @param beta    β, where {@code kind} has one ({@link ActivationKind#hasBeta()})
     * @throws IllegalArgumentException when {@code kind} is null, or α or β is not finite where the
     *     formula has it
     */
    public Activation(String name, Backend backend, ActivationKind kind, float alpha, float beta) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (kind == null) {
            throw new IllegalArgumentException("Activation " + name + ": a kind is required, one of " + ActivationKind.keys());
        }
        if ((kind.hasAlpha() && !Float.isFinite(alpha)) || (kind.hasBeta() && !Float.isFinite(beta))) {
            throw new IllegalArgumentException(kind.title() + " " + name + ": parameters must be finite, got alpha " + alpha
                    + (kind.hasBeta() ? " and beta " + beta : ""));
        }
        if (kind == ActivationKind.CELU && alpha == 0f) {
            throw new IllegalArgumentException("CELU " + name + ": alpha must not be 0 (the formula divides by it)");
        }
        this.name = name;
        this.backend = backend;
        this.kind = kind;
        this.alpha = kind.hasAlpha() ? alpha : 0f;
        this.beta = kind.hasBeta() ? beta : 0f;
    }

    /**
     * LeakyReLU, {@code x > 0 ? x : α·x} (PyTorch's default α is 0.01).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param alpha   the slope below 0, finite
     * @return the layer
     * @throws IllegalArgumentException when {@code alpha} is not finite
     */
    public static Activation leakyRelu(String name, Backend backend, float alpha) {
        return new Activation(name, backend, ActivationKind.LEAKY_RELU, alpha, 0f);
    }

    /**
     * The logistic sigmoid, {@code 1 / (1 + e^−x)}: a gate ({@link ChannelRule.Gate}, it maps 0 to 0.5).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @return the layer
     */
    public static Activation sigmoid(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.SIGMOID, 0f, 0f);
    }

    /**
     * The hyperbolic tangent.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @return the layer
     */
    public static Activation tanh(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.TANH, 0f, 0f);
    }

    /**
     * HardSigmoid, {@code min(max(α·x + β, 0), 1)}: a gate ({@link ChannelRule.Gate}) when it maps 0
     * to something other than 0 ({@code β > 0}).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param alpha   α, finite
     * @param beta    β, finite
     * @return the layer
     * @throws IllegalArgumentException when {@code alpha} or {@code beta} is not finite
     */
    public static Activation hardSigmoid(String name, Backend backend, float alpha, float beta) {
        return new Activation(name, backend, ActivationKind.HARD_SIGMOID, alpha, beta);
    }

    /**
     * PyTorch's {@code hardsigmoid}: α = 1/6, β = 1/2 ({@link #HARD_SIGMOID_ALPHA}, {@link #HARD_SIGMOID_BETA}).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @return the layer
     */
    public static Activation hardSigmoid(String name, Backend backend) {
        return hardSigmoid(name, backend, HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA);
    }

    /**
     * HardSwish, {@code x · min(max(x + 3, 0), 6) / 6} (PyTorch's).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @return the layer
     */
    public static Activation hardSwish(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.HARD_SWISH, 0f, 0f);
    }

    /**
     * ELU, {@code x > 0 ? x : α·(e^x − 1)} (PyTorch's default α is 1).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param alpha   α, finite
     * @return the layer
     * @throws IllegalArgumentException when {@code alpha} is not finite
     */
    public static Activation elu(String name, Backend backend, float alpha) {
        return new Activation(name, backend, ActivationKind.ELU, alpha, 0f);
    }

    /**
     * GELU, {@code x·Φ(x)} with Φ the standard normal distribution function (PyTorch's exact
     * {@code gelu}, {@code approximate='none'}; not its tanh approximation). It maps 0 to 0, so its
     * channels pass through ({@link ChannelRule.PassThrough}).
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @return the layer
     */
    public static Activation gelu(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.GELU, 0f, 0f);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The function.
     *
     * @return the kind, not null
     */
    public ActivationKind kind() {
        return kind;
    }

    /**
     * The formula's α.
     *
     * @return α, or 0 for a kind without one
     */
    public float alpha() {
        return alpha;
    }

    /**
     * The formula's β.
     *
     * @return β, or 0 for a kind without one
     */
    public float beta() {
        return beta;
    }

    @Override
    public String describe() {
        String d = kind.title() + " " + name;
        if (kind.hasBeta()) {
            return d + " (alpha " + alpha + ", beta " + beta + ")";
        }
        return kind.hasAlpha() ? d + " (alpha " + alpha + ")" : d;
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        out = Workspace.ensureShape(backend, out, x.shape());
        input = x;
        backend.activation(out, x, kind, alpha, beta);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (!needInputGrad) {
            return null;
        }
        if (out == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        dx = Workspace.ensureShape(backend, dx, dy.shape());
        backend.activationBackward(dx, dy, input, out, kind, alpha, beta);
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

    /** {@link ChannelRule.PassThrough} where {@code f(0) = 0}, else a {@link ChannelRule.Gate} naming {@code f(0)}. */
    @Override
    public ChannelRule channelRule() {
        // a removed channel is zero on the way in; it stays zero where f(0) = 0, else only a product by a zero removes it
        float atZero = valueAtZero();
        return atZero == 0f ? new ChannelRule.PassThrough() : new ChannelRule.Gate(describe() + " maps 0 to " + atZero);
    }

    private float valueAtZero() {
        return switch (kind) {
            case SIGMOID -> 0.5f;
            case HARD_SIGMOID -> Math.min(Math.max(beta, 0f), 1f);
            case SOFTPLUS -> (float) Math.log(2);
            default -> 0f;
        };
    }

    @Override
    public Activation pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Activation copy() {
        return new Activation(name, backend, kind, alpha, beta);
    }

    @Override
    public void close() {
        input = null;
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
