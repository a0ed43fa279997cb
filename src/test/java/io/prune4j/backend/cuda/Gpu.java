package io.prune4j.backend.cuda;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;

/**
 * Shared pieces of the GPU parity tests: the skip-with-a-printed-reason rule, device buffers from
 * Java arrays, and the CPU backend as the reference. Sizes mix the edges of the 256-thread blocks
 * and warps with one large, odd size.
 */
final class Gpu {
    /** Element counts every kernel test goes through. */
    static final int[] SIZES = {0, 1, 31, 32, 33, 1023, 4097, 1_000_003};

    static final CpuBackend CPU = new CpuBackend(1);

    private static boolean announced;

    private Gpu() {}

    /** Call from each test's {@code @BeforeEach}: prints why it skips, or the device once. */
    static void require(String testClass, TestInfo test) {
        if (!CudaRuntime.isAvailable()) {
            System.out.println("[" + testClass + "] " + test.getDisplayName() + " skipped: " + CudaRuntime.unavailableReason());
        } else if (!announced) {
            announced = true;
            System.out.println("[" + testClass + "] on " + CudaRuntime.deviceDescription(0) + ", CUDA runtime "
                    + CudaRuntime.runtimeVersion() + ", driver " + CudaRuntime.driverVersion());
        }
        Assumptions.assumeTrue(CudaRuntime.isAvailable(), () -> "skipped: " + CudaRuntime.unavailableReason());
    }

    /** Throws unless {@code rc} is 0, then waits for the device so that launch errors surface here. */
    static void run(int rc, String what) {
        CudaException.check(rc, what);
        CudaException.check(CudaKernels.p4j_device_synchronize(), "synchronize after " + what);
    }

    /** A device buffer holding {@code data} (at least 4 bytes, so that empty problems have a valid address). */
    static DeviceBuffer up(float[] data) {
        DeviceBuffer b = DeviceBuffer.floats(Math.max(1, data.length));
        b.upload(data);
        return b;
    }

    static DeviceBuffer up(int[] data) {
        DeviceBuffer b = DeviceBuffer.allocate(4L * Math.max(1, data.length));
        b.upload(data);
        return b;
    }

    /** The workspace of the whole-tensor reductions. */
    static DeviceBuffer reduceWorkspace() {
        long[] bytes = new long[1];
        CudaException.check(CudaKernels.p4j_reduce_workspace_bytes(bytes), "p4j_reduce_workspace_bytes");
        return DeviceBuffer.allocate(bytes[0]);
    }

    static float[] cpu(Tensor t) {
        return CPU.toFloatArray(t);
    }

    /** Uniform floats in [-scale, scale). */
    static float[] uniform(SplittableRandom rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return a;
    }
}
