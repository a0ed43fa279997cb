package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.prune.NativeMemoryCycles;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 6 on the GPU: 1000 score → prune → compact cycles ({@link NativeMemoryCycles}: seven
 * criteria, structured and unstructured, a fine-tune epoch every tenth cycle) on the CUDA backend
 * give back every device byte they take and every JavaCPP host byte. Three counts, read after the
 * warm-up cycles and after the last: {@link DeviceBuffer#liveBytes()} (prune4j's own
 * {@code cudaMalloc}s, exact), the device's free memory from {@code cudaMemGetInfo} (everything on
 * the device, cuBLAS and cuDNN workspaces included; allowed one 2 MiB allocation granule of drift)
 * and {@link Pointer#totalBytes()} (exact).
 */
@Tag("gpu")
class CudaNativeMemoryTest {
    private static final int CYCLES = 1000;
    private static final long GRANULE = 2L << 20;

    @Test
    void thousandCyclesGiveBackDeviceAndHostMemory(TestInfo test) {
        Gpu.require("CudaNativeMemoryTest", test);
        long[] live = new long[2];
        long[] free = new long[2];
        long[] host = new long[2];
        int[] mark = {0};
        long t0 = System.nanoTime();
        try (CudaBackend gpu = new CudaBackend()) {
            NativeMemoryCycles.run(gpu, CYCLES, () -> {
                int m = mark[0]++;
                live[m] = DeviceBuffer.liveBytes();
                long[] f = new long[1];
                CudaException.check(CudaKernels.p4j_mem_get_info(f, null), "cudaMemGetInfo");
                free[m] = f[0];
                host[m] = NativeMemoryCycles.settledTotalBytes();
            });
        }
        System.out.printf("[CudaNativeMemoryTest] %d cycles in %.1f s: DeviceBuffer.liveBytes start=%d end=%d,"
                        + " device free start=%d end=%d, Pointer.totalBytes start=%d end=%d%n", CYCLES, (System.nanoTime() - t0) / 1e9,
                live[0], live[1], free[0], free[1], host[0], host[1]);
        assertEquals(2, mark[0]);
        assertTrue(live[0] > 0, "the cycles' data sets are on the device while they run");
        assertEquals(live[0], live[1], "prune4j's device bytes after " + CYCLES + " cycles");
        assertTrue(free[0] - free[1] <= GRANULE, "device free memory fell by " + (free[0] - free[1]) + " bytes over " + CYCLES + " cycles");
        assertEquals(host[0], host[1], "JavaCPP's native bytes after " + CYCLES + " cycles");
    }
}
