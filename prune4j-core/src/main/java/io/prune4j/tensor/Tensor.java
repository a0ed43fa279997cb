package io.prune4j.tensor;

import io.prune4j.backend.Backend;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, row-major array of {@link DType#FLOAT32} or {@link DType#INT32} elements owned by one
 * {@link Backend}. Code above the backend never touches the storage: it passes tensors to backend
 * operations and copies them to the host only when it needs the numbers ({@link #toFloatArray()}).
 * The element type and the shape are fixed when the tensor is made; the elements change only
 * through the backend's operations.
 *
 * <p>Ownership: the caller of {@link Backend#zeros}, {@link Backend#fromArray(float[], int...)} or
 * {@link Backend#reshape} owns the tensor it gets and closes it; other methods that return a tensor
 * say who owns it. A tensor that lives off the Java heap (device memory) is released by
 * {@link #close()}; closing a heap tensor is harmless. Using a closed tensor is an error (on a device
 * backend an {@link IllegalStateException}). A tensor, like its backend, is used by one thread at a
 * time.
 *
 * <p>Subclasses are the backends' own tensor types: a backend refuses a tensor of another backend
 * with an {@link IllegalArgumentException}.
 */
public abstract class Tensor implements AutoCloseable {
    private final DType dtype;
    private final int[] shape;
    private final int size;

    /**
     * A tensor of {@code dtype} elements in the given shape, for a backend's tensor type to call; it
     * allocates nothing itself.
     *
     * @param dtype the element type (not null)
     * @param shape the extents, outermost first (copied; not null; every extent ≥ 0, a rank-0 shape
     *              holds one element)
     * @throws NullPointerException when {@code dtype} or {@code shape} is null
     * @throws IllegalArgumentException when an extent is negative or the shape holds 2^31 elements or more
     */
    protected Tensor(DType dtype, int... shape) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        this.size = Shapes.size(this.shape);
    }

    /**
     * The backend that owns this tensor's storage: the only one whose operations accept it.
     *
     * @return the owning backend, never null
     */
    public abstract Backend backend();

    /**
     * The element type.
     *
     * @return {@link DType#FLOAT32} or {@link DType#INT32}
     */
    public final DType dtype() {
        return dtype;
    }

    /**
     * The shape, outermost extent first.
     *
     * @return a new copy of the extents, which the caller may change
     */
    public final int[] shape() {
        return shape.clone();
    }

    /**
     * The number of dimensions.
     *
     * @return the length of {@link #shape()} (0 for a scalar)
     */
    public final int rank() {
        return shape.length;
    }

    /**
     * Extent of dimension {@code i}; negative {@code i} counts from the end ({@code dim(-1)} is the
     * innermost).
     *
     * @param i the dimension, in {@code [-rank, rank)}
     * @return its extent
     * @throws ArrayIndexOutOfBoundsException when {@code i} is outside {@code [-rank, rank)}
     */
    public final int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    /**
     * Number of elements.
     *
     * @return the product of the extents (1 for a scalar, 0 when an extent is 0)
     */
    public final int size() {
        return size;
    }

    /**
     * The storage the elements take.
     *
     * @return {@link #size()} times the element size in bytes
     */
    public final long byteSize() {
        return (long) size * dtype.byteSize();
    }

    /**
     * Copies the elements of a FLOAT32 tensor to a new host array, through
     * {@link Backend#toFloatArray}: on a device backend a counted transfer.
     *
     * @return a new array of {@link #size()} elements in row-major order, owned by the caller
     * @throws IllegalArgumentException when this tensor is not FLOAT32
     */
    public final float[] toFloatArray() {
        return backend().toFloatArray(this);
    }

    /**
     * Copies the elements of an INT32 tensor to a new host array, through
     * {@link Backend#toIntArray}: on a device backend a counted transfer.
     *
     * @return a new array of {@link #size()} elements in row-major order, owned by the caller
     * @throws IllegalArgumentException when this tensor is not INT32
     */
    public final int[] toIntArray() {
        return backend().toIntArray(this);
    }

    /**
     * Whether {@code other} has this tensor's shape, extent by extent (the element type and the
     * backend are not compared).
     *
     * @param other the tensor to compare with (not null)
     * @return true when the shapes are equal
     * @throws NullPointerException when {@code other} is null
     */
    public final boolean sameShape(Tensor other) {
        Objects.requireNonNull(other, "other");
        return Arrays.equals(shape, other.shape);
    }

    /**
     * Releases the storage the tensor owns (device memory); a heap tensor has nothing to release and
     * a view ({@link Backend#reshape}) releases nothing, its storage belonging to the tensor it
     * views. A second call does nothing. Throws nothing.
     */
    @Override
    public abstract void close();

    @Override
    public String toString() {
        return "Tensor(" + dtype + ", " + Arrays.toString(shape) + ", " + backend().name() + ")";
    }
}
