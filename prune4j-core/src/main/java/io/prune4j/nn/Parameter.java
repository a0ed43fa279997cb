package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.Objects;

/**
 * A trainable tensor, its gradient and, for unstructured pruning, an optional 0/1 mask that the
 * optimiser re-applies after every step so pruned weights stay exactly zero. The parameter owns all
 * three tensors and closes them in {@link #close}; the layer that holds it closes it.
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private Tensor value;
    private Tensor grad;
    private Tensor mask;

    /**
     * A dense parameter (no mask) with a zero gradient of the value's shape and type.
     *
     * @param name  the name within its layer, e.g. {@code weight} or {@code bias} (not null)
     * @param value the values (not null); the parameter takes ownership
     */
    public Parameter(String name, Tensor value) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        this.name = name;
        this.value = value;
        this.grad = value.backend().zeros(value.dtype(), value.shape());
    }

    /**
     * Name within its layer.
     *
     * @return {@code weight} or {@code bias} (or another name a layer gives)
     */
    public String name() {
        return name;
    }

    /**
     * The current values; updated in place by the optimiser, replaced by {@link #replace}.
     *
     * @return the value tensor, owned by the parameter: valid until the next {@link #replace} or {@link #close}
     */
    public Tensor value() {
        return value;
    }

    /**
     * The loss gradient of the last backward pass, of the value's shape; a layer's backward pass
     * overwrites it.
     *
     * @return the gradient tensor, owned by the parameter: valid until the next {@link #replace} or {@link #close}
     */
    public Tensor grad() {
        return grad;
    }

    /**
     * The 0/1 mask of kept weights.
     *
     * @return the mask, owned by the parameter, or null when the parameter is dense
     */
    public Tensor mask() {
        return mask;
    }

    /**
     * Installs (or with null removes) a mask of the parameter's shape and applies it at once (the
     * value is multiplied by it). The parameter takes ownership of {@code newMask} and closes the mask
     * it replaces.
     *
     * @param newMask a 0/1 tensor of the value's shape, or null to make the parameter dense again
     *                (the values stay as they are)
     * @throws IllegalArgumentException when {@code newMask} does not have the value's shape
     */
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

    /**
     * Replaces value and gradient storage (after compaction changed the shape); closes the old value,
     * gradient and mask, and allocates a zero gradient of the new shape. Nothing happens when
     * {@code newValue} is the current value.
     *
     * @param newValue the new values (not null); the parameter takes ownership
     */
    public void replace(Tensor newValue) {
        Objects.requireNonNull(newValue, "newValue");
        if (newValue == value) {
            return;
        }
        value.close();
        grad.close();
        setMask(null);
        value = newValue;
        grad = newValue.backend().zeros(newValue.dtype(), newValue.shape());
    }

    /**
     * Number of scalars, masked ones included.
     *
     * @return the value's element count
     */
    public int size() {
        return value.size();
    }

    /** Closes the value, the gradient and the mask. */
    @Override
    public void close() {
        value.close();
        grad.close();
        if (mask != null) {
            mask.close();
        }
    }
}
