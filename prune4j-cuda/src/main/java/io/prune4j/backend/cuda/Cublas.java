package io.prune4j.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One cuBLAS handle bound to the backend's stream, for row-major single-precision matrix products.
 *
 * <p>cuBLAS is column-major. A row-major {@code C [m, n]} is, read column-major, {@code Cᵀ [n, m]}
 * with leading dimension {@code n}, and {@code Cᵀ = op(B)ᵀ · op(A)ᵀ}: so the row-major product is
 * one {@code cublasSgemm} with the operands swapped, {@code B} first, each with its own row length
 * as leading dimension and the same transpose flags. No copies, no transposes.
 *
 * <p>Math mode: cuBLAS's default (full FP32, no TF32), so results track the CPU's OpenBLAS within
 * float rounding; {@code -Dprune4j.cuda.tf32=true} allows TF32 tensor cores (faster on Ampere and
 * Hopper, about 1e-3 relative error per product).
 */
final class Cublas implements AutoCloseable {
    private final cublasContext handle;
    private final FloatPointer alpha = new FloatPointer(1);
    private final FloatPointer beta = new FloatPointer(1);
    private boolean closed;

    /** Loads the binding (a clear {@link io.prune4j.backend.DeviceUnavailableException} when it cannot) and creates the handle. */
    static Cublas create(long stream) {
        CudaLibraries.load(cublas.class, "cuBLAS", CudaLibraries.CUBLAS_NEEDS);
        return new Cublas(stream);
    }

    private Cublas(long stream) {
        cublasContext h = new cublasContext();
        check(cublas.cublasCreate_v2(h), "cublasCreate");
        handle = h;
        try {
            check(cublas.cublasSetStream_v2(handle, new CUstream_st(new RawPointer(stream))), "cublasSetStream");
            boolean tf32 = Boolean.getBoolean("prune4j.cuda.tf32");
            check(cublas.cublasSetMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        } catch (RuntimeException e) {
            cublas.cublasDestroy_v2(handle);
            throw e;
        }
    }

    /**
     * Row-major {@code c [m, n] = alpha · op(a) · op(b) + beta · c} for device addresses, {@code op(a)}
     * {@code [m, k]} stored with row length {@code lda}, {@code op(b)} {@code [k, n]} with {@code ldb}.
     * Needs {@code m, n, k ≥ 1}.
     */
    void sgemmRowMajor(boolean transA, boolean transB, int m, int n, int k, float alphaValue, long a, int lda, long b, int ldb,
                       float betaValue, long c) {
        alpha.put(0, alphaValue);
        beta.put(0, betaValue);
        check(cublas.cublasSgemm_v2(handle, transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                alpha, new FloatPointer(new RawPointer(b)), ldb, new FloatPointer(new RawPointer(a)), lda,
                beta, new FloatPointer(new RawPointer(c)), n), "cublasSgemm");
    }

    static void check(int status, String what) {
        if (status != 0) {
            String text = null;
            try {
                BytePointer p = cublas.cublasGetStatusString(status);
                text = p == null || p.isNull() ? null : p.getString();
            } catch (Throwable ignored) {
                // keep the bare status
            }
            throw new CudaLibraryException("cuBLAS", status, what, text);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cublas.cublasDestroy_v2(handle);
            alpha.close();
            beta.close();
        }
    }
}
