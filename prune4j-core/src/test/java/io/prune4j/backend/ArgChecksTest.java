package io.prune4j.backend;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
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

    @Test
    void theHelpersRefuseNullsByName() {
        try (Backend cpu = new CpuBackend(1); Tensor t = cpu.zeros(DType.FLOAT32, 3)) {
            assertEquals("ts", assertThrows(NullPointerException.class, () -> ArgChecks.floats("op", (Tensor[]) null)).getMessage());
            assertEquals("ts", assertThrows(NullPointerException.class, () -> ArgChecks.ints("op", (Tensor[]) null)).getMessage());
            // before, a null element type was taken for INT32: "upload: expected an INT32 tensor, got FLOAT32"
            assertEquals("dtype", assertThrows(NullPointerException.class, () -> ArgChecks.upload(t, null, 3)).getMessage());
            assertEquals("shape", assertThrows(NullPointerException.class, () -> ArgChecks.length(3, null)).getMessage());
            assertEquals("acc", assertThrows(NullPointerException.class,
                    () -> ArgChecks.sameSizeFloats("accumulate", null, "acc", t, "x")).getMessage());
        }
    }
}
