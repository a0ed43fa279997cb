package io.prune4j.backend;

/** Things a backend may or may not be able to do; see {@link Backend#hasCapability}. */
public enum Capability {
    /** Runs on a CUDA device. */
    CUDA,
    /** Tensors live in Java heap memory, so host transfers are free. */
    HOST_MEMORY
}
