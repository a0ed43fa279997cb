package io.prune4j.backend;

/** Element-wise transforms for {@link Backend#accumulate}. */
public enum Transform {
    /** {@code t(x) = x}. */
    IDENTITY,
    /** {@code t(x) = |x|}. */
    ABS,
    /** {@code t(x) = x²}. */
    SQUARE
}
