package io.prune4j.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.prune4j.Prune4jException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model running in ONNX Runtime (CPU execution provider), to check an export against prune4j and
 * to time what a user deploys. ONNX Runtime is an optional dependency of the library: {@link #open}
 * says in one line when its jar is not on the class path.
 */
public final class OnnxRuntime implements AutoCloseable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String input;

    private OnnxRuntime(OrtEnvironment env, OrtSession session) throws OrtException {
        this.env = env;
        this.session = session;
        this.input = session.getInputNames().iterator().next();
    }

    /** Whether ONNX Runtime's classes are on the class path. */
    public static boolean available() {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, OnnxRuntime.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** A session on the ONNX model in {@code model}, with {@code threads} intra-op threads (0: ONNX Runtime's default). */
    public static OnnxRuntime open(byte[] model, int threads) {
        requireAvailable();
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                if (threads > 0) {
                    options.setIntraOpNumThreads(threads);
                    options.setInterOpNumThreads(1);
                }
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                return new OnnxRuntime(env, env.createSession(model, options));
            }
        } catch (OrtException e) {
            throw new Prune4jException("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    /** A session on the file {@code model}. */
    public static OnnxRuntime open(Path model, int threads) {
        try {
            return open(java.nio.file.Files.readAllBytes(model), threads);
        } catch (java.io.IOException e) {
            throw new Prune4jException(model + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private static void requireAvailable() {
        if (!available()) {
            throw new Prune4jException("ONNX Runtime is not on the class path: add com.microsoft.onnxruntime:onnxruntime (the command"
                    + " line's target/lib has it)");
        }
    }

    /**
     * Runs {@code batch} examples of shape {@code example} ({@code input} holds them one after the
     * other) and returns the first output, flattened.
     */
    public float[] run(float[] input, int batch, int[] example) {
        long[] shape = new long[example.length + 1];
        shape[0] = batch;
        for (int i = 0; i < example.length; i++) {
            shape[i + 1] = example[i];
        }
        try (OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
             OrtSession.Result r = session.run(Map.of(this.input, x))) {
            OnnxTensor y = (OnnxTensor) r.get(0);
            FloatBuffer b = y.getFloatBuffer();
            float[] out = new float[b.remaining()];
            b.get(out);
            return out;
        } catch (OrtException e) {
            throw new Prune4jException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new Prune4jException("ONNX Runtime failed to close a session: " + e.getMessage(), e);
        }
    }
}
