package io.prune4j.backend.cuda;

import io.prune4j.Prune4jException;

/**
 * A CUDA call or kernel launcher returned an error code ({@code cudaError_t}, nonzero). The
 * message names the operation, CUDA's description and the error name, e.g.
 * {@code "bias_add failed: invalid argument (cudaErrorInvalidValue, code 1)"}.
 */
public class CudaException extends Prune4jException {
    private final int code;

    public CudaException(int code, String what) {
        super(what + " failed: " + describe(code));
        this.code = code;
    }

    /** For subclasses whose codes are not {@code cudaError_t} values (cuBLAS and cuDNN statuses): the message as given. */
    protected CudaException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The {@code cudaError_t} value (or, for a {@link CudaLibraryException}, the library's status). */
    public int code() {
        return code;
    }

    /** Does nothing when {@code code == 0} (cudaSuccess), else throws a {@link CudaException}. */
    public static void check(int code, String what) {
        if (code != 0) {
            throw new CudaException(code, what);
        }
    }

    /**
     * "invalid argument (cudaErrorInvalidValue, code 1)": cudaGetErrorString and cudaGetErrorName
     * through the kernels library, or the code alone when it is not loaded.
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
