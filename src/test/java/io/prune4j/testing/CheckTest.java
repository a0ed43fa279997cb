package io.prune4j.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The comparison every kernel parity test relies on: it must pass what is equal and catch what is not. */
class CheckTest {
    private static final float INF = Float.POSITIVE_INFINITY;

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
