package io.prune4j.backend.cpu;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.ArgChecks;
import io.prune4j.backend.Backend;
import io.prune4j.backend.Capability;
import io.prune4j.backend.Reduction;
import io.prune4j.backend.TransferStats;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Objects;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The CPU backend: matrix products through OpenBLAS (bytedeco preset), everything else in plain
 * Java loops over heap arrays, written so the JIT can vectorise them (no per-element allocation,
 * no boxing, no virtual calls inside loops).
 *
 * <p>OpenBLAS uses {@code threads} threads. The convolutions split the batch, and batch
 * normalisation, pooling and the graph networks' element-wise operations split channels, planes or
 * ranges, over {@code threads} Java workers ({@link CpuWorkers}); the other Java loops run on the
 * caller's thread.
 *
 * <p>Convolutions with kernels larger than 1×1 run on oneDNN ({@link DnnlConv}, {@link CpuDnnl})
 * with {@code threads} OpenMP threads when its library loads (which ones exactly, and why not the
 * others: {@link CpuDnnl#coversForward}, {@link CpuDnnl#coversBackward}); the rest, all of them with
 * {@code -Dprune4j.cpu.conv=java}, and the rare shapes oneDNN has no fast kernel for, on the Java
 * and OpenBLAS code ({@link CpuConv}, {@link CpuTapConv}, {@link CpuDepthwise}). {@link #convPath()}
 * says which.
 *
 * <p>What it loads: OpenBLAS ({@code openblas_nolapack}, through the bytedeco {@link Loader}) and
 * the zero-copy sgemm glue ({@link CriticalBlas}, {@link #gemmPath()} saying whether it is used)
 * when the first backend is made; oneDNN and its glue ({@link DnnlConv}) once per process too, when
 * the first backend is made with the public constructors, unless the system property
 * {@code prune4j.cpu.conv} is {@code java}; a backend's own oneDNN context and primitives at the
 * first convolution it gives oneDNN, not before. Tensors are heap arrays
 * ({@link Capability#HOST_MEMORY}): {@link #transfers()} is always {@link TransferStats#NONE} and
 * {@link #synchronize()} does nothing. A tensor of another backend is an
 * {@link IllegalArgumentException}. One thread at a time uses a backend and its tensors; the caller
 * owns the backend and closes it, which stops its worker threads and frees oneDNN's primitives.
 */
public final class CpuBackend implements Backend {
    /** gemm through {@link CriticalBlas} (decided once per process, see {@link #gemmPath()}). */
    private static final boolean CRITICAL = CriticalBlas.isAvailable();

    private final int threads;
    /** The Java worker threads; a backend, like its tensors, is used by one thread at a time. */
    private final CpuWorkers workers;
    /** Convolutions (im2col and sgemm) and pooling, with their scratch. */
    private final CpuConv conv;
    /** Depthwise convolutions, with their scratch. */
    private final CpuDepthwise depthwise;
    /** Batch normalisation, split over channels. */
    private final CpuNorm norm;
    /** Whether convolutions may go to oneDNN (decided at construction: the property, or a test's choice). */
    private final boolean useDnnl;
    /** This backend's oneDNN context and primitives, made at the first convolution; null until then or without oneDNN. */
    private CpuDnnl dnnl;
    private boolean dnnlTried;
    /** Set once the stderr notice that oneDNN is unavailable has been printed (once per process). */
    private static final java.util.concurrent.atomic.AtomicBoolean NOTICE = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * A CPU backend with one thread per available processor ({@link Runtime#availableProcessors()}),
     * as {@link #CpuBackend(int)}.
     *
     * @throws IllegalStateException when a system property demands a path that is unavailable (see
     *                               {@link #CpuBackend(int)})
     */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /**
     * A CPU backend whose matrix products use {@code threads} OpenBLAS threads and whose
     * convolutions use oneDNN with {@code threads} threads unless the system property
     * {@code prune4j.cpu.conv} is {@code java} (or oneDNN is unavailable: then the Java convolutions,
     * and one line on stderr saying why, at the first convolution). The other Java loops that are
     * split run on {@code threads} Java workers ({@code threads − 1} pool threads and the caller).
     *
     * @param threads the threads to compute on, ≥ 1
     * @throws IllegalArgumentException when {@code threads} is less than 1
     * @throws IllegalStateException when the system property {@code prune4j.cpu.conv} is {@code dnnl}
     *                               and oneDNN is unavailable, or {@code prune4j.blas} is
     *                               {@code critical} and the zero-copy sgemm is unavailable
     */
    public CpuBackend(int threads) {
        this(threads, !DnnlConv.disabled());
        if (DnnlConv.required() && !DnnlConv.isAvailable()) {
            close();
            throw new IllegalStateException("the system property " + DnnlConv.PROPERTY + " is dnnl, but the oneDNN convolutions are"
                    + " unavailable: " + DnnlConv.unavailableReason());
        }
    }

    /**
     * A backend whose convolutions use oneDNN where it is available ({@code dnnl}) or only the Java
     * code ({@code !dnnl}), whatever {@code -Dprune4j.cpu.conv} says: for tests and measurements
     * that compare the two in one process.
     */
    CpuBackend(int threads, boolean dnnl) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new CpuWorkers(threads);
        this.conv = new CpuConv(CRITICAL, workers);
        this.depthwise = new CpuDepthwise(workers);
        this.norm = new CpuNorm(workers);
        this.useDnnl = dnnl;
        Loader.load(openblas_nolapack.class);
        openblas_nolapack.blas_set_num_threads(threads);
        if (!CriticalBlas.isAvailable()
                && "critical".equalsIgnoreCase(System.getProperty(CriticalBlas.PROPERTY, "").trim())) {
            throw new IllegalStateException("the system property " + CriticalBlas.PROPERTY + " is critical, but the zero-copy sgemm"
                    + " is unavailable: " + CriticalBlas.unavailableReason());
        }
    }

    /**
     * The thread count this backend was made with.
     *
     * @return the threads of OpenBLAS, oneDNN and the Java workers, ≥ 1
     */
    public int threads() {
        return threads;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public boolean hasCapability(Capability capability) {
        return capability == Capability.HOST_MEMORY;
    }

    // ---- tensors -------------------------------------------------------------------------------

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        int n = Shapes.size(shape);
        return dtype == DType.FLOAT32 ? new CpuTensor(this, new float[n], shape) : new CpuTensor(this, new int[n], shape);
    }

    @Override
    public Tensor fromArray(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        ArgChecks.length(data.length, shape);
        return new CpuTensor(this, data.clone(), shape);
    }

    @Override
    public Tensor fromArray(int[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        ArgChecks.length(data.length, shape);
        return new CpuTensor(this, data.clone(), shape);
    }

    @Override
    public float[] toFloatArray(Tensor t) {
        Objects.requireNonNull(t, "t");
        ArgChecks.floats("toFloatArray", t);
        return f(t, "toFloatArray").clone();
    }

    @Override
    public int[] toIntArray(Tensor t) {
        Objects.requireNonNull(t, "t");
        ArgChecks.ints("toIntArray", t);
        return i(t, "toIntArray").clone();
    }

    @Override
    public void upload(Tensor dst, float[] src) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(src, "src");
        ArgChecks.upload(dst, DType.FLOAT32, src.length);
        float[] d = f(dst, "upload");
        System.arraycopy(src, 0, d, 0, src.length);
    }

    @Override
    public void upload(Tensor dst, int[] src) {
        Objects.requireNonNull(dst, "dst");
        Objects.requireNonNull(src, "src");
        ArgChecks.upload(dst, DType.INT32, src.length);
        int[] d = i(dst, "upload");
        System.arraycopy(src, 0, d, 0, src.length);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        ArgChecks.copy(dst, src);
        if (dst.dtype() == DType.FLOAT32) {
            System.arraycopy(f(src, "copy"), 0, f(dst, "copy"), 0, src.size());
        } else {
            System.arraycopy(i(src, "copy"), 0, i(dst, "copy"), 0, src.size());
        }
    }

    @Override
    public void fill(Tensor t, float value) {
        Objects.requireNonNull(t, "t");
        ArgChecks.floats("fill", t);
        java.util.Arrays.fill(f(t, "fill"), value);
    }

    @Override
    public Tensor reshape(Tensor t, int... shape) {
        ArgChecks.reshape(t, shape);
        CpuTensor c = own(t, "reshape");
        return c.dtype() == DType.FLOAT32 ? new CpuTensor(this, c.f, shape) : new CpuTensor(this, c.i, shape);
    }

    // ---- convolution and pooling ---------------------------------------------------------------

    @Override
    public void conv2d(Tensor y, Tensor x, Tensor w, Tensor bias, int stride, int pad, int groups, boolean relu) {
        CpuConv.Geometry g = geometry(ArgChecks.conv2d(y, x, w, bias, stride, pad, groups), x, w, stride, pad, groups);
        float[] b = bias == null ? null : f(bias, "conv2d");
        CpuDnnl d = CpuDnnl.coversForward(g) ? dnnl() : null;
        if (d != null && d.forward(f(y, "conv2d"), f(x, "conv2d"), f(w, "conv2d"), b, g, relu)) {
            return;
        }
        // one group is CpuConv's product per example as before; groups with several input channels each, one product per group
        if (g.depthwise()) {
            depthwise.forward(f(y, "conv2d"), f(x, "conv2d"), f(w, "conv2d"), b, g, relu);
        } else {
            conv.forward(f(y, "conv2d"), f(x, "conv2d"), f(w, "conv2d"), b, g, relu);
        }
    }

    @Override
    public void conv2dBackward(Tensor dx, Tensor dw, Tensor db, Tensor dy, Tensor x, Tensor w, int stride, int pad, int groups) {
        CpuConv.Geometry g = geometry(ArgChecks.conv2dBackward(dx, dw, db, dy, x, w, stride, pad, groups), x, w, stride, pad, groups);
        float[] dxs = dx == null ? null : f(dx, "conv2dBackward");
        float[] dbs = db == null ? null : f(db, "conv2dBackward");
        CpuDnnl d = CpuDnnl.coversBackward(g) ? dnnl() : null;
        if (d != null && d.backward(dxs, f(dw, "conv2dBackward"), dbs, f(dy, "conv2dBackward"), f(x, "conv2dBackward"),
                f(w, "conv2dBackward"), g)) {
            return;
        }
        if (g.depthwise()) {
            depthwise.backward(dxs, f(dw, "conv2dBackward"), dbs, f(dy, "conv2dBackward"), f(x, "conv2dBackward"), f(w, "conv2dBackward"), g);
        } else {
            conv.backward(dxs, f(dw, "conv2dBackward"), dbs, f(dy, "conv2dBackward"), f(x, "conv2dBackward"), f(w, "conv2dBackward"), g);
        }
    }

    /**
     * This backend's oneDNN convolutions, made at the first call (loading oneDNN then, not when a
     * backend that never convolves is made); null when this backend does not use oneDNN or it is
     * unavailable, which the first backend to find out says once on stderr.
     */
    private CpuDnnl dnnl() {
        if (!dnnlTried) {
            dnnlTried = true;
            if (useDnnl && DnnlConv.isAvailable()) {
                dnnl = new CpuDnnl(threads);
            } else if (useDnnl && !DnnlConv.disabled() && NOTICE.compareAndSet(false, true)) {
                System.err.println("prune4j: oneDNN convolutions unavailable (" + DnnlConv.unavailableReason()
                        + "); the CPU backend uses its Java convolutions");
            }
        }
        return dnnl;
    }

    /**
     * How this backend computes convolutions: {@code "dnnl"} (oneDNN for those it is faster at, see
     * {@link CpuDnnl#coversForward}; the Java code for the others) or {@code "java"} (im2col / tap
     * products with OpenBLAS, and direct depthwise loops, for all: with {@code -Dprune4j.cpu.conv=java},
     * or when oneDNN is unavailable, {@link DnnlConv#unavailableReason()} saying why). Loads oneDNN
     * if not yet loaded.
     *
     * @return {@code "dnnl"} or {@code "java"}
     */
    public String convPath() {
        return useDnnl && DnnlConv.isAvailable() ? "dnnl" : "java";
    }

    /** This backend's oneDNN plan for a convolution, or why there is none: diagnostics and tests. */
    String dnnlPlan(int batch, int in, int h, int w, int out, int k, int stride, int pad, int groups, boolean backward) {
        int ho = (h + 2 * pad - k) / stride + 1;
        int wo = (w + 2 * pad - k) / stride + 1;
        CpuConv.Geometry g = new CpuConv.Geometry(batch, in, h, w, out, k, k, stride, pad, ho, wo, groups);
        if (!(backward ? CpuDnnl.coversBackward(g) : CpuDnnl.coversForward(g))) {
            return "not taken: the Java convolutions are faster for this shape";
        }
        CpuDnnl d = dnnl();
        return d == null ? "not taken: " + (useDnnl ? DnnlConv.unavailableReason() : "this backend uses the Java convolutions")
                : d.describe(g, backward, true);
    }

    /** The geometry of a checked convolution, {@code out = {Ho, Wo}} from {@link ArgChecks#conv2d}. */
    private static CpuConv.Geometry geometry(int[] out, Tensor x, Tensor w, int stride, int pad, int groups) {
        return new CpuConv.Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3), stride, pad, out[0], out[1], groups);
    }

    @Override
    public void maxPool2d(Tensor y, Tensor argmax, Tensor x, int window, int stride, int pad, boolean ceil) {
        int[] out = ArgChecks.maxPool2d(y, argmax, x, window, stride, pad, ceil);
        int ho = out[0];
        int wo = out[1];
        boolean partial = ceil && (ho != ArgChecks.poolExtent(x.dim(2), window, stride, pad, false)
                || wo != ArgChecks.poolExtent(x.dim(3), window, stride, pad, false));
        if (pad == 0 && !partial) {
            // the unpadded pooling as it was (2×2 fast path included), bit for bit
            CpuConv.maxPool(f(y, "maxPool2d"), i(argmax, "maxPool2d"), f(x, "maxPool2d"), x.dim(0) * x.dim(1), x.dim(2), x.dim(3),
                    window, stride, ho, wo);
        } else {
            conv.maxPoolPadded(f(y, "maxPool2d"), i(argmax, "maxPool2d"), f(x, "maxPool2d"), x.dim(0) * x.dim(1), x.dim(2), x.dim(3),
                    window, stride, pad, ho, wo);
        }
    }

    @Override
    public void globalMaxPool(Tensor y, Tensor argmax, Tensor x) {
        ArgChecks.globalMaxPool(y, argmax, x);
        conv.globalMaxPool(f(y, "globalMaxPool"), i(argmax, "globalMaxPool"), f(x, "globalMaxPool"), x.dim(0) * x.dim(1),
                x.dim(2) * x.dim(3));
    }

    @Override
    public void upsampleNearest(Tensor y, Tensor x, int scaleH, int scaleW) {
        ArgChecks.upsampleNearest("upsampleNearest", y, x, scaleH, scaleW);
        CpuConv.upsampleNearest(f(y, "upsampleNearest"), f(x, "upsampleNearest"), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), scaleH, scaleW);
    }

    @Override
    public void upsampleNearestBackward(Tensor dx, Tensor dy, int scaleH, int scaleW) {
        ArgChecks.upsampleNearest("upsampleNearestBackward", dy, dx, scaleH, scaleW);
        CpuConv.upsampleNearestBackward(f(dx, "upsampleNearestBackward"), f(dy, "upsampleNearestBackward"), dx.dim(0) * dx.dim(1),
                dx.dim(2), dx.dim(3), scaleH, scaleW);
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax) {
        ArgChecks.maxPool2dBackward(dx, dy, argmax);
        CpuConv.maxPoolBackward(f(dx, "maxPool2dBackward"), f(dy, "maxPool2dBackward"), i(argmax, "maxPool2dBackward"),
                dx.dim(0) * dx.dim(1), dx.dim(2) * dx.dim(3), dy.dim(2) * dy.dim(3));
    }

    // ---- sparse inference ----------------------------------------------------------------------

    /**
     * Density at or below which {@link #sparseMatmul} beats OpenBLAS's sgemm for one example. OpenBLAS's
     * gemv streams the dense weight at full vector width, the sparse product gathers one input per
     * kept entry: on the default MLP's shapes (300×784, 100×300) the two meet near 10% (SparseCrossover
     * in the tests, one thread, 2-core AMD EPYC: 1.3× at 8%, 0.9× at 12%; docs/sparsity.md).
     * {@code -Dprune4j.sparse.crossover.b1} overrides it, {@code -Dprune4j.sparse=off} turns the sparse
     * path off.
     */
    public static final double CROSSOVER_B1 = Double.parseDouble(System.getProperty("prune4j.sparse.crossover.b1", "0.10"));
    /**
     * The same for a batch: sgemm's blocked kernel is compute-bound, the sparse product's inner loop a
     * vectorised axpy over up to 256 examples; they meet near 12–15% on the 784- and 300-wide layers
     * (1.6× at 10%, 1.1× at 12–15%). {@code -Dprune4j.sparse.crossover.batch} overrides it.
     */
    public static final double CROSSOVER_BATCH = Double.parseDouble(System.getProperty("prune4j.sparse.crossover.batch", "0.12"));
    /** Smaller weights stay dense for a batch: a 10×100 classifier is faster dense at any density measured. */
    static final int SPARSE_BATCH_MIN_WEIGHTS = 4096;
    private static final boolean SPARSE = !"off".equals(System.getProperty("prune4j.sparse"));

    @Override
    public io.prune4j.backend.SparseMatrix sparse(Tensor w, Tensor mask) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(mask, "mask");
        if (!SPARSE) {
            return null;
        }
        if (w.shape().length != 2 || !w.sameShape(mask)) {
            throw new IllegalArgumentException("sparse: expected a [rows, cols] weight and a mask of its shape, got "
                    + java.util.Arrays.toString(w.shape()) + " and " + java.util.Arrays.toString(mask.shape()));
        }
        return CpuSparse.build(f(w, "sparse"), f(mask, "sparse"), w.dim(0), w.dim(1));
    }

    @Override
    public boolean sparseFaster(io.prune4j.backend.SparseMatrix s, int batch) {
        Objects.requireNonNull(s, "s");
        if (!(s instanceof CpuSparse.Csr)) {
            return false;
        }
        return batch <= 1 ? s.density() <= CROSSOVER_B1
                : s.density() <= CROSSOVER_BATCH && (long) s.rows() * s.cols() >= SPARSE_BATCH_MIN_WEIGHTS;
    }

    /**
     * Density at or below which {@link #sparseConv2d} beats the dense convolution (oneDNN's where it
     * loads), for filters of at least {@link #SPARSE_CONV_MIN_TAPS} weights: on the default CNN's
     * 64→128 3×3 convolution on 14×14, one thread, 2-core AMD EPYC, the sparse one is 1.08× at 2%,
     * 0.92× at 5% at batch 64 (1.75× and 1.26× at batch 1); on its 1→64 one (9 taps) it is slower at
     * every density (SparseCrossover conv, docs/sparsity.md). {@code -Dprune4j.sparse.crossover.conv}
     * overrides it.
     */
    public static final double CROSSOVER_CONV = Double.parseDouble(System.getProperty("prune4j.sparse.crossover.conv", "0.03"));
    /** Filters with fewer weights ({@code in·kh·kw}) stay dense: the im2col costs more than the product saves. */
    static final int SPARSE_CONV_MIN_TAPS = 64;

    @Override
    public boolean sparseConvFaster(io.prune4j.backend.SparseMatrix s, int positions) {
        Objects.requireNonNull(s, "s");
        return s instanceof CpuSparse.Csr && s.density() <= CROSSOVER_CONV && s.cols() >= SPARSE_CONV_MIN_TAPS;
    }

    @Override
    public void sparseConv2d(Tensor y, Tensor x, io.prune4j.backend.SparseMatrix s, Tensor bias, int kh, int kw, int stride, int pad,
                             boolean relu) {
        Objects.requireNonNull(y, "y");
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(s, "s");
        if (!(s instanceof CpuSparse.Csr csr)) {
            throw new IllegalArgumentException("sparseConv2d: not a CPU sparse matrix");
        }
        // in long arithmetic: a kernel, a padding or a channel count near Integer.MAX_VALUE must not wrap into a fit
        if (x.rank() != 4 || y.rank() != 4 || x.dim(0) != y.dim(0) || kh < 1 || kw < 1 || csr.cols != (long) x.dim(1) * kh * kw
                || csr.rows != y.dim(1) || stride < 1 || pad < 0 || y.dim(2) != ((long) x.dim(2) + 2L * pad - kh) / stride + 1
                || y.dim(3) != ((long) x.dim(3) + 2L * pad - kw) / stride + 1 || (bias != null && bias.size() != csr.rows)) {
            throw new IllegalArgumentException("sparseConv2d: y " + java.util.Arrays.toString(y.shape()) + " = conv(x "
                    + java.util.Arrays.toString(x.shape()) + ", [" + csr.rows + ", " + csr.cols + "] as " + kh + "x" + kw + ", stride "
                    + stride + ", pad " + pad + ") does not fit");
        }
        CpuConv.Geometry g = new CpuConv.Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), y.dim(1), kh, kw, stride, pad, y.dim(2),
                y.dim(3), 1);
        if (csr.conv == null || csr.conv.length < threads) {
            csr.conv = new CpuSparse.ConvScratch[threads];
        }
        CpuSparse.conv2d(f(y, "sparseConv2d"), f(x, "sparseConv2d"), csr, bias == null ? null : f(bias, "sparseConv2d"), g, relu, workers,
                csr.conv);
    }

    @Override
    public void sparseMatmul(Tensor c, Tensor a, io.prune4j.backend.SparseMatrix s) {
        Objects.requireNonNull(c, "c");
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(s, "s");
        if (!(s instanceof CpuSparse.Csr csr)) {
            throw new IllegalArgumentException("sparseMatmul: not a CPU sparse matrix");
        }
        if (a.shape().length != 2 || c.shape().length != 2 || a.dim(1) != csr.cols || c.dim(1) != csr.rows || c.dim(0) != a.dim(0)) {
            throw new IllegalArgumentException("sparseMatmul: c " + java.util.Arrays.toString(c.shape()) + " = a "
                    + java.util.Arrays.toString(a.shape()) + " · [" + csr.rows + ", " + csr.cols + "]ᵀ does not fit");
        }
        CpuSparse.matmul(f(c, "sparseMatmul"), f(a, "sparseMatmul"), a.dim(0), csr, workers);
    }

    // ---- linear algebra ------------------------------------------------------------------------

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = ArgChecks.gemm(c, a, transA, b, transB);
        int m = mnk[0];
        int n = mnk[1];
        int k = mnk[2];
        float[] cf = f(c, "gemm");
        float[] af = f(a, "gemm");
        float[] bf = f(b, "gemm");
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            scaleArray(cf, beta);
            return;
        }
        if (CRITICAL) {
            // zero-copy: the heap arrays are pinned for the duration of the sgemm
            CriticalBlas.sgemm(transA, transB, m, n, k, alpha, af, a.dim(1), bf, b.dim(1), beta, cf, n);
        } else {
            // JavaCPP mallocs and copies all three arrays in, and c back out, on every call
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                    transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                    transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                    m, n, k, alpha, af, a.dim(1), bf, b.dim(1), beta, cf, n);
        }
    }

    /**
     * How {@link #gemm} reaches OpenBLAS in this process: {@code "critical"} (zero-copy, the heap
     * arrays pinned through JNI critical regions, see {@link CriticalBlas}) or {@code "copying"}
     * (the bytedeco {@code float[]} overload, which copies the arrays in and out on every call:
     * when this build has no {@code libjniCriticalBlas.so} for the platform, or with
     * {@code -Dprune4j.blas=copying}). {@link CriticalBlas#unavailableReason()} says why not critical.
     *
     * @return {@code "critical"} or {@code "copying"}
     */
    public static String gemmPath() {
        return CRITICAL ? "critical" : "copying";
    }

    // ---- element-wise and reductions -----------------------------------------------------------

    @Override
    public void biasAdd(Tensor y, Tensor bias, boolean relu) {
        ArgChecks.biasAdd(y, bias);
        CpuOps.biasAdd(f(y, "biasAdd"), f(bias, "biasAdd"), y.dim(0), y.dim(1), relu);
    }

    @Override
    public void relu(Tensor y, Tensor x) {
        ArgChecks.relu(y, x);
        float[] ys = f(y, "relu");
        float[] xs = f(x, "relu");
        int n = x.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.relu(ys, xs, from, to));
    }

    @Override
    public void reluBackward(Tensor dx, Tensor dy, Tensor y) {
        ArgChecks.reluBackward(dx, dy, y);
        float[] dxs = f(dx, "reluBackward");
        float[] dys = f(dy, "reluBackward");
        float[] ys = f(y, "reluBackward");
        int n = y.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.reluBackward(dxs, dys, ys, from, to));
    }

    @Override
    public void sumRows(Tensor out, Tensor x, float beta) {
        ArgChecks.sumRows(out, x);
        CpuOps.sumRows(f(out, "sumRows"), f(x, "sumRows"), x.dim(0), x.dim(1), beta);
    }

    @Override
    public void sum(Tensor out, Tensor x) {
        ArgChecks.sum(out, x);
        float[] xs = f(x, "sum");
        double s = 0;
        for (int j = 0; j < xs.length; j++) {
            s += xs[j];
        }
        f(out, "sum")[0] = (float) s;
    }

    @Override
    public void axpy(Tensor y, float alpha, Tensor x) {
        ArgChecks.sameSizeFloats("axpy", y, "y", x, "x");
        float[] ys = f(y, "axpy");
        float[] xs = f(x, "axpy");
        for (int j = 0; j < ys.length; j++) {
            ys[j] += alpha * xs[j];
        }
    }

    @Override
    public void mul(Tensor y, Tensor x) {
        ArgChecks.sameSizeFloats("mul", y, "y", x, "x");
        float[] ys = f(y, "mul");
        float[] xs = f(x, "mul");
        int n = y.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.mul(ys, ys, xs, from, to)); // the product of mul(y, a, b), in place
    }

    @Override
    public void scale(Tensor y, float alpha) {
        Objects.requireNonNull(y, "y");
        ArgChecks.floats("scale", y);
        scaleArray(f(y, "scale"), alpha);
    }

    private static void scaleArray(float[] a, float alpha) {
        for (int j = 0; j < a.length; j++) {
            a[j] *= alpha;
        }
    }

    @Override
    public void softmaxCrossEntropy(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels, float gradScale) {
        ArgChecks.softmaxCrossEntropy(gradLogits, metrics, logits, labels);
        CpuOps.softmaxCrossEntropy(gradLogits == null ? null : f(gradLogits, "softmaxCrossEntropy"),
                f(metrics, "softmaxCrossEntropy"), f(logits, "softmaxCrossEntropy"), i(labels, "softmaxCrossEntropy"),
                logits.dim(0), logits.dim(1), gradScale);
    }

    @Override
    public void gatherRows(Tensor out, Tensor src, Tensor idx, int offset) {
        int cols = ArgChecks.gatherRows(out, src, idx, offset);
        int rows = out.rank() == 0 ? 0 : out.dim(0);
        int srcRows = src.dim(0);
        int[] ix = i(idx, "gatherRows");
        if (src.dtype() == DType.FLOAT32) {
            float[] o = f(out, "gatherRows");
            float[] s = f(src, "gatherRows");
            for (int r = 0; r < rows; r++) {
                System.arraycopy(s, checkRow(ix[offset + r], srcRows) * cols, o, r * cols, cols);
            }
        } else {
            int[] o = i(out, "gatherRows");
            int[] s = i(src, "gatherRows");
            for (int r = 0; r < rows; r++) {
                System.arraycopy(s, checkRow(ix[offset + r], srcRows) * cols, o, r * cols, cols);
            }
        }
    }

    private static int checkRow(int row, int rows) {
        if (row < 0 || row >= rows) {
            throw new IndexOutOfBoundsException("gatherRows: index " + row + " outside [0, " + rows + ")");
        }
        return row;
    }

    @Override
    public void copyRange(Tensor dst, int dstOffset, Tensor src, int srcOffset, int count) {
        ArgChecks.copyRange(dst, dstOffset, src, srcOffset, count);
        if (dst.dtype() == DType.FLOAT32) {
            System.arraycopy(f(src, "copyRange"), srcOffset, f(dst, "copyRange"), dstOffset, count);
        } else {
            System.arraycopy(i(src, "copyRange"), srcOffset, i(dst, "copyRange"), dstOffset, count);
        }
    }

    @Override
    public void gatherColumns(Tensor out, Tensor src, Tensor idx) {
        int cols = ArgChecks.gatherColumns(out, src, idx);
        int rows = src.dim(0);
        int k = out.dim(1);
        int[] ix = i(idx, "gatherColumns");
        for (int c = 0; c < k; c++) {
            if (ix[c] < 0 || ix[c] >= cols) {
                throw new IndexOutOfBoundsException("gatherColumns: index " + ix[c] + " outside [0, " + cols + ")");
            }
        }
        float[] o = f(out, "gatherColumns");
        float[] s = f(src, "gatherColumns");
        for (int r = 0; r < rows; r++) {
            int so = r * cols;
            int oo = r * k;
            for (int c = 0; c < k; c++) {
                o[oo + c] = s[so + ix[c]];
            }
        }
    }

    @Override
    public void gatherColumnBlocks(Tensor out, Tensor src, Tensor idx, int block) {
        int cols = ArgChecks.gatherColumnBlocks(out, src, idx, block);
        int rows = src.dim(0);
        int k = idx.size();
        int blocks = cols / block;
        int[] ix = i(idx, "gatherColumnBlocks");
        for (int c = 0; c < k; c++) {
            if (ix[c] < 0 || ix[c] >= blocks) {
                throw new IndexOutOfBoundsException("gatherColumnBlocks: index " + ix[c] + " outside [0, " + blocks + ")");
            }
        }
        float[] o = f(out, "gatherColumnBlocks");
        float[] s = f(src, "gatherColumnBlocks");
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < k; c++) {
                System.arraycopy(s, r * cols + ix[c] * block, o, (r * k + c) * block, block);
            }
        }
    }

    @Override
    public void broadcastRows(Tensor out, Tensor v) {
        ArgChecks.broadcastRows(out, v);
        float[] o = f(out, "broadcastRows");
        float[] vs = f(v, "broadcastRows");
        int rows = out.dim(0);
        int cols = rows == 0 ? 0 : out.size() / rows;
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(o, r * cols, (r + 1) * cols, vs[r]);
        }
    }

    // ---- importance scoring --------------------------------------------------------------------

    @Override
    public void taylorAccumulate(Tensor acc, Tensor a, Tensor g, boolean absInside, float scale) {
        int spatial = ArgChecks.taylorAccumulate(acc, a, g);
        int batch = a.dim(0);
        int units = acc.size();
        CpuOps.taylorAccumulate(f(acc, "taylorAccumulate"), f(a, "taylorAccumulate"), f(g, "taylorAccumulate"), batch, units, spatial,
                absInside, scale);
    }

    @Override
    public void countPositive(Tensor acc, Tensor a) {
        int spatial = ArgChecks.countPositive(acc, a);
        int units = acc.size();
        float[] c = f(acc, "countPositive");
        float[] x = f(a, "countPositive");
        int batch = a.dim(0);
        for (int b = 0; b < batch; b++) {
            for (int n = 0; n < units; n++) {
                int base = (b * units + n) * spatial;
                int count = 0;
                for (int s = 0; s < spatial; s++) {
                    count += x[base + s] > 0f ? 1 : 0;
                }
                c[n] += count / (float) spatial;
            }
        }
    }

    @Override
    public void accumulate(Tensor acc, Tensor x, float scale, io.prune4j.backend.Transform t) {
        ArgChecks.sameSizeFloats("accumulate", acc, "acc", x, "x");
        Objects.requireNonNull(t, "t");
        float[] c = f(acc, "accumulate");
        float[] v = f(x, "accumulate");
        switch (t) {
            case IDENTITY -> {
                for (int j = 0; j < c.length; j++) {
                    c[j] += scale * v[j];
                }
            }
            case ABS -> {
                for (int j = 0; j < c.length; j++) {
                    c[j] += scale * Math.abs(v[j]);
                }
            }
            case SQUARE -> {
                for (int j = 0; j < c.length; j++) {
                    c[j] += scale * v[j] * v[j];
                }
            }
        }
    }

    @Override
    public void accumulateNormalizedAbs(Tensor acc, Tensor x) {
        ArgChecks.sameSizeFloats("accumulateNormalizedAbs", acc, "acc", x, "x");
        float[] c = f(acc, "accumulateNormalizedAbs");
        float[] v = f(x, "accumulateNormalizedAbs");
        double total = 0;
        for (float e : v) {
            total += Math.abs(e);
        }
        if (total == 0) {
            return;
        }
        float inv = (float) (1 / total);
        for (int j = 0; j < c.length; j++) {
            c[j] += Math.abs(v[j]) * inv;
        }
    }

    @Override
    public void accumulateAbsProduct(Tensor acc, Tensor a, Tensor b, float scale) {
        ArgChecks.accumulateAbsProduct(acc, a, b);
        float[] c = f(acc, "accumulateAbsProduct");
        float[] x = f(a, "accumulateAbsProduct");
        float[] y = f(b, "accumulateAbsProduct");
        for (int j = 0; j < c.length; j++) {
            c[j] += scale * Math.abs(x[j] * y[j]);
        }
    }

    @Override
    public void rowNorms(Tensor out, Tensor w, int p) {
        ArgChecks.rowNorms(out, w, p);
        int rows = w.dim(0);
        int cols = rows == 0 ? 0 : w.size() / rows;
        float[] o = f(out, "rowNorms");
        float[] x = f(w, "rowNorms");
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = r * cols; c < (r + 1) * cols; c++) {
                s += p == 1 ? Math.abs(x[c]) : (double) x[c] * x[c];
            }
            o[r] = (float) (p == 1 ? s : Math.sqrt(s));
        }
    }

    @Override
    public void rowSums(Tensor out, Tensor x) {
        ArgChecks.rowSums(out, x);
        int rows = x.dim(0);
        int cols = rows == 0 ? 0 : x.size() / rows;
        float[] o = f(out, "rowSums");
        float[] v = f(x, "rowSums");
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = r * cols; c < (r + 1) * cols; c++) {
                s += v[c];
            }
            o[r] = (float) s;
        }
    }

    @Override
    public void compositeScores(Tensor out, Tensor w, Tensor gAbs, Tensor freq) {
        int block = ArgChecks.compositeScores(out, w, gAbs, freq);
        int rows = w.dim(0);
        int cols = rows == 0 ? 0 : w.size() / rows;
        float[] o = f(out, "compositeScores");
        float[] x = f(w, "compositeScores");
        float[] g = f(gAbs, "compositeScores");
        float[] fr = f(freq, "compositeScores");
        for (int r = 0; r < rows; r++) {
            double num = 0;
            double den = 0;
            for (int c = 0; c < cols; c++) {
                double aw = Math.abs(x[r * cols + c]);
                num += aw * Math.abs(g[r * cols + c]) * fr[c / block];
                den += aw;
            }
            o[r] = den == 0 ? 0f : (float) (num / den);
        }
    }

    @Override
    public void normalize(Tensor s, io.prune4j.backend.Normalization kind) {
        Objects.requireNonNull(s, "s");
        Objects.requireNonNull(kind, "kind");
        ArgChecks.floats("normalize", s);
        float[] v = f(s, "normalize");
        double d = 0;
        switch (kind) {
            case NONE -> {
                return;
            }
            case L2 -> {
                for (float e : v) {
                    d += (double) e * e;
                }
                d = Math.sqrt(d);
            }
            case MAX -> {
                for (float e : v) {
                    d = Math.max(d, Math.abs(e));
                }
            }
            case L1, MEAN -> {
                for (float e : v) {
                    d += Math.abs(e);
                }
            }
        }
        if (d > 0 && Double.isFinite(d)) {
            scaleArray(v, (float) (1 / d));
            if (kind == io.prune4j.backend.Normalization.MEAN) {
                // the L1 normalisation times the count, in two float steps as the device does them
                scaleArray(v, (float) v.length);
            }
        }
    }

    // ---- ranking and masks ---------------------------------------------------------------------

    @Override
    public void selectTopK(Tensor mask, Tensor scores, int keep) {
        ArgChecks.selectTopK(mask, scores, keep);
        Selection.topKMask(f(mask, "selectTopK"), f(scores, "selectTopK"), keep);
    }

    @Override
    public void maskedFill(Tensor s, Tensor mask, float value) {
        ArgChecks.sameSizeFloats("maskedFill", s, "s", mask, "mask");
        float[] v = f(s, "maskedFill");
        float[] m = f(mask, "maskedFill");
        for (int j = 0; j < v.length; j++) {
            if (m[j] == 0f) {
                v[j] = value;
            }
        }
    }

    @Override
    public int countAtLeast(Tensor scores, float threshold) {
        Objects.requireNonNull(scores, "scores");
        ArgChecks.floats("countAtLeast", scores);
        int n = 0;
        for (float v : f(scores, "countAtLeast")) {
            n += v >= threshold ? 1 : 0;
        }
        return n;
    }

    @Override
    public int maskToIndices(Tensor indices, Tensor mask) {
        ArgChecks.maskToIndices(indices, mask, null, 0);
        return keptIndices(i(indices, "maskToIndices"), f(mask, "maskToIndices"));
    }

    @Override
    public void maskToIndices(Tensor indices, Tensor mask, Tensor counts, int slot) {
        ArgChecks.maskToIndices(indices, mask, counts, slot);
        Objects.requireNonNull(counts, "counts");
        int[] c = i(counts, "maskToIndices");
        c[slot] = keptIndices(i(indices, "maskToIndices"), f(mask, "maskToIndices"));
    }

    private static int keptIndices(int[] ix, float[] m) {
        int k = 0;
        for (int j = 0; j < m.length; j++) {
            if (m[j] != 0f) {
                ix[k++] = j;
            }
        }
        return k;
    }

    // ---- distillation --------------------------------------------------------------------------

    @Override
    public void distillation(Tensor gradLogits, Tensor metrics, Tensor student, Tensor teacher, Tensor labels, float temperature,
                             float alpha, float gradScale) {
        ArgChecks.distillation(gradLogits, metrics, student, teacher, labels, temperature, alpha);
        CpuOps.distillation(f(gradLogits, "distillation"), f(metrics, "distillation"), f(student, "distillation"),
                f(teacher, "distillation"), i(labels, "distillation"), student.dim(0), student.dim(1), temperature, alpha, gradScale);
    }

    // ---- optimisers ----------------------------------------------------------------------------

    @Override
    public void sgdStep(Tensor w, Tensor velocity, Tensor grad, float lr, float momentum, float weightDecay) {
        ArgChecks.sgdStep(w, velocity, grad, momentum);
        CpuOps.sgdStep(f(w, "sgdStep"), momentum != 0f ? f(velocity, "sgdStep") : null, f(grad, "sgdStep"),
                lr, momentum, weightDecay);
    }

    @Override
    public void adamStep(Tensor w, Tensor m, Tensor v, Tensor grad, float lr, float beta1, float beta2, float eps,
                         float weightDecay, int step) {
        ArgChecks.adamStep(w, m, v, grad, step);
        CpuOps.adamStep(f(w, "adamStep"), f(m, "adamStep"), f(v, "adamStep"), f(grad, "adamStep"),
                lr, beta1, beta2, eps, weightDecay, step);
    }

    // ---- accounting ----------------------------------------------------------------------------

    @Override
    public TransferStats transfers() {
        return TransferStats.NONE;
    }

    @Override
    public void synchronize() {}

    @Override
    public void close() {
        conv.close();
        workers.close();
        if (dnnl != null) {
            dnnl.close();
        }
    }

    // ---- storage access ------------------------------------------------------------------------

    private float[] f(Tensor t, String op) {
        CpuTensor c = own(t, op);
        if (c.f == null) {
            throw new IllegalArgumentException(op + ": expected a FLOAT32 tensor, got " + t.dtype());
        }
        return c.f;
    }

    private int[] i(Tensor t, String op) {
        CpuTensor c = own(t, op);
        if (c.i == null) {
            throw new IllegalArgumentException(op + ": expected an INT32 tensor, got " + t.dtype());
        }
        return c.i;
    }

    private CpuTensor own(Tensor t, String op) {
        if (!(t instanceof CpuTensor c)) {
            throw new IllegalArgumentException(op + ": tensor belongs to backend " + t.backend().name() + ", not the cpu backend");
        }
        return c;
    }

    // ---- the graph networks' operations: average pooling, batch norm, element-wise, channel copies, scores

    @Override
    public void avgPool2d(Tensor y, Tensor x, int window, int stride, int pad, boolean countIncludePad, boolean ceil) {
        int[] out = ArgChecks.avgPool2d("avgPool2d", y, x, window, stride, pad, ceil);
        conv.avgPool(f(y, "avgPool2d"), f(x, "avgPool2d"), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), window, stride, pad, out[0], out[1],
                countIncludePad);
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, int window, int stride, int pad, boolean countIncludePad, boolean ceil) {
        int[] out = ArgChecks.avgPool2dBackward(dx, dy, window, stride, pad, ceil);
        conv.avgPoolBackward(f(dx, "avgPool2dBackward"), f(dy, "avgPool2dBackward"), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3),
                window, stride, pad, out[0], out[1], countIncludePad);
    }

    @Override
    public void zeroPad2d(Tensor y, Tensor x, int top, int left) {
        String op = "zeroPad2d";
        ArgChecks.zeroPad2d(op, y, "y", x, "x", top, left);
        conv.zeroPad(f(y, op), f(x, op), x.dim(0) * x.dim(1), x.dim(2), x.dim(3), top, left, y.dim(2), y.dim(3));
    }

    @Override
    public void zeroPad2dBackward(Tensor dx, Tensor dy, int top, int left) {
        String op = "zeroPad2dBackward";
        ArgChecks.zeroPad2d(op, dy, "dy", dx, "dx", top, left);
        conv.crop(f(dx, op), f(dy, op), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3), top, left, dy.dim(2), dy.dim(3));
    }

    @Override
    public void batchNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
                          Tensor runningVar, float momentum, float eps, boolean training) {
        String op = "batchNorm";
        int spatial = ArgChecks.batchNorm(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps, training);
        if (training) {
            norm.forwardTraining(f(y, op), f(saveMean, op), f(saveInvStd, op), f(x, op), f(gamma, op), f(beta, op), f(runningMean, op),
                    f(runningVar, op), x.dim(0), x.dim(1), spatial, momentum, eps);
        } else {
            norm.forwardInference(f(y, op), f(x, op), f(gamma, op), f(beta, op), f(runningMean, op), f(runningVar, op), x.dim(0), x.dim(1),
                    spatial, eps);
        }
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd) {
        String op = "batchNormBackward";
        int spatial = ArgChecks.batchNormBackward(dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd);
        norm.backward(dx == null ? null : f(dx, op), f(dGamma, op), f(dBeta, op), f(dy, op), f(x, op), f(gamma, op), f(saveMean, op),
                f(saveInvStd, op), x.dim(0), x.dim(1), spatial);
    }

    @Override
    public void layerNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, Tensor mask, float eps) {
        String op = "layerNorm";
        int spatial = ArgChecks.layerNorm(y, saveMean, saveInvStd, x, gamma, beta, mask, eps);
        norm.layerForward(f(y, op), saveMean == null ? null : f(saveMean, op), saveInvStd == null ? null : f(saveInvStd, op), f(x, op),
                f(gamma, op), f(beta, op), mask == null ? null : f(mask, op), x.dim(0), x.dim(1), spatial, eps);
    }

    @Override
    public void layerNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor mask, Tensor saveMean,
                                  Tensor saveInvStd) {
        String op = "layerNormBackward";
        int spatial = ArgChecks.layerNormBackward(dx, dGamma, dBeta, dy, x, gamma, mask, saveMean, saveInvStd);
        norm.layerBackward(dx == null ? null : f(dx, op), f(dGamma, op), f(dBeta, op), f(dy, op), f(x, op), f(gamma, op),
                mask == null ? null : f(mask, op), f(saveMean, op), f(saveInvStd, op), x.dim(0), x.dim(1), spatial);
    }

    @Override
    public void groupNorm(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta, int groups, float eps) {
        String op = "groupNorm";
        int spatial = ArgChecks.groupNorm(y, saveMean, saveInvStd, x, gamma, beta, groups, eps);
        norm.groupForward(f(y, op), saveMean == null ? null : f(saveMean, op), saveInvStd == null ? null : f(saveInvStd, op), f(x, op),
                f(gamma, op), f(beta, op), x.dim(0), x.dim(1), spatial, groups, eps);
    }

    @Override
    public void groupNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean,
                                  Tensor saveInvStd, int groups) {
        String op = "groupNormBackward";
        int spatial = ArgChecks.groupNormBackward(dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd, groups);
        norm.groupBackward(dx == null ? null : f(dx, op), f(dGamma, op), f(dBeta, op), f(dy, op), f(x, op), f(gamma, op), f(saveMean, op),
                f(saveInvStd, op), x.dim(0), x.dim(1), spatial, groups);
    }

    @Override
    public void clamp(Tensor y, Tensor x, float lo, float hi) {
        ArgChecks.clamp("clamp", y, x, lo, hi);
        float[] ys = f(y, "clamp");
        float[] xs = f(x, "clamp");
        int n = x.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.clamp(ys, xs, lo, hi, from, to));
    }

    @Override
    public void clampBackward(Tensor dx, Tensor dy, Tensor y, float lo, float hi) {
        ArgChecks.clampBackward(dx, dy, y, lo, hi);
        float[] dxs = f(dx, "clampBackward");
        float[] dys = f(dy, "clampBackward");
        float[] ys = f(y, "clampBackward");
        int n = y.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.clampBackward(dxs, dys, ys, lo, hi, from, to));
    }

    @Override
    public void activation(Tensor y, Tensor x, ActivationKind kind, float alpha, float beta) {
        ArgChecks.activation(y, x, kind, alpha, beta);
        float[] ys = f(y, "activation");
        float[] xs = f(x, "activation");
        int n = x.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.activation(ys, xs, kind, alpha, beta, from, to));
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, ActivationKind kind, float alpha, float beta) {
        ArgChecks.activationBackward(dx, dy, x, y, kind, alpha, beta);
        float[] dxs = f(dx, "activationBackward");
        float[] dys = f(dy, "activationBackward");
        float[] xs = f(x, "activationBackward");
        float[] ys = f(y, "activationBackward");
        int n = y.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.activationBackward(dxs, dys, xs, ys, kind, alpha, beta, from, to));
    }

    @Override
    public void add(Tensor y, Tensor a, Tensor b) {
        ArgChecks.add(y, a, b);
        float[] ys = f(y, "add");
        float[] as = f(a, "add");
        float[] bs = f(b, "add");
        int n = y.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.add(ys, as, bs, from, to));
    }

    @Override
    public void mul(Tensor y, Tensor a, Tensor b) {
        ArgChecks.mul(y, a, b);
        float[] ys = f(y, "mul");
        float[] as = f(a, "mul");
        float[] bs = f(b, "mul");
        int n = y.size();
        workers.parallel(n, n, (worker, from, to) -> CpuOps.mul(ys, as, bs, from, to));
    }

    @Override
    public void mulChannels(Tensor y, Tensor x, Tensor s) {
        int spatial = ArgChecks.mulChannels(y, x, s);
        float[] ys = f(y, "mulChannels");
        float[] xs = f(x, "mulChannels");
        float[] ss = f(s, "mulChannels");
        int planes = s.size();
        workers.parallel(planes, x.size(), (worker, from, to) -> CpuOps.mulChannels(ys, xs, ss, spatial, from, to));
    }

    @Override
    public void mulChannelsBackward(Tensor ds, Tensor dy, Tensor x) {
        int spatial = ArgChecks.mulChannelsBackward(ds, dy, x);
        float[] d = f(ds, "mulChannelsBackward");
        float[] g = f(dy, "mulChannelsBackward");
        float[] xs = f(x, "mulChannelsBackward");
        int planes = ds.size();
        // one plane per thread: the same sums on any thread count
        workers.parallel(planes, 2L * x.size(), (worker, from, to) -> CpuOps.mulChannelsBackward(d, g, xs, spatial, from, to));
    }

    @Override
    public void copyChannels(Tensor dst, int dstOffset, Tensor src, int srcOffset, int channels) {
        int spatial = ArgChecks.copyChannels(dst, dstOffset, src, srcOffset, channels);
        float[] d = f(dst, "copyChannels");
        float[] s = f(src, "copyChannels");
        int batch = src.dim(0);
        int cd = dst.dim(1);
        int cs = src.dim(1);
        int run = channels * spatial; // one example's channels are one contiguous run in both tensors
        workers.parallel(batch, (long) batch * run, (worker, from, to) -> {
            for (int b = from; b < to; b++) {
                System.arraycopy(s, (b * cs + srcOffset) * spatial, d, (b * cd + dstOffset) * spatial, run);
            }
        });
    }

    @Override
    public void fpgmScores(Tensor out, Tensor w) {
        int cols = ArgChecks.fpgmScores(out, w);
        CpuScores.fpgm(workers, f(out, "fpgmScores"), f(w, "fpgmScores"), w.dim(0), cols);
    }

    @Override
    public void lampScores(Tensor out, Tensor w) {
        ArgChecks.lampScores(out, w);
        CpuScores.lamp(f(out, "lampScores"), f(w, "lampScores"));
    }

    @Override
    public void segmentReduce(Tensor out, Tensor src, Tensor perm, Tensor offsets, Reduction reduction) {
        ArgChecks.segmentReduce(out, src, perm, offsets);
        Objects.requireNonNull(reduction, "reduction");
        CpuScores.segmentReduce(f(out, "segmentReduce"), f(src, "segmentReduce"), i(perm, "segmentReduce"), i(offsets, "segmentReduce"),
                reduction);
    }

    @Override
    public void augmentImages(Tensor out, Tensor in, long seed, int maxShift, boolean flip) {
        ArgChecks.augmentImages(out, in, maxShift);
        float[] o = f(out, "augmentImages");
        float[] x = f(in, "augmentImages");
        int c = in.dim(1);
        int h = in.dim(2);
        int w = in.dim(3);
        int span = 2 * maxShift + 1;
        workers.parallel(in.dim(0), (long) in.size(), (worker, from, to) -> {
            for (int r = from; r < to; r++) {
                long z = ArgChecks.augmentDraw(seed, r);
                boolean mirror = flip && (z & 1) != 0;
                int dx = (int) ((z >>> 8) % span) - maxShift;
                int dy = (int) ((z >>> 32) % span) - maxShift;
                CpuOps.shiftImage(o, x, r * c * h * w, c, h, w, dy, dx, mirror);
            }
        });
    }
}
