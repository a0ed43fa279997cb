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

    /** A FLOAT32 buffer of exactly {@code shape}, reusing {@code current} when it already has it. */
    static Tensor ensureShape(Backend backend, Tensor current, int... shape) {
        return ensureShape(backend, current, DType.FLOAT32, shape);
    }

    static Tensor ensureShape(Backend backend, Tensor current, DType dtype, int... shape) {
        if (current != null && current.dtype() == dtype && java.util.Arrays.equals(current.shape(), shape)) {
            return current;
        }
        if (current != null) {
            current.close();
        }
        return backend.zeros(dtype, shape);
    }

    /** {@code [batch, …perExample]}. */
    static int[] batched(int batch, int[] perExample) {
        int[] s = new int[perExample.length + 1];
        s[0] = batch;
        System.arraycopy(perExample, 0, s, 1, perExample.length);
        return s;
    }

    /** A new FLOAT32 tensor on {@code backend} holding {@code t}'s values (a device-side copy; the caller owns it). */
    static Tensor copyOf(Backend backend, Tensor t) {
        Tensor c = backend.zeros(DType.FLOAT32, t.shape());
        backend.copy(c, t);
        return c;
    }

    /**
     * A new FLOAT32 tensor {@code [keep.count()]} on {@code backend} holding the entries of the
     * per-channel {@code t [C]} that {@code keep} selects (a device-side gather; the caller owns it):
     * what a layer's per-channel parameters become when channels are removed.
     */
    static Tensor keptChannels(Backend backend, Tensor t, ChannelSelection keep) {
        Tensor g = backend.zeros(DType.FLOAT32, keep.count());
        try {
            backend.gatherRows(g, t, keep.indices(), 0);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
        return g;
    }

    static Tensor free(Tensor t) {
        if (t != null) {
            t.close();
        }
        return null;
    }
}
