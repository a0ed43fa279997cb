package io.prune4j.backend.cuda;

import io.prune4j.backend.Backend;
import io.prune4j.backend.BackendProvider;
import io.prune4j.backend.Backends;

/**
 * Makes {@link Backends.Device#CUDA} available to {@link Backends#create} when this artifact is on
 * the class path (registered in {@code META-INF/services/io.prune4j.backend.BackendProvider}).
 */
public final class CudaBackendProvider implements BackendProvider {
    /** Creates the provider; it loads nothing until asked. */
    public CudaBackendProvider() {}

    @Override
    public Backends.Device device() {
        return Backends.Device.CUDA;
    }

    @Override
    public boolean isAvailable() {
        return CudaRuntime.isAvailable();
    }

    @Override
    public Backend create() {
        return new CudaBackend();
    }
}
