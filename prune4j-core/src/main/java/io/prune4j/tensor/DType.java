package io.prune4j.tensor;

/** Element types a {@link Tensor} can hold. Both are 4 bytes wide. */
public enum DType {
    /** IEEE-754 single precision: weights, activations, gradients, scores. */
    FLOAT32,
    /** Signed 32-bit integers: class labels, row indices, keep-index lists. */
    INT32;

    /**
     * The size of one element.
     *
     * @return 4, for both types
     */
    public int byteSize() {
        return 4;
    }
}
