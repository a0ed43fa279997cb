package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;

/**
 * A layer's buffer that holds a small tensor repeated, on the device: one gather of its single row
 * by an index tensor of zeros ({@link Backend#gatherRows}). It broadcasts a per-channel vector over
 * the examples of a batch, or a value over every channel, where the backend has no broadcast of its
 * own: {@code of(scale [C], batch, C)} is {@code [batch, C]} with {@code scale} in every row. The
 * output and the indices are reused while the shape stays.
 */
final class RepeatedRows implements AutoCloseable {
    private final Backend backend;
    private Tensor zeros;
    private Tensor out;

    RepeatedRows(Backend backend) {
        this.backend = backend;
    }

    /**
     * {@code row}'s values repeated to fill {@code shape}: the flat output is {@code row} once per
     * {@code row.size()} elements.
     *
     * @param row   the values repeated (any shape); borrowed
     * @param shape the output's shape, a multiple of {@code row.size()} elements
     * @return the output, owned by this buffer and valid until its next call or {@link #close}
     */
    Tensor of(Tensor row, int... shape) {
        int n = row.size();
        int rows = Shapes.size(shape) / n;
        zeros = Workspace.ensureShape(backend, zeros, DType.INT32, rows);
        out = Workspace.ensureShape(backend, out, shape);
        try (Tensor src = backend.reshape(row, 1, n); Tensor dst = backend.reshape(out, rows, n)) {
            backend.gatherRows(dst, src, zeros, 0);
        }
        return out;
    }

    @Override
    public void close() {
        zeros = Workspace.free(zeros);
        out = Workspace.free(out);
    }
}
