package io.prune4j.backend.cpu;

import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Zero-copy {@code cblas_sgemm} on Java heap {@code float[]} arrays: a hand-written JavaCPP binding
 * of {@code src/main/cpp/prune4j_blas.h} whose JNI glue ({@code libjniCriticalBlas.so}) pins the
 * arrays with {@code GetPrimitiveArrayCritical} ({@link CriticalRegion}) instead of
 * {@code Get<Float>ArrayElements}, which on HotSpot mallocs a copy of every array, and copies the
 * output back on release (the bytedeco {@code openblas_nolapack.cblas_sgemm(float[]...)} overload
 * does that on every call: 940 KB copied for a 784x300 weight matrix, plus the activations).
 *
 * <p>The glue does not link OpenBLAS: the address of {@code cblas_sgemm} in the
 * {@code libopenblas_nolapack} that {@link Loader} extracted from the bytedeco jar is looked up
 * once ({@link Loader#addressof(String)}, checked with {@code dladdr}; else {@code dlopen} of that
 * file with {@code RTLD_NOLOAD} and {@code dlsym}) and passed to {@code p4j_sgemm}, which calls it.
 * So it is the very function the copying path calls, with the same thread settings.
 *
 * <p>Every Maven build generates the glue (g++ only, no CUDA) into
 * {@code io/prune4j/backend/cpu/linux-x86_64/}. When it is missing (another platform, a jar built
 * without it) or fails its start-up self-check, {@link #isAvailable()} is false and
 * {@link CpuBackend} uses the copying bytedeco call; {@link #unavailableReason()} says why. The
 * system property {@code -Dprune4j.blas=copying} forces the copying path (for comparisons);
 * {@code auto} (default) uses this class when it loads; {@code critical} makes
 * {@link CpuBackend}'s constructor fail when it does not.
 *
 * <p>Critical regions must stay short: while one is open the thread must make no JNI calls and
 * must not block on other Java threads, and HotSpot may delay garbage collections (GCLocker). Only
 * the sgemm itself runs inside: plain native code, no JNI calls, bounded by the problem size
 * (OpenBLAS worker threads read the pinned arrays while the calling thread waits for them inside
 * the call, which is safe: the arrays stay pinned until the call returns).
 */
@Properties(
        inherit = org.bytedeco.javacpp.presets.javacpp.class,
        value = @Platform(include = "prune4j_blas.h"))
public final class CriticalBlas {
    /** Value of {@code -Dprune4j.blas} (system property): {@code auto}, {@code critical} or {@code copying}. */
    public static final String PROPERTY = "prune4j.blas";

    /** CBLAS enum values (cblas.h). */
    static final int ROW_MAJOR = 101;
    static final int NO_TRANS = 111;
    static final int TRANS = 112;

    private static final long SGEMM;
    /** cblas_sgemv for single-row products (0 when not found: sgemm serves them). */
    private static final long SGEMV;
    private static final String REASON;
    private static final String LIBRARY;

    static {
        long fn = 0;
        String reason = null;
        String library = null;
        String mode = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        if (mode.equals("copying")) {
            reason = "disabled by the system property " + PROPERTY + " (copying)";
        } else if (!mode.equals("auto") && !mode.equals("critical") && !mode.isEmpty()) {
            reason = "the system property " + PROPERTY + " is '" + mode + "', not one of auto, critical, copying";
        } else {
            try {
                Loader.load(openblas_nolapack.class);
                Loader.load(CriticalBlas.class); // libjniCriticalBlas.so; UnsatisfiedLinkError when this build has none
                fn = find("cblas_sgemm");
                if (fn == 0) {
                    reason = "cblas_sgemm of libopenblas_nolapack not found";
                } else {
                    library = p4j_library_of(fn);
                    reason = selfCheck(fn);
                }
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                reason = "JNI glue libjniCriticalBlas not loaded: " + e;
            }
        }
        SGEMM = reason == null ? fn : 0;
        SGEMV = reason == null ? find("cblas_sgemv") : 0;
        REASON = reason;
        LIBRARY = reason == null ? library : null;
    }

    private CriticalBlas() {}

    /**
     * Whether the zero-copy sgemm can be used in this process: the glue loaded, {@code cblas_sgemm}
     * found and self-checked, and not switched off by {@link #PROPERTY}. Decided once, when this
     * class is first used.
     *
     * @return true when {@link CpuBackend#gemmPath()} is {@code "critical"}
     */
    public static boolean isAvailable() {
        return SGEMM != 0;
    }

    /**
     * Why {@link #isAvailable()} is false, for messages and reports.
     *
     * @return one line saying why; {@code null} when it is true
     */
    public static String unavailableReason() {
        return REASON;
    }

    /**
     * The shared object whose {@code cblas_sgemm} is called, for reports.
     *
     * @return its file, as {@code dladdr} names it; {@code null} when unavailable
     */
    public static String library() {
        return LIBRARY;
    }

    /**
     * Row-major {@code c = alpha * op(a) op(b) + beta * c} on heap arrays without copying them.
     * No argument checking beyond what the caller did: sizes and leading dimensions must fit the
     * arrays (as for {@code cblas_sgemm}); requires {@link #isAvailable()}.
     */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc) {
        if (m == 1 && SGEMV != 0) {
            // A single row (batch-1 inference): OpenBLAS's sgemm packs all of b for it, which costs
            // ten times the product; as a matrix-vector product, c = op(b)ᵀ·a, it streams b once.
            // op(a) is one row of k values, contiguous whether a is [1, k] or [k, 1].
            if (transB) { // b is [n, k]: c = b · a
                p4j_sgemv(SGEMV, ROW_MAJOR, NO_TRANS, n, k, alpha, b, ldb, a, 1, beta, c, 1);
            } else {      // b is [k, n]: c = bᵀ · a
                p4j_sgemv(SGEMV, ROW_MAJOR, TRANS, k, n, alpha, b, ldb, a, 1, beta, c, 1);
            }
            return;
        }
        p4j_sgemm(SGEMM, ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * {@link #sgemm} on sub-arrays starting {@code aOff}, {@code bOff} and {@code cOff} elements in
     * (the caller checked that every accessed element lies inside its array).
     */
    static void sgemmAt(boolean transA, boolean transB, int m, int n, int k, float alpha,
                        float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        p4j_sgemm_at(SGEMM, ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS,
                m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /** Address of an OpenBLAS function, or 0. */
    private static long find(String symbol) {
        // 1. Loader.addressof, accepted when dladdr puts it inside OpenBLAS
        Pointer p = Loader.addressof(symbol);
        if (p != null && !p.isNull()) {
            String lib = p4j_library_of(p.address());
            if (lib != null && lib.contains("openblas")) {
                return p.address();
            }
        }
        // 2. dlsym in the exact file Loader extracted and loaded (RTLD_NOLOAD: no second copy)
        for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
            if (e.getKey().startsWith("openblas_nolapack@")) {
                long fn = p4j_dlsym_loaded(e.getValue(), symbol);
                if (fn != 0) {
                    return fn;
                }
            }
        }
        return 0;
    }

    /** Null when a 2x3 * 3x2 product with beta through {@code fn} gives the exact answer, else why not. */
    private static String selfCheck(long fn) {
        float[] a = {1, 2, 3, 4, 5, 6};     // 2x3
        float[] bt = {7, 9, 11, 8, 10, 12}; // b^T, 2x3: b = [[7,8],[9,10],[11,12]]
        float[] c = {1, 1, 1, 1};
        p4j_sgemm(fn, ROW_MAJOR, NO_TRANS, TRANS, 2, 2, 3, 1f, a, 3, bt, 3, 2f, c, 2);
        float[] expected = {60, 66, 141, 156};
        for (int i = 0; i < 4; i++) {
            if (c[i] != expected[i]) {
                return "self-check of cblas_sgemm at " + p4j_library_of(fn) + " failed: got "
                        + java.util.Arrays.toString(c) + ", expected " + java.util.Arrays.toString(expected);
            }
        }
        return null;
    }

    // ---- natives (prune4j_blas.h) ----------------------------------------------------------

    /** {@code ((cblas_sgemm*) fn)(...)} with the arrays pinned, not copied. */
    @CriticalRegion
    @NoException
    static native void p4j_sgemm(
            @Cast("void*") long fn, int order, int transa, int transb, int m, int n, int k,
            float alpha, @Const float[] a, int lda, @Const float[] b, int ldb,
            float beta, float[] c, int ldc);

    /** {@code p4j_sgemm} with element offsets into the pinned arrays. */
    @CriticalRegion
    @NoException
    static native void p4j_sgemm_at(
            @Cast("void*") long fn, int order, int transa, int transb, int m, int n, int k,
            float alpha, @Const float[] a, int aoff, int lda, @Const float[] b, int boff, int ldb,
            float beta, float[] c, int coff, int ldc);

    /** {@code ((cblas_sgemv*) fn)(...)} with the arrays pinned, not copied. */
    @CriticalRegion
    @NoException
    static native void p4j_sgemv(
            @Cast("void*") long fn, int order, int trans, int m, int n, float alpha, @Const float[] a, int lda,
            @Const float[] x, int incx, float beta, float[] y, int incy);

    /** {@code dladdr(addr)->dli_fname}, or null. */
    @NoException
    static native @Cast("const char*") String p4j_library_of(@Cast("void*") long addr);

    /** {@code dlsym(dlopen(path, RTLD_LAZY | RTLD_NOLOAD), symbol)}, or 0. */
    @NoException
    static native @Cast("void*") long p4j_dlsym_loaded(String path, String symbol);
}
