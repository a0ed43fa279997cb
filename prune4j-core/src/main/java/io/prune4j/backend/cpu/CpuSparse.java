package io.prune4j.backend.cpu;

import io.prune4j.backend.SparseMatrix;

/**
 * The CPU's sparse × dense product for masked Dense weights at inference, in plain Java:
 * {@code c [batch, rows] = a [batch, cols] · Wᵀ} with {@code W} in CSR (row offsets, column indices,
 * values of the kept entries).
 *
 * <p>One example ({@code batch = 1}): per output row a gather-dot over its kept entries, on the
 * caller's thread (the work is a few tens of thousands of multiply-adds; waking a thread costs more).
 *
 * <p>Several examples: the batch goes in chunks of up to {@link #CHUNK}; a chunk of the input is
 * first transposed into a scratch {@code [cols][n]} (one array per input column), so that for an output row each kept entry
 * {@code (j, v)} adds {@code v · xᵀ[j, 0..n)} to a row of {@code n} accumulators: the inner loop is
 * contiguous over the batch, which the JIT vectorises. The transposition is split over columns and
 * the rows over the backend's workers. Nothing is allocated per call once the scratch exists.
 *
 * <p>Same result as the dense masked product up to float rounding: each output sums the same
 * products (in four interleaved partial sums for one example, four at a time for a batch), so it
 * differs from OpenBLAS's blocked order by a few ulps.
 */
final class CpuSparse {
    /**
     * Most examples per chunk: the axpy over a chunk is the inner loop, long enough here for the
     * JIT's vectorised main loop to dominate (at 32 its pre- and post-loops cost as much), and the
     * transposed input chunk of a 784-wide layer (800 KB) still fits in L2 with the weights.
     */
    static final int CHUNK = 256;

    private CpuSparse() {}

    /** A weight in CSR with per-worker scratch for the transposed input chunks. */
    static final class Csr implements SparseMatrix {
        final int rows;
        final int cols;
        final int[] offsets;
        final int[] columns;
        final float[] values;
        /** Scratch: the transposed input chunk, one array per input column, and per-worker accumulators. */
        float[][] transposed;
        float[][] acc;
        /** Scratch of the sparse convolution, per worker. */
        ConvScratch[] conv;

        Csr(int rows, int cols, int[] offsets, int[] columns, float[] values) {
            this.rows = rows;
            this.cols = cols;
            this.offsets = offsets;
            this.columns = columns;
            this.values = values;
        }

        @Override
        public int rows() {
            return rows;
        }

        @Override
        public int cols() {
            return cols;
        }

        @Override
        public long nonzeros() {
            return values.length;
        }

        @Override
        public void close() {
            transposed = null;
            acc = null;
            conv = null;
        }
    }

    /** The CSR form of {@code w [rows, cols]} keeping the entries where {@code mask} is not 0. */
    static Csr build(float[] w, float[] mask, int rows, int cols) {
        int nnz = 0;
        for (float m : mask) {
            if (m != 0) {
                nnz++;
            }
        }
        int[] offsets = new int[rows + 1];
        int[] columns = new int[nnz];
        float[] values = new float[nnz];
        int k = 0;
        for (int r = 0; r < rows; r++) {
            int base = r * cols;
            for (int j = 0; j < cols; j++) {
                if (mask[base + j] != 0) {
                    columns[k] = j;
                    values[k] = w[base + j];
                    k++;
                }
            }
            offsets[r + 1] = k;
        }
        return new Csr(rows, cols, offsets, columns, values);
    }

    /** {@code c [batch, rows] = a [batch, cols] · sᵀ} on {@code workers}. */
    static void matmul(float[] c, float[] a, int batch, Csr s, CpuWorkers workers) {
        if (batch == 0 || s.rows == 0) {
            return;
        }
        if (batch == 1) {
            single(c, a, s, 0, s.rows);
            return;
        }
        int cols = s.cols;
        int rows = s.rows;
        int chunk = Math.min(batch, CHUNK);
        if (s.transposed == null || s.transposed.length != cols || (cols > 0 && s.transposed[0].length < chunk)) {
            s.transposed = new float[cols][chunk];
        }
        if (s.acc == null || s.acc.length < workers.threads()) {
            s.acc = new float[workers.threads()][];
        }
        float[][] xt = s.transposed;
        for (int b0 = 0; b0 < batch; b0 += chunk) {
            int n = Math.min(chunk, batch - b0);
            int start = b0;
            workers.parallel(cols, (long) n * cols, (worker, from, to) -> {
                for (int e = 0; e < n; e++) {
                    int src = (start + e) * cols;
                    for (int j = from; j < to; j++) {
                        xt[j][e] = a[src + j];
                    }
                }
            });
            workers.parallel(rows, (long) n * Math.max(1, s.values.length), (worker, from, to) -> {
                float[] acc = s.acc[worker];
                if (acc == null || acc.length < chunk) {
                    acc = new float[chunk];
                    s.acc[worker] = acc;
                }
                rows(c, xt, s, start, n, from, to, acc);
            });
        }
    }

    private static void single(float[] c, float[] a, Csr s, int from, int to) {
        int[] off = s.offsets;
        int[] col = s.columns;
        float[] v = s.values;
        for (int r = from; r < to; r++) {
            // four partial sums: one chain of dependent adds would wait on the adder's latency at every entry
            float s0 = 0;
            float s1 = 0;
            float s2 = 0;
            float s3 = 0;
            int k = off[r];
            int end = off[r + 1];
            for (; k + 3 < end; k += 4) {
                s0 += v[k] * a[col[k]];
                s1 += v[k + 1] * a[col[k + 1]];
                s2 += v[k + 2] * a[col[k + 2]];
                s3 += v[k + 3] * a[col[k + 3]];
            }
            for (; k < end; k++) {
                s0 += v[k] * a[col[k]];
            }
            c[r] = (s0 + s1) + (s2 + s3);
        }
    }

    /** Output rows {@code [from, to)} of examples {@code [b0, b0 + n)}, whose inputs are transposed in {@code xt [cols][n]}. */
    private static void rows(float[] c, float[][] xt, Csr s, int b0, int n, int from, int to, float[] acc) {
        int rows = s.rows;
        for (int r = from; r < to; r++) {
            accumulateRow(acc, xt, s, r, n);
            for (int e = 0; e < n; e++) {
                c[(b0 + e) * rows + r] = acc[e];
            }
        }
    }

    /** {@code acc[0..n) = Σ_k v_k · xt[col_k][0..n)} over row {@code r}'s kept entries. */
    private static void accumulateRow(float[] acc, float[][] xt, Csr s, int r, int n) {
        int[] off = s.offsets;
        int[] col = s.columns;
        float[] v = s.values;
        java.util.Arrays.fill(acc, 0, n, 0f);
        int k = off[r];
        int end = off[r + 1];
        // four entries per pass: one load and one store of acc for four multiply-adds
        for (; k + 3 < end; k += 4) {
            float w0 = v[k];
            float w1 = v[k + 1];
            float w2 = v[k + 2];
            float w3 = v[k + 3];
            float[] x0 = xt[col[k]];
            float[] x1 = xt[col[k + 1]];
            float[] x2 = xt[col[k + 2]];
            float[] x3 = xt[col[k + 3]];
            for (int e = 0; e < n; e++) {
                acc[e] += w0 * x0[e] + w1 * x1[e] + w2 * x2[e] + w3 * x3[e];
            }
        }
        for (; k < end; k++) {
            float w = v[k];
            float[] x = xt[col[k]];
            // one array per input column, indexed like acc: C2 (JDK 17) vectorises this axpy, and not the same loop
            // over one flat [cols · n] scratch at an offset (measured: 7.8 against 1.6 GMAC/s on the 2-core EPYC)
            for (int e = 0; e < n; e++) {
                acc[e] += w * x[e];
            }
        }
    }

    /** Per-worker scratch of the sparse convolution: the example's im2col rows and one output row. */
    static final class ConvScratch {
        final float[][] columns;
        final float[] acc;

        ConvScratch(int k, int positions) {
            columns = new float[k][positions];
            acc = new float[positions];
        }
    }

    /**
     * A one-group convolution with a sparse filter bank {@code s [out, in·kh·kw]}: per example, the
     * input's im2col rows (one array per (channel, ky, kx), over the output positions) and, per output
     * channel, the row product of {@link #accumulateRow} over them, plus the bias and the ReLU.
     * {@code y [batch, out, ho, wo]}, {@code x [batch, in, h, w]}; examples split over the workers.
     */
    static void conv2d(float[] y, float[] x, Csr s, float[] bias, CpuConv.Geometry g, boolean relu, CpuWorkers workers,
                       ConvScratch[] scratch) {
        int positions = g.ho() * g.wo();
        int k = g.in() * g.kh() * g.kw();
        long work = (long) g.batch() * positions * Math.max(1, s.values.length);
        workers.parallel(g.batch(), work, (worker, from, to) -> {
            if (scratch[worker] == null || scratch[worker].columns.length != k || scratch[worker].acc.length != positions) {
                scratch[worker] = new ConvScratch(k, positions);
            }
            ConvScratch sc = scratch[worker];
            for (int b = from; b < to; b++) {
                im2col(sc.columns, x, b, g);
                int yBase = b * g.out() * positions;
                for (int o = 0; o < g.out(); o++) {
                    accumulateRow(sc.acc, sc.columns, s, o, positions);
                    float add = bias == null ? 0f : bias[o];
                    int base = yBase + o * positions;
                    for (int p = 0; p < positions; p++) {
                        float v = sc.acc[p] + add;
                        y[base + p] = relu && v < 0 ? 0f : v;
                    }
                }
            }
        });
    }

    /** Example {@code b}'s patches: row {@code (c·kh + ky)·kw + kx} holds the input seen by that tap at every output position. */
    private static void im2col(float[][] columns, float[] x, int b, CpuConv.Geometry g) {
        int h = g.h();
        int w = g.w();
        int ho = g.ho();
        int wo = g.wo();
        int stride = g.stride();
        int pad = g.pad();
        int row = 0;
        for (int c = 0; c < g.in(); c++) {
            int plane = (b * g.in() + c) * h * w;
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++) {
                    float[] out = columns[row++];
                    for (int oy = 0; oy < ho; oy++) {
                        int iy = oy * stride - pad + ky;
                        int o = oy * wo;
                        if (iy < 0 || iy >= h) {
                            java.util.Arrays.fill(out, o, o + wo, 0f);
                            continue;
                        }
                        int src = plane + iy * w;
                        for (int ox = 0; ox < wo; ox++) {
                            int ix = ox * stride - pad + kx;
                            out[o + ox] = ix < 0 || ix >= w ? 0f : x[src + ix];
                        }
                    }
                }
            }
        }
    }
}
