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
