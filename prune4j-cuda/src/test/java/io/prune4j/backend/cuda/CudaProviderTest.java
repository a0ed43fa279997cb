package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.BackendProvider;
import io.prune4j.backend.Backends;
import io.prune4j.backend.DeviceUnavailableException;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * With prune4j-cuda on the class path, prune4j-core finds the CUDA backend through ServiceLoader: on a
 * machine with a GPU {@link Backends#create} gives a {@link CudaBackend}; without one it says why in
 * CUDA's own words (not "add prune4j-cuda").
 */
class CudaProviderTest {
    @Test
    void theProviderIsRegistered() {
        long cuda = ServiceLoader.load(BackendProvider.class).stream()
                .filter(p -> p.type() == CudaBackendProvider.class).count();
        assertEquals(1, cuda, "META-INF/services registers CudaBackendProvider once");
    }

    @Test
    void backendsCreatesTheCudaBackendOrSaysWhyNot() {
        assertEquals(CudaRuntime.isAvailable(), Backends.isAvailable(Backends.Device.CUDA));
        if (CudaRuntime.isAvailable()) {
            try (Backend b = Backends.create(Backends.Device.CUDA, 1)) {
                assertTrue(b instanceof CudaBackend, b.name());
            }
        } else {
            String msg = assertThrows(DeviceUnavailableException.class, () -> Backends.create(Backends.Device.CUDA, 1)).getMessage();
            assertTrue(msg.startsWith(CudaRuntime.PREFIX), msg);
            assertFalse(msg.contains("prune4j-cuda is not on the class path"), msg);
        }
    }
}
