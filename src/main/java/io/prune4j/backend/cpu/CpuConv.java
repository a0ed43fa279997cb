package io.prune4j.backend.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Convolution and pooling on heap arrays, NCHW. A convolution is one matrix product per example
 * over its im2col matrix {@code col [in·kh·kw, Ho·Wo]}: {@code y_b [out, Ho·Wo] = W [out, in·kh·kw] · col}.
 * Per example rather than one product over the whole batch keeps {@code col} small enough for the
 * cache (about 450 KB for a 64-channel 14×14 map) and writes {@code y} in NCHW order directly,
 * with no transpose afterwards.
 *
 * <p>The backward pass rebuilds {@code col} instead of keeping it from the forward pass: that costs
 * a fraction of the products and keeps the backend free of per-layer state.
 */
final class CpuConv implements AutoCloseable {
    private final boolean critical;
    private final int threads;
    /** Per-worker scratch: one example's im2col matrix and its gradient, grown on demand, reused after. */
    private final float[][] col;
    private final float[][] dcol;
    /** Per-worker weight and bias gradients, summed in worker order so a thread count gives one result. */
    private final float[][] dwPart;
    private final float[][] dbPart;
    private ExecutorService pool;

    /**
     * @param threads workers the batch is split across. Each example's products are small (a few
     *                hundred rows), so splitting the batch over Java threads, each calling a
     *                single-threaded OpenBLAS, scales where OpenBLAS's own threads would spend more
     *                on waking up and waiting than on the products (on a loaded 2-vCPU machine its
     *                2-thread runs were ten times slower than 1 thread).
     */
    CpuConv(boolean critical, int threads) {
        this.critical = critical;
        this.threads = threads;
        this.col = new float[threads][0];
        this.dcol = new float[threads][0];
        this.dwPart = new float[threads][0];
        this.dbPart = new float[threads][0];
    }

    /** Geometry of one convolution, checked once per call. */
    record Geometry(int batch, int in, int h, int w, int out, int kh, int kw, int stride, int pad, int ho, int wo) {
        int k() {
            return in * kh * kw;
        }

        int positions() {
            return ho * wo;
        }

        /** 1×1, stride 1, no padding: each example's input already is its im2col matrix. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && stride == 1 && pad == 0;
        }
    }

    void forward(float[] y, float[] x, float[] wt, float[] bias, Geometry g, boolean relu) {
        parallel(g.batch, (worker, from, to) -> {
            for (int b = from; b < to; b++) {
                forwardExample(worker, y, x, wt, bias, g, relu, b);
            }
        });
    }

    private void forwardExample(int worker, float[] y, float[] x, float[] wt, float[] bias, Geometry g, boolean relu, int b) {
        int k = g.k();
        int p = g.positions();
        int outPlane = g.out * p;
        Columns cols = columns(worker, x, g, b);
        float[] c = cols.data();
        int cOff = cols.offset();
        if (k <= SMALL_K) {
            smallForward(y, b * outPlane, wt, c, cOff, g.out, k, p);
        } else {
            gemm(false, false, g.out, p, k, 1f, wt, 0, k, c, cOff, p, 0f, y, b * outPlane, p);
        }
        int base = b * outPlane;
        for (int o = 0; o < g.out; o++) {
            float bo = bias[o];
            int from = base + o * p;
            for (int i = from; i < from + p; i++) {
                float v = y[i] + bo;
                y[i] = relu && v < 0f ? 0f : v;
            }
        }
    }

    /** Example {@code b}'s patch matrix {@code [k, positions]}: {@code x} itself for a pointwise convolution, else its im2col. */
    private record Columns(float[] data, int offset) {}

    private Columns columns(int worker, float[] x, Geometry g, int b) {
        int inPlane = g.in * g.h * g.w;
        return g.pointwise() ? new Columns(x, b * inPlane) : new Columns(im2col(worker, x, b * inPlane, g), 0);
    }

    void backward(float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] wt, Geometry g) {
        int inPlane = g.in * g.h * g.w;
        int k = g.k();
        if (dx != null && !g.pointwise()) {
            Arrays.fill(dx, 0, g.batch * inPlane, 0f);
        }
        int used = parallel(g.batch, (worker, from, to) -> {
            if (dwPart[worker].length < g.out * k) {
                dwPart[worker] = new float[g.out * k];
            }
            if (dbPart[worker].length < g.out) {
                dbPart[worker] = new float[g.out];
            }
            Arrays.fill(dbPart[worker], 0, g.out, 0f);
            if (from == to) {
                Arrays.fill(dwPart[worker], 0, g.out * k, 0f);
            }
            for (int b = from; b < to; b++) {
                backwardExample(worker, dx, dwPart[worker], dbPart[worker], dy, x, wt, g, b, b == from);
            }
        });
        Arrays.fill(dw, 0f);
        Arrays.fill(db, 0f);
        for (int t = 0; t < used; t++) {
            float[] pw = dwPart[t];
            for (int i = 0; i < dw.length; i++) {
                dw[i] += pw[i];
            }
            float[] pb = dbPart[t];
            for (int i = 0; i < db.length; i++) {
                db[i] += pb[i];
            }
        }
    }

    private void backwardExample(int worker, float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] wt, Geometry g,
                                 int b, boolean first) {
        int k = g.k();
        int p = g.positions();
        int inPlane = g.in * g.h * g.w;
        int outPlane = g.out * p;
        Columns cols = columns(worker, x, g, b);
        float[] c = cols.data();
        int cOff = cols.offset();
        // dW (+)= dy_b · colᵀ: a worker's first example overwrites its partial sum, the rest accumulate
        if (k <= SMALL_K) {
            smallWeightGrad(dw, dy, b * outPlane, c, cOff, g.out, k, p, first);
        } else {
            gemm(false, true, g.out, k, p, 1f, dy, b * outPlane, p, c, cOff, p, first ? 0f : 1f, dw, 0, k);
        }
        int base = b * outPlane;
        for (int o = 0; o < g.out; o++) {
            double s = 0;
            for (int i = base + o * p; i < base + (o + 1) * p; i++) {
                s += dy[i];
            }
            db[o] += (float) s;
        }
        if (dx == null) {
            return;
        }
        if (g.pointwise()) {
            gemm(true, false, k, p, g.out, 1f, wt, 0, k, dy, b * outPlane, p, 0f, dx, b * inPlane, p);
        } else {
            if (dcol[worker].length < k * p) {
                dcol[worker] = new float[k * p];
            }
            gemm(true, false, k, p, g.out, 1f, wt, 0, k, dy, b * outPlane, p, 0f, dcol[worker], 0, p);
            col2im(dx, b * inPlane, dcol[worker], g);
        }
    }

    /** Work on examples {@code [from, to)} by worker {@code worker}. */
    private interface Chunk {
        void run(int worker, int from, int to);
    }

    /**
     * Splits {@code [0, n)} into contiguous chunks, one per worker, runs them (the caller runs the
     * first) with OpenBLAS single-threaded meanwhile, and returns how many workers ran.
     */
    private int parallel(int n, Chunk chunk) {
        int workers = Math.max(1, Math.min(threads, n));
        if (workers == 1) {
            chunk.run(0, 0, n);
            return 1;
        }
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "prune4j-conv");
                t.setDaemon(true);
                return t;
            });
        }
        openblas_nolapack.blas_set_num_threads(1);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 1; w < workers; w++) {
                int worker = w;
                futures.add(pool.submit(() -> chunk.run(worker, (int) ((long) worker * n / workers),
                        (int) ((long) (worker + 1) * n / workers))));
            }
            RuntimeException failure = null;
            try {
                chunk.run(0, 0, n / workers);
            } catch (RuntimeException e) {
                failure = e;
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted during a convolution", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
            return workers;
        } finally {
            openblas_nolapack.blas_set_num_threads(threads);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            pool = null;
        }
    }

    /**
     * Below this many weights per filter (a first layer on grey or RGB images: 9 or 27), OpenBLAS
     * spends more on packing than on arithmetic; plain loops over rows of {@code col}, which the JIT
     * vectorises, are several times faster.
     */
    private static final int SMALL_K = 32;

    /** {@code y[o, :] = Σ_j w[o, j] · col[j, :]} for a filter of {@code k ≤ SMALL_K} weights. */
    private static void smallForward(float[] y, int yOff, float[] w, float[] col, int cOff, int out, int k, int p) {
        for (int o = 0; o < out; o++) {
            int yo = yOff + o * p;
            Arrays.fill(y, yo, yo + p, 0f);
            for (int j = 0; j < k; j++) {
                float wj = w[o * k + j];
                int cj = cOff + j * p;
                for (int i = 0; i < p; i++) {
                    y[yo + i] += wj * col[cj + i];
                }
            }
        }
    }

    /** {@code dw[o, j] (+)= Σ_i dy[o, i] · col[j, i]}, overwriting when {@code first}. */
    private static void smallWeightGrad(float[] dw, float[] dy, int dyOff, float[] col, int cOff, int out, int k, int p, boolean first) {
        for (int o = 0; o < out; o++) {
            int d = dyOff + o * p;
            for (int j = 0; j < k; j++) {
                int cj = cOff + j * p;
                float s = 0f;
                for (int i = 0; i < p; i++) {
                    s += dy[d + i] * col[cj + i];
                }
                dw[o * k + j] = first ? s : dw[o * k + j] + s;
            }
        }
    }

    /** Example {@code b}'s patches as columns: row {@code (ci, i, j)}, column {@code (oh, ow)}; zero outside the image. */
    private float[] im2col(int worker, float[] x, int xOff, Geometry g) {
        int p = g.positions();
        if (col[worker].length < g.k() * p) {
            col[worker] = new float[g.k() * p];
        }
        float[] col = this.col[worker];
        int row = 0;
        for (int ci = 0; ci < g.in; ci++) {
            int plane = xOff + ci * g.h * g.w;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int dst = row * p;
                    for (int oh = 0; oh < g.ho; oh++) {
                        int ih = oh * g.stride - g.pad + i;
                        if (ih < 0 || ih >= g.h) {
                            Arrays.fill(col, dst, dst + g.wo, 0f);
                            dst += g.wo;
                            continue;
                        }
                        int src = plane + ih * g.w;
                        for (int ow = 0; ow < g.wo; ow++, dst++) {
                            int iw = ow * g.stride - g.pad + j;
                            col[dst] = iw >= 0 && iw < g.w ? x[src + iw] : 0f;
                        }
                    }
                }
            }
        }
        return col;
    }

    /** The adjoint of {@link #im2col}: adds each patch gradient back onto the input positions it came from. */
    private static void col2im(float[] dx, int dxOff, float[] dc, Geometry g) {
        int p = g.positions();
        int row = 0;
        for (int ci = 0; ci < g.in; ci++) {
            int plane = dxOff + ci * g.h * g.w;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int src = row * p;
                    for (int oh = 0; oh < g.ho; oh++) {
                        int ih = oh * g.stride - g.pad + i;
                        if (ih < 0 || ih >= g.h) {
                            src += g.wo;
                            continue;
                        }
                        int dst = plane + ih * g.w;
                        for (int ow = 0; ow < g.wo; ow++, src++) {
                            int iw = ow * g.stride - g.pad + j;
                            if (iw >= 0 && iw < g.w) {
                                dx[dst + iw] += dc[src];
                            }
                        }
                    }
                }
            }
        }
    }

    /** Row-major sgemm on sub-arrays, zero-copy when the pinned path is available. */
    private void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
                      float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (critical) {
            CriticalBlas.sgemmAt(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        // the copying binding takes whole arrays, so hand it exact slices and copy the result back
        float[] as = Arrays.copyOfRange(a, aOff, aOff + (transA ? k : m) * lda);
        float[] bs = Arrays.copyOfRange(b, bOff, bOff + (transB ? n : k) * ldb);
        float[] cs = Arrays.copyOfRange(c, cOff, cOff + m * ldc);
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, as, lda, bs, ldb, beta, cs, ldc);
        System.arraycopy(cs, 0, c, cOff, cs.length);
    }

    static void maxPool(float[] y, int[] argmax, float[] x, int planes, int h, int w, int window, int stride, int ho, int wo) {
        if (window == 2 && stride == 2) {
            maxPool2x2(y, argmax, x, planes, h, w, ho, wo);
            return;
        }
        for (int pl = 0; pl < planes; pl++) {
            int xb = pl * h * w;
            int yb = pl * ho * wo;
            for (int oh = 0; oh < ho; oh++) {
                for (int ow = 0; ow < wo; ow++) {
                    int best = (oh * stride) * w + ow * stride;
                    float bv = x[xb + best];
                    for (int i = 0; i < window; i++) {
                        int row = (oh * stride + i) * w + ow * stride;
                        for (int j = 0; j < window; j++) {
                            float v = x[xb + row + j];
                            // strictly greater: the first maximum in row order wins; NaN propagates like PyTorch
                            if (v > bv || (Float.isNaN(v) && !Float.isNaN(bv))) {
                                bv = v;
                                best = row + j;
                            }
                        }
                    }
                    y[yb + oh * wo + ow] = bv;
                    argmax[yb + oh * wo + ow] = best;
                }
            }
        }
    }

    /** The common 2×2, stride-2 case, unrolled; the same comparisons in the same order as the general loop. */
    private static void maxPool2x2(float[] y, int[] argmax, float[] x, int planes, int h, int w, int ho, int wo) {
        for (int pl = 0; pl < planes; pl++) {
            int xb = pl * h * w;
            int yb = pl * ho * wo;
            for (int oh = 0; oh < ho; oh++) {
                int r0 = 2 * oh * w;
                int r1 = r0 + w;
                int yo = yb + oh * wo;
                for (int ow = 0; ow < wo; ow++) {
                    int c = 2 * ow;
                    int best = r0 + c;
                    float bv = x[xb + best];
                    float v = x[xb + r0 + c + 1];
                    if (v > bv || (v != v && bv == bv)) {
                        bv = v;
                        best = r0 + c + 1;
                    }
                    v = x[xb + r1 + c];
                    if (v > bv || (v != v && bv == bv)) {
                        bv = v;
                        best = r1 + c;
                    }
                    v = x[xb + r1 + c + 1];
                    if (v > bv || (v != v && bv == bv)) {
                        bv = v;
                        best = r1 + c + 1;
                    }
                    y[yo + ow] = bv;
                    argmax[yo + ow] = best;
                }
            }
        }
    }

    static void maxPoolBackward(float[] dx, float[] dy, int[] argmax, int planes, int inPlane, int outPlane) {
        Arrays.fill(dx, 0, planes * inPlane, 0f);
        for (int pl = 0; pl < planes; pl++) {
            int xb = pl * inPlane;
            int yb = pl * outPlane;
            for (int o = 0; o < outPlane; o++) {
                dx[xb + argmax[yb + o]] += dy[yb + o];
            }
        }
    }
}
