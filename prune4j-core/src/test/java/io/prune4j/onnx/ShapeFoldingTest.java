package io.prune4j.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.onnx.OnnxReader.Constant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The shape arithmetic against ONNX's Slice (numpy's clamping) and Shape, at the extremes a file may hold. */
class ShapeFoldingTest {
    private static final Constant SHAPE = new Constant(new int[] {4}, null, new long[] {ShapeFolding.BATCH, 3, 5, 7});

    /** Expected values as numpy gives them for {@code [b, 3, 5, 7][start:end:step]} ("-" for none; b is the batch). */
    @ParameterizedTest(name = "[{0}:{1}:{2}] = {3}")
    @CsvSource({
        "0, 1, 1, b", "1, 9223372036854775807, 1, 3 5 7", "-1, -9223372036854775808, -1, 7 5 3 b", "0, 4, 2, b 5",
        "0, 4, 9223372036854775807, b", "3, -9223372036854775808, -9223372036854775808, 7", "2, 2, 1, -", "3, 1, 1, -",
        "-9223372036854775808, 9223372036854775807, 3, b 7", "9223372036854775807, -9223372036854775808, -2, 7 3",
    })
    void sliceClampsAsOnnxDoes(long start, long end, long step, String expected) {
        Constant c = ShapeFolding.slice(SHAPE, start, end, step);
        assertEquals(expected, describe(c.ints()));
        assertArrayEquals(new int[] {c.ints().length}, c.dims());
    }

    @ParameterizedTest(name = "step {0}")
    @CsvSource({"0"})
    void stepZeroIsRefused(long step) {
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.slice(SHAPE, 0, 4, step));
    }

    @ParameterizedTest(name = "Shape [{0}:{1}]")
    @CsvSource({"0, 9223372036854775807, b 3 5 7", "1, 3, 3 5", "-2, 9223372036854775807, 5 7", "3, 1, -"})
    void shapeOfAnActivation(long start, long end, String expected) {
        assertEquals(expected, describe(ShapeFolding.shape(new int[] {3, 5, 7}, start, end).ints()));
    }

    /** Integer Add, Sub, Mul and Div of a vector and a value (either side) or of two vectors; Div truncates toward zero as ONNX Runtime does. */
    @ParameterizedTest(name = "{0}({1}, {2}) = {3}")
    @CsvSource({
        "Add, 3 5, 1, 4 6", "Sub, 1, 3 5, -2 -4", "Mul, 3 5, 2 -1, 6 -5", "Div, 7 -7 9, 2, 3 -3 4", "Div, 116, 2, 58",
    })
    void integerArithmetic(String op, String a, String b, String expected) {
        Constant c = ShapeFolding.arithmetic(op, vector(a), vector(b));
        assertEquals(expected, describe(c.ints()));
        assertArrayEquals(new int[] {c.ints().length}, c.dims());
    }

    /** An empty shape broadcast against one value is empty, on either side (found by the fuzzer: it read the empty one's first value). */
    @org.junit.jupiter.api.Test
    void anEmptyShapeAgainstOneValueIsEmpty() {
        Constant empty = new Constant(new int[] {0}, null, new long[0]);
        Constant one = vector("2");
        for (Constant c : new Constant[] {ShapeFolding.arithmetic("Add", empty, one), ShapeFolding.arithmetic("Div", one, empty)}) {
            assertEquals(0, c.ints().length);
            assertArrayEquals(new int[] {0}, c.dims());
        }
    }

    /** The batch extent, a division by zero, an overflow and shapes that do not broadcast are refused, saying which. */
    @ParameterizedTest(name = "{0}({1}, {2})")
    @CsvSource({
        "Add, b, 1, of the batch extent", "Div, 4, 0, Div by zero", "Mul, 9223372036854775807, 2, overflows", "Add, 1 2, 1 2 3, do not broadcast",
    })
    void arithmeticThatIsRefused(String op, String a, String b, String says) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShapeFolding.arithmetic(op, vector(a), vector(b)));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    private static Constant vector(String values) {
        long[] v = java.util.Arrays.stream(values.split(" ")).mapToLong(x -> x.equals("b") ? ShapeFolding.BATCH : Long.parseLong(x)).toArray();
        return new Constant(new int[] {v.length}, null, v);
    }

    private static String describe(long[] v) {
        if (v.length == 0) {
            return "-";
        }
        StringBuilder s = new StringBuilder();
        for (long x : v) {
            s.append(s.length() == 0 ? "" : " ").append(x == ShapeFolding.BATCH ? "b" : Long.toString(x));
        }
        return s.toString();
    }
}
