package io.prune4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/**
 * Comparison helpers in the style of llm.c's validate_result: tolerance {@code atol + rtol·|ref|}, first
 * mismatches printed. The one comparison rule of every parity test, the CUDA harness's included.
 */
public final class Check {
    private Check() {}

    /**
     * Whether {@code actual} matches {@code expected} within {@code atol + rtol·|expected|}. NaN
     * matches only NaN and an infinity only the same infinity, at any tolerance: the bound is
     * infinite for an infinite {@code expected}, so without this rule every value would pass against
     * it as soon as {@code rtol > 0}. A finite value never matches an infinite one. Equal finite
     * values (−0 and +0 included) always match.
     */
    public static boolean close(float expected, float actual, double atol, double rtol) {
        if (Float.isNaN(expected) || Float.isNaN(actual)) {
            return Float.isNaN(expected) && Float.isNaN(actual);
        }
        if (Float.isInfinite(expected) || Float.isInfinite(actual)) {
            return expected == actual;
        }
        return Math.abs((double) actual - expected) <= atol + rtol * Math.abs(expected);
    }

    /** The raw bit patterns of {@code a}, for {@code assertArrayEquals} of results that must be bit-identical. */
    public static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    /**
     * Whether the two have the same bit pattern: −0 and +0 differ. Any NaN matches any NaN: which NaN
     * an operation returns is not specified (a GPU returns its canonical one, the JVM keeps the
     * operand's payload), so a payload is no result to compare.
     */
    public static boolean sameBits(float expected, float actual) {
        return Float.floatToRawIntBits(expected) == Float.floatToRawIntBits(actual) || (Float.isNaN(expected) && Float.isNaN(actual));
    }

    /** Fails unless every element of {@code actual} is {@link #close(float, float, double, double) close} to {@code expected}'s. */
    public static void close(String what, float[] expected, float[] actual, double atol, double rtol) {
        compare(what, expected, actual, false, atol, rtol);
    }

    public static void close(String what, double[] expected, float[] actual, double atol, double rtol) {
        float[] e = new float[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) expected[i];
        }
        close(what, e, actual, atol, rtol);
    }

    /** Fails unless every element of {@code actual} has the {@link #sameBits(float, float) same bits} as {@code expected}'s. */
    public static void sameBits(String what, float[] expected, float[] actual) {
        compare(what, expected, actual, true, 0, 0);
    }

    /** Both assertions: the same bits when {@code bits}, else closeness within the tolerance. */
    private static void compare(String what, float[] expected, float[] actual, boolean bits, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i];
            float a = actual[i];
            if (bits ? !sameBits(e, a) : !close(e, a, atol, rtol)) {
                if (bad < 5) {
                    // with the bit patterns, which the bit comparison is about
                    sb.append(String.format("%n  [%d] expected %.9g (0x%08x) got %.9g (0x%08x), diff %.3g", i, e,
                            Float.floatToRawIntBits(e), a, Float.floatToRawIntBits(a), Math.abs((double) a - e)));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.length + " elements differ"
                    + (bits ? " (the same bits expected)" : " beyond " + atol + " + " + rtol + "·|ref|") + sb);
        }
    }

    /** {@code n} values drawn uniformly from {@code [-scale, scale)}. */
    public static float[] uniform(SplittableRandom rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    /** {@code n} values drawn from the normal distribution of mean 0 and standard deviation {@code std}. */
    public static float[] gaussian(SplittableRandom rng, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rng.nextGaussian() * std);
        }
        return a;
    }

    /**
     * Uniform values, the same as {@link #uniform}, whatever the name says.
     *
     * @deprecated misnamed: it never drew normal values. Kept only while the io and prune tests still
     *     call it; call {@link #uniform} (the same values from the same seed) or {@link #gaussian}.
     */
    @Deprecated(forRemoval = true)
    public static float[] randn(SplittableRandom rng, int n, double scale) {
        return uniform(rng, n, scale);
    }

    public static int[] randint(SplittableRandom rng, int n, int bound) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextInt(bound);
        }
        return a;
    }
}
