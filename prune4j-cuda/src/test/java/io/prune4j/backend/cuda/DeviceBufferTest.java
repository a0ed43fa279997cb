package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * {@link DeviceBuffer}'s null checks: the static factories check before any CUDA call, so they run
 * everywhere; the instance methods need a buffer, so a GPU.
 */
class DeviceBufferTest {

    @Test
    void ofRefusesNullBeforeTouchingTheDevice() {
        NullPointerException floats = assertThrows(NullPointerException.class, () -> DeviceBuffer.of((float[]) null));
        assertEquals("data", floats.getMessage());
        NullPointerException ints = assertThrows(NullPointerException.class, () -> DeviceBuffer.of((int[]) null));
        assertEquals("data", ints.getMessage());
    }

    @Test
    void instanceMethodsRefuseNull(TestInfo test) {
        Gpu.require("DeviceBufferTest", test);
        try (DeviceBuffer b = DeviceBuffer.floats(4)) {
            assertEquals("data", assertThrows(NullPointerException.class, () -> b.upload((float[]) null)).getMessage());
            assertEquals("data", assertThrows(NullPointerException.class, () -> b.upload((int[]) null)).getMessage());
            assertEquals("src", assertThrows(NullPointerException.class, () -> b.copyFrom(null, 4)).getMessage());
        }
    }
}
