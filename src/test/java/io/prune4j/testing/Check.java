package io.prune4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

/** Comparison helpers in the style of llm.c's validate_result: tolerance {@code atol + rtol·|ref|}, first mismatches printed. */
public final class Check {
    private Check() {}

    public static void close(String what, float[] expected, float[] actual, double atol, double rtol) {
        if (expected.length != actual.length) {
            fail(what + ": length " + actual.length + ", expected " + expected.length);
        }
        int bad = 0;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            // equal values pass even where the difference is NaN (the same infinity on both sides)
            boolean ok = expected[i] == actual[i] || diff <= atol + rtol * Math.abs(expected[i])
                    || (Float.isNaN(expected[i]) && Float.isNaN(actual[i]));
            if (!ok) {
                if (bad < 5) {
                    sb.append(String.format("%n  [%d] expected %.9g got %.9g (diff %.3g)", i, expected[i], actual[i], diff));
                }
                bad++;
            }
        }
        if (bad > 0) {
            fail(what + ": " + bad + " of " + expected.length + " elements differ beyond " + atol + " + " + rtol + "·|ref|" + sb);
        }
    }

    public static void close(String what, double[] expected, float[] actual, double atol, double rtol) {
        float[] e = new float[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = (float) expected[i];
        }
        close(what, e, actual, atol, rtol);
    }

    /** Uniform values in [-scale, scale). */
    public static float[] randn(SplittableRandom rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    public static int[] randint(SplittableRandom rng, int n, int bound) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextInt(bound);
        }
        return a;
    }
}
