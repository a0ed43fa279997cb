package io.prune4j.backend;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

/**
 * The checks of {@link ArgChecks} on the CPU backend: each {@link BadArgumentCases} case throws its
 * exception with its exact message (the GPU run of the same cases, {@code ArgCheckParityTest},
 * expects the CUDA backend to give the same).
 */
class ArgChecksTest {
    @Test
    void theCpuRefusesEveryCaseWithItsMessage() {
        try (Backend cpu = new CpuBackend(1)) {
            // every case, so that one run names every check that is missing
            assertAll(BadArgumentCases.all().stream().map(c -> () -> {
                RuntimeException e = assertThrows(c.type(), () -> c.op().accept(cpu), c.name());
                assertEquals(c.message(), e.getMessage(), c.name());
            }));
        }
    }
}
