package io.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.PhantomTensor;
import io.prune4j.backend.cpu.CpuBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Tensor}'s own contract (shape, size, null arguments) and {@link Shapes}' null checks. */
class TensorTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    @Test
    void shapeAndSize() {
        Tensor t = PhantomTensor.floats(cpu, 2, 3, 4);
        assertEquals(3, t.rank());
        assertEquals(24, t.size());
        assertEquals(96, t.byteSize());
        assertEquals(4, t.dim(-1));
        assertTrue(t.sameShape(PhantomTensor.ints(cpu, 2, 3, 4)));
        assertFalse(t.sameShape(PhantomTensor.floats(cpu, 24)));
        assertEquals(1, PhantomTensor.floats(cpu).size());
    }

    @Test
    void nullArgumentsAreRefusedByName() {
        // before, a tensor without an element type could be made
        assertEquals("dtype", assertThrows(NullPointerException.class, () -> new PhantomTensor(cpu, null, 2)).getMessage());
        assertEquals("shape", assertThrows(NullPointerException.class, () -> new PhantomTensor(cpu, DType.FLOAT32, (int[]) null))
                .getMessage());
        Tensor t = PhantomTensor.floats(cpu, 2);
        assertEquals("other", assertThrows(NullPointerException.class, () -> t.sameShape(null)).getMessage());
    }

    @Test
    void shapesNameTheNullArgument() {
        assertEquals("shape", assertThrows(NullPointerException.class, () -> Shapes.size((int[]) null)).getMessage());
        assertEquals("factors", assertThrows(NullPointerException.class, () -> Shapes.intSize("op", "x", (long[]) null)).getMessage());
        assertEquals("bias", assertThrows(NullPointerException.class, () -> Shapes.requireShape("conv", "bias", null, 3)).getMessage());
        assertEquals("x", assertThrows(NullPointerException.class, () -> Shapes.requireRank("conv", "x", null, 4)).getMessage());
        assertEquals("labels", assertThrows(NullPointerException.class,
                () -> Shapes.requireDType("xent", "labels", null, DType.INT32)).getMessage());
        Tensor t = PhantomTensor.floats(cpu, 2);
        assertEquals("b", assertThrows(NullPointerException.class, () -> Shapes.requireSameSize("add", t, "a", null, "b")).getMessage());
    }
}
