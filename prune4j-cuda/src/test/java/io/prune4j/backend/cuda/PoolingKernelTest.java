package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code p4j_max_pool2d} and {@code p4j_max_pool2d_backward} against {@code CpuBackend.maxPool2d}:
 * the forward pass (values and argmax, ties and NaN included) is bit-identical; the backward pass
 * is bit-identical for non-overlapping windows and within float rounding for overlapping ones.
 */
@Tag("gpu")
class PoolingKernelTest {
    /** batch, channels, h, w, window, stride. */
    static int[][] shapes() {
        return new int[][] {
            {1, 1, 1, 1, 1, 1}, {2, 3, 4, 4, 2, 2}, {3, 5, 7, 9, 2, 2}, {4, 64, 28, 28, 2, 2}, {2, 3, 9, 7, 3, 2},
            {1, 2, 6, 6, 3, 3}, {2, 3, 5, 5, 2, 3}, {1, 1, 33, 31, 2, 1}, {128, 64, 14, 14, 2, 2}, {3, 7, 8, 8, 8, 1},
        };
    }

    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("PoolingKernelTest", test);
    }

    @ParameterizedTest(name = "batch, channels, h, w, window, stride = {0}")
    @MethodSource("shapes")
    void maxPoolForwardIsBitIdentical(int[] s) {
        SplittableRandom rng = new SplittableRandom(41);
        int b = s[0], c = s[1], h = s[2], w = s[3], window = s[4], stride = s[5];
        int ho = (h - window) / stride + 1;
        int wo = (w - window) / stride + 1;
        float[] x = Check.uniform(rng, b * c * h * w, 2);
        // ties (quantised values) and a few NaN
        for (int i = 0; i < x.length; i++) x[i] = Math.round(x[i] * 2) / 2f;
        if (x.length > 10) {
            x[3] = Float.NaN;
            x[x.length / 2] = Float.NaN;
        }
        String label = "max_pool2d " + java.util.Arrays.toString(s);
        Tensor ry = Gpu.CPU.zeros(DType.FLOAT32, b, c, ho, wo);
        Tensor ra = Gpu.CPU.zeros(DType.INT32, b, c, ho, wo);
        Gpu.CPU.maxPool2d(ry, ra, Gpu.CPU.fromArray(x, b, c, h, w), window, stride);
        int n = b * c * ho * wo;
        try (DeviceBuffer dx = Gpu.up(x); DeviceBuffer dy = DeviceBuffer.floats(Math.max(1, n));
             DeviceBuffer da = DeviceBuffer.allocate(4L * Math.max(1, n))) {
            Gpu.run(CudaKernels.p4j_max_pool2d(dy.address(), da.address(), dx.address(), b * c, h, w, window, stride, 0L), label);
            Check.sameBits(label + " y", Gpu.cpu(ry), dy.toFloats(n));
            assertArrayEquals(Gpu.CPU.toIntArray(ra), da.toInts(n), label + " argmax");
        }
        System.out.println("[PoolingKernelTest] ok " + label);
    }

    @ParameterizedTest(name = "batch, channels, h, w, window, stride = {0}")
    @MethodSource("shapes")
    void maxPoolBackwardMatchesTheCpu(int[] s) {
        SplittableRandom rng = new SplittableRandom(42);
        int b = s[0], c = s[1], h = s[2], w = s[3], window = s[4], stride = s[5];
        int ho = (h - window) / stride + 1;
        int wo = (w - window) / stride + 1;
        float[] x = Check.uniform(rng, b * c * h * w, 2);
        float[] g = Check.uniform(rng, b * c * ho * wo, 1);
        Tensor ry = Gpu.CPU.zeros(DType.FLOAT32, b, c, ho, wo);
        Tensor ra = Gpu.CPU.zeros(DType.INT32, b, c, ho, wo);
        Gpu.CPU.maxPool2d(ry, ra, Gpu.CPU.fromArray(x, b, c, h, w), window, stride);
        Tensor rdx = Gpu.CPU.zeros(DType.FLOAT32, b, c, h, w);
        Gpu.CPU.maxPool2dBackward(rdx, Gpu.CPU.fromArray(g, b, c, ho, wo), ra);
        String label = "max_pool2d_backward " + java.util.Arrays.toString(s);
        float[] garbage = Check.uniform(rng, x.length, 9);   // dx must be overwritten
        try (DeviceBuffer dg = Gpu.up(g); DeviceBuffer da = Gpu.up(Gpu.CPU.toIntArray(ra)); DeviceBuffer ddx = Gpu.up(garbage)) {
            Gpu.run(CudaKernels.p4j_max_pool2d_backward(ddx.address(), dg.address(), da.address(), b * c, h * w, ho * wo, 0L), label);
            if (stride >= window) {
                Check.sameBits(label, Gpu.cpu(rdx), ddx.toFloats(x.length));
            } else {
                // overlapping windows: up to window² float additions in another order
                Check.close(label, Gpu.cpu(rdx), ddx.toFloats(x.length), 1e-6, 1e-6);
            }
        }
        System.out.println("[PoolingKernelTest] ok " + label);
    }
}
