package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * The rule every GPU test starts with ({@link Gpu#require}): without a usable GPU it skips with the
 * reason, unless {@code -Dprune4j.requireGpu=true} (what {@code scripts/gpu-run.sh} passes on a GPU
 * machine) makes that a failure, so that a GPU machine with a broken native library cannot pass
 * green. Runs everywhere (not tagged {@code gpu}).
 */
class GpuTest {
    private static final String PROPERTY = "prune4j.requireGpu";
    private final String saved = System.getProperty(PROPERTY);

    @AfterEach
    void restoreTheProperty() {
        if (saved == null) {
            System.clearProperty(PROPERTY);
        } else {
            System.setProperty(PROPERTY, saved);
        }
    }

    /** On this machine, whatever it has: with the property a missing GPU fails, a present one passes. */
    @Test
    void requireGpuTurnsTheSkipIntoAFailure(TestInfo test) {
        System.setProperty(PROPERTY, "true");
        if (CudaRuntime.isAvailable()) {
            assertDoesNotThrow(() -> Gpu.require("GpuTest", test));
        } else {
            AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> Gpu.require("GpuTest", test));
            System.out.println(e.getMessage());
            assertTrue(e.getMessage().contains(CudaRuntime.unavailableReason()) && e.getMessage().contains(PROPERTY), e.getMessage());
        }
    }

    @Test
    void withoutThePropertyAMissingGpuSkips(TestInfo test) {
        System.clearProperty(PROPERTY);
        if (CudaRuntime.isAvailable()) {
            assertDoesNotThrow(() -> Gpu.require("GpuTest", test));
        } else {
            TestAbortedException e = assertThrows(TestAbortedException.class, () -> Gpu.require("GpuTest", test));
            assertTrue(e.getMessage().contains(CudaRuntime.unavailableReason()), e.getMessage());
        }
    }
}
