package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Backends;
import io.prune4j.backend.Capability;
import io.prune4j.backend.TransferStats;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CudaBackend} against {@link io.prune4j.backend.cpu.CpuBackend}: every operation through
 * {@link BackendParity} (bit for bit where the kernels repeat the CPU's float arithmetic, within a
 * tolerance for cuBLAS, cuDNN and reordered sums), then what only a device backend has: counted
 * transfers, views of device memory, deferred index errors, out-of-memory messages, the cuDNN plan cache.
 */
@Tag("gpu")
class CudaBackendTest {
    private CudaBackend gpu;
    private BackendParity parity;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("CudaBackendTest", test);
        gpu = new CudaBackend();
        parity = new BackendParity(Gpu.CPU, gpu);
    }

    @AfterEach
    void tearDown() {
        if (parity != null) parity.close();
        if (gpu != null) gpu.close();
    }

    /** Each of {@link BackendParity#checks()}: the same list the mutant backends are caught by, so none is left out here. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.prune4j.backend.cuda.BackendParity#checks")
    void parityWithTheCpu(BackendParity.Named check) {
        if (check.name().equals("tensors")) {
            System.out.println("[CudaBackendTest] on " + gpu.name());
        } else if (check.name().equals("convolution")) {
            System.out.println("[CudaBackendTest] cuDNN " + Cudnn.version());
        }
        check.check().accept(parity);
    }

    // ---- what only a device backend has ----------------------------------------------------------

    @Test
    void onlyHostReadsAreCountedTransfers() {
        assertTrue(gpu.hasCapability(Capability.CUDA));
        try (Tensor x = gpu.fromArray(new float[] {3, -1, 2, 0.5f, 7}, 5);
             Tensor m = gpu.zeros(DType.FLOAT32, 5);
             Tensor idx = gpu.zeros(DType.INT32, 5);
             Tensor empty = gpu.zeros(DType.FLOAT32, 0)) {
            TransferStats t0 = gpu.transfers();
            gpu.relu(m, x);
            gpu.selectTopK(m, x, 3);
            gpu.scale(x, 2f);
            gpu.synchronize();
            assertEquals(0, gpu.transfers().minus(t0).copies(), "operations and synchronize copy nothing to the host");
            assertArrayEquals(new float[] {1, 0, 1, 0, 1}, gpu.toFloatArray(m));
            assertEquals(new TransferStats(1, 20), gpu.transfers().minus(t0), "toFloatArray: one copy of 5 floats");
            assertEquals(3, gpu.maskToIndices(idx, m));
            assertEquals(new TransferStats(2, 24), gpu.transfers().minus(t0), "maskToIndices: one 4-byte count");
            assertEquals(2, gpu.countAtLeast(x, 5f));   // x is now {6, -2, 4, 1, 14}
            assertEquals(new TransferStats(3, 28), gpu.transfers().minus(t0), "countAtLeast: one 4-byte count");
            assertArrayEquals(new int[] {0, 2, 4}, java.util.Arrays.copyOf(gpu.toIntArray(idx), 3));
            assertEquals(new TransferStats(4, 48), gpu.transfers().minus(t0), "toIntArray: one copy of 5 ints");
            assertEquals(0, gpu.toFloatArray(empty).length);
            assertEquals(4, gpu.transfers().minus(t0).copies(), "an empty tensor copies nothing");
            try (Tensor counts = gpu.zeros(DType.INT32, 2)) {
                TransferStats t1 = gpu.transfers();
                gpu.maskToIndices(idx, m, counts, 1);
                gpu.synchronize();
                assertEquals(0, gpu.transfers().minus(t1).copies(), "maskToIndices into a counts slot copies nothing");
                assertArrayEquals(new int[] {0, 3}, gpu.toIntArray(counts));
            }
        }
    }

    @Test
    void viewsShareStorageAndDoNotFree() {
        Tensor owner = gpu.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor view = gpu.reshape(owner, 3, 2);
        gpu.scale(view, 10f);
        view.close();
        view.close();   // closing twice is harmless
        assertArrayEquals(new float[] {10, 20, 30, 40, 50, 60}, gpu.toFloatArray(owner), "the owner after its view was closed");
        Tensor view2 = gpu.reshape(owner, 6);
        owner.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> gpu.toFloatArray(view2));
        System.out.println("[CudaBackendTest] a view used after its owner was closed: " + e.getMessage());
        assertThrows(IllegalStateException.class, () -> gpu.toFloatArray(owner));
    }

    @Test
    void aBadRowIndexIsReportedAtTheNextSynchronisation() {
        try (Tensor src = gpu.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
             Tensor idx = gpu.fromArray(new int[] {2, 7, 0}, 3);
             Tensor out = gpu.zeros(DType.FLOAT32, 3, 2)) {
            gpu.gatherRows(out, src, idx, 0);   // queued: the device finds index 7 while it runs
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> gpu.synchronize());
            assertTrue(e.getMessage().startsWith("gatherRows:"), e.getMessage());
            System.out.println("[CudaBackendTest] deferred: " + e.getMessage());
            assertDoesNotThrow(() -> gpu.synchronize(), "the flag is cleared once reported");
            assertArrayEquals(new float[] {5, 6, 0, 0, 1, 2}, gpu.toFloatArray(out), "the bad row is written as zeros");
            gpu.gatherRows(out, src, idx, 0);
            assertThrows(IndexOutOfBoundsException.class, () -> gpu.toFloatArray(out), "a host read reports it too");
        }
    }

    @Test
    void outOfMemoryNamesTheBytesAskedAndFree() {
        CudaException e = assertThrows(CudaException.class, () -> DeviceBuffer.allocate(1L << 46));
        System.out.println("[CudaBackendTest] " + e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(1L << 46)) && e.getMessage().contains("free of"), e.getMessage());
        try (Tensor t = gpu.fromArray(new float[] {1, 2}, 2)) {
            assertArrayEquals(new float[] {1, 2}, gpu.toFloatArray(t), "the backend still works after a failed allocation");
        }
    }

    @Test
    void convolutionPlansAreMadeOncePerShape() {
        try (Tensor x = gpu.zeros(DType.FLOAT32, 4, 3, 9, 9); Tensor w = gpu.zeros(DType.FLOAT32, 5, 3, 3, 3);
             Tensor b = gpu.zeros(DType.FLOAT32, 5); Tensor y = gpu.zeros(DType.FLOAT32, 4, 5, 9, 9);
             Tensor x2 = gpu.zeros(DType.FLOAT32, 2, 3, 9, 9); Tensor y2 = gpu.zeros(DType.FLOAT32, 2, 5, 9, 9);
             Tensor dw = gpu.zeros(DType.FLOAT32, 5, 3, 3, 3); Tensor dx = gpu.zeros(DType.FLOAT32, 4, 3, 9, 9)) {
            assertEquals(0, gpu.convolutionPlans(), "cuDNN is not even loaded before the first convolution");
            for (int i = 0; i < 5; i++) {
                gpu.conv2d(y, x, w, b, 1, 1, true);
                gpu.conv2dBackward(dx, dw, b, y, x, w, 1, 1);
            }
            assertEquals(1, gpu.convolutionPlans(), "one shape, one plan (forward and both backward algorithms)");
            gpu.conv2d(y2, x2, w, b, 1, 1, false);
            assertEquals(2, gpu.convolutionPlans(), "a smaller last batch is a second shape");
            gpu.synchronize();
        }
    }

    @Test
    void backendsCreateCudaForCudaAndAuto() {
        try (Backend cuda = Backends.create(Backends.Device.CUDA, 1); Backend auto = Backends.create(Backends.Device.AUTO, 1)) {
            assertInstanceOf(CudaBackend.class, cuda);
            assertInstanceOf(CudaBackend.class, auto, "auto takes the GPU when one answers");
            assertTrue(cuda.name().startsWith("cuda:0 ("), cuda.name());
        }
    }

    @Test
    void aClosedBackendRefusesWork() {
        CudaBackend b = new CudaBackend();
        Tensor t = b.zeros(DType.FLOAT32, 3);
        b.close();
        b.close();   // twice is harmless
        assertThrows(IllegalStateException.class, () -> b.zeros(DType.FLOAT32, 2));
        assertThrows(IllegalStateException.class, () -> b.fill(t, 1f));
        t.close();   // frees its memory without the stream
    }
}
