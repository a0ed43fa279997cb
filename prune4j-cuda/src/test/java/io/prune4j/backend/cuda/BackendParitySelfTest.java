package io.prune4j.backend.cuda;

import io.prune4j.backend.cpu.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link BackendParity} with the CPU backend on both sides: proves, on every machine, that the
 * harness {@link CudaBackendTest} runs on a GPU calls each operation with consistent shapes and
 * that its checks pass for two identical backends (so a failure on the GPU is the GPU's). That the
 * checks also fail for a wrong backend is {@link MutantBackendTest}'s part.
 */
class BackendParitySelfTest {
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.prune4j.backend.cuda.BackendParity#checks")
    void eachCheckPassesWithTheCpuOnBothSides(BackendParity.Named check) {
        try (CpuBackend a = new CpuBackend(1); CpuBackend b = new CpuBackend(1); BackendParity p = new BackendParity(a, b)) {
            check.check().accept(p);
        }
    }
}
