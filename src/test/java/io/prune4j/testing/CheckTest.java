package io.prune4j.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The comparison every kernel parity test relies on: it must pass what is equal and catch what is not. */
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

    @Test
    void toleranceIsAbsolutePlusRelative() {
        assertDoesNotThrow(() -> Check.close("within", new float[] {100f}, new float[] {100.5f}, 0.1, 0.005));
        assertThrows(AssertionError.class, () -> Check.close("beyond", new float[] {100f}, new float[] {100.7f}, 0.1, 0.005));
    }
}
