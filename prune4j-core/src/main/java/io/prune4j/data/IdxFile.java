package io.prune4j.data;

import java.util.Objects;

/**
 * The contents of one IDX file of unsigned bytes (the MNIST format): its dimensions and its data.
 *
 * <p>The record keeps the arrays it is given, not copies.
 *
 * @param dims  extents, outermost first, e.g. {@code [60000, 28, 28]} for images; at least one, each ≥ 0; not null
 * @param data  the elements in row-major order, as stored (unsigned bytes), as many as the dimensions hold; not null
 */
public record IdxFile(int[] dims, byte[] data) {
    /**
     * Checks that the data fills the dimensions.
     *
     * @param dims  extents, outermost first, e.g. {@code [60000, 28, 28]} for images; at least one, each ≥ 0; not null
     * @param data  the elements in row-major order, as stored (unsigned bytes), as many as the dimensions hold; not null
     * @throws NullPointerException     when {@code dims} or {@code data} is null
     * @throws IllegalArgumentException when there is no dimension, one is negative, or {@code data} has
     *                                  another length than their product
     */
    public IdxFile {
        Objects.requireNonNull(dims, "dims");
        Objects.requireNonNull(data, "data");
        long total = 1;
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("IDX dimension " + d + " in " + java.util.Arrays.toString(dims));
            }
            total *= d;
        }
        if (dims.length == 0 || total != data.length) {
            throw new IllegalArgumentException("IDX dimensions " + java.util.Arrays.toString(dims) + " do not hold " + data.length
                    + " elements");
        }
    }

    /**
     * Number of items: the first dimension.
     *
     * @return {@code dims[0]}
     */
    public int count() {
        return dims[0];
    }

    /**
     * Elements per item: the product of the other dimensions.
     *
     * @return the product of {@code dims[1…]}, 1 for a one-dimensional file
     */
    public int itemSize() {
        int n = 1;
        for (int i = 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }
}
