package io.prune4j.backend.cpu;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

/** A tensor in a Java heap array: {@code float[]} for FLOAT32, {@code int[]} for INT32. */
final class CpuTensor extends Tensor {
    private final CpuBackend backend;
    final float[] f;
    final int[] i;

    CpuTensor(CpuBackend backend, float[] data, int... shape) {
        super(DType.FLOAT32, shape);
        this.backend = backend;
        this.f = data;
        this.i = null;
    }

    CpuTensor(CpuBackend backend, int[] data, int... shape) {
        super(DType.INT32, shape);
        this.backend = backend;
        this.f = null;
        this.i = data;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public void close() {
        // heap storage: the garbage collector reclaims it
    }
}
