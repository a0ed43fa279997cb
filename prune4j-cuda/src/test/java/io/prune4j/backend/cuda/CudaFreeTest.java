package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 15: closing a tensor frees its memory in stream order and never waits for the device. The
 * backend's stream waits are counted ({@link CudaBackend#streamSynchronizations()}); closing while a
 * long queue of products runs returns long before they finish; memory freed under queued work that
 * still reads it is not reused before that work is done; freed memory is reused, so a thousand
 * allocate-and-close rounds leave the pool's reserve and {@link DeviceBuffer#liveBytes()} where they
 * were; out of memory still names the bytes asked for and free.
 */
@Tag("gpu")
class CudaFreeTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("CudaFreeTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) gpu.close();
    }

    @Test
    void closingATensorWaitsForNothing() {
        long waits = gpu.streamSynchronizations();
        for (int i = 0; i < 1000; i++) {
            try (Tensor t = gpu.zeros(DType.FLOAT32, 1 + i % 97, 33); Tensor v = gpu.reshape(t, t.size())) {
                gpu.fill(v, i);
                gpu.scale(t, 0.5f);
            }
        }
        assertEquals(waits, gpu.streamSynchronizations(), "1000 tensors (and their views) made and closed without a stream wait");
        gpu.synchronize();
    }

    @Test
    void closingWhileALongQueueRunsReturnsAtOnce() {
        int n = 4096;
        try (Tensor a = gpu.zeros(DType.FLOAT32, n, n); Tensor c = gpu.zeros(DType.FLOAT32, n, n)) {
            gpu.fill(a, 1f / n);
            gpu.gemm(c, a, false, a, false, 1f, 0f);   // loads cuBLAS and warms it up
            gpu.synchronize();
            List<Tensor> doomed = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                doomed.add(gpu.zeros(DType.FLOAT32, 1024 + i));
            }
            gpu.synchronize();
            long waits = gpu.streamSynchronizations();
            long t0 = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                gpu.gemm(c, a, false, a, false, 1f, 0f);   // about 5.5 TFLOP queued
            }
            long t1 = System.nanoTime();
            doomed.forEach(Tensor::close);
            long t2 = System.nanoTime();
            assertEquals(waits, gpu.streamSynchronizations(), "closing waited for the stream");
            gpu.synchronize();
            long t3 = System.nanoTime();
            System.out.printf("[CudaFreeTest] 200 closes in %.3f ms while %.1f ms of queued products ran%n", (t2 - t1) / 1e6,
                    (t3 - t0) / 1e6);
            assertTrue((t2 - t1) * 4 < t3 - t1, "the closes took " + (t2 - t1) / 1e6 + " ms of the queue's " + (t3 - t1) / 1e6 + " ms");
        }
    }

    @Test
    void memoryFreedUnderQueuedWorkIsNotReusedBeforeThatWorkIsDone() {
        int n = 1024;
        SplittableRandom rng = new SplittableRandom(15);
        float[] x = new float[n * n];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(3) - 1;   // −1, 0, 1: every product and sum exact in float
        Tensor xc = Gpu.CPU.fromArray(x, n, n);
        Tensor expected = Gpu.CPU.zeros(DType.FLOAT32, n, n);
        Gpu.CPU.gemm(expected, xc, false, xc, true, 1f, 0f);
        try (Tensor y = gpu.zeros(DType.FLOAT32, n, n)) {
            Tensor xg = gpu.fromArray(x, n, n);
            long address = ((CudaTensor) xg).address();
            for (int i = 0; i < 20; i++) {
                gpu.gemm(y, xg, false, xg, true, 1f, 0f);   // queued: still reading x when it is closed
            }
            xg.close();
            try (Tensor z = gpu.zeros(DType.FLOAT32, n, n)) {   // likely x's memory, handed out in stream order
                gpu.fill(z, Float.NaN);
                System.out.println("[CudaFreeTest] the next tensor " + (((CudaTensor) z).address() == address ? "reused" : "did not reuse")
                        + " the closed one's memory");
                assertArrayEquals(Gpu.cpu(expected), gpu.toFloatArray(y), 0f, "the products read x, not what came after it");
            }
        }
    }

    @Test
    void freedMemoryIsReusedSoTheFootprintStaysFlat() {
        long live0 = DeviceBuffer.liveBytes();
        long[] warm = null;
        for (int round = 0; round < 1000; round++) {
            List<Tensor> ts = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                ts.add(gpu.zeros(DType.FLOAT32, 1000 * (k + 1) + round % 7));
            }
            long held = ts.stream().mapToLong(t -> 4L * t.size()).sum();
            assertEquals(live0 + held, DeviceBuffer.liveBytes(), "liveBytes counts what the open tensors hold, exactly");
            ts.forEach(Tensor::close);
            if (round == 9) {
                gpu.synchronize();
                warm = gpu.poolUsage();
            }
        }
        gpu.synchronize();
        long[] end = gpu.poolUsage();
        System.out.printf("[CudaFreeTest] pool after 10 rounds: reserved %d, used %d; after 1000: reserved %d, used %d%n", warm[0], warm[1],
                end[0], end[1]);
        assertEquals(live0, DeviceBuffer.liveBytes(), "every byte given back");
        assertEquals(warm[0], end[0], "the pool reserved nothing more: freed memory was reused");
        assertEquals(warm[1], end[1], "the pool's memory in use is back where it was");
    }

    @Test
    void tensorsClosedAfterTheBackendFreeTheirMemoryAndThePool() {
        long live0 = DeviceBuffer.liveBytes();
        long[] free0 = new long[1];
        CudaException.check(CudaKernels.p4j_mem_get_info(free0, null), "cudaMemGetInfo");
        CudaBackend b = new CudaBackend();
        Tensor t = b.zeros(DType.FLOAT32, 64 << 20);   // 256 MiB, outliving its backend
        b.fill(t, 1f);
        b.close();
        t.close();
        assertEquals(live0, DeviceBuffer.liveBytes());
        long[] free1 = new long[1];
        CudaException.check(CudaKernels.p4j_mem_get_info(free1, null), "cudaMemGetInfo");
        assertTrue(free0[0] - free1[0] <= 2L << 20, "the device got its memory back: free fell by " + (free0[0] - free1[0]));
    }

    @Test
    void outOfMemoryNamesTheBytesAskedAndFreeAndTheBackendGoesOn() {
        CudaException e = assertThrows(CudaException.class, () -> gpu.allocate(1L << 46));
        System.out.println("[CudaFreeTest] " + e.getMessage());
        assertTrue(e.getMessage().startsWith("cudaMallocFromPoolAsync of " + (1L << 46) + " bytes (") && e.getMessage().contains("free of"),
                e.getMessage());
        try (Tensor t = gpu.fromArray(new float[] {1, 2}, 2)) {
            assertArrayEquals(new float[] {1, 2}, gpu.toFloatArray(t), "the backend still works after a failed allocation");
        }
    }
}
