package io.prune4j.backend;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The element-wise activations of {@link Backend#activation} beyond ReLU and clamp, as PyTorch
 * exports them to ONNX. Each constant states its formula, in the float operations the CPU backend
 * does, and its gradient ({@link Backend#activationBackward}), which follows PyTorch's backward
 * formula and its comparisons: at a kink the gradient is the one PyTorch gives, and so is the
 * gradient at a NaN input. A NaN input always gives a NaN output.
 *
 * <p>The exponential, the hyperbolic tangent and GELU's normal distribution function are evaluated
 * in double and rounded once to float on the CPU (Java has no float {@code exp}, and no {@code erf}
 * at all); a device's {@code expf}/{@code tanhf}/{@code normcdff} track those within a few ulps
 * rather than bit for bit. The piecewise-linear kinds are float operations only,
 * the same on every backend.
 *
 * <p>The ordinal is the kind code of the CUDA kernels ({@code p4j_activation}): new kinds go at
 * the end.
 */
public enum ActivationKind {
    /**
     * {@code y = x > 0 ? x : α·x} (ONNX LeakyRelu, PyTorch's {@code negative_slope} α); the gradient
     * {@code x > 0 ? dy : dy·α}, so α at 0, from the input {@code x}.
     */
    LEAKY_RELU("leaky_relu", "LeakyReLU", true, false),
    /**
     * {@code y = 1 / (1 + e^−x)}; the gradient {@code dy·(1 − y)·y} in float, from the output {@code y}
     * (PyTorch's {@code sigmoid_backward}).
     */
    SIGMOID("sigmoid", "Sigmoid", false, false),
    /** {@code y = tanh(x)}; the gradient {@code dy·(1 − y·y)} in float, from the output {@code y}. */
    TANH("tanh", "Tanh", false, false),
    /**
     * {@code y = min(max(α·x + β, 0), 1)} (ONNX HardSigmoid; PyTorch's {@code hardsigmoid} is α = 1/6,
     * β = 1/2); the gradient {@code dy·α} where {@code 0 < y < 1}, else 0, from the output {@code y}:
     * it passes exactly where the float {@code α·x + β} is strictly inside {@code (0, 1)}, which for
     * PyTorch's α and β is {@code −3 < x < 3} (PyTorch's {@code hardsigmoid_backward}).
     */
    HARD_SIGMOID("hard_sigmoid", "HardSigmoid", true, true),
    /**
     * {@code y = x·min(max(x + 3, 0), 6) / 6} (ONNX HardSwish, PyTorch's evaluation order; −∞ gives
     * NaN, as {@code −∞·0}, as in PyTorch); the gradient, from the input {@code x}:
     * {@code x < −3 ? 0 : x ≤ 3 ? dy·(x/3 + 1/2) : dy} (PyTorch's {@code hardswish_backward}, so −1/2
     * at −3 and 3/2 at 3, and {@code dy} at a NaN).
     */
    HARD_SWISH("hard_swish", "HardSwish", false, false),
    /**
     * {@code y = x > 0 ? x : α·(e^x − 1)} (ONNX Elu; {@code e^x − 1} as {@code expm1}, exact near 0);
     * the gradient {@code x ≤ 0 ? dy·α·e^x : dy}, from the input {@code x} (PyTorch's
     * {@code elu_backward}: α at 0, and {@code dy} at a NaN).
     */
    ELU("elu", "ELU", true, false),
    /**
     * {@code y = x·Φ(x)}, Φ the standard normal distribution function (PyTorch's exact {@code gelu},
     * {@code approximate='none'}), with {@code Φ(x) = ½·erfc(−x/√2)} so that a small output far below 0
     * keeps its relative accuracy (PyTorch's {@code ½·(1 + erf(x/√2))} cancels there: it gives 0 at −6,
     * where the value is about −5.9e-9), in double and rounded once; −∞ gives NaN, as {@code −∞·0}, as
     * in PyTorch. The gradient {@code dy·(Φ(x) + x·φ(x))}, {@code φ(x) = e^(−x²/2)/√(2π)}, from the
     * input {@code x}: the factor in double rounded once, times {@code dy} in float (PyTorch's
     * {@code gelu_backward}; NaN at ±∞, as {@code ±∞·0}, and at a NaN).
     */
    GELU("gelu", "GELU", false, false),
    /**
     * {@code y = x > 0 ? β·x : β·α·(e^x − 1)} (ONNX Selu: α its {@code alpha}, β its {@code gamma};
     * PyTorch's SELU is α = 1.6732632, β = 1.0507010); the positive side a float product, the
     * negative side in double ({@code expm1}) rounded once. The gradient {@code x ≤ 0 ? dy·(β·α·e^x) :
     * dy·β}, from the input {@code x} (PyTorch's {@code elu_backward} for SELU: β·α at 0, {@code dy·β}
     * at a NaN).
     */
    SELU("selu", "SELU", true, true),
    /**
     * {@code y = x > 0 ? x : α·(e^(x/α) − 1)} (ONNX Celu, PyTorch's CELU; α ≠ 0), the negative side in
     * double rounded once. The gradient {@code x ≤ 0 ? dy·e^(x/α) : dy}, from the input {@code x}
     * (PyTorch's: 1 at 0, {@code dy} at a NaN).
     */
    CELU("celu", "CELU", true, false),
    /**
     * {@code y = ln(1 + e^x)} (ONNX Softplus, PyTorch's {@code softplus} with β = 1; its threshold of 20
     * changes no float), as {@code x + ln(1 + e^−x)} above 0, in double rounded once; a gate
     * ({@code ln 2} at 0). The gradient {@code dy·σ(x)}, σ the logistic sigmoid in double rounded once,
     * from the input {@code x}.
     */
    SOFTPLUS("softplus", "Softplus", false, false),
    /**
     * {@code y = x·tanh(ln(1 + e^x))} (ONNX Mish, PyTorch's {@code mish}; what PyTorch exports as
     * Softplus, Tanh and Mul below opset 18), in double rounded once; −∞ gives NaN ({@code −∞·0}), as
     * in PyTorch. The gradient {@code dy·(t + x·σ(x)·(1 − t²))}, {@code t = tanh(ln(1 + e^x))}, the
     * factor in double rounded once, from the input {@code x} (PyTorch's {@code mish_backward}; NaN at
     * ±∞, as {@code ±∞·0}).
     */
    MISH("mish", "Mish", false, false),
    /**
     * {@code y = ½·x·(1 + tanh(u))}, {@code u = √(2/π)·(x + 0.044715·x³)} (PyTorch's {@code gelu} with
     * {@code approximate='tanh'}, ONNX Gelu's {@code approximate="tanh"}), as {@code x·σ(2u)} in double
     * rounded once, so that the tail below 0 keeps its relative accuracy; −∞ gives NaN
     * ({@code −∞·0}), as in PyTorch. The gradient {@code dy·(σ(2u) + 2x·σ(2u)·σ(−2u)·u')},
     * {@code u' = √(2/π)·(1 + 3·0.044715·x²)}, the factor in double rounded once, from the input
     * {@code x} (PyTorch's {@code gelu_backward}; NaN at ±∞).
     */
    GELU_TANH("gelu_tanh", "GELU (tanh)", false, false);

    private final String key;
    private final String title;
    private final boolean hasAlpha;
    private final boolean hasBeta;

    ActivationKind(String key, String title, boolean hasAlpha, boolean hasBeta) {
        this.key = key;
        this.title = title;
        this.hasAlpha = hasAlpha;
        this.hasBeta = hasBeta;
    }

    /**
     * The lower-case name model files use: {@code leaky_relu}, {@code hard_sigmoid}, ….
     *
     * @return the key, never null
     */
    public String key() {
        return key;
    }

    /**
     * The name for people: {@code LeakyReLU}, {@code HardSigmoid}, ….
     *
     * @return the title, never null
     */
    public String title() {
        return title;
    }

    /**
     * Whether the formula has an α ({@link #LEAKY_RELU}, {@link #HARD_SIGMOID}, {@link #ELU}, {@link #SELU},
     * {@link #CELU}).
     *
     * @return true when {@link Backend#activation} reads its {@code alpha}, which must then be finite
     */
    public boolean hasAlpha() {
        return hasAlpha;
    }

    /**
     * Whether the formula has a β ({@link #HARD_SIGMOID}, and {@link #SELU}'s scale γ).
     *
     * @return true when {@link Backend#activation} reads its {@code beta}, which must then be finite
     */
    public boolean hasBeta() {
        return hasBeta;
    }

    /**
     * The kind whose {@link #key} is {@code key}, compared exactly (case included).
     *
     * @param key a key as model files write it; may be null, which matches no kind
     * @return the kind, or null when no kind has that key
     */
    public static ActivationKind byKey(String key) {
        for (ActivationKind k : values()) {
            if (k.key.equals(key)) {
                return k;
            }
        }
        return null;
    }

    /**
     * Every {@link #key}, comma-separated, for messages.
     *
     * @return the keys in declaration order, {@code "leaky_relu, sigmoid, …"}
     */
    public static String keys() {
        return Arrays.stream(values()).map(ActivationKind::key).collect(Collectors.joining(", "));
    }
}
