package io.prune4j.backend;

/**
 * A device backend that lives in another artifact and is found at run time with
 * {@link java.util.ServiceLoader}: {@code prune4j-cuda} provides {@link Backends.Device#CUDA}
 * through a {@code META-INF/services/io.prune4j.backend.BackendProvider} entry. prune4j-core
 * itself has only the CPU backend, so without such an artifact on the class path
 * {@link Backends#create} refuses the other devices with a {@link DeviceUnavailableException}
 * that names the missing artifact.
 *
 * <p>Implementations need a public no-argument constructor and must be cheap to construct:
 * {@link Backends} instantiates every provider on the class path each time it looks one up.
 */
public interface BackendProvider {
    /**
     * The device this provider creates backends for.
     *
     * @return the device, never {@code null} and never {@link Backends.Device#AUTO}
     */
    Backends.Device device();

    /**
     * Whether {@link #create()} would succeed now. Never throws.
     *
     * @return {@code true} when a usable device answers
     */
    boolean isAvailable();

    /**
     * Creates a backend on the device. The caller owns the result and closes it.
     *
     * @return a new backend, never {@code null}
     * @throws DeviceUnavailableException when there is no usable device or its libraries do not load
     */
    Backend create();
}
