package io.prune4j.backend.cuda;

/**
 * A cuBLAS or cuDNN call returned a status other than success. The message names the call, the
 * library's own description and the status, e.g.
 * {@code "cudnnConvolutionForward failed: CUDNN_STATUS_NOT_SUPPORTED (cuDNN status 3000)"}.
 */
public final class CudaLibraryException extends CudaException {
    /** {@code cuBLAS} or {@code cuDNN}. */
    private final String library;

    CudaLibraryException(String library, int status, String what, String description) {
        super(what + " failed: " + (description == null || description.isEmpty() ? "unknown status" : description)
                + " (" + library + " status " + status + ")", status);
        this.library = library;
    }

    /**
     * The library whose call failed.
     *
     * @return {@code cuBLAS} or {@code cuDNN}
     */
    public String library() {
        return library;
    }
}
