package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The pipeline end to end on the GPU against the CPU ({@link PipelineParity}): a tiny MLP and a
 * tiny CNN trained from the same seed (losses epoch by epoch), structured Taylor pruning with
 * compaction (the same units kept, accuracy within 5 pt) and the device-to-host copies a pruning run
 * makes (only scalars, at most layers + 2·epochs per round); and a few prune runs in a row that do
 * not grow device memory.
 */
@Tag("gpu")
class CudaPipelineTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("CudaPipelineTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) gpu.close();
    }

    @Test
    void mlpTrainingMatchesTheCpu() {
        PipelineParity.trainingMatches(Gpu.CPU, gpu, false);
    }

    @Test
    void cnnTrainingMatchesTheCpu() {
        PipelineParity.trainingMatches(Gpu.CPU, gpu, true);
    }

    @Test
    void structuredTaylorPruningReadsOnlyScalars() {
        PipelineParity.pruningMatches(Gpu.CPU, gpu, false, PipelineParity.taylor(io.prune4j.prune.Schedule.ONESHOT, 1, 2, false, false),
                "one-shot");
        PipelineParity.pruningMatches(Gpu.CPU, gpu, false, PipelineParity.taylor(io.prune4j.prune.Schedule.ITERATIVE, 2, 1, true, true),
                "iterative, distillation, bias compensation");
        PipelineParity.pruningMatches(Gpu.CPU, gpu, false, PipelineParity.taylor(io.prune4j.prune.Ranking.Scope.GLOBAL,
                io.prune4j.prune.Schedule.ITERATIVE, 2, 1, false, false), "iterative, global ranking");
    }

    @Test
    void reconstructionMatchesTheCpu() {
        PipelineParity.reconstructionMatches(Gpu.CPU, gpu);
    }

    @Test
    void cnnChannelPruningMatchesTheCpu() {
        PipelineParity.pruningMatches(Gpu.CPU, gpu, true, PipelineParity.taylor(io.prune4j.prune.Schedule.ONESHOT, 1, 1, false, false),
                "one-shot channels");
    }

    @Test
    void repeatedPruneRunsDoNotGrowDeviceMemory() {
        long[] free = new long[4];
        for (int run = 0; run < 4; run++) {
            PipelineParity.prune(gpu, false, PipelineParity.taylor(io.prune4j.prune.Schedule.ONESHOT, 1, 1, false, false));
            gpu.synchronize();
            long[] f = new long[1];
            CudaException.check(CudaKernels.p4j_mem_get_info(f, null), "cudaMemGetInfo");
            free[run] = f[0];
        }
        System.out.println("[CudaPipelineTest] free device memory after each of 4 prune runs: " + java.util.Arrays.toString(free));
        // the first run loads cuBLAS (its workspace stays with the handle); later runs must give back what they take
        assertTrue(free[1] - free[3] < (16L << 20), "device memory shrank by " + (free[1] - free[3]) + " bytes over two prune runs");
    }
}
