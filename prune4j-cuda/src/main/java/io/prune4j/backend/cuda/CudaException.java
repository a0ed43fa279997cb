package io.prune4j.backend.cuda;

import io.prune4j.Prune4jException;
import java.util.Objects;

/**
 * A CUDA call or kernel launcher returned an error code ({@code cudaError_t}, nonzero). The
 * message names the operation, CUDA's description and the error name, e.g.
 * {@code "bias_add failed: invalid argument (cudaErrorInvalidValue, code 1)"}.
 */
public class CudaException extends Prune4jException {
    /** The {@code cudaError_t} value, or the library's status of a {@link CudaLibraryException}. */
    private final int code;

    /**
     * An exception for the failed operation {@code what}, with the message
     * {@code "<what> failed: <description of code>"} ({@link #describe(int)}).
     *
     * @param code the nonzero {@code cudaError_t} value
     * @param what the operation that failed, e.g. {@code "bias_add"}
     * @throws NullPointerException when {@code what} is null
     */
    public CudaException(int code, String what) {
        super(Objects.requireNonNull(what, "what") + " failed: " + describe(code));
        this.code = code;
    }

    /**
     * For subclasses whose codes are not {@code cudaError_t} values (cuBLAS and cuDNN statuses): the message as given.
     *
     * @param message the whole message
     * @param code the library's status
     * @throws NullPointerException when {@code message} is null
     */
    protected CudaException(String message, int code) {
        super(Objects.requireNonNull(message, "message"));
        this.code = code;
    }

    /**
     * The error code.
     *
     * @return the {@code cudaError_t} value (or, for a {@link CudaLibraryException}, the library's status)
     */
    public int code() {
        return code;
    }

    /**
     * Does nothing when {@code code == 0} (cudaSuccess), else throws a {@link CudaException}.
     *
     * @param code a {@code cudaError_t} value, e.g. a launcher's return value
     * @param what the operation, named in the message when it failed
     * @throws CudaException when {@code code != 0}
     * @throws NullPointerException when {@code what} is null
     */
    public static void check(int code, String what) {
        Objects.requireNonNull(what, "what");
        if (code != 0) {
            throw new CudaException(code, what);
        }
    }

    /**
     * A code in words: cudaGetErrorString and cudaGetErrorName through the kernels library, or the
     * code alone when it is not loaded. Never throws.
     *
     * @param code a {@code cudaError_t} value
     * @return e.g. {@code "invalid argument (cudaErrorInvalidValue, code 1)"}, or
     *     {@code "CUDA error (cudaError, code 1)"} without the kernels library
     */
    public static String describe(int code) {
        return describe(code, CudaRuntime.isLoaded());
    }

    /** {@link #describe(int)} without probing (CudaRuntime's probe uses it while it runs). */
    static String describe(int code, boolean loaded) {
        String text = null;
        String name = null;
        if (loaded) {
            try {
                text = CudaKernels.p4j_error_string(code);
                name = CudaKernels.p4j_error_name(code);
            } catch (LinkageError | RuntimeException e) {
                // fall through to the bare code
            }
        }
        if (text == null || text.isEmpty()) text = "CUDA error";
        if (name == null || name.isEmpty()) name = "cudaError";
        return text + " (" + name + ", code " + code + ")";
    }
}
