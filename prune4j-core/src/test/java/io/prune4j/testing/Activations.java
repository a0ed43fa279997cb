package io.prune4j.testing;

import io.prune4j.backend.ActivationKind;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The activations the tests run, one list for all of them: every {@link ActivationKind}, those with
 * parameters at PyTorch's defaults and at others (a negative slope, ONNX's HardSigmoid, a falling
 * HardSigmoid, one with β below 0, which maps 0 to 0, an ELU of α ≠ 1, SELU's own and others, a
 * CELU of α below 0); and their inputs: values
 * around the kinks and the special ones.
 */
public final class Activations {
    /** One activation: a kind with its α and β (0 where the kind has none). */
    public record Case(ActivationKind kind, float alpha, float beta) {
        @Override
        public String toString() {
            String s = kind.title();
            return kind.hasBeta() ? s + "(" + alpha + ", " + beta + ")" : kind.hasAlpha() ? s + "(" + alpha + ")" : s;
        }

        /** Where the gradient jumps: {@code x} at a kink of the formula. */
        public double[] kinks() {
            return switch (kind) {
                case LEAKY_RELU, ELU, SELU, CELU -> new double[] {0};
                case HARD_SWISH -> new double[] {-3, 3};
                case HARD_SIGMOID -> new double[] {-beta / (double) alpha, (1 - beta) / (double) alpha};
                default -> new double[0];
            };
        }
    }

    private static final List<Case> ALL = List.of(
            new Case(ActivationKind.LEAKY_RELU, 0.01f, 0f),
            new Case(ActivationKind.LEAKY_RELU, -0.5f, 0f),
            new Case(ActivationKind.SIGMOID, 0f, 0f),
            new Case(ActivationKind.TANH, 0f, 0f),
            new Case(ActivationKind.HARD_SIGMOID, 1f / 6f, 0.5f),
            new Case(ActivationKind.HARD_SIGMOID, 0.2f, 0.5f),
            new Case(ActivationKind.HARD_SIGMOID, -0.25f, 0.1f),
            new Case(ActivationKind.HARD_SIGMOID, 0.25f, -0.5f),
            new Case(ActivationKind.HARD_SWISH, 0f, 0f),
            new Case(ActivationKind.ELU, 1f, 0f),
            new Case(ActivationKind.ELU, 0.5f, 0f),
            new Case(ActivationKind.GELU, 0f, 0f),
            new Case(ActivationKind.SELU, 1.6732632f, 1.050701f),
            new Case(ActivationKind.SELU, 0.5f, 2f),
            new Case(ActivationKind.CELU, 1f, 0f),
            new Case(ActivationKind.CELU, 0.3f, 0f),
            new Case(ActivationKind.CELU, -2f, 0f),
            new Case(ActivationKind.SOFTPLUS, 0f, 0f),
            new Case(ActivationKind.MISH, 0f, 0f),
            new Case(ActivationKind.GELU_TANH, 0f, 0f));

    /**
     * The kinks where float and double agree on the branch (±3 for PyTorch's HardSigmoid: {@code α·x + β}
     * is exactly 0 or 1 in float; 6 for HardSigmoid(0.25, −0.5)), the saturations (±6, ±100), the
     * underflow of a sigmoid (−90), values where {@code e^x − 1} must not cancel (±1e-6, the smallest
     * subnormal) and NaN, ±∞, ±0.
     */
    private static final float[] SPECIAL = {0f, -0f, 3f, -3f, 1f, -1f, 6f, -6f, 100f, -100f, -90f, 1e-6f, -1e-6f, Float.MIN_VALUE,
        -Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    private Activations() {}

    /** Every case (an unmodifiable list); also a {@code @MethodSource("io.prune4j.testing.Activations#all")}. */
    public static List<Case> all() {
        return ALL;
    }

    /** {@code n} values uniform in {@code [-8, 8)}, one in four replaced by a {@link #SPECIAL} value. */
    public static float[] awkward(SplittableRandom rng, int n) {
        float[] a = Check.uniform(rng, n, 8);
        for (int i = 0; i < n; i++) {
            if (rng.nextInt(4) == 0) {
                a[i] = SPECIAL[rng.nextInt(SPECIAL.length)];
            }
        }
        return a;
    }

    /**
     * Moves every value within {@code margin} of one of {@code c}'s kinks, but for the special values,
     * {@code 2·margin} up, so that a comparison against a double reference (or a finite difference)
     * does not straddle a kink: at a HardSigmoid kink that is not a float, float and double may round
     * {@code α·x + β} to different sides of 0 or 1.
     */
    public static float[] offKinks(float[] x, Case c, double margin) {
        float[] out = x.clone();
        for (int i = 0; i < out.length; i++) {
            for (double k : c.kinks()) {
                if (Math.abs(out[i] - k) < margin && !isSpecial(out[i])) {
                    out[i] = (float) (out[i] + 2 * margin);
                }
            }
        }
        return out;
    }

    private static boolean isSpecial(float v) {
        for (float s : SPECIAL) {
            if (Float.floatToRawIntBits(s) == Float.floatToRawIntBits(v)) {
                return true;
            }
        }
        return false;
    }
}
