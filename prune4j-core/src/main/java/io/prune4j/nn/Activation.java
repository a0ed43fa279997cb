package io.prune4j.nn;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * An element-wise activation of the input's shape, {@code x [batch, …] → f(x)}: LeakyReLU(α),
 * sigmoid, tanh, HardSigmoid(α, β), HardSwish and ELU(α), the formulas and gradients of
 * {@link ActivationKind} (PyTorch's, kinks included). Those with {@code f(0) = 0} pass channels
 * through for pruning; sigmoid, and a HardSigmoid with {@code β > 0}, are gates
 * ({@link ChannelRule.Gate}): their channels can be pruned only where products alone read them (SiLU,
 * a squeeze-and-excitation block).
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

    /** {@code alpha} and {@code beta} must be finite where {@code kind}'s formula has them; elsewhere they are ignored (and read as 0). */
    public Activation(String name, Backend backend, ActivationKind kind, float alpha, float beta) {
        if (kind == null) {
            throw new IllegalArgumentException("Activation " + name + ": a kind is required, one of " + ActivationKind.keys());
        }
        if ((kind.hasAlpha() && !Float.isFinite(alpha)) || (kind.hasBeta() && !Float.isFinite(beta))) {
            throw new IllegalArgumentException(kind.title() + " " + name + ": parameters must be finite, got alpha " + alpha
                    + (kind.hasBeta() ? " and beta " + beta : ""));
        }
        this.name = name;
        this.backend = backend;
        this.kind = kind;
        this.alpha = kind.hasAlpha() ? alpha : 0f;
        this.beta = kind.hasBeta() ? beta : 0f;
    }

    /** {@code x > 0 ? x : α·x} (PyTorch's default α is 0.01). */
    public static Activation leakyRelu(String name, Backend backend, float alpha) {
        return new Activation(name, backend, ActivationKind.LEAKY_RELU, alpha, 0f);
    }

    public static Activation sigmoid(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.SIGMOID, 0f, 0f);
    }

    public static Activation tanh(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.TANH, 0f, 0f);
    }

    /** {@code min(max(α·x + β, 0), 1)}. */
    public static Activation hardSigmoid(String name, Backend backend, float alpha, float beta) {
        return new Activation(name, backend, ActivationKind.HARD_SIGMOID, alpha, beta);
    }

    /** PyTorch's {@code hardsigmoid}: α = 1/6, β = 1/2. */
    public static Activation hardSigmoid(String name, Backend backend) {
        return hardSigmoid(name, backend, HARD_SIGMOID_ALPHA, HARD_SIGMOID_BETA);
    }

    public static Activation hardSwish(String name, Backend backend) {
        return new Activation(name, backend, ActivationKind.HARD_SWISH, 0f, 0f);
    }

    /** {@code x > 0 ? x : α·(e^x − 1)} (PyTorch's default α is 1). */
    public static Activation elu(String name, Backend backend, float alpha) {
        return new Activation(name, backend, ActivationKind.ELU, alpha, 0f);
    }

    @Override
    public String name() {
        return name;
    }

    public ActivationKind kind() {
        return kind;
    }

    /** α, or 0 for a kind without one. */
    public float alpha() {
        return alpha;
    }

    /** β, or 0 for a kind without one. */
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
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        out = Workspace.ensureShape(backend, out, x.shape());
        input = x;
        backend.activation(out, x, kind, alpha, beta);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
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
        return 0;
    }

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
            default -> 0f;
        };
    }

    @Override
    public Activation pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
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
