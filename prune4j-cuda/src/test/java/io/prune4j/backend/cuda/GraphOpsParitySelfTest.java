package io.prune4j.backend.cuda;

import io.prune4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * {@link GraphOpsParity} with the CPU backend on both sides (one and two threads): proves, on every
 * machine, that the harness {@link GraphOpsKernelTest} runs on a GPU calls each operation with
 * consistent shapes and that its checks pass for two CPU backends, so a failure on the GPU is the
 * GPU's. Skips, with the reason printed, while the CPU operations are ops-api placeholders.
 */
class GraphOpsParitySelfTest extends GraphOpsParity {
    private CpuBackend a;
    private CpuBackend b;

    @BeforeEach
    void setUp() {
        a = new CpuBackend(1);
        b = new CpuBackend(2);
        use(a, b);
    }

    @AfterEach
    void tearDown() {
        closeTensors();
        a.close();
        b.close();
    }
}
