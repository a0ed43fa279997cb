package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link Mul} layer's own promises: the shapes it takes (one shape, or a gate {@code [C, 1, 1]} on
 * {@code [C, H, W]} in either order) and the one line naming the layer and both shapes for the rest,
 * its products and gradients on values small enough to check by hand, its channel rule and copies.
 * The arithmetic at scale is the backend's ({@code CpuGraphOpsTest}, {@code GraphOpsParity}); its
 * gradients in a graph are {@code GraphGradientCheckTest}'s.
 */
class MulTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void refusesNullArgumentsByName() {
        GraphTest.refusesNull("name", () -> new Mul(null, cpu));
        GraphTest.refusesNull("backend", () -> new Mul("m", null));
        Mul m = new Mul("m", cpu);
        GraphTest.refusesNull("in", () -> m.forward((Tensor[]) null, false));
        GraphTest.refusesNull("dy", () -> m.backward(null, new boolean[] {true, true}));
        GraphTest.refusesNull("keepInputs", () -> m.pruned(null, null));
        m.close();
    }

    @Test
    void takesOneShapeOrAGateOnAMapInEitherOrder() {
        Mul m = new Mul("m", cpu);
        assertEquals("Mul m", m.describe());
        assertArrayEquals(new int[] {3, 4, 5}, m.outputShape(new int[][] {{3, 4, 5}, {3, 4, 5}}));
        assertArrayEquals(new int[] {7}, m.outputShape(new int[][] {{7}, {7}}));
        assertArrayEquals(new int[] {3, 4, 5}, m.outputShape(new int[][] {{3, 1, 1}, {3, 4, 5}}));
        assertArrayEquals(new int[] {3, 4, 5}, m.outputShape(new int[][] {{3, 4, 5}, {3, 1, 1}}));
        assertEquals(60, m.flopsPerExample(new int[][] {{3, 1, 1}, {3, 4, 5}}), "one multiply per output element");
    }

    @Test
    void refusesShapesThatDoNotFitInOneLineNamingBoth() {
        Mul m = new Mul("se", cpu);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.outputShape(new int[][] {{3, 1, 1}, {4, 5, 5}}));
        assertEquals("Mul se: inputs of shapes [3, 1, 1] and [4, 5, 5] cannot be multiplied (one shape, or [C, 1, 1] by [C, H, W], can)",
                e.getMessage());
        for (int[][] bad : new int[][][] {{{3}, {3, 1, 1}}, {{3, 4, 1}, {3, 4, 5}}, {{1, 1, 1}, {3, 4, 5}}, {{3, 4, 5}, {3, 5, 4}}}) {
            assertThrows(IllegalArgumentException.class, () -> m.outputShape(bad));
        }
        e = assertThrows(IllegalArgumentException.class, () -> m.outputShape(new int[][] {{3}, {3}, {3}}));
        assertEquals("Mul se takes two inputs, got 3", e.getMessage());
    }

    /** {@code s ⊙ x} for a gate of two channels on 2×2 maps: each channel scaled; the gate's gradient sums over the map. */
    @Test
    void aGateScalesEachChannelAndItsGradientSumsOverTheMap() {
        Mul m = new Mul("se", cpu);
        Tensor s = cpu.fromArray(new float[] {2, -1}, 1, 2, 1, 1);
        Tensor x = cpu.fromArray(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2);
        assertArrayEquals(new float[] {2, 4, 6, 8, -5, -6, -7, -8}, m.forward(new Tensor[] {s, x}, true).toFloatArray());
        Tensor dy = cpu.fromArray(new float[] {1, 1, 1, 1, 1, 0, 0, 2}, 1, 2, 2, 2);
        Tensor[] g = m.backward(dy, new boolean[] {true, true});
        assertArrayEquals(new int[] {1, 2, 1, 1}, g[0].shape());
        assertArrayEquals(new float[] {1 + 2 + 3 + 4, 5 + 16}, g[0].toFloatArray());
        assertArrayEquals(new float[] {2, 2, 2, 2, -1, -0f, -0f, -2}, g[1].toFloatArray());
        g = m.backward(dy, new boolean[] {false, true});
        assertNull(g[0]);
        assertArrayEquals(new float[] {2, 2, 2, 2, -1, -0f, -0f, -2}, g[1].toFloatArray());
        m.close();
    }

    /** One value as both inputs: each gradient is {@code dy ⊙ x}, so the graph's sum of the two is {@code 2·x·dy}. */
    @Test
    void oneValueTimesItselfHasTwoEqualGradients() {
        Mul m = new Mul("square", cpu);
        Tensor x = cpu.fromArray(new float[] {1, -2, 3}, 1, 3);
        assertArrayEquals(new float[] {1, 4, 9}, m.forward(new Tensor[] {x, x}, true).toFloatArray());
        Tensor[] g = m.backward(cpu.fromArray(new float[] {1, 1, 0.5f}, 1, 3), new boolean[] {true, true});
        assertArrayEquals(new float[] {1, -2, 1.5f}, g[0].toFloatArray());
        assertArrayEquals(new float[] {1, -2, 1.5f}, g[1].toFloatArray());
        m.close();
    }

    @Test
    void channelsMultiplyAndCopiesAreAlike() {
        Mul m = new Mul("m", cpu);
        assertEquals(new ChannelRule.Product(), m.channelRule());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.backward(cpu.zeros(DType.FLOAT32, 2, 3),
                new boolean[] {true, true}));
        assertEquals("Mul m: backward needs the matching forward pass first", e.getMessage());
        assertEquals(m.describe(), m.copy().describe());
        assertEquals(m.describe(), m.pruned(new ChannelSelection[] {null, null}, null).describe());
        IllegalArgumentException batches = assertThrows(IllegalArgumentException.class, () -> m.forward(new Tensor[] {
            cpu.zeros(DType.FLOAT32, 2, 3), cpu.zeros(DType.FLOAT32, 3, 3)}, false));
        assertEquals("Mul m: inputs of 2 and 3 examples", batches.getMessage());
    }
}
