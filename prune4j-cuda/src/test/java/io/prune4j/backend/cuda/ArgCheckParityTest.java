package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.BadArgumentCases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The {@link BadArgumentCases} on the GPU: the CUDA backend refuses each with the exception and
 * message the CPU backend gives (its checks are {@link io.prune4j.backend.ArgChecks}, the CPU's), and
 * refuses it before launching anything, so the stream has nothing queued that fails later.
 */
@Tag("gpu")
class ArgCheckParityTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("ArgCheckParityTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) gpu.close();
    }

    @Test
    void theGpuRefusesWhatTheCpuRefusesWithTheSameMessage() {
        for (BadArgumentCases.Case c : BadArgumentCases.all()) {
            RuntimeException cpu = assertThrows(c.type(), () -> c.op().accept(Gpu.CPU), c.name() + " on the CPU");
            RuntimeException cuda = assertThrows(c.type(), () -> c.op().accept(gpu), c.name() + " on " + gpu.name());
            assertEquals(c.message(), cpu.getMessage(), c.name() + " on the CPU");
            assertEquals(cpu.getMessage(), cuda.getMessage(), c.name() + ": the two backends' messages");
            assertDoesNotThrow(() -> gpu.synchronize(), c.name() + ": nothing was launched that fails later");
        }
        System.out.println("[ArgCheckParityTest] " + BadArgumentCases.all().size() + " cases: the same exception and message on both");
    }
}
