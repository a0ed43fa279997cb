package io.prune4j.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.Version;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * prune4j-core's test class path is what a project that depends on prune4j-core alone gets (plus JUnit
 * and Jazzer): none of the command line's libraries, nothing of CUDA. And without prune4j-cuda, asking
 * for the CUDA backend says which artifact to add.
 */
class CoreClassPathTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "picocli.CommandLine",                        // the command line's parser
        "me.tongfei.progressbar.ProgressBar",         // its progress bars
        "org.jline.terminal.Terminal",                // their terminal library
        "org.knowm.xchart.XYChart",                   // its plots
        "org.bytedeco.cuda.global.cudart",            // the CUDA presets
        "org.bytedeco.cuda.global.cudnn",
        "io.prune4j.backend.cuda.CudaBackend",        // prune4j-cuda
        "io.prune4j.cli.Main",                        // prune4j-cli
    })
    void aCoreOnlyConsumerDoesNotGet(String className) {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(className, false, getClass().getClassLoader()),
                className + " is on prune4j-core's class path");
    }

    @Test
    void theCudaBackendNamesTheArtifactToAdd() {
        assertFalse(Backends.isAvailable(Backends.Device.CUDA));
        String msg = assertThrows(DeviceUnavailableException.class, () -> Backends.create(Backends.Device.CUDA, 1)).getMessage();
        assertTrue(msg.contains("io.prune4j:prune4j-cuda:" + Version.get()), msg);
        for (String flag : List.of("--device", "--")) {
            assertFalse(msg.contains(flag), "a library message names no command-line flag: " + msg);
        }
        try (Backend auto = Backends.create(Backends.Device.AUTO, 1)) {
            assertTrue(auto.name().startsWith("cpu"), auto.name());
        }
    }
}
