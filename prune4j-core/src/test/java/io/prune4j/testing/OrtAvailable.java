package io.prune4j.testing;

import io.prune4j.onnx.OnnxRuntime;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips a test that runs ONNX Runtime where its jar is not on the class path (the GPU bundle leaves
 * its 54 MB out), printing why, as the GPU tests print theirs. Under Maven it is always there.
 */
public final class OrtAvailable {
    private OrtAvailable() {}

    public static void assume() {
        if (!OnnxRuntime.available()) {
            String why = "ONNX Runtime is not on the class path (com.microsoft.onnxruntime:onnxruntime; the GPU bundle leaves it out)";
            System.err.println("skipped: " + why);
            Assumptions.assumeTrue(false, why);
        }
    }
}
