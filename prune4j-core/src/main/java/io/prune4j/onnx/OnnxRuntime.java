package io.prune4j.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.prune4j.Prune4jException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A model running in ONNX Runtime (CPU execution provider), to check an export against prune4j and
 * to time what a user deploys. ONNX Runtime is an optional dependency of the library: {@link #open}
 * says in one line when its jar is not on the class path. A session is not closed by the
 * environment: the caller closes it.
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

    /**
     * Whether ONNX Runtime's classes are on the class path.
     *
     * @return true when {@link #open} can start a session
     */
    public static boolean available() {
        try {
            Class.forName("ai.onnxruntime.OrtEnvironment", false, OnnxRuntime.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * A session on the ONNX model in {@code model}, with {@code threads} intra-op threads (0: ONNX
     * Runtime's default), all graph optimisations on.
     *
     * @param model   the bytes of an ONNX model (not null)
     * @param threads intra-op threads (then one inter-op thread), or 0 or less for ONNX Runtime's defaults
     * @return the session; the caller closes it
     * @throws io.prune4j.Prune4jException when ONNX Runtime is not on the class path or refuses the model
     */
    public static OnnxRuntime open(byte[] model, int threads) {
        Objects.requireNonNull(model, "model");
        return open(threads, (env, options) -> env.createSession(model, options));
    }

    /** What makes a session: from bytes or from a file. */
    private interface Opener {
        OrtSession open(OrtEnvironment env, OrtSession.SessionOptions options) throws OrtException;
    }

    private static OnnxRuntime open(int threads, Opener opener) {
        requireAvailable();
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                if (threads > 0) {
                    options.setIntraOpNumThreads(threads);
                    options.setInterOpNumThreads(1);
                }
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                return new OnnxRuntime(env, opener.open(env, options));
            }
        } catch (OrtException e) {
            throw new Prune4jException("ONNX Runtime refused the model: " + e.getMessage(), e);
        }
    }

    /**
     * A session on the file {@code model}, as {@link #open(byte[], int)}; ONNX Runtime reads the
     * external data files a model names from the model's folder.
     *
     * @param model   an ONNX file (not null)
     * @param threads intra-op threads, or 0 or less for ONNX Runtime's defaults
     * @return the session; the caller closes it
     * @throws io.prune4j.MissingFileException when the file does not exist
     * @throws io.prune4j.Prune4jException when the file cannot be read, ONNX
     *     Runtime is not on the class path, or it refuses the model
     */
    public static OnnxRuntime open(Path model, int threads) {
        Objects.requireNonNull(model, "model");
        if (!java.nio.file.Files.exists(model)) {
            throw new io.prune4j.MissingFileException(model);
        }
        if (!java.nio.file.Files.isRegularFile(model) || !java.nio.file.Files.isReadable(model)) {
            throw new Prune4jException(model + ": cannot read (not a readable file)");
        }
        String path = model.toAbsolutePath().toString();
        return open(threads, (env, options) -> env.createSession(path, options));
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
     *
     * @param input   {@code batch · size(example)} values, example after example (not null); not modified
     * @param batch   examples
     * @param example one example's shape, without the batch (not null)
     * @return the first output's values, row-major, in a new array
     * @throws io.prune4j.Prune4jException when ONNX Runtime fails to run the model (a shape it does not
     *     take included)
     */
    public float[] run(float[] input, int batch, int[] example) {
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(example, "example");
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

    /**
     * Closes the session (the shared environment stays).
     *
     * @throws io.prune4j.Prune4jException when ONNX Runtime fails to close it
     */
    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new Prune4jException("ONNX Runtime failed to close a session: " + e.getMessage(), e);
        }
    }
}
