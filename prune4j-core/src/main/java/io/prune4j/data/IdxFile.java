package io.prune4j.data;

/**
 * The contents of one IDX file of unsigned bytes (the MNIST format): its dimensions and its data.
 *
 * @param dims  extents, outermost first, e.g. {@code [60000, 28, 28]} for images
 * @param data  the elements in row-major order, as stored (unsigned bytes)
 */
public record IdxFile(int[] dims, byte[] data) {
    /** Number of items: the first dimension. */
    public int count() {
        return dims[0];
    }

    /** Elements per item: the product of the other dimensions. */
    public int itemSize() {
        int n = 1;
        for (int i = 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }
}
