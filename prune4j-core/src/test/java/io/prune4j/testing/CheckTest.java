package io.prune4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The comparison every kernel parity test relies on (it must pass what is equal and catch what is not), and the random inputs. */
class CheckTest {
    private static final float INF = Float.POSITIVE_INFINITY;
    /** One value of each kind the rule tells apart. */
    private static final float[] KINDS = {1.5f, INF, -INF, Float.NaN};
    /** Tolerances from none to so loose that every finite value is within it. */
    private static final double[][] TOLERANCES = {{0, 0}, {0, 1e-6}, {1e-3, 0.5}, {0, 1e30}, {1e30, 1e30}};

    /**
     * Every pair of kinds, both ways, at every tolerance: NaN matches only NaN and an infinity only
     * the same infinity however loose the tolerance ({@code |∞ − x| ≤ rtol·∞} must not let a finite
     * value or the other infinity through); two equal finite values always match.
     */
    static List<Arguments> pairs() {
        List<Arguments> out = new ArrayList<>();
        for (double[] tol : TOLERANCES) {
            for (float e : KINDS) {
                for (float a : KINDS) {
                    boolean match = Float.compare(e, a) == 0;   // same kind: NaN with NaN, ∞ with the same ∞
                    out.add(Arguments.of(e, a, tol[0], tol[1], match));
                }
            }
            // finite against infinite with a finite value as large as floats get
            out.add(Arguments.of(Float.MAX_VALUE, INF, tol[0], tol[1], false));
            out.add(Arguments.of(INF, Float.MAX_VALUE, tol[0], tol[1], false));
            out.add(Arguments.of(-Float.MAX_VALUE, -INF, tol[0], tol[1], false));
        }
        return out;
    }

    @ParameterizedTest(name = "expected {0}, actual {1}, atol {2}, rtol {3}: match {4}")
    @MethodSource("pairs")
    void everyPairOfKinds(float expected, float actual, double atol, double rtol, boolean match) {
        float[] e = {0.25f, expected, -3f};
        float[] a = {0.25f, actual, -3f};
        if (match) {
            assertDoesNotThrow(() -> Check.close("pair", e, a, atol, rtol));
        } else {
            assertThrows(AssertionError.class, () -> Check.close("pair", e, a, atol, rtol));
        }
    }

    /** The same pairs for the bit comparison: equal kinds match (any NaN any NaN), others never. */
    @ParameterizedTest(name = "expected {0}, actual {1}: the same bits {4}")
    @MethodSource("pairs")
    void everyPairOfKindsBitForBit(float expected, float actual, double atol, double rtol, boolean match) {
        float[] e = {0.25f, expected};
        float[] a = {0.25f, actual};
        if (match) {
            assertDoesNotThrow(() -> Check.sameBits("pair", e, a));
        } else {
            assertThrows(AssertionError.class, () -> Check.sameBits("pair", e, a));
        }
    }

    @Test
    void sameBitsTellsTheZerosAndEveryUlpApart() {
        assertThrows(AssertionError.class, () -> Check.sameBits("zeros", new float[] {0f}, new float[] {-0f}));
        assertThrows(AssertionError.class, () -> Check.sameBits("zeros", new float[] {-0f}, new float[] {0f}));
        assertThrows(AssertionError.class, () -> Check.sameBits("ulp", new float[] {1f}, new float[] {Math.nextUp(1f)}));
        assertThrows(AssertionError.class, () -> Check.sameBits("subnormal", new float[] {0f}, new float[] {Float.MIN_VALUE}));
        assertThrows(AssertionError.class, () -> Check.sameBits("length", new float[2], new float[3]));
        // a NaN's payload is not the operation's result: another NaN matches
        float otherNaN = Float.intBitsToFloat(0x7fc00001);
        assertDoesNotThrow(() -> Check.sameBits("NaN payloads", new float[] {Float.NaN, -0f, 7f}, new float[] {otherNaN, -0f, 7f}));
        // while close() takes −0 for +0 (their difference is 0)
        assertDoesNotThrow(() -> Check.close("zeros", new float[] {0f}, new float[] {-0f}, 0, 0));
    }

    @Test
    void equalValuesPassEvenAtZeroTolerance() {
        assertDoesNotThrow(() -> Check.close("same", new float[] {1f, -INF, INF, Float.NaN, 0f}, new float[] {1f, -INF, INF, Float.NaN, -0f}, 0, 0));
    }

    @Test
    void differencesAreCaught() {
        float[][] pairs = {{-INF, INF}, {INF, Float.MAX_VALUE}, {Float.NaN, 1f}, {1f, Float.NaN}, {1f, Math.nextUp(1f)}};
        for (float[] p : pairs) {
            assertThrows(AssertionError.class, () -> Check.close("pair", new float[] {p[0]}, new float[] {p[1]}, 0, 0),
                    p[0] + " vs " + p[1]);
        }
        assertThrows(AssertionError.class, () -> Check.close("length", new float[2], new float[3], 1, 1));
    }

    /** Normal values: mean 0, the standard deviation asked for, and the normal tails (4.55% beyond 2σ, none for uniform values). */
    @Test
    void gaussianDrawsNormalValues() {
        int n = 200_000;
        float[] a = Check.gaussian(new SplittableRandom(5), n, 3);
        double sum = 0;
        double squares = 0;
        int beyond2 = 0;
        for (float v : a) {
            sum += v;
            squares += (double) v * v;
            beyond2 += Math.abs(v) > 6 ? 1 : 0;
        }
        double mean = sum / n;
        double std = Math.sqrt(squares / n - mean * mean);
        assertEquals(0, mean, 0.03, "mean");
        assertEquals(3, std, 0.03, "standard deviation");
        assertEquals(0.0455, beyond2 / (double) n, 0.003, "fraction beyond 2σ");
        assertArrayEquals(a, Check.gaussian(new SplittableRandom(5), n, 3), "the same values from the same seed");
    }

    @Test
    void uniformStaysInItsInterval() {
        float[] a = Check.uniform(new SplittableRandom(6), 100_000, 2.5);
        double sum = 0;
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : a) {
            sum += v;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        assertTrue(lo >= -2.5f && hi < 2.5f, lo + " .. " + hi);
        assertTrue(lo < -2.49f && hi > 2.49f, "fills [-2.5, 2.5): " + lo + " .. " + hi);
        assertEquals(0, sum / a.length, 0.02, "mean");
    }

    @Test
    void toleranceIsAbsolutePlusRelative() {
        assertDoesNotThrow(() -> Check.close("within", new float[] {100f}, new float[] {100.5f}, 0.1, 0.005));
        assertThrows(AssertionError.class, () -> Check.close("beyond", new float[] {100f}, new float[] {100.7f}, 0.1, 0.005));
    }
}
