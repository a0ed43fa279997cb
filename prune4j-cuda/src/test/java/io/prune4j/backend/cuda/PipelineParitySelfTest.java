package io.prune4j.backend.cuda;

import io.prune4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * {@link PipelineParity} with the CPU backend on both sides: keeps the end-to-end checks that
 * {@link CudaPipelineTest} runs on a GPU honest on machines without one (the thresholds hold, the
 * calls fit together).
 */
class PipelineParitySelfTest {
    @Test
    void thePipelineChecksPassWithTheCpuOnBothSides() {
        try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1)) {
            PipelineParity.all(a, b).forEach(Runnable::run);
        }
    }
}
