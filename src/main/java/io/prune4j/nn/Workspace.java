package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

/** Reusable per-layer buffers: reallocated only when the shape changes (e.g. the last, smaller batch). */
final class Workspace {
    private Workspace() {}

    static Tensor ensure(Backend backend, Tensor current, int rows, int cols) {
        if (current != null && current.dim(0) == rows && current.dim(1) == cols) {
            return current;
        }
        if (current != null) {
            current.close();
        }
        return backend.zeros(DType.FLOAT32, rows, cols);
    }

    static Tensor free(Tensor t) {
        if (t != null) {
            t.close();
        }
        return null;
    }
}
