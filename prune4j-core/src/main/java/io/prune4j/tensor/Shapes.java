package io.prune4j.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * Checks and arithmetic on tensor shapes, with messages that name the operation. Every check throws
 * an {@link IllegalArgumentException} (an internal argument check, not a user setting), and a null
 * tensor or shape a {@link NullPointerException}, whose message is the argument's name given (the
 * tensor's) or the parameter's (a shape's). The {@code op} and argument names are only used in the
 * messages (where a null one reads {@code null}).
 */
public final class Shapes {
    private Shapes() {}

    /**
     * Product of the extents; rejects negative extents and products that overflow an int.
     *
     * @param shape the extents (not null; empty gives 1)
     * @return the number of elements a tensor of this shape holds
     * @throws NullPointerException when {@code shape} is null
     * @throws IllegalArgumentException when an extent is negative or the product is 2^31 or more
     */
    public static int size(int... shape) {
        Objects.requireNonNull(shape, "shape");
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
     *
     * @param op the operation, for the message
     * @param what what is being sized, for the message
     * @param factors the factors (not null; none gives 1)
     * @return their product
     * @throws NullPointerException when {@code factors} is null
     * @throws IllegalArgumentException when the product is 2^31 or more
     */
    public static int intSize(String op, String what, long... factors) {
        Objects.requireNonNull(factors, "factors");
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

    /**
     * Checks the rank of a tensor.
     *
     * @param op the operation, for the message
     * @param arg the argument's name, for the message
     * @param t the tensor (not null)
     * @param rank the rank it must have
     * @throws NullPointerException when {@code t} is null (with {@code arg} as the message)
     * @throws IllegalArgumentException when {@code t} has another rank
     */
    public static void requireRank(String op, String arg, Tensor t, int rank) {
        Objects.requireNonNull(t, arg);
        if (t.rank() != rank) {
            throw new IllegalArgumentException(op + ": " + arg + " must have rank " + rank + ", got shape " + Arrays.toString(t.shape()));
        }
    }

    /**
     * Checks the element type of a tensor.
     *
     * @param op the operation, for the message
     * @param arg the argument's name, for the message
     * @param t the tensor (not null)
     * @param dtype the element type it must have
     * @throws NullPointerException when {@code t} is null (with {@code arg} as the message)
     * @throws IllegalArgumentException when {@code t} has another element type
     */
    public static void requireDType(String op, String arg, Tensor t, DType dtype) {
        Objects.requireNonNull(t, arg);
        if (t.dtype() != dtype) {
            throw new IllegalArgumentException(op + ": " + arg + " must be " + dtype + ", got " + t.dtype());
        }
    }

    /**
     * Checks the shape of a tensor, extent by extent.
     *
     * @param op the operation, for the message
     * @param arg the argument's name, for the message
     * @param t the tensor (not null)
     * @param shape the extents it must have (not null)
     * @throws NullPointerException when {@code t} (with {@code arg} as the message) or {@code shape} is null
     * @throws IllegalArgumentException when {@code t} has another shape
     */
    public static void requireShape(String op, String arg, Tensor t, int... shape) {
        Objects.requireNonNull(t, arg);
        Objects.requireNonNull(shape, "shape");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException(op + ": " + arg + " must have shape " + Arrays.toString(shape) + ", got " + Arrays.toString(t.shape()));
        }
    }

    /**
     * Checks that two tensors hold the same number of elements, whatever their shapes.
     *
     * @param op the operation, for the message
     * @param a the first tensor (not null)
     * @param aName its name, for the message
     * @param b the second tensor (not null)
     * @param bName its name, for the message
     * @throws NullPointerException when {@code a} or {@code b} is null (with its name as the message)
     * @throws IllegalArgumentException when their sizes differ
     */
    public static void requireSameSize(String op, Tensor a, String aName, Tensor b, String bName) {
        Objects.requireNonNull(a, aName);
        Objects.requireNonNull(b, bName);
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + aName + " has " + a.size() + " elements but " + bName + " has " + b.size());
        }
    }
}
