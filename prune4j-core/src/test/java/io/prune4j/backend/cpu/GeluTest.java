package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.ActivationKind;
import io.prune4j.testing.NaiveGraphOps;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's own error function ({@link CpuOps#erf}, {@link CpuOps#erfc}, Java has none) against
 * known values, and its exact GELU, {@code x·Φ(x)}, and gradient against PyTorch's. The activation's
 * loops on awkward sizes and special values are {@code CpuGraphOpsTest}'s, its gradient in a graph
 * {@code GraphGradientCheckTest}'s.
 */
class GeluTest {
    /** x, erf(x): 50-digit values (mpmath's) rounded to double. */
    private static final double[][] ERF = {
        {1e-10, 1.1283791670955126e-10}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
        {1.5, 0.9661051464753108}, {1.99, 0.995111413199617}, {2, 0.9953222650189527}, {2.01, 0.9955248493552482},
        {2.5, 0.999593047982555}, {3, 0.9999779095030014}, {3.5, 0.9999992569016276},
    };

    /** x, erfc(x): as {@link #ERF}; from 2 up the continued fraction, below it {@code 1 − erf}. */
    private static final double[][] ERFC = {
        {1, 0.15729920705028513}, {2, 0.004677734981047266}, {2.5, 0.0004069520174449589}, {3, 2.209049699858544e-05},
        {4, 1.541725790028002e-08}, {5, 1.537459794428035e-12}, {6, 2.1519736712498913e-17}, {10, 2.088487583762545e-45},
        {20, 5.395865611607901e-176}, {26, 5.663192408856143e-296},
    };

    /**
     * GELU's inputs (floats) and PyTorch's {@code gelu} (approximate='none') and its autograd gradient
     * of them, in float64, which this backend's double evaluation rounded once must match: from
     * {@code /usr/bin/python3} with torch 1.13,
     * {@code x = torch.tensor([-6., -3., -1., -0.5, -1e-3, 0., 1e-3, 0.5, 1., 3., 6.]).double().requires_grad_();}
     * {@code y = torch.nn.functional.gelu(x); y.sum().backward(); print(y.tolist(), x.grad.tolist())}.
     */
    private static final float[] X = {-6f, -3f, -1f, -0.5f, -1e-3f, 0f, 1e-3f, 0.5f, 1f, 3f, 6f};
    private static final double[] TORCH_F64_Y = {-5.919525869479969e-09, -0.00404969409489031, -0.15865525393145702,
        -0.15426876936299344, -0.0004996010814969171, 0.0, 0.0005003989660005341, 0.34573123063700656, 0.841344746068543,
        2.99595030590511, 5.999999994080474};
    private static final double[] TORCH_F64_DX = {-3.546870945402639e-08, -0.01194564720418392, -0.08331547058768635,
        0.13250487534383712, 0.49920211566726114, 0.5, 0.5007978843327388, 0.8674951246561629, 1.0833154705876864,
        1.011945647204184, 1.0000000354687093};

    /**
     * The same in PyTorch's float32 (the same command without {@code .double()}). Its CPU kernel is
     * {@code 0.5·x·(1 + erf(x/√2))} in float, which cancels below 0: 0 at −6 (the value is −5.9e-9) and
     * 4e-5 relative at −3, so only the inputs from −1 up are compared with it (there it is within 5 ulps).
     */
    private static final double[] TORCH_F32_Y = {0.0, -0.004049867391586304, -0.1586552858352661, -0.1542687863111496,
        -0.0004996011266484857, 0.0, 0.0005003989208489656, 0.3457311987876892, 0.8413447141647339, 2.995950222015381, 6.0};
    private static final double[] TORCH_F32_DX = {-2.9802322387695312e-08, -0.011945605278015137, -0.08331543207168579,
        0.1325049102306366, 0.4992021918296814, 0.5, 0.5007978081703186, 0.867495059967041, 1.083315372467041,
        1.0119456052780151, 1.0};

    @Test
    void erfAndErfcMatchKnownValues() {
        for (double[] v : ERF) {
            assertRelative("erf(" + v[0] + ")", v[1], CpuOps.erf(v[0]), 1e-14);
            assertRelative("erf(" + -v[0] + ")", -v[1], CpuOps.erf(-v[0]), 1e-14);
            assertRelative("erfc(" + -v[0] + ")", 1 + v[1], CpuOps.erfc(-v[0]), 1e-14);
        }
        for (double[] v : ERFC) {
            assertRelative("erfc(" + v[0] + ")", v[1], CpuOps.erfc(v[0]), 1e-14);
        }
        // odd to the bit; the ends and NaN
        for (double z = -6; z <= 6; z += 0.0625) {
            assertEquals(Double.doubleToRawLongBits(-CpuOps.erf(z)), Double.doubleToRawLongBits(CpuOps.erf(-z)), "erf(" + z + ")");
        }
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(CpuOps.erf(-0.0)));
        assertEquals(1.0, CpuOps.erf(Double.POSITIVE_INFINITY));
        assertEquals(-1.0, CpuOps.erf(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, CpuOps.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, CpuOps.erfc(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, CpuOps.erfc(27.5), "below double's least value");
        assertTrue(Double.isNaN(CpuOps.erf(Double.NaN)));
        assertTrue(Double.isNaN(CpuOps.erfc(Double.NaN)));
    }

    /**
     * Φ against the tests' reference ({@link NaiveGraphOps#normalCdf}: another series, the fraction
     * evaluated forward), relative, from the float underflow of GELU's tail (−14) to 8: the activation
     * tests compare with an absolute tolerance too, which would hide an error in the tail.
     */
    @Test
    void normalCdfAgreesWithTheReferenceDownTheTail() {
        for (double x = -14; x <= 8; x += 1.0 / 64) {
            assertRelative("Φ(" + x + ")", NaiveGraphOps.normalCdf(x), CpuOps.normalCdf(x), 1e-8);
        }
    }

    @Test
    void geluAndItsGradientMatchPyTorch() {
        float[] y = new float[X.length];
        float[] dx = new float[X.length];
        float[] dy = new float[X.length];
        java.util.Arrays.fill(dy, 1f);
        CpuOps.activation(y, X, ActivationKind.GELU, 0f, 0f, 0, X.length);
        CpuOps.activationBackward(dx, dy, X, y, ActivationKind.GELU, 0f, 0f, 0, X.length);
        for (int i = 0; i < X.length; i++) {
            assertFloatNear("gelu(" + X[i] + ") against float64", TORCH_F64_Y[i], y[i]);
            assertFloatNear("gelu'(" + X[i] + ") against float64", TORCH_F64_DX[i], dx[i]);
            if (X[i] >= -1) {
                assertFloatNear("gelu(" + X[i] + ") against float32", TORCH_F32_Y[i], y[i]);
                assertFloatNear("gelu'(" + X[i] + ") against float32", TORCH_F32_DX[i], dx[i]);
            }
        }
        assertEquals(Float.floatToRawIntBits(0f), Float.floatToRawIntBits(y[5]), "gelu(0) = +0");
    }

    /**
     * The tail below −6, where PyTorch (float64 too) returns 0 from {@code 1 + erf} cancelling: 50-digit
     * values of {@code x·Φ(x)} and {@code Φ(x) + x·φ(x)} (mpmath's {@code ncdf}, {@code npdf}) rounded to
     * float, within an ulp (−14 gives a subnormal of 78 least steps).
     */
    @Test
    void theTailBelowZeroKeepsItsRelativeAccuracy() {
        float[] x = {-10f, -13f, -14f};
        float[] expectedY = {-7.619853e-23f, -7.952314e-38f, -1.1e-43f};
        float[] expectedDx = {-7.6184e-22f, -1.0337305e-36f, -1.527e-42f};
        float[] y = new float[3];
        float[] dx = new float[3];
        CpuOps.activation(y, x, ActivationKind.GELU, 0f, 0f, 0, 3);
        CpuOps.activationBackward(dx, new float[] {1f, 1f, 1f}, x, y, ActivationKind.GELU, 0f, 0f, 0, 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(Math.abs(y[i] - expectedY[i]) <= Math.ulp(expectedY[i]),
                    "gelu(" + x[i] + ") = " + y[i] + ", expected " + expectedY[i]);
            assertTrue(Math.abs(dx[i] - expectedDx[i]) <= Math.ulp(expectedDx[i]),
                    "gelu'(" + x[i] + ") = " + dx[i] + ", expected " + expectedDx[i]);
        }
    }

    private static void assertRelative(String what, double expected, double actual, double rtol) {
        assertTrue(Math.abs(actual - expected) <= rtol * Math.abs(expected), what + " = " + actual + ", expected " + expected
                + " (relative " + Math.abs(actual - expected) / Math.abs(expected) + ")");
    }

    /** Within a few float ulps: 1e-6 relative, 1e-12 absolute near 0. */
    private static void assertFloatNear(String what, double expected, float actual) {
        assertTrue(Math.abs(actual - expected) <= Math.max(1e-6 * Math.abs(expected), 1e-12),
                what + ": " + actual + ", expected " + expected);
    }
}
