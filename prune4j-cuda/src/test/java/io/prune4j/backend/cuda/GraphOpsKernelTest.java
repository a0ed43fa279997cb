package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Reduction;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The graph networks' operations on {@link CudaBackend} against the CPU backend ({@link GraphOpsParity}:
 * bit for bit where both do the same float operations, within stated tolerances where sums are
 * reordered), then what only the device backend has: one cuDNN plan per group count, and the
 * deferred index error of {@code segmentReduce}.
 */
@Tag("gpu")
class GraphOpsKernelTest extends GraphOpsParity {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("GraphOpsKernelTest", test);
        gpu = new CudaBackend();
        use(Gpu.CPU, gpu);
    }

    @AfterEach
    void tearDown() {
        closeTensors();
        if (gpu != null) gpu.close();
    }

    @Test
    void groupsArePartOfThePlanKey() {
        try (Tensor x = gpu.zeros(DType.FLOAT32, 2, 6, 8, 8); Tensor y = gpu.zeros(DType.FLOAT32, 2, 6, 8, 8);
             Tensor w1 = gpu.zeros(DType.FLOAT32, 6, 6, 3, 3); Tensor w2 = gpu.zeros(DType.FLOAT32, 6, 3, 3, 3);
             Tensor w6 = gpu.zeros(DType.FLOAT32, 6, 1, 3, 3)) {
            int before = gpu.convolutionPlans();
            gpu.conv2d(y, x, w1, null, 1, 1, 1, false);
            gpu.conv2d(y, x, w2, null, 1, 1, 2, false);
            gpu.conv2d(y, x, w6, null, 1, 1, 6, true);
            assertEquals(before + 3, gpu.convolutionPlans(), "one plan per group count of the same shape");
            gpu.conv2d(y, x, w2, null, 1, 1, 2, true);
            assertEquals(before + 3, gpu.convolutionPlans(), "the grouped plan is reused");
            gpu.synchronize();
        }
    }

    @Test
    void segmentReduceIndexErrorsAreDeferredToTheNextRead() {
        try (Tensor src = gpu.fromArray(new float[] {1, 2, 3, 4}, 4); Tensor perm = gpu.fromArray(new int[] {0, 1, 9, 3}, 4);
             Tensor offsets = gpu.fromArray(new int[] {0, 2, 4}, 3); Tensor out = gpu.fromArray(new float[] {7, 7}, 2)) {
            assertDoesNotThrow(() -> gpu.segmentReduce(out, src, perm, offsets, Reduction.SUM), "queued, not yet checked");
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> gpu.synchronize());
            System.out.println("[GraphOpsKernelTest] deferred: " + e.getMessage());
            assertTrue(e.getMessage().startsWith("segmentReduce"), e.getMessage());
            assertDoesNotThrow(() -> gpu.synchronize(), "the flag is cleared once reported");
            assertArrayEquals(new float[] {3, 0}, gpu.toFloatArray(out), "the bad segment is written as 0, the good one summed");
            // offsets that run past the permutation: never read through, reported the same way
            try (Tensor bad = gpu.fromArray(new int[] {0, 2, 5}, 3)) {
                gpu.segmentReduce(out, src, perm, bad, Reduction.MAX);
                assertThrows(IndexOutOfBoundsException.class, () -> gpu.toFloatArray(out), "a host read reports it too");
            }
        }
    }
}
