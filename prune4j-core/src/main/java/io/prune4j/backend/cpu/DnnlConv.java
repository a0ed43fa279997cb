package io.prune4j.backend.cpu;

import java.net.URL;
import java.util.Locale;
import org.bytedeco.javacpp.ClassProperties;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * oneDNN (the library behind PyTorch's CPU convolutions) for the CPU backend's convolutions: a
 * hand-written JavaCPP binding of {@code src/main/cpp/prune4j_dnnl.h}, whose JNI glue
 * ({@code libjniDnnlConv.so}, built by every Maven build with g++ like {@link CriticalBlas}'s)
 * creates and caches the primitives and runs them on the Java heap arrays themselves, pinned with
 * {@code GetPrimitiveArrayCritical} ({@link CriticalRegion}): nothing is copied to or from native
 * buffers but what oneDNN's own reorders into its blocked layouts do.
 *
 * <p><b>Which libdnnl.</b> The library is the one in the bytedeco {@code org.bytedeco:dnnl} jar
 * for the platform ({@code libdnnl.so.3}, with the {@code libgomp.so.1} it is linked with, and
 * {@code libOpenCL.so.1} from {@code org.bytedeco:opencl}, which libdnnl needs to load although no
 * GPU is used). {@link Loader} finds them in those jars' resource folders (this class's
 * {@link Platform#preloadresource()}), extracts and loads them exactly as the bytedeco presets
 * would (into the same cache folder), and the glue,
 * which does not link oneDNN, finds every function it calls with {@code dlsym} in that loaded copy
 * ({@code p4j_dnnl_init}). The presets' Java classes ({@code org.bytedeco.dnnl.global.dnnl}) are
 * not used: their static initialisers check that their JavaCPP version (1.5.12) equals ours
 * (1.5.13) and print a "Versions ... do not match" warning for dnnl and for opencl when it does
 * not. JavaCPP 1.5.13 has no system property to switch that check off ({@code Loader.checkVersion}
 * always logs; only redirecting JavaCPP's logger to SLF4J would hide it), and the check guards
 * the presets' JNI bindings, which we do not load: libdnnl itself is a plain C library with no
 * JavaCPP inside. So no warning, and 3.5 MB less JNI code loaded.
 *
 * <p><b>Threads.</b> This libdnnl runs its parallel regions on OpenMP; the glue sets
 * {@code omp_set_num_threads} (resolved through libdnnl's handle, so the libgomp it is bound to)
 * to the backend's thread count before every call. The backend's Java workers are idle meanwhile
 * (the convolutions run on the calling thread, which is OpenMP's master thread) and OpenBLAS is
 * not called, so at most {@code threads} threads compute; and OpenMP's threads sleep as soon as a
 * region ends ({@code OMP_WAIT_POLICY=PASSIVE}, which the glue sets before libgomp loads unless the
 * user set it: see {@code p4j_dnnl_prefer_passive}), so they do not spin on the cores the Java
 * workers need next.
 *
 * <p><b>Choice.</b> {@code -Dprune4j.cpu.conv=auto} (default) uses oneDNN where it loads and
 * passes its self-check, and says once on stderr why not otherwise; {@code dnnl} makes a
 * {@link CpuBackend}'s constructor fail when it is unavailable; {@code java} keeps the Java and
 * OpenBLAS convolutions ({@link CpuConv}, {@link CpuTapConv}, {@link CpuDepthwise}).
 */
@Properties(
        inherit = org.bytedeco.javacpp.presets.javacpp.class,
        value = @Platform(
                include = "prune4j_dnnl.h",
                // where LIBRARIES are found: the bytedeco jars' resource folders (never linked: see p4j_dnnl_init)
                preloadresource = {"/org/bytedeco/opencl/", "/org/bytedeco/dnnl/"}))
public final class DnnlConv {
    /** The system property that chooses the convolution path: {@code auto}, {@code dnnl} or {@code java}. */
    public static final String PROPERTY = "prune4j.cpu.conv";

    /**
     * Loaded in this order, from the bytedeco jars, after the glue: not as {@link Platform#preload()
     * preloads} of this class, which Loader would load before the glue, and libgomp must come after
     * {@code p4j_dnnl_prefer_passive} (see there).
     */
    private static final String[] LIBRARIES = {"OpenCL@.1", "gomp@.1", "dnnl@.3"};

    private static final String MODE = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    private static final String REASON;
    private static final String LIBRARY;
    private static final String VERSION;
    private static final String OPENMP;
    private static final String OPENMP_SETTINGS;

    static {
        String reason = null;
        String library = null;
        String version = null;
        String openmp = null;
        String settings = null;
        if (MODE.equals("java")) {
            reason = "disabled by the system property " + PROPERTY + " (java)";
        } else if (!MODE.equals("auto") && !MODE.equals("dnnl") && !MODE.isEmpty()) {
            reason = "the system property " + PROPERTY + " is '" + MODE + "', not one of auto, dnnl, java";
        } else {
            try {
                Loader.load(DnnlConv.class); // libjniDnnlConv.so, which needs nothing; UnsatisfiedLinkError without it
                settings = p4j_dnnl_prefer_passive();
                ClassProperties p = Loader.loadProperties(DnnlConv.class, Loader.loadProperties(), true);
                for (String lib : LIBRARIES) {
                    URL[] urls = Loader.findLibrary(DnnlConv.class, p, lib);
                    if (urls.length == 0) {
                        reason = lib.substring(0, lib.indexOf('@')) + " not found on the class path (org.bytedeco:dnnl:3.8.1-1.5.12 and"
                                + " org.bytedeco:opencl:3.0-1.5.12 with the " + Loader.getPlatform() + " classifier)";
                        break;
                    }
                    library = Loader.loadLibrary(DnnlConv.class, urls, lib); // UnsatisfiedLinkError when it does not load
                }
                if (reason == null) {
                    reason = p4j_dnnl_init(library);
                    if (reason == null) {
                        version = p4j_dnnl_version();
                        openmp = p4j_dnnl_library_of(p4j_dnnl_omp_address());
                        reason = selfCheck(library);
                    }
                }
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                reason = (settings == null ? "JNI glue libjniDnnlConv not loaded: " : "oneDNN not loaded: ") + e;
            }
        }
        REASON = reason;
        LIBRARY = reason == null ? library : null;
        VERSION = reason == null ? version : null;
        OPENMP = reason == null ? openmp : null;
        OPENMP_SETTINGS = reason == null ? settings : null;
    }

    private DnnlConv() {}

    /**
     * Whether the oneDNN convolutions can be used in this process: the libraries and the glue loaded,
     * the self-check passed, and not switched off by {@link #PROPERTY}. Decided once, when this class
     * is first used (which loads oneDNN).
     *
     * @return true when a {@link CpuBackend} may give convolutions to oneDNN
     */
    public static boolean isAvailable() {
        return REASON == null;
    }

    /**
     * Why {@link #isAvailable()} is false, for messages and reports.
     *
     * @return one line saying why; {@code null} when it is true
     */
    public static String unavailableReason() {
        return REASON;
    }

    /** Whether {@code -Dprune4j.cpu.conv=dnnl} demands oneDNN. */
    static boolean required() {
        return MODE.equals("dnnl");
    }

    /** Whether {@code -Dprune4j.cpu.conv=java} keeps the Java convolutions (so unavailability needs no notice). */
    static boolean disabled() {
        return MODE.equals("java");
    }

    /**
     * The libdnnl file whose functions are called, for reports.
     *
     * @return its path; {@code null} when unavailable
     */
    public static String library() {
        return LIBRARY;
    }

    /**
     * oneDNN's version, for reports.
     *
     * @return {@code "major.minor.patch (hash)"}; {@code null} when unavailable
     */
    public static String version() {
        return VERSION;
    }

    /**
     * The OpenMP runtime oneDNN runs its threads on, for reports.
     *
     * @return its file; {@code null} when unavailable
     */
    public static String openmpLibrary() {
        return OPENMP;
    }

    /**
     * The OpenMP wait policy oneDNN's threads use, and who chose it, for reports.
     *
     * @return one line; {@code null} when unavailable
     */
    public static String openmpSettings() {
        return OPENMP_SETTINGS;
    }

    /**
     * Null when a 1×2×3×3 input through a 3×2×2×2 filter bank (stride 1, pad 0, bias, ReLU), and its
     * gradients, come out as they should, else what differed. Small integers, so every sum is exact
     * in any order.
     */
    private static String selfCheck(String library) {
        long ctx = p4j_dnnl_context_create(1);
        if (ctx == 0) {
            return "self-check: " + p4j_dnnl_error();
        }
        long fwd = 0;
        long bwd = 0;
        try {
            CpuConv.Geometry g = new CpuConv.Geometry(1, 2, 3, 3, 3, 2, 2, 1, 0, 2, 2, 1);
            float[] x = new float[18];
            float[] w = new float[24];
            float[] b = {1, -100, 0};
            for (int i = 0; i < x.length; i++) {
                x[i] = i % 5 - 2;
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = i % 3 - 1;
            }
            float[] dy = new float[12];
            for (int i = 0; i < dy.length; i++) {
                dy[i] = i % 4 - 1;
            }
            double[] ry = new double[12];
            double[] rdx = new double[18];
            double[] rdw = new double[24];
            double[] rdb = new double[3];
            for (int o = 0; o < 3; o++) {
                for (int p = 0; p < 4; p++) {
                    int oh = p / 2;
                    int ow = p % 2;
                    double s = b[o];
                    for (int c = 0; c < 2; c++) {
                        for (int i = 0; i < 2; i++) {
                            for (int j = 0; j < 2; j++) {
                                int xi = (c * 3 + oh + i) * 3 + ow + j;
                                int wi = ((o * 2 + c) * 2 + i) * 2 + j;
                                s += x[xi] * w[wi];
                                rdx[xi] += w[wi] * dy[o * 4 + p];
                                rdw[wi] += x[xi] * dy[o * 4 + p];
                            }
                        }
                    }
                    ry[o * 4 + p] = Math.max(0, s);
                    rdb[o] += dy[o * 4 + p];
                }
            }
            fwd = p4j_dnnl_conv_create(ctx, BIAS | RELU, g.batch(), g.in(), g.h(), g.w(), g.out(), g.kh(), g.kw(), g.stride(), g.pad(),
                    g.groups(), g.ho(), g.wo());
            bwd = p4j_dnnl_conv_create(ctx, BACKWARD | NEED_DX, g.batch(), g.in(), g.h(), g.w(), g.out(), g.kh(), g.kw(), g.stride(),
                    g.pad(), g.groups(), g.ho(), g.wo());
            if (fwd == 0 || bwd == 0) {
                return "self-check: " + p4j_dnnl_error();
            }
            float[] y = new float[12];
            float[] dx = new float[18];
            float[] dw = new float[24];
            float[] db = new float[3];
            if (p4j_dnnl_forward(fwd, x, 0, w, b, y, 0) != 0 || p4j_dnnl_backward(bwd, x, w, dy, dx, dw, db) != 0) {
                return "self-check: execution failed: " + p4j_dnnl_error();
            }
            String bad = differs("y", ry, y);
            bad = bad != null ? bad : differs("dx", rdx, dx);
            bad = bad != null ? bad : differs("dw", rdw, dw);
            bad = bad != null ? bad : differs("db", rdb, db);
            return bad == null ? null : "self-check of the oneDNN convolution at " + library + " failed: " + bad;
        } finally {
            p4j_dnnl_conv_destroy(fwd);
            p4j_dnnl_conv_destroy(bwd);
            p4j_dnnl_context_destroy(ctx);
        }
    }

    private static String differs(String what, double[] expected, float[] got) {
        for (int i = 0; i < expected.length; i++) {
            if (got[i] != (float) expected[i]) {
                return what + "[" + i + "] = " + got[i] + ", expected " + expected[i];
            }
        }
        return null;
    }

    // ---- natives (prune4j_dnnl.h) ----------------------------------------------------------

    /** Flags of {@link #p4j_dnnl_conv_create}. */
    static final int BACKWARD = 1;
    static final int BIAS = 2;
    static final int RELU = 4;
    static final int NEED_DX = 8;

    /** Resolves libdnnl's functions in the loaded file at {@code path}, creates the CPU engine; null, or why not. */
    @NoException
    static native @Cast("const char*") String p4j_dnnl_init(String path);

    @NoException
    static native @Cast("const char*") String p4j_dnnl_version();

    /** Sets OMP_WAIT_POLICY=PASSIVE unless the user chose or libgomp is loaded; says what holds. */
    @NoException
    static native @Cast("const char*") String p4j_dnnl_prefer_passive();

    @NoException
    static native @Cast("const char*") String p4j_dnnl_error();

    @NoException
    static native @Cast("void*") long p4j_dnnl_omp_address();

    /** {@code dladdr(addr)->dli_fname}, or null. */
    @NoException
    static native @Cast("const char*") String p4j_dnnl_library_of(@Cast("void*") long addr);

    /** A stream, a thread count and a workspace: one per backend. 0 on failure. */
    @NoException
    static native long p4j_dnnl_context_create(int threads);

    @NoException
    static native void p4j_dnnl_context_destroy(long context);

    /** The primitives of one convolution; 0 when oneDNN has no fast implementation or fails ({@link #p4j_dnnl_error}). */
    @NoException
    static native long p4j_dnnl_conv_create(long context, int flags, int n, int in, int h, int w, int out, int kh, int kw, int stride,
                                            int pad, int groups, int ho, int wo);

    @NoException
    static native @Cast("const char*") String p4j_dnnl_conv_impl(long conv);

    @NoException
    static native void p4j_dnnl_conv_destroy(long conv);

    /**
     * {@code y = conv(x, w) (+ b) (ReLU)} with the arrays pinned, on the examples from {@code xOff}
     * and {@code yOff} elements in (the caller checked they fit); 0, or a dnnl_status_t.
     */
    @CriticalRegion
    @NoException
    static native int p4j_dnnl_forward(long conv, @Const float[] x, long xOff, @Const float[] w, @Const float[] b, float[] y, long yOff);

    /** {@code dx} (may be null when created without NEED_DX), {@code dw}, {@code db} (may be null); 0, or a dnnl_status_t. */
    @CriticalRegion
    @NoException
    static native int p4j_dnnl_backward(long conv, @Const float[] x, @Const float[] w, @Const float[] dy, float[] dx, float[] dw,
                                        float[] db);

    /** Contexts and convolutions created and not yet destroyed (process-wide). */
    @NoException
    static native long p4j_dnnl_live_objects();

    /** Workspace bytes held by live contexts (process-wide). */
    @NoException
    static native long p4j_dnnl_live_bytes();
}
