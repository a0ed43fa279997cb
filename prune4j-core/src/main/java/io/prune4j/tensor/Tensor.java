package io.prune4j.tensor;

import io.prune4j.backend.Backend;
import java.util.Arrays;

/**
 * A dense, row-major array of {@link DType#FLOAT32} or {@link DType#INT32} elements owned by one
 * {@link Backend}. Code above the backend never touches the storage: it passes tensors to backend
 * operations and copies them to the host only when it needs the numbers ({@link #toFloatArray()}).
 *
 * <p>A tensor that lives off the Java heap (device memory) is released by {@link #close()};
 * closing a heap tensor is harmless. Using a closed tensor is an error.
 */
public abstract class Tensor implements AutoCloseable {
    private final DType dtype;
    private final int[] shape;
    private final int size;

    protected Tensor(DType dtype, int... shape) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.size = Shapes.size(this.shape);
    }

    /** The backend that owns this tensor's storage. */
    public abstract Backend backend();

    public final DType dtype() {
        return dtype;
    }

    /** A copy of the shape. */
    public final int[] shape() {
        return shape.clone();
    }

    public final int rank() {
        return shape.length;
    }

    /** Extent of dimension {@code i}; negative {@code i} counts from the end. */
    public final int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /** Number of elements. */
    public final int size() {
        return size;
    }

    public final long byteSize() {
        return (long) size * dtype.byteSize();
    }

    /** Copies the elements of a FLOAT32 tensor to a new host array. */
    public final float[] toFloatArray() {
        return backend().toFloatArray(this);
    }

    /** Copies the elements of an INT32 tensor to a new host array. */
    public final int[] toIntArray() {
        return backend().toIntArray(this);
    }

    /** True when the shapes are equal element by element. */
    public final boolean sameShape(Tensor other) {
        return Arrays.equals(shape, other.shape);
    }

    @Override
    public abstract void close();

    @Override
    public String toString() {
        return "Tensor(" + dtype + ", " + Arrays.toString(shape) + ", " + backend().name() + ")";
    }
}
