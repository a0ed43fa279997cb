package io.prune4j.backend;

/**
 * A masked weight {@code [rows, cols]} in a backend's sparse form, for inference products
 * ({@link Backend#sparseMatmul}, {@link Backend#sparseConv2d}): the entries its mask keeps, and
 * nothing else. A snapshot: it does not follow later writes to the weight it was built from. Made by
 * {@link Backend#sparse}, used only with the backend that made it; the caller of
 * {@link Backend#sparse} owns it and closes it.
 */
public interface SparseMatrix extends AutoCloseable {
    /**
     * The rows of the weight it was built from (a Dense layer's outputs, a convolution's filters).
     *
     * @return the row count, ≥ 0
     */
    int rows();

    /**
     * The columns of the weight it was built from (a Dense layer's inputs, {@code in·kh·kw} for a
     * convolution).
     *
     * @return the column count, ≥ 0
     */
    int cols();

    /**
     * Entries kept (those of the mask, zero-valued ones included).
     *
     * @return the number of stored entries, at most {@code rows · cols}
     */
    long nonzeros();

    /**
     * The share of the entries kept.
     *
     * @return {@code nonzeros / (rows · cols)}, or 0 for an empty matrix
     */
    default double density() {
        long n = (long) rows() * cols();
        return n == 0 ? 0 : (double) nonzeros() / n;
    }

    /** Releases the sparse form's storage; it must not be used afterwards. Throws nothing. */
    @Override
    void close();
}
