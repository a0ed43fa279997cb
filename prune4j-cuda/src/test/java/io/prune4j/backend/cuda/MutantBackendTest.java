package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.backend.cuda.MutantBackend.Mutation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proof that a green {@link CudaBackendTest} means the GPU is right: the checks it runs against
 * CUDA ({@link BackendParity#checks()}) run here, CPU against a {@link MutantBackend}, and each
 * mutation must fail exactly the check that should catch it, with an assertion about the mutated
 * operation, while every other check passes. Without this, the harness was only ever shown to agree
 * with itself. One mutation per way of comparing: bit for bit (the ulp mutations), within a
 * tolerance (the gemm ones), INT32 outputs (argmax), a scalar result (countAtLeast) and a mask.
 */
class MutantBackendTest {

    /** Mutation, the one check that must fail, and what its message must name. */
    static Stream<Arguments> caught() {
        return Stream.of(
                Arguments.of(Mutation.AXPY_ONE_ULP, "elementWise", "axpy n="),
                Arguments.of(Mutation.SGD_ONE_ULP, "optimisers", "sgdStep w"),
                Arguments.of(Mutation.GEMM_DROPS_LAST, "gemm", "gemm "),
                Arguments.of(Mutation.GEMM_TRANSPOSED_B, "gemm", "gemm "),
                Arguments.of(Mutation.TOPK_SWAPS_TWO, "ranking", "selectTopK keep="),
                Arguments.of(Mutation.ARGMAX_DROPS_LAST, "pooling", "maxPool2d argmax"),
                Arguments.of(Mutation.COUNT_STRICT, "ranking", "countAtLeast "));
    }

    @ParameterizedTest(name = "{0}: caught by {1}")
    @MethodSource("caught")
    void eachMutantFailsTheCheckThatShouldCatchIt(Mutation mutation, String check, String names) {
        Map<String, AssertionError> failed = failures(mutation);
        assertEquals(List.of(check), List.copyOf(failed.keySet()), mutation + ": the checks that failed");
        String message = failed.get(check).getMessage();
        System.out.println("[MutantBackendTest] " + mutation + ": " + check + " failed: " + message.lines().findFirst().orElse(""));
        assertTrue(message.contains(names), mutation + ": " + check + " failed, but not on the mutated operation: " + message);
    }

    /** The control: the wrapper itself (its own tensors, the CPU backend inside) passes every check. */
    @Test
    void theWrapperAloneFailsNothing() {
        assertEquals(Map.of(), failures(Mutation.NONE));
    }

    /**
     * The limit of a check with a tolerance: one ulp of a matrix product is within what another
     * summation order may give, so it passes. That is why the ulp mutations aim at operations the
     * harness compares bit for bit, and a product must be wrong by more (a dropped element, a
     * transposed operand) to be caught.
     */
    @Test
    void oneUlpOfAProductIsWithinTheGemmTolerance() {
        assertEquals(Map.of(), failures(Mutation.GEMM_ONE_ULP));
    }

    /** The end-to-end check catches a transposed product too: an MLP trained on it does not match the CPU's. */
    @Test
    void mlpTrainingCatchesATransposedProduct() {
        try (CpuBackend ref = new CpuBackend(1); Backend wrapper = MutantBackend.of(Mutation.NONE, new CpuBackend(1))) {
            PipelineParity.trainingMatches(ref, wrapper, false);   // the wrapper alone trains as the CPU does
        }
        try (CpuBackend ref = new CpuBackend(1); Backend mutant = MutantBackend.of(Mutation.GEMM_TRANSPOSED_B, new CpuBackend(1))) {
            AssertionError e = assertThrows(AssertionError.class, () -> PipelineParity.trainingMatches(ref, mutant, false));
            System.out.println("[MutantBackendTest] " + Mutation.GEMM_TRANSPOSED_B + ": trainingMatches failed: " + e.getMessage());
            assertTrue(e.getMessage().startsWith("MLP"), e.getMessage());
        }
    }

    /** Every check of the harness, CPU against the mutant, each on fresh tensors: the assertion each failing check threw. */
    private static Map<String, AssertionError> failures(Mutation mutation) {
        Map<String, AssertionError> failed = new LinkedHashMap<>();
        try (CpuBackend ref = new CpuBackend(1); Backend dut = MutantBackend.of(mutation, new CpuBackend(1))) {
            for (BackendParity.Named c : BackendParity.checks()) {
                try (BackendParity p = new BackendParity(ref, dut)) {
                    c.check().accept(p);
                } catch (AssertionError e) {
                    failed.put(c.name(), e);
                }
            }
        }
        return failed;
    }
}
