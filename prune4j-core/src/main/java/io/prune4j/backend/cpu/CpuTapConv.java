package io.prune4j.backend.cpu;

import java.util.Arrays;

/**
 * Stride-1 convolutions (one group, a kernel larger than 1×1) as one matrix product per kernel tap,
 * with no im2col. With the input zero-padded into planes of width {@code Wp = W + 2·pad}, output
 * position {@code q = oh·Wp + ow} reads tap {@code (i, j)} at {@code q + i·Wp + j}, so
 * <pre>
 *   Y'[o, q] = Σ_{i,j} W_ij[o, :] · Xp[:, q + i·Wp + j]       (W_ij = w[:, :, i, j], [out, in])
 * </pre>
 * is {@code kh·kw} products of {@code [out, in]} by a shifted view of the padded input, each
 * accumulated into the same result; the columns {@code ow ≥ Wo} of {@code Y'} wrap into the next row
 * and are dropped. Several examples sit side by side in the padded buffer ({@code Xp [in, nb, L]},
 * each plane followed by {@code kw − 1} zeros so that no view reads into the next example), so one
 * product covers them all. The im2col path writes and reads {@code kh·kw} copies of every input
 * value; this one reads the input once per tap from a buffer that stays in the cache, which makes
 * these convolutions (a ResNet's 3×3 stride-1 layers) about twice as fast.
 *
 * <p>Backward: the weight gradient of tap {@code (i, j)} is {@code dY' · Xp_ij^T}, with the output
 * gradient laid out like {@code Y'} (zeros in the dropped columns, so they add nothing), and the
 * input gradient is {@code Σ W_ij^T · dY'} added into the same shifted views of a padded buffer,
 * whose interior is the gradient. The examples are split over the workers; each worker's weight
 * gradient is summed in worker order, so a thread count gives one result.
 */
final class CpuTapConv {
    /** Examples packed side by side in one product: enough columns for OpenBLAS, a buffer that stays in L2. */
    private static final int EXAMPLES = 8;

    private final CpuWorkers workers;
    private final CpuConv conv;
    private final float[][] xp;
    private final float[][] yp;
    private final float[][] dxp;
    private final float[][] dwPart;
    private float[] taps = new float[0];

    CpuTapConv(CpuWorkers workers, CpuConv conv) {
        this.workers = workers;
        this.conv = conv;
        int t = workers.threads();
        xp = new float[t][0];
        yp = new float[t][0];
        dxp = new float[t][0];
        dwPart = new float[t][0];
    }

    /** Whether {@code g} is a convolution this class computes. */
    static boolean applies(CpuConv.Geometry g) {
        return g.stride() == 1 && g.groups() == 1 && g.kh() * g.kw() > 1 && g.batch() > 0 && g.out() > 0 && g.in() > 0;
    }

    /** The padded layout of one call: plane width and height, a plane's length with its tail, the examples per product. */
    private record Layout(int wp, int hp, int plane, int nb) {
        static Layout of(CpuConv.Geometry g) {
            int wp = g.w() + 2 * g.pad();
            int hp = g.h() + 2 * g.pad();
            return new Layout(wp, hp, hp * wp + g.kw() - 1, Math.min(EXAMPLES, g.batch()));
        }

        /** A row of a padded buffer: {@code nb} planes. */
        int row() {
            return nb * plane;
        }

        /** Columns of a product over {@code count} examples: up to the last example's last output row. */
        int columns(CpuConv.Geometry g, int count) {
            return (count - 1) * plane + g.ho() * wp;
        }
    }

    /** {@code w [out, in, kh, kw]} as {@code kh·kw} matrices {@code [out, in]}, tap by tap. */
    private float[] taps(float[] w, CpuConv.Geometry g) {
        int t = g.kh() * g.kw();
        int n = t * g.out() * g.in();
        if (taps.length < n) {
            taps = new float[n];
        }
        for (int o = 0; o < g.out(); o++) {
            for (int c = 0; c < g.in(); c++) {
                int src = (o * g.in() + c) * t;
                for (int k = 0; k < t; k++) {
                    taps[(k * g.out() + o) * g.in() + c] = w[src + k];
                }
            }
        }
        return taps;
    }

    private static float[] grow(float[][] buffers, int worker, int n) {
        if (buffers[worker].length < n) {
            buffers[worker] = new float[n];
        }
        return buffers[worker];
    }

    /** Examples {@code [e0, e0 + count)} of {@code x} into the padded buffer, borders and tails zero. */
    private static void pack(float[] p, float[] x, CpuConv.Geometry g, Layout l, int e0, int count) {
        Arrays.fill(p, 0, g.in() * l.row(), 0f);
        int inPlane = g.h() * g.w();
        for (int c = 0; c < g.in(); c++) {
            for (int e = 0; e < count; e++) {
                int src = ((e0 + e) * g.in() + c) * inPlane;
                int dst = c * l.row() + e * l.plane() + g.pad() * l.wp() + g.pad();
                for (int r = 0; r < g.h(); r++) {
                    System.arraycopy(x, src + r * g.w(), p, dst + r * l.wp(), g.w());
                }
            }
        }
    }

    void forward(float[] y, float[] x, float[] w, float[] bias, CpuConv.Geometry g, boolean relu) {
        Layout l = Layout.of(g);
        float[] t = taps(w, g);
        int kt = g.kh() * g.kw();
        workers.parallel(g.batch(), (worker, from, to) -> {
            float[] p = grow(xp, worker, g.in() * l.row());
            float[] out = grow(yp, worker, g.out() * l.row());
            for (int e0 = from; e0 < to; e0 += l.nb()) {
                int count = Math.min(l.nb(), to - e0);
                pack(p, x, g, l, e0, count);
                int n = l.columns(g, count);
                for (int k = 0; k < kt; k++) {
                    int shift = (k / g.kw()) * l.wp() + k % g.kw();
                    conv.gemm(false, false, g.out(), n, g.in(), 1f, t, k * g.out() * g.in(), g.in(), p, shift, l.row(), k == 0 ? 0f : 1f,
                            out, 0, l.row());
                }
                crop(y, out, bias, relu, g, l, e0, count);
            }
        });
    }

    /** The valid columns of {@code Y'} into {@code y} (NCHW), with the bias and the ReLU. */
    private static void crop(float[] y, float[] out, float[] bias, boolean relu, CpuConv.Geometry g, Layout l, int e0, int count) {
        int p = g.ho() * g.wo();
        for (int e = 0; e < count; e++) {
            for (int o = 0; o < g.out(); o++) {
                float b = bias == null ? 0f : bias[o];
                int dst = ((e0 + e) * g.out() + o) * p;
                int src = o * l.row() + e * l.plane();
                for (int oh = 0; oh < g.ho(); oh++, dst += g.wo(), src += l.wp()) {
                    if (bias == null && !relu) {
                        System.arraycopy(out, src, y, dst, g.wo());
                        continue;
                    }
                    for (int ow = 0; ow < g.wo(); ow++) {
                        float v = out[src + ow] + b;
                        y[dst + ow] = relu && v < 0f ? 0f : v;
                    }
                }
            }
        }
    }

    /** Gradients of {@link #forward} without its activation; {@code dx} and {@code db} may be null. */
    void backward(float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] w, CpuConv.Geometry g) {
        Layout l = Layout.of(g);
        float[] t = taps(w, g);
        int kt = g.kh() * g.kw();
        int tapWeights = g.out() * g.in();
        int used = workers.parallel(g.batch(), (worker, from, to) -> {
            float[] p = grow(xp, worker, g.in() * l.row());
            float[] d = grow(yp, worker, g.out() * l.row());
            float[] part = grow(dwPart, worker, kt * tapWeights);
            float[] dp = dx == null ? null : grow(dxp, worker, g.in() * l.row());
            boolean first = true;
            for (int e0 = from; e0 < to; e0 += l.nb()) {
                int count = Math.min(l.nb(), to - e0);
                pack(p, x, g, l, e0, count);
                spread(d, dy, g, l, e0, count);
                int n = l.columns(g, count);
                for (int k = 0; k < kt; k++) {
                    int shift = (k / g.kw()) * l.wp() + k % g.kw();
                    // dW_ij (+)= dY' · Xp_ij^T: a worker's first chunk overwrites its partial sum, the rest accumulate
                    conv.gemm(false, true, g.out(), g.in(), n, 1f, d, 0, l.row(), p, shift, l.row(), first ? 0f : 1f,
                            part, k * tapWeights, g.in());
                }
                first = false;
                if (dp != null) {
                    Arrays.fill(dp, 0, g.in() * l.row(), 0f);
                    for (int k = 0; k < kt; k++) {
                        int shift = (k / g.kw()) * l.wp() + k % g.kw();
                        conv.gemm(true, false, g.in(), n, g.out(), 1f, t, k * tapWeights, g.in(), d, 0, l.row(), 1f, dp, shift, l.row());
                    }
                    interior(dx, dp, g, l, e0, count);
                }
            }
        });
        // the workers' partial sums in worker order, then from tap order back to [out, in, kh, kw]
        float[] sum = grow(dwPart, 0, kt * tapWeights);
        for (int worker = 1; worker < used; worker++) {
            float[] part = dwPart[worker];
            for (int i = 0; i < kt * tapWeights; i++) {
                sum[i] += part[i];
            }
        }
        for (int o = 0; o < g.out(); o++) {
            for (int c = 0; c < g.in(); c++) {
                int dst = (o * g.in() + c) * kt;
                for (int k = 0; k < kt; k++) {
                    dw[dst + k] = sum[(k * g.out() + o) * g.in() + c];
                }
            }
        }
        if (db != null) {
            Arrays.fill(db, 0f);
            int p = g.ho() * g.wo();
            for (int e = 0; e < g.batch(); e++) {
                for (int o = 0; o < g.out(); o++) {
                    double s = 0;
                    int base = (e * g.out() + o) * p;
                    for (int i = base; i < base + p; i++) {
                        s += dy[i];
                    }
                    db[o] += (float) s;
                }
            }
        }
    }

    /** The output gradient of examples {@code [e0, e0 + count)} laid out like {@code Y'}, zero in the dropped columns. */
    private static void spread(float[] d, float[] dy, CpuConv.Geometry g, Layout l, int e0, int count) {
        Arrays.fill(d, 0, g.out() * l.row(), 0f);
        int p = g.ho() * g.wo();
        for (int e = 0; e < count; e++) {
            for (int o = 0; o < g.out(); o++) {
                int src = ((e0 + e) * g.out() + o) * p;
                int dst = o * l.row() + e * l.plane();
                for (int oh = 0; oh < g.ho(); oh++) {
                    System.arraycopy(dy, src + oh * g.wo(), d, dst + oh * l.wp(), g.wo());
                }
            }
        }
    }

    /** The interior of the padded input gradient into {@code dx} (NCHW). */
    private static void interior(float[] dx, float[] dp, CpuConv.Geometry g, Layout l, int e0, int count) {
        int inPlane = g.h() * g.w();
        for (int c = 0; c < g.in(); c++) {
            for (int e = 0; e < count; e++) {
                int dst = ((e0 + e) * g.in() + c) * inPlane;
                int src = c * l.row() + e * l.plane() + g.pad() * l.wp() + g.pad();
                for (int r = 0; r < g.h(); r++) {
                    System.arraycopy(dp, src + r * l.wp(), dx, dst + r * g.w(), g.w());
                }
            }
        }
    }
}
