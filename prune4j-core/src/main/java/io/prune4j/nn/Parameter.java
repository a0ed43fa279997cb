package io.prune4j.nn;

import io.prune4j.tensor.Tensor;

/**
 * A trainable tensor, its gradient and, for unstructured pruning, an optional 0/1 mask that the
 * optimiser re-applies after every step so pruned weights stay exactly zero.
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private Tensor value;
    private Tensor grad;
    private Tensor mask;

    public Parameter(String name, Tensor value) {
        this.name = name;
        this.value = value;
        this.grad = value.backend().zeros(value.dtype(), value.shape());
    }

    /** Name within its layer: {@code weight} or {@code bias}. */
    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor grad() {
        return grad;
    }

    /** The 0/1 mask of kept weights, or null when the parameter is dense. */
    public Tensor mask() {
        return mask;
    }

    /** Installs (or with null removes) a mask of the parameter's shape and applies it at once. */
    public void setMask(Tensor newMask) {
        if (newMask != null && !newMask.sameShape(value)) {
            throw new IllegalArgumentException("mask for " + name + " must have the parameter's shape");
        }
        if (mask != null && mask != newMask) {
            mask.close();
        }
        mask = newMask;
        if (mask != null) {
            value.backend().mul(value, mask);
        }
    }

    /** Replaces value and gradient storage (after compaction changed the shape); closes the old tensors. */
    public void replace(Tensor newValue) {
        if (newValue == value) {
            return;
        }
        value.close();
        grad.close();
        setMask(null);
        value = newValue;
        grad = newValue.backend().zeros(newValue.dtype(), newValue.shape());
    }

    public int size() {
        return value.size();
    }

    @Override
    public void close() {
        value.close();
        grad.close();
        if (mask != null) {
            mask.close();
        }
    }
}
