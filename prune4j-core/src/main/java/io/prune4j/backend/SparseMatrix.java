package io.prune4j.backend;

/**
 * A masked weight {@code [rows, cols]} in a backend's sparse form, for inference products
 * ({@link Backend#sparseMatmul}): the entries its mask keeps, and nothing else. A snapshot: it does
 * not follow later writes to the weight it was built from. Owned by its creator; close it.
 */
public interface SparseMatrix extends AutoCloseable {
    int rows();

    int cols();

    /** Entries kept (those of the mask, zero-valued ones included). */
    long nonzeros();

    /** {@code nonzeros / (rows · cols)}. */
    default double density() {
        long n = (long) rows() * cols();
        return n == 0 ? 0 : (double) nonzeros() / n;
    }

    @Override
    void close();
}
