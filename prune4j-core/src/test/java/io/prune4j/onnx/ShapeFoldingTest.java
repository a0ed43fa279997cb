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

    /**
     * The padding table torch 1.13 writes for {@code nn.ZeroPad2d((1, 0, 2, 1))} (left, right, top,
     * bottom): {@code [1, 0, 2, 1]} and four zeros of ConstantOfShape concatenated, reshaped to
     * {@code [-1, 2]}, its rows reversed by a Slice of step −1, transposed and flattened, gives ONNX's
     * {@code [0, 0, 2, 1, 0, 0, 1, 0]} (every axis's begin, then every axis's end).
     */
    @org.junit.jupiter.api.Test
    void pytorchsPaddingTableFoldsToOnnxPads() {
        Constant zeros = ShapeFolding.constantOfShape(vector("4"), new Constant(new int[] {1}, null, new long[] {0}));
        Constant table = ShapeFolding.concat(new Constant[] {vector("1 0 2 1"), zeros}, 0);
        Constant rows = ShapeFolding.reshape(table, new long[] {-1, 2}, false);
        assertArrayEquals(new int[] {4, 2}, rows.dims());
        Constant reversed = ShapeFolding.slice(rows, 0, -1, -9223372036854775807L, -1);
        assertEquals("0 0 0 0 2 1 1 0", describe(reversed.ints()));
        Constant t = ShapeFolding.transpose(reversed, new long[] {1, 0});
        assertArrayEquals(new int[] {2, 4}, t.dims());
        Constant pads = ShapeFolding.reshape(t, new long[] {-1}, false);
        assertEquals("0 0 2 1 0 0 1 0", describe(pads.ints()));
        assertArrayEquals(new int[] {8}, pads.dims());
    }

    /** A Slice along the inner axis of a [2, 3] tensor, a Transpose of a [2, 3, 2] one, and Reshape's 0 (copy) and allowzero. */
    @org.junit.jupiter.api.Test
    void sliceTransposeAndReshapeOfHigherRanks() {
        Constant m = new Constant(new int[] {2, 3}, null, new long[] {1, 2, 3, 4, 5, 6});
        Constant cols = ShapeFolding.slice(m, -1, 2, 0, -2);
        assertArrayEquals(new int[] {2, 1}, cols.dims());
        assertEquals("3 6", describe(cols.ints()));
        Constant cube = new Constant(new int[] {2, 3, 2}, null, new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        Constant t = ShapeFolding.transpose(cube, new long[] {2, 0, 1});
        assertArrayEquals(new int[] {2, 2, 3}, t.dims());
        assertEquals("0 2 4 6 8 10 1 3 5 7 9 11", describe(t.ints()));
        Constant reversed = ShapeFolding.transpose(cube, null);
        assertArrayEquals(new int[] {2, 3, 2}, reversed.dims());
        assertEquals("0 6 2 8 4 10 1 7 3 9 5 11", describe(reversed.ints()));
        assertArrayEquals(new int[] {2, 6}, ShapeFolding.reshape(cube, new long[] {0, -1}, false).dims());
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.reshape(cube, new long[] {0, -1}, true));
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.reshape(cube, new long[] {5, -1}, false));
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.reshape(cube, new long[] {-1, -1}, false));
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.transpose(cube, new long[] {0, 0, 1}));
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.transpose(cube, new long[] {1, 0}));
    }

    /** ConstantOfShape fills its extents with the value; a shape of more values than shape arithmetic needs, or the batch, is refused. */
    @org.junit.jupiter.api.Test
    void constantOfShapeIsBounded() {
        Constant c = ShapeFolding.constantOfShape(vector("2 3"), new Constant(new int[] {1}, null, new long[] {7}));
        assertArrayEquals(new int[] {2, 3}, c.dims());
        assertEquals("7 7 7 7 7 7", describe(c.ints()));
        Constant f = ShapeFolding.constantOfShape(vector("0"), new Constant(new int[] {1}, new float[] {1f}, null));
        assertEquals(0, f.floats().length);
        Constant one = new Constant(new int[] {1}, null, new long[] {0});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShapeFolding.constantOfShape(vector("65536 65536"), one));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("more than"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.constantOfShape(vector("b 2"), one));
        assertThrows(IllegalArgumentException.class, () -> ShapeFolding.constantOfShape(vector("-1"), one));
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
