package io.prune4j.backend;

/** Element-wise transforms for {@link Backend#accumulate}. */
public enum Transform {
    IDENTITY, ABS, SQUARE
}
