package io.prune4j.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Conv2d;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's int sizes at their boundary, without allocating anything large: {@link Shapes#intSize}
 * takes 2^31 − 1 and refuses 2^31 (exactly, whatever the factors), and a convolution layer's
 * output shape is computed without wrapping around. The backend operations' own limits are
 * {@link BadArgumentCases}, run by {@link ArgChecksTest}.
 */
class SizeLimitsTest {
    @Test
    void intSizeTakesTwoToTheThirtyOneMinusOneAndRefusesTwoToTheThirtyOne() {
        assertEquals(Integer.MAX_VALUE, Shapes.intSize("op", "x", Integer.MAX_VALUE));
        assertEquals(2147441940, Shapes.intSize("op", "x", 46341, 46340));
        assertThrows(IllegalArgumentException.class, () -> Shapes.intSize("op", "x", 46341, 46341));   // 2147488281
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Shapes.intSize("op", "a plane of 65536x32768", 65536, 32768));
        assertEquals("op: a plane of 65536x32768 would have 2147483648 elements, more than 2^31-1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Shapes.intSize("op", "x", Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        assertEquals("op: x would have more than 2^63 elements, more than 2^31-1", e.getMessage(), "no long overflow into a small product");
        assertEquals(0, Shapes.intSize("op", "x", Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE, 0), "an empty extent");
    }

    @Test
    void aConvolutionsPaddingNeverWrapsItsOutputShape() {
        try (CpuBackend cpu = new CpuBackend(1);
             Conv2d huge = new Conv2d("c", cpu.zeros(DType.FLOAT32, 4, 1, 3, 3), cpu.zeros(DType.FLOAT32, 4), 1, Integer.MAX_VALUE, false);
             Conv2d fine = new Conv2d("c", cpu.zeros(DType.FLOAT32, 4, 1, 3, 3), cpu.zeros(DType.FLOAT32, 4), 1, 1, false)) {
            // 8 + 2·(2^31 − 1) − 3 wrapped to 3 in int arithmetic: a 4x4 output that looked plausible;
            // it is 4294967299, so 4294967300 positions a side
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> huge.outputShape(new int[] {1, 8, 8}));
            assertEquals("Conv2d c (1→4, 3x3, pad 2147483647): an output of 4x4294967300x4294967300 per example would have "
                    + "more than 2^63 elements, more than 2^31-1", e.getMessage());
            assertArrayEquals(new int[] {4, 8, 8}, fine.outputShape(new int[] {1, 8, 8}));
        }
    }
}
