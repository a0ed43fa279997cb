package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import java.lang.reflect.Method;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.TestInfo;

/**
 * Shared pieces of the GPU parity tests: the skip-with-a-printed-reason rule (a failure instead
 * with {@code -Dprune4j.requireGpu=true}), device buffers from Java arrays, and the CPU backend as
 * the reference.
 */
final class Gpu {
    /**
     * With this system property {@code true}, a GPU test that finds no usable GPU fails instead of
     * skipping: on a GPU machine ({@code scripts/gpu-run.sh} sets it there) a broken native library
     * or driver must not pass green.
     */
    static final String REQUIRE_GPU = "prune4j.requireGpu";

    static final CpuBackend CPU = new CpuBackend(1);

    private static boolean announced;
    /** The test methods whose skip was printed: a parameterized test skips once per size, and says why once. */
    private static final Set<String> skipsPrinted = ConcurrentHashMap.newKeySet();

    private Gpu() {}

    /** Call from each test's {@code @BeforeEach}: skips (or fails) with the reason, or prints the device once. */
    static void require(String testClass, TestInfo test) {
        if (CudaRuntime.isAvailable() && !announced) {
            announced = true;
            System.out.println("[" + testClass + "] on " + CudaRuntime.deviceDescription(0) + ", CUDA runtime "
                    + CudaRuntime.runtimeVersion() + ", driver " + CudaRuntime.driverVersion());
        }
        skipOrFail(CudaRuntime.isAvailable(), testClass, test, CudaRuntime.unavailableReason());
    }

    /**
     * For the tests that need only the native library (its argument checks run without a device):
     * skips (or fails) unless the CUDA kernels are loaded.
     */
    static void requireKernels(String testClass, TestInfo test) {
        skipOrFail(CudaRuntime.isLoaded(), testClass, test, "the CUDA kernels library is not loaded: " + CudaRuntime.unavailableReason());
    }

    /**
     * The one rule: nothing when {@code usable}; otherwise a failure naming {@code reason} when
     * {@link #REQUIRE_GPU} is {@code true}, else an aborted (skipped) test whose reason is printed
     * once per test method.
     */
    private static void skipOrFail(boolean usable, String testClass, TestInfo test, String reason) {
        if (usable) {
            return;
        }
        String what = "[" + testClass + "] " + test.getTestMethod().map(Method::getName).orElse(test.getDisplayName());
        if (Boolean.getBoolean(REQUIRE_GPU)) {
            fail(what + ": no usable GPU, and -D" + REQUIRE_GPU + "=true asks for one: " + reason);
        }
        if (skipsPrinted.add(what)) {
            System.out.println(what + " skipped: " + reason);
        }
        Assumptions.assumeTrue(false, "skipped: " + reason);
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
}
