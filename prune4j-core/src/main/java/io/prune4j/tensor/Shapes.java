package io.prune4j.tensor;

import java.util.Arrays;

/** Checks and arithmetic on tensor shapes, with messages that name the operation. */
public final class Shapes {
    private Shapes() {}

    /** Product of the extents; rejects negative extents and products that overflow an int. */
    public static int size(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative extent in shape " + Arrays.toString(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /**
     * The product of {@code factors} (each ≥ 0), a size an operation derives from its arguments (an
     * output plane, a workspace), as an int. Tensors and the kernels' sizes are ints, so a product
     * from 2^31 on is refused here, before anything is allocated or launched, with an
     * {@link IllegalArgumentException} that names the operation and what was being sized, e.g.
     * {@code "conv2d: one example's patch matrix (64·3·3 by 2000·1950) would have 2246400000 elements, more than 2^31-1"}.
     * The product is exact however large the factors (no long overflow); a zero factor makes it 0.
     */
    public static int intSize(String op, String what, long... factors) {
        long n = 1;
        boolean beyondLong = false;
        for (long f : factors) {
            if (f == 0) {
                return 0;
            }
            if (!beyondLong && (Math.multiplyHigh(n, f) != 0 || n * f < 0)) {
                beyondLong = true;
            }
            n *= f;
        }
        if (beyondLong || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": " + what + " would have " + (beyondLong ? "more than 2^63" : Long.toString(n))
                    + " elements, more than 2^31-1");
        }
        return (int) n;
    }

    public static void requireRank(String op, String arg, Tensor t, int rank) {
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + arg + " must have rank " + rank + ", got shape " + Arrays.toString(t.shape()));
        }
    }

    public static void requireDType(String op, String arg, Tensor t, DType dtype) {
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + arg + " must be " + dtype + ", got " + t.dtype());
        }
    }

    public static void requireShape(String op, String arg, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + arg + " must have shape " + Arrays.toString(shape) + ", got " + Arrays.toString(t.shape()));
        }
    }

    public static void requireSameSize(String op, Tensor a, String aName, Tensor b, String bName) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + aName + " has " + a.size() + " elements but " + bName + " has " + b.size());
        }
    }
}
