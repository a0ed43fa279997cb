package io.prune4j.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code p4j_taylor_accumulate} against the CPU backend's {@code taylorAccumulate} (the Java
 * reference, itself checked against finite differences in ScorerTest) on seeded random inputs of
 * awkward sizes. The kernel promises the same arithmetic, so the tolerance is tight.
 */
@Tag("gpu")
class TaylorKernelTest {
    /** batch, units, spatial. */
    static int[][] shapes() {
        return new int[][] {
            {1, 0, 1}, {1, 1, 1}, {7, 31, 1}, {3, 32, 1}, {128, 33, 1}, {5, 1023, 1}, {2, 4097, 1}, {2, Sizes.LARGE, 1},
            {3, 33, 9}, {4, 17, 49},
        };
    }

    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("TaylorKernelTest", test);
    }

    @ParameterizedTest(name = "batch, units, spatial = {0}")
    @MethodSource("shapes")
    void matchesTheCpuBackend(int[] s) {
        CpuBackend cpu = new CpuBackend(1);
        SplittableRandom rng = new SplittableRandom(31);
        for (int absInside = 0; absInside <= 1; absInside++) {
            int batch = s[0];
            int units = s[1];
            int spatial = s[2];
            int n = batch * units * spatial;
            float[] a = Check.uniform(rng, n, 2);
            float[] g = Check.uniform(rng, n, 0.01);
            float[] acc0 = Check.uniform(rng, units, 1);
            Tensor ref = cpu.fromArray(acc0, units);
            cpu.taylorAccumulate(ref, cpu.fromArray(a, batch, units, spatial), cpu.fromArray(g, batch, units, spatial),
                    absInside != 0, 0.5f);
            float[] got = onDevice(acc0, a, g, batch, units, spatial, absInside, 0.5f);
            Check.close("taylor " + batch + "x" + units + "x" + spatial + " abs=" + absInside, ref.toFloatArray(), got, 1e-7, 1e-6);
            System.out.println("[TaylorKernelTest] ok " + batch + "x" + units + "x" + spatial + " abs=" + absInside);
        }
    }

    private static float[] onDevice(float[] acc0, float[] a, float[] g, int batch, int units, int spatial, int absInside, float scale) {
        Pointer dAcc = new Pointer();
        Pointer dA = new Pointer();
        Pointer dG = new Pointer();
        try (FloatPointer hAcc = new FloatPointer(Math.max(1, units));
             FloatPointer hA = new FloatPointer(Math.max(1, a.length));
             FloatPointer hG = new FloatPointer(Math.max(1, g.length))) {
            hAcc.put(acc0, 0, units);
            hA.put(a, 0, a.length);
            hG.put(g, 0, g.length);
            CudaException.check(cudaMalloc(dAcc, 4L * Math.max(1, units)), "cudaMalloc acc");
            CudaException.check(cudaMalloc(dA, 4L * Math.max(1, a.length)), "cudaMalloc a");
            CudaException.check(cudaMalloc(dG, 4L * Math.max(1, g.length)), "cudaMalloc g");
            CudaException.check(cudaMemcpy(dAcc, hAcc, 4L * units, cudaMemcpyHostToDevice), "upload acc");
            CudaException.check(cudaMemcpy(dA, hA, 4L * a.length, cudaMemcpyHostToDevice), "upload a");
            CudaException.check(cudaMemcpy(dG, hG, 4L * g.length, cudaMemcpyHostToDevice), "upload g");
            CudaException.check(CudaKernels.p4j_taylor_accumulate(dAcc.address(), dA.address(), dG.address(), batch, units, spatial,
                    absInside, scale, 0L), "p4j_taylor_accumulate");
            CudaException.check(CudaKernels.p4j_device_synchronize(), "synchronize");
            CudaException.check(cudaMemcpy(hAcc, dAcc, 4L * units, cudaMemcpyDeviceToHost), "download acc");
            float[] out = new float[units];
            hAcc.get(out, 0, units);
            return out;
        } finally {
            if (!dAcc.isNull()) cudaFree(dAcc);
            if (!dA.isNull()) cudaFree(dA);
            if (!dG.isNull()) cudaFree(dG);
        }
    }
}
