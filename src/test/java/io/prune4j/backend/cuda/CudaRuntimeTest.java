package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.DeviceUnavailableException;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere: without a GPU (or without the native build) asking for a device must give a
 * clean {@link DeviceUnavailableException}, never a crash.
 */
class CudaRuntimeTest {

    @Test
    void probeNeverThrowsAndIsConsistent() {
        boolean available = CudaRuntime.isAvailable();
        String reason = CudaRuntime.unavailableReason();
        System.out.println("[CudaRuntimeTest] loaded=" + CudaRuntime.isLoaded() + " available=" + available
                + " devices=" + CudaRuntime.deviceCount() + " runtime=" + CudaRuntime.runtimeVersion()
                + " driver=" + CudaRuntime.driverVersion()
                + (reason == null ? "" : " reason=" + reason));
        if (available) {
            assertNull(reason);
            assertTrue(CudaRuntime.deviceCount() >= 1);
            assertTrue(CudaRuntime.isLoaded());
        } else {
            assertTrue(reason.startsWith("no CUDA device:"), reason);
            assertFalse(reason.contains("\n"), "one line: " + reason);
            assertEquals(0, CudaRuntime.deviceCount());
        }
        // the answer is cached and stable
        assertEquals(available, CudaRuntime.isAvailable());
        assertEquals(reason, CudaRuntime.unavailableReason());
    }

    @Test
    void requireDeviceThrowsDeviceUnavailableWhenThereIsNone() {
        if (CudaRuntime.isAvailable()) {
            CudaRuntime.requireDevice();
            String d = CudaRuntime.deviceDescription(0);
            System.out.println("[CudaRuntimeTest] device 0: " + d);
            assertFalse(d.isBlank());
            assertThrows(DeviceUnavailableException.class,
                    () -> CudaRuntime.deviceDescription(CudaRuntime.deviceCount()));
            return;
        }
        DeviceUnavailableException e =
                assertThrows(DeviceUnavailableException.class, CudaRuntime::requireDevice);
        System.out.println("[CudaRuntimeTest] requireDevice: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("no CUDA device"), e.getMessage());
        assertEquals(CudaRuntime.unavailableReason(), e.getMessage());
        // a second call behaves the same (no half-initialized class, no crash)
        assertThrows(DeviceUnavailableException.class, CudaRuntime::requireDevice);
        assertThrows(DeviceUnavailableException.class, () -> CudaRuntime.deviceDescription(0));
    }

    @Test
    void whenLoadedWithoutDriverTheReasonNamesTheCudaError() {
        if (!CudaRuntime.isLoaded() || CudaRuntime.isAvailable()) return;
        String reason = CudaRuntime.unavailableReason();
        // e.g. "no CUDA device: CUDA driver version is insufficient for CUDA runtime version
        //       (cudaErrorInsufficientDriver, code 35); install the NVIDIA driver ..."
        assertTrue(reason.contains("(cudaError"), reason);
    }

    @Test
    void cudaExceptionCheck() {
        CudaException.check(0, "nothing");
        CudaException e = assertThrows(CudaException.class, () -> CudaException.check(1, "bias_add"));
        assertEquals(1, e.code());
        assertTrue(e.getMessage().startsWith("bias_add failed: "), e.getMessage());
        assertTrue(e.getMessage().contains("code 1"), e.getMessage());
        if (CudaRuntime.isLoaded()) {
            assertTrue(e.getMessage().contains("cudaErrorInvalidValue"), e.getMessage());
            assertTrue(e.getMessage().contains("invalid argument"), e.getMessage());
        }
        System.out.println("[CudaRuntimeTest] " + e.getMessage());
    }

    /** The JNI chain works without a device: argument checks return before any CUDA call. */
    @Test
    void launcherArgumentChecksNeedNoDevice() {
        if (!CudaRuntime.isLoaded()) return;
        assertEquals(0, CudaKernels.p4j_bias_add(null, null, 0, 5, 0, null), "0 x 5 is a no-op");
        assertEquals(0, CudaKernels.p4j_bias_add(0L, 0L, 7, 0, 1, 0L), "7 x 0 is a no-op");
        assertEquals(1, CudaKernels.p4j_bias_add(null, null, 2, 3, 0, null), "null pointers");
        assertEquals(1, CudaKernels.p4j_bias_add(0L, 0L, -1, 3, 0, 0L), "negative rows");
        if (!CudaRuntime.isAvailable()) {
            int rc = CudaKernels.p4j_device_props(0, null, 0, null, null, null, null);
            assertTrue(rc != 0, "device properties without a device must be an error code, got " + rc);
        }
    }
}
