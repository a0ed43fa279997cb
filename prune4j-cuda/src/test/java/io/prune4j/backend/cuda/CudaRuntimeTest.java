package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.DeviceUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

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
    void whenLoadedWithoutDriverTheReasonNamesTheCudaError(TestInfo test) {
        Gpu.requireKernels("CudaRuntimeTest", test);
        if (CudaRuntime.isAvailable()) return;   // a device answers: there is no reason to name
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

    @Test
    void cudaExceptionRefusesNullNames() {
        assertEquals("what", assertThrows(NullPointerException.class, () -> CudaException.check(0, null)).getMessage());
        assertEquals("what", assertThrows(NullPointerException.class, () -> CudaException.check(1, null)).getMessage());
        assertEquals("what", assertThrows(NullPointerException.class, () -> new CudaException(1, null)).getMessage());
        assertEquals("message", assertThrows(NullPointerException.class, () -> new CudaException((String) null, 3)).getMessage());
    }

    /** A library message names no command-line flag; the command line adds its own hints. */
    @Test
    void reasonNamesNoCommandLineFlag() {
        String reason = CudaRuntime.unavailableReason();
        if (reason != null) {
            assertFalse(reason.contains("--"), reason);
        }
    }

    /** The JNI chain works without a device: argument checks return before any CUDA call. */
    @Test
    void launcherArgumentChecksNeedNoDevice(TestInfo test) {
        Gpu.requireKernels("CudaRuntimeTest", test);
        assertEquals(0, CudaKernels.p4j_bias_add(null, null, 0, 5, 0, null), "0 x 5 is a no-op");
        assertEquals(0, CudaKernels.p4j_bias_add(0L, 0L, 7, 0, 1, 0L), "7 x 0 is a no-op");
        assertEquals(1, CudaKernels.p4j_bias_add(null, null, 2, 3, 0, null), "null pointers");
        assertEquals(1, CudaKernels.p4j_bias_add(0L, 0L, -1, 3, 0, 0L), "negative rows");
        if (!CudaRuntime.isAvailable()) {
            int rc = CudaKernels.p4j_device_props(0, null, 0, null, null, null, null);
            assertTrue(rc != 0, "device properties without a device must be an error code, got " + rc);
        }
    }

    /** The new launchers' argument checks and size queries, also without a device. */
    @Test
    void newLaunchersCheckTheirArgumentsWithoutADevice(TestInfo test) {
        Gpu.requireKernels("CudaRuntimeTest", test);
        long[] bytes = new long[1];
        assertEquals(0, CudaKernels.p4j_select_topk_workspace_bytes(100_000_000, bytes));
        assertTrue(bytes[0] > 100_000_000 / 4096 * 8 && bytes[0] < 1_000_000, "select workspace for 1e8 scores: " + bytes[0]);
        assertEquals(1, CudaKernels.p4j_select_topk_workspace_bytes(-1, bytes));
        assertEquals(0, CudaKernels.p4j_reduce_workspace_bytes(bytes));
        assertEquals(32768, bytes[0]);
        assertEquals(0, CudaKernels.p4j_select_topk(0L, 0L, 0L, 0, 0, 0L, 0L, 0L), "n = 0 is a no-op");
        assertEquals(1, CudaKernels.p4j_select_topk(0L, 0L, 0L, 5, 6, 0L, 0L, 0L), "keep > n");
        assertEquals(1, CudaKernels.p4j_select_topk(0L, 0L, 0L, 5, -1, 0L, 0L, 0L), "keep < 0");
        assertEquals(1, CudaKernels.p4j_select_topk(0L, 0L, 0L, 5, 2, 0L, 0L, 0L), "null scores");
        assertEquals(1, CudaKernels.p4j_count_at_least(0L, 0L, 3, 0f, 0L), "null count");
        assertEquals(1, CudaKernels.p4j_gather_blocks(0L, 0L, 0L, 0L, 2, 2, 3, 2, 7, 0L, 0L), "src_cols not a multiple of block");
        assertEquals(1, CudaKernels.p4j_gather_blocks(0L, 0L, 0L, 0L, 2, 2, 0, 2, 4, 0L, 0L), "block 0");
        assertEquals(0, CudaKernels.p4j_gather_rows(0L, 0L, 0L, 0, 5, 3, 0L, 0L), "no rows is a no-op");
        assertEquals(1, CudaKernels.p4j_gather_rows(0L, 0L, 0L, 2, 5, 3, 0L, 0L), "null pointers");
        assertEquals(0, CudaKernels.p4j_relu(0L, 0L, 0, 0L));
        assertEquals(1, CudaKernels.p4j_relu(0L, 0L, -1, 0L));
        assertEquals(1, CudaKernels.p4j_accumulate(0L, 0L, 4, 1f, 3, 0L), "unknown transform");
        assertEquals(1, CudaKernels.p4j_normalize(0L, 4, 4, 0L, 0L, 0L), "unknown normalisation");
        assertEquals(1, CudaKernels.p4j_row_norms(0L, 0L, 2, 2, 3, 0L), "p = 3");
        assertEquals(0, CudaKernels.p4j_softmax_xent(0L, 0L, 0L, 0L, 0, 10, 1f, 0L, 0L, 0L), "no rows is a no-op");
        assertEquals(1, CudaKernels.p4j_softmax_xent(0L, 8L, 8L, 8L, 2, 10, 1f, 8L, 100L, 0L), "workspace too small");
        assertEquals(1, CudaKernels.p4j_adam_step(0L, 0L, 0L, 0L, 4, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 0, 0L), "step 0");
        assertEquals(1, CudaKernels.p4j_sgd_step(8L, 0L, 8L, 4, 0.1f, 0.9f, 0f, 0L), "momentum without velocity");
        assertEquals(1, CudaKernels.p4j_count_positive(0L, 0L, 1, 1, 0, 0L), "spatial 0");
        assertEquals(1, CudaKernels.p4j_composite_scores(0L, 0L, 0L, 0L, 2, 9, 2, 0L), "cols not a multiple of block");
        assertEquals(1, CudaKernels.p4j_composite_scores(0L, 0L, 0L, 0L, 2, 9, 0, 0L), "block 0");
        assertEquals(0, CudaKernels.p4j_bias_add_channels(0L, 0L, 0, 3, 4, 1, 0L), "no examples is a no-op");
        assertEquals(1, CudaKernels.p4j_bias_add_channels(0L, 0L, 2, 3, 4, 1, 0L), "null pointers");
        assertEquals(0, CudaKernels.p4j_sum_channels(0L, 0L, 2, 0, 4, 0L), "no channels is a no-op");
        assertEquals(1, CudaKernels.p4j_sum_channels(0L, 0L, 2, 3, 4, 0L), "null pointers");
        assertEquals(1, CudaKernels.p4j_distillation(8L, 8L, 8L, 8L, 8L, 2, 10, 0f, 0.5f, 1f, 8L, 1L << 20, 0L), "temperature 0");
        assertEquals(1, CudaKernels.p4j_distillation(8L, 8L, 8L, 8L, 8L, 2, 10, 2f, 1.5f, 1f, 8L, 1L << 20, 0L), "alpha > 1");
        assertEquals(1, CudaKernels.p4j_distillation(8L, 8L, 8L, 8L, 8L, 2, 10, 2f, 0.5f, 1f, 8L, 100L, 0L), "workspace too small");
        assertEquals(0, CudaKernels.p4j_distillation(0L, 0L, 0L, 0L, 0L, 0, 10, 2f, 0.5f, 1f, 0L, 0L, 0L), "no rows is a no-op");
        assertEquals(1, CudaKernels.p4j_max_pool2d(8L, 8L, 8L, 1, 4, 4, 5, 1, 0L), "window larger than the input");
        assertEquals(1, CudaKernels.p4j_max_pool2d(8L, 8L, 8L, 1, 4, 4, 2, 0, 0L), "stride 0");
        assertEquals(0, CudaKernels.p4j_max_pool2d(0L, 0L, 0L, 0, 4, 4, 2, 2, 0L), "no planes is a no-op");
        assertEquals(1, CudaKernels.p4j_max_pool2d(0L, 0L, 0L, 3, 4, 4, 2, 2, 0L), "null pointers");
        assertEquals(0, CudaKernels.p4j_max_pool2d_backward(0L, 0L, 0L, 0, 16, 4, 0L), "no planes is a no-op");
        assertEquals(1, CudaKernels.p4j_max_pool2d_backward(0L, 0L, 0L, 2, 16, 4, 0L), "null pointers");
        assertEquals(1, CudaKernels.p4j_host_alloc_mapped(null, null, 4), "null outputs");
        assertEquals(0, CudaKernels.p4j_host_free(0L), "freeing NULL is a no-op");
        if (!CudaRuntime.isAvailable()) {
            assertThrows(DeviceUnavailableException.class, () -> DeviceBuffer.allocate(16));
        }
    }
}
