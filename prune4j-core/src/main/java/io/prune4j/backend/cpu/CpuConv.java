package io.prune4j.backend.cpu;

import java.util.Arrays;
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
    private final CpuWorkers workers;
    /** Per-worker scratch: one example's im2col matrix and its gradient, grown on demand, reused after. */
    private final float[][] col;
    private final float[][] dcol;
    /** Per-worker weight and bias gradients, summed in worker order so a thread count gives one result. */
    private final float[][] dwPart;
    private final float[][] dbPart;
    /** Stride-1 convolutions with a kernel larger than 1×1: a product per tap instead of im2col. */
    private final CpuTapConv taps;

    /**
     * @param workers the threads the batch is split across. Each example's products are small (a few
     *                hundred rows), so splitting the batch over Java threads, each calling a
     *                single-threaded OpenBLAS, scales where OpenBLAS's own threads would spend more
     *                on waking up and waiting than on the products (on a loaded 2-vCPU machine its
     *                2-thread runs were ten times slower than 1 thread).
     */
    CpuConv(boolean critical, CpuWorkers workers) {
        this.critical = critical;
        this.workers = workers;
        int threads = workers.threads();
        this.col = new float[threads][0];
        this.dcol = new float[threads][0];
        this.dwPart = new float[threads][0];
        this.dbPart = new float[threads][0];
        this.taps = new CpuTapConv(workers, this);
    }

    /**
     * Geometry of one convolution, checked once per call. With {@code groups > 1} the {@code in}
     * input and {@code out} output channels fall into {@code groups} consecutive blocks of
     * {@link #groupIn()} and {@link #groupOut()}, and {@link #k()} is the weights per filter,
     * {@code groupIn·kh·kw}.
     */
    record Geometry(int batch, int in, int h, int w, int out, int kh, int kw, int stride, int pad, int ho, int wo, int groups) {
        int k() {
            return groupIn() * kh * kw;
        }

        int groupIn() {
            return in / groups;
        }

        int groupOut() {
            return out / groups;
        }

        int positions() {
            return ho * wo;
        }

        /** 1×1, stride 1, no padding: each example's input already is its im2col matrix. */
        boolean pointwise() {
            return kh == 1 && kw == 1 && stride == 1 && pad == 0;
        }

        /** One input channel per group: {@link CpuDepthwise}'s direct loops, not im2col and sgemm. */
        boolean depthwise() {
            return groups > 1 && groupIn() == 1;
        }
    }

    /**
     * {@code y = act(conv(x, w) + bias)}, {@code bias} null for none. With groups, each example runs
     * one product per group over that group's im2col matrix ({@code [groupIn·kh·kw, Ho·Wo]}, so the
     * scratch shrinks with the groups); with one group it is the single product per example it
     * always was, the group offsets all zero.
     */
    void forward(float[] y, float[] x, float[] wt, float[] bias, Geometry g, boolean relu) {
        if (CpuTapConv.applies(g)) {
            taps.forward(y, x, wt, bias, g, relu);
            return;
        }
        workers.parallel(g.batch, (worker, from, to) -> {
            for (int b = from; b < to; b++) {
                forwardExample(worker, y, x, wt, bias, g, relu, b);
            }
        });
    }

    private void forwardExample(int worker, float[] y, float[] x, float[] wt, float[] bias, Geometry g, boolean relu, int b) {
        int k = g.k();
        int p = g.positions();
        int outPlane = g.out * p;
        int go = g.groupOut();
        for (int grp = 0; grp < g.groups; grp++) {
            Columns cols = columns(worker, x, g, b, grp);
            float[] c = cols.data();
            int cOff = cols.offset();
            int yOff = b * outPlane + grp * go * p;
            gemm(false, false, go, p, k, 1f, wt, grp * go * k, k, c, cOff, p, 0f, y, yOff, p);
        }
        int base = b * outPlane;
        if (bias != null) {
            for (int o = 0; o < g.out; o++) {
                float bo = bias[o];
                int from = base + o * p;
                for (int i = from; i < from + p; i++) {
                    float v = y[i] + bo;
                    y[i] = relu && v < 0f ? 0f : v;
                }
            }
        } else if (relu) {
            for (int i = base; i < base + outPlane; i++) {
                y[i] = y[i] < 0f ? 0f : y[i];
            }
        }
    }

    /**
     * Group {@code grp}'s patch matrix of example {@code b}, {@code [k, positions]}: that group's
     * channels of {@code x} themselves for a pointwise convolution, else their im2col.
     */
    private record Columns(float[] data, int offset) {}

    private Columns columns(int worker, float[] x, Geometry g, int b, int grp) {
        int xOff = b * g.in * g.h * g.w + grp * g.groupIn() * g.h * g.w;
        return g.pointwise() ? new Columns(x, xOff) : new Columns(im2col(worker, x, xOff, g), 0);
    }

    /** Gradients of {@link #forward} without its activation; {@code dx} and {@code db} may be null. */
    void backward(float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] wt, Geometry g) {
        if (CpuTapConv.applies(g)) {
            taps.backward(dx, dw, db, dy, x, wt, g);
            return;
        }
        int inPlane = g.in * g.h * g.w;
        int weights = g.out * g.k();
        if (dx != null && !g.pointwise()) {
            Arrays.fill(dx, 0, g.batch * inPlane, 0f);
        }
        int used = workers.parallel(g.batch, (worker, from, to) -> {
            if (dwPart[worker].length < weights) {
                dwPart[worker] = new float[weights];
            }
            if (dbPart[worker].length < g.out) {
                dbPart[worker] = new float[g.out];
            }
            Arrays.fill(dbPart[worker], 0, g.out, 0f);
            if (from == to) {
                Arrays.fill(dwPart[worker], 0, weights, 0f);
            }
            for (int b = from; b < to; b++) {
                backwardExample(worker, dx, dwPart[worker], db == null ? null : dbPart[worker], dy, x, wt, g, b, b == from);
            }
        });
        Arrays.fill(dw, 0f);
        for (int t = 0; t < used; t++) {
            float[] pw = dwPart[t];
            for (int i = 0; i < dw.length; i++) {
                dw[i] += pw[i];
            }
        }
        if (db != null) {
            Arrays.fill(db, 0f);
            for (int t = 0; t < used; t++) {
                float[] pb = dbPart[t];
                for (int i = 0; i < db.length; i++) {
                    db[i] += pb[i];
                }
            }
        }
    }

    private void backwardExample(int worker, float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] wt, Geometry g,
                                 int b, boolean first) {
        int k = g.k();
        int p = g.positions();
        int outPlane = g.out * p;
        int go = g.groupOut();
        for (int grp = 0; grp < g.groups; grp++) {
            Columns cols = columns(worker, x, g, b, grp);
            float[] c = cols.data();
            int cOff = cols.offset();
            int dyOff = b * outPlane + grp * go * p;
            int wOff = grp * go * k;
            // dW (+)= dy_b · colᵀ: a worker's first example overwrites its partial sum, the rest accumulate
            gemm(false, true, go, k, p, 1f, dy, dyOff, p, c, cOff, p, first ? 0f : 1f, dw, wOff, k);
            if (dx == null) {
                continue;
            }
            int dxOff = b * g.in * g.h * g.w + grp * g.groupIn() * g.h * g.w;
            if (g.pointwise()) {
                gemm(true, false, k, p, go, 1f, wt, wOff, k, dy, dyOff, p, 0f, dx, dxOff, p);
            } else {
                if (dcol[worker].length < k * p) {
                    dcol[worker] = new float[k * p];
                }
                gemm(true, false, k, p, go, 1f, wt, wOff, k, dy, dyOff, p, 0f, dcol[worker], 0, p);
                col2im(dx, dxOff, dcol[worker], g);
            }
        }
        if (db != null) {
            int base = b * outPlane;
            for (int o = 0; o < g.out; o++) {
                double s = 0;
                for (int i = base + o * p; i < base + (o + 1) * p; i++) {
                    s += dy[i];
                }
                db[o] += (float) s;
            }
        }
    }

    @Override
    public void close() {
        // the worker threads belong to the backend, which closes them
    }

    /**
     * The patches of the {@code groupIn} channels from {@code xOff} (one example's, or one group's of
     * it) as columns: row {@code (ci, i, j)}, column {@code (oh, ow)}; zero outside the image.
     *
     * <p>For each row and output row the output positions whose input column lies inside the image
     * form one interval, found once, so the inner loop has no bounds test: a copy for stride 1 (the
     * JIT turns it into vector moves), a strided gather otherwise, with the zero borders filled apart.
     */
    private float[] im2col(int worker, float[] x, int xOff, Geometry g) {
        int p = g.positions();
        if (col[worker].length < g.k() * p) {
            col[worker] = new float[g.k() * p];
        }
        float[] col = this.col[worker];
        int row = 0;
        int s = g.stride;
        for (int ci = 0; ci < g.groupIn(); ci++) {
            int plane = xOff + ci * g.h * g.w;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int shift = j - g.pad;
                    int ow0 = firstInside(shift, s);
                    int ow1 = Math.max(ow0, Math.min(g.wo, lastInside(shift, s, g.w) + 1));
                    int dst = row * p;
                    for (int oh = 0; oh < g.ho; oh++, dst += g.wo) {
                        int ih = oh * s - g.pad + i;
                        if (ih < 0 || ih >= g.h || ow0 >= ow1) {
                            Arrays.fill(col, dst, dst + g.wo, 0f);
                            continue;
                        }
                        // the borders are a column or two: a loop, not a call of Arrays.fill per row
                        for (int ow = 0; ow < ow0; ow++) {
                            col[dst + ow] = 0f;
                        }
                        int src = plane + ih * g.w + shift;
                        if (s == 1) {
                            System.arraycopy(x, src + ow0, col, dst + ow0, ow1 - ow0);
                        } else {
                            for (int ow = ow0; ow < ow1; ow++) {
                                col[dst + ow] = x[src + ow * s];
                            }
                        }
                        for (int ow = ow1; ow < g.wo; ow++) {
                            col[dst + ow] = 0f;
                        }
                    }
                }
            }
        }
        return col;
    }

    /** The first output column {@code ow ≥ 0} whose input column {@code ow·stride + shift} is ≥ 0. */
    private static int firstInside(int shift, int stride) {
        return shift >= 0 ? 0 : (-shift + stride - 1) / stride;
    }

    /** The last output column whose input column {@code ow·stride + shift} is below {@code width} (may be negative). */
    private static int lastInside(int shift, int stride, int width) {
        int last = width - 1 - shift;
        return last < 0 ? -1 : last / stride;
    }

    /**
     * The adjoint of {@link #im2col}: adds each patch gradient back onto the input positions it came
     * from, over the same inside intervals (no bounds test in the inner loop).
     */
    private static void col2im(float[] dx, int dxOff, float[] dc, Geometry g) {
        int p = g.positions();
        int row = 0;
        int s = g.stride;
        for (int ci = 0; ci < g.groupIn(); ci++) {
            int plane = dxOff + ci * g.h * g.w;
            for (int i = 0; i < g.kh; i++) {
                for (int j = 0; j < g.kw; j++, row++) {
                    int shift = j - g.pad;
                    int ow0 = firstInside(shift, s);
                    int ow1 = Math.max(ow0, Math.min(g.wo, lastInside(shift, s, g.w) + 1));
                    int src = row * p;
                    for (int oh = 0; oh < g.ho; oh++, src += g.wo) {
                        int ih = oh * s - g.pad + i;
                        if (ih < 0 || ih >= g.h) {
                            continue;
                        }
                        int dst = plane + ih * g.w + shift;
                        if (s == 1) {
                            for (int ow = ow0; ow < ow1; ow++) {
                                dx[dst + ow] += dc[src + ow];
                            }
                        } else {
                            for (int ow = ow0; ow < ow1; ow++) {
                                dx[dst + ow * s] += dc[src + ow];
                            }
                        }
                    }
                }
            }
        }
    }

    /** Row-major sgemm on sub-arrays, zero-copy when the pinned path is available. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff, int lda,
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
                            if (beats(v, bv)) {
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

    /**
     * Whether {@code v}, met after {@code best} in a max pool's scan, takes its place: strictly greater
     * (the first maximum in row order wins), or a NaN where {@code best} is none (NaN propagates, as in
     * PyTorch).
     */
    static boolean beats(float v, float best) {
        return v > best || (v != v && best == best);
    }

    /**
     * Global max pooling ({@code Backend.globalMaxPool}): each plane of {@code n} values scanned in
     * order as {@link #maxPool} scans a window; the planes split over the workers.
     */
    void globalMaxPool(float[] y, int[] argmax, float[] x, int planes, int n) {
        workers.parallel(planes, (long) planes * n, (worker, from, to) -> {
            for (int p = from; p < to; p++) {
                int base = p * n;
                int best = 0;
                float bv = x[base];
                for (int k = 1; k < n; k++) {
                    float v = x[base + k];
                    if (beats(v, bv)) {
                        bv = v;
                        best = k;
                    }
                }
                y[p] = bv;
                argmax[p] = best;
            }
        });
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
                    if (beats(v, bv)) {
                        bv = v;
                        best = r0 + c + 1;
                    }
                    v = x[xb + r1 + c];
                    if (beats(v, bv)) {
                        bv = v;
                        best = r1 + c;
                    }
                    v = x[xb + r1 + c + 1];
                    if (beats(v, bv)) {
                        bv = v;
                        best = r1 + c + 1;
                    }
                    y[yo + ow] = bv;
                    argmax[yo + ow] = best;
                }
            }
        }
    }

    /** Nearest upsampling of {@code planes} planes of {@code h × w} by {@code sh × sw}: each value over its block. */
    static void upsampleNearest(float[] y, float[] x, int planes, int h, int w, int sh, int sw) {
        int outW = w * sw;
        long outPlane = (long) h * sh * outW;
        for (int p = 0; p < planes; p++) {
            int src = p * h * w;
            long dst = p * outPlane;
            for (int i = 0; i < h; i++) {
                int row = (int) (dst + (long) i * sh * outW);
                for (int j = 0; j < w; j++) {
                    float v = x[src + i * w + j];
                    for (int b = 0; b < sw; b++) {
                        y[row + j * sw + b] = v;
                    }
                }
                for (int a = 1; a < sh; a++) {
                    System.arraycopy(y, row, y, row + a * outW, outW);
                }
            }
        }
    }

    /** The gradient of {@link #upsampleNearest}: each input position sums its block, rows then columns, in float. */
    static void upsampleNearestBackward(float[] dx, float[] dy, int planes, int h, int w, int sh, int sw) {
        int outW = w * sw;
        long outPlane = (long) h * sh * outW;
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    int base = (int) (p * outPlane + (long) i * sh * outW + (long) j * sw);
                    float s = 0f;
                    for (int a = 0; a < sh; a++) {
                        for (int b = 0; b < sw; b++) {
                            s += dy[base + a * outW + b];
                        }
                    }
                    dx[(p * h + i) * w + j] = s;
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

    /**
     * Max pooling with {@code pad > 0}: the window clipped to the plane, which is what −∞ padding
     * amounts to (a padded position never wins a comparison, and {@code pad ≤ window / 2} leaves every
     * window at least one real position). Same comparisons, in the same row order, as {@link #maxPool},
     * starting from the window's first real position. Planes split over the workers.
     */
    void maxPoolPadded(float[] y, int[] argmax, float[] x, int planes, int h, int w, int window, int stride, int pad, int ho, int wo) {
        workers.parallel(planes, (long) planes * ho * wo * window * window, (worker, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int xb = pl * h * w;
                int yb = pl * ho * wo;
                for (int oh = 0; oh < ho; oh++) {
                    int h0 = Math.max(oh * stride - pad, 0);
                    int h1 = Math.min(oh * stride - pad + window, h);
                    for (int ow = 0; ow < wo; ow++) {
                        int w0 = Math.max(ow * stride - pad, 0);
                        int w1 = Math.min(ow * stride - pad + window, w);
                        int best = h0 * w + w0;
                        float bv = x[xb + best];
                        for (int ih = h0; ih < h1; ih++) {
                            for (int iw = w0; iw < w1; iw++) {
                                float v = x[xb + ih * w + iw];
                                if (beats(v, bv)) {
                                    bv = v;
                                    best = ih * w + iw;
                                }
                            }
                        }
                        y[yb + oh * wo + ow] = bv;
                        argmax[yb + oh * wo + ow] = best;
                    }
                }
            }
        });
    }

    /**
     * The divisor of the average pooling window starting at {@code (h0, w0)} (padding included, so
     * possibly negative): with {@code countIncludePad} its positions up to the far padding,
     * {@code window²} but for a ceil-mode window that overhangs it (PyTorch's and ONNX Runtime's
     * count); else its positions inside the {@code h × w} plane.
     */
    private static int poolDivisor(int h0, int w0, int window, int pad, int h, int w, boolean countIncludePad) {
        if (countIncludePad) {
            return (Math.min(h0 + window, h + pad) - h0) * (Math.min(w0 + window, w + pad) - w0);
        }
        return (Math.min(h0 + window, h) - Math.max(h0, 0)) * (Math.min(w0 + window, w) - Math.max(w0, 0));
    }

    /**
     * Average pooling, planes split over the workers: each window's real positions summed in float
     * in row order, divided by {@link #poolDivisor} ({@code window²} with {@code countIncludePad} but
     * for ceil mode's partial windows, else the count of real positions).
     */
    void avgPool(float[] y, float[] x, int planes, int h, int w, int window, int stride, int pad, int ho, int wo,
                 boolean countIncludePad) {
        workers.parallel(planes, (long) planes * ho * wo * window * window, (worker, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                int xb = pl * h * w;
                int yb = pl * ho * wo;
                for (int oh = 0; oh < ho; oh++) {
                    int h0 = Math.max(oh * stride - pad, 0);
                    int h1 = Math.min(oh * stride - pad + window, h);
                    for (int ow = 0; ow < wo; ow++) {
                        int w0 = Math.max(ow * stride - pad, 0);
                        int w1 = Math.min(ow * stride - pad + window, w);
                        float s = 0f;
                        for (int ih = h0; ih < h1; ih++) {
                            int row = xb + ih * w;
                            for (int iw = w0; iw < w1; iw++) {
                                s += x[row + iw];
                            }
                        }
                        y[yb + oh * wo + ow] = s / poolDivisor(oh * stride - pad, ow * stride - pad, window, pad, h, w, countIncludePad);
                    }
                }
            }
        });
    }

    /**
     * Zero padding: each plane {@code x [h, w]} copied into {@code y [hp, wp]} at row {@code top},
     * column {@code left}, zeros around it; planes split over the workers.
     */
    void zeroPad(float[] y, float[] x, int planes, int h, int w, int top, int left, int hp, int wp) {
        workers.parallel(planes, (long) planes * hp * wp, (worker, from, to) -> {
            Arrays.fill(y, from * hp * wp, to * hp * wp, 0f);
            for (int pl = from; pl < to; pl++) {
                for (int r = 0; r < h; r++) {
                    System.arraycopy(x, (pl * h + r) * w, y, (pl * hp + top + r) * wp + left, w);
                }
            }
        });
    }

    /** The adjoint of {@link #zeroPad}: each plane of {@code dx [h, w]} read from {@code dy [hp, wp]}'s window. */
    void crop(float[] dx, float[] dy, int planes, int h, int w, int top, int left, int hp, int wp) {
        workers.parallel(planes, (long) planes * h * w, (worker, from, to) -> {
            for (int pl = from; pl < to; pl++) {
                for (int r = 0; r < h; r++) {
                    System.arraycopy(dy, (pl * hp + top + r) * wp + left, dx, (pl * h + r) * w, w);
                }
            }
        });
    }

    /**
     * The adjoint of {@link #avgPool}: {@code dx} zeroed, then each {@code dy / divisor} added onto its
     * window's real positions, outputs in row order (a plane is one worker's, so the order is fixed).
     */
    void avgPoolBackward(float[] dx, float[] dy, int planes, int h, int w, int window, int stride, int pad, int ho, int wo,
                         boolean countIncludePad) {
        workers.parallel(planes, (long) planes * ho * wo * window * window, (worker, from, to) -> {
            Arrays.fill(dx, from * h * w, to * h * w, 0f);
            for (int pl = from; pl < to; pl++) {
                int xb = pl * h * w;
                int yb = pl * ho * wo;
                for (int oh = 0; oh < ho; oh++) {
                    int h0 = Math.max(oh * stride - pad, 0);
                    int h1 = Math.min(oh * stride - pad + window, h);
                    for (int ow = 0; ow < wo; ow++) {
                        int w0 = Math.max(ow * stride - pad, 0);
                        int w1 = Math.min(ow * stride - pad + window, w);
                        float gv = dy[yb + oh * wo + ow] / poolDivisor(oh * stride - pad, ow * stride - pad, window, pad, h, w,
                                countIncludePad);
                        for (int ih = h0; ih < h1; ih++) {
                            int row = xb + ih * w;
                            for (int iw = w0; iw < w1; iw++) {
                                dx[row + iw] += gv;
                            }
                        }
                    }
                }
            }
        });
    }
}
