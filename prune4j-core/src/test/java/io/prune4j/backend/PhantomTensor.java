package io.prune4j.backend;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

/**
 * A tensor with a shape and no storage, for the argument checks' size limits: a shape of nearly
 * 2^31 elements costs nothing to make, and the checks reject it before any backend would reach for
 * storage (if one did, it would refuse the tensor as not its own).
 */
public final class PhantomTensor extends Tensor {
    private final Backend backend;

    public PhantomTensor(Backend backend, DType dtype, int... shape) {
        super(dtype, shape);
        this.backend = backend;
    }

    public static PhantomTensor floats(Backend backend, int... shape) {
        return new PhantomTensor(backend, DType.FLOAT32, shape);
    }

    public static PhantomTensor ints(Backend backend, int... shape) {
        return new PhantomTensor(backend, DType.INT32, shape);
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public void close() {}
}
