package io.prune4j.backend.cpu;

import java.util.Arrays;

/**
 * Depthwise convolution (one input channel per group, {@code out = m·in} for a channel multiplier
 * {@code m}, weights {@code [out, 1, kh, kw]}) as direct loops: im2col would build a
 * {@code [kh·kw, Ho·Wo]} matrix per channel for a product with one row, all packing and no arithmetic.
 *
 * <p><b>Loops.</b> C2 (JDK 17) vectorises a loop only when every array in it is indexed by the loop
 * variable itself: {@code acc[t] += w·q[t + off]} stays scalar, because {@code acc} and {@code q}
 * might be one array, and with an offset the iterations would then depend on each other. So each of
 * the {@code kh·kw} taps' view of the (padded) input plane is first copied with
 * {@link System#arraycopy} (itself vectorised) into an array of its own, {@code tap_k[t]} being what
 * tap {@code k} multiplies for output {@code t}, and every arithmetic loop reads all its operands at
 * {@code t}:
 * <ul>
 *   <li>forward: {@code y[t] = Σ_k w[k]·tap_k[t]}, three taps per pass (a longer loop body is not
 *       unrolled enough to be vectorised);</li>
 *   <li>weight gradient: {@code P_k[t] += dy[t]·tap_k[t]} over the examples, one accumulator plane per
 *       filter and tap, each reduced over {@code t} once at the end (in double, in order);</li>
 *   <li>input gradient: the adjoint of the forward pass, by the same weighted sums (below).</li>
 * </ul>
 *
 * <p><b>Same-width layout</b> (stride 1, a square kernel of side {@code 2·pad + 1}: 3×3 pad 1, 5×5
 * pad 2, 1×1): the output rows are as wide as the input's, so a plane is one flat run
 * {@code t = oh·W + ow}, and tap {@code (i, j)} reads the input at {@code t + i·W + j} in a buffer
 * holding the plane after {@code pad} zero rows (and {@code pad} zeros). The column offset
 * {@code d = j − pad} makes the first or last {@code |d|} outputs of each row read the neighbouring
 * row instead of the padding, so the taps of offset {@code d} are copied from a version of that
 * buffer with those columns zeroed. The input gradient of this geometry is the same-width
 * correlation of {@code dy} with the kernel turned by 180°. No output is computed twice or dropped,
 * and a plane goes to {@code y} in one copy.
 *
 * <p><b>Phase layout</b> (any other geometry, stride 2 included): the input plane is copied, zero
 * padded, into a buffer split into its {@code s × s} stride phases: phase {@code (a, b)} holds the
 * padded positions {@code (s·r + a, s·c + b)} as an {@code Hq × Wq} plane ({@code Hq = ⌈Hp / s⌉},
 * {@code Wq = ⌈Wp / s⌉}). Output {@code (oh, ow)} then reads tap {@code (i, j)} in phase
 * {@code (i mod s, j mod s)} at {@code (oh + i/s, ow + j/s)}: at a constant offset from
 * {@code t = oh·Wq + ow} per tap, whatever the stride. The {@code Wq − Wo} outputs past each row's
 * end are computed and dropped (as gradients, fed zeros). The input gradient is the adjoint in phase
 * space, {@code dq[u] = Σ_k w[k]·dy[u − off_k]}, with {@code dy} copied into one zero-filled array
 * per tap shifted by {@code off_k}; the real positions of {@code dq} then go back to {@code dx}.
 *
 * <p><b>Threads.</b> Forward planes are split over the workers. The backward pass splits input
 * channels: each weight and bias gradient is summed by one thread in a fixed order (over the
 * examples, then over the positions), and a channel's {@code m} filters' input gradients land on one
 * thread. Either way the result does not depend on the thread count.
 */
final class CpuDepthwise {
    private final CpuWorkers workers;
    private final Scratch[] scratch;

    CpuDepthwise(CpuWorkers workers) {
        this.workers = workers;
        this.scratch = new Scratch[workers.threads()];
        for (int i = 0; i < scratch.length; i++) {
            scratch[i] = new Scratch();
        }
    }

    /**
     * One worker's buffers, grown on demand: {@code buf}, a padded and phase-split plane;
     * {@code bufs}, the padded planes of the same-width layout, one per column offset;
     * {@code acc} and {@code grad}, flat output or gradient planes; {@code xTaps} and {@code dyTaps},
     * one array per tap; {@code partial}, one weight-gradient accumulator plane per filter of a
     * channel and tap; {@code flipped}, a kernel turned by 180°.
     */
    private static final class Scratch {
        float[] buf = new float[0];
        float[][] bufs = new float[0][];
        float[] acc = new float[0];
        float[] grad = new float[0];
        float[] flipped = new float[0];
        float[][] xTaps = new float[0][];
        float[][] dyTaps = new float[0][];
        float[][] partial = new float[0][];

        static float[] grow(float[] a, int n) {
            return a.length < n ? new float[n] : a;
        }

        static float[][] grow(float[][] a, int rows, int n) {
            return a.length < rows || (rows > 0 && a[0].length < n) ? new float[rows][n] : a;
        }
    }

    /** Stride 1 and a square kernel of side {@code 2·pad + 1}: every output row is as wide as its input row. */
    private static boolean sameWidth(CpuConv.Geometry g) {
        return g.stride() == 1 && g.kh() == g.kw() && g.kw() == 2 * g.pad() + 1;
    }

    // ---- forward ---------------------------------------------------------------------------------

    /** {@code y = act(depthwise(x, w) + bias)}, {@code bias} null for none. */
    void forward(float[] y, float[] x, float[] wt, float[] bias, CpuConv.Geometry g, boolean relu) {
        boolean same = sameWidth(g);
        Phases l = same ? null : Phases.of(g);
        int m = g.groupOut();
        int taps = g.kh() * g.kw();
        int n = same ? g.positions() : l.outputs;
        int planes = g.batch() * g.in();
        workers.parallel(planes, (long) planes * m * g.positions() * taps, (worker, from, to) -> {
            Scratch sc = scratch[worker];
            if (same) {
                sc.bufs = Scratch.grow(sc.bufs, g.kw(), sameWidthLength(g.h(), g.w(), g.pad()));
                clearSameWidth(sc.bufs, g.kw(), sameWidthLength(g.h(), g.w(), g.pad()));
            } else {
                sc.buf = Scratch.grow(sc.buf, l.length);
                Arrays.fill(sc.buf, 0, l.length, 0f);
            }
            sc.acc = Scratch.grow(sc.acc, n);
            sc.xTaps = Scratch.grow(sc.xTaps, taps, n);
            for (int pl = from; pl < to; pl++) {
                int b = pl / g.in();
                int ci = pl % g.in();
                if (same) {
                    sameWidthTaps(sc.xTaps, sc.bufs, x, pl * g.h() * g.w(), g.h(), g.w(), g.kw(), g.pad());
                } else {
                    l.split(sc.buf, x, pl * g.h() * g.w(), g);
                    l.taps(sc.xTaps, sc.buf);
                }
                for (int o = ci * m; o < (ci + 1) * m; o++) {
                    float[] acc = sc.acc;
                    weightedSum(acc, sc.xTaps, wt, o * taps, taps, n, false);
                    if (bias != null) {
                        float bo = bias[o];
                        for (int t = 0; t < n; t++) {
                            float v = acc[t] + bo;
                            acc[t] = relu && v < 0f ? 0f : v;
                        }
                    } else if (relu) {
                        for (int t = 0; t < n; t++) {
                            acc[t] = acc[t] < 0f ? 0f : acc[t];
                        }
                    }
                    int yb = (b * g.out() + o) * g.positions();
                    if (same) {
                        System.arraycopy(acc, 0, y, yb, n);
                    } else {
                        for (int oh = 0; oh < g.ho(); oh++) {
                            System.arraycopy(acc, oh * l.wq, y, yb + oh * g.wo(), g.wo());
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code out[t] (+)= Σ_k w[wOff + k]·src[k][t]} for {@code t < n}, overwriting unless
     * {@code accumulate}: three taps per pass, {@code out + ((w₀a + w₁b) + w₂c)}, so the order of the
     * additions is fixed by the tap count alone.
     */
    private static void weightedSum(float[] out, float[][] src, float[] w, int wOff, int taps, int n, boolean accumulate) {
        boolean add = accumulate;
        for (int k = 0; k < taps; k += 3) {
            int left = taps - k;
            float[] a = src[k];
            float wa = w[wOff + k];
            if (left >= 3) {
                float[] b = src[k + 1];
                float[] c = src[k + 2];
                float wb = w[wOff + k + 1];
                float wc = w[wOff + k + 2];
                if (add) {
                    for (int t = 0; t < n; t++) {
                        out[t] += wa * a[t] + wb * b[t] + wc * c[t];
                    }
                } else {
                    for (int t = 0; t < n; t++) {
                        out[t] = wa * a[t] + wb * b[t] + wc * c[t];
                    }
                }
            } else if (left == 2) {
                float[] b = src[k + 1];
                float wb = w[wOff + k + 1];
                if (add) {
                    for (int t = 0; t < n; t++) {
                        out[t] += wa * a[t] + wb * b[t];
                    }
                } else {
                    for (int t = 0; t < n; t++) {
                        out[t] = wa * a[t] + wb * b[t];
                    }
                }
            } else if (add) {
                for (int t = 0; t < n; t++) {
                    out[t] += wa * a[t];
                }
            } else {
                for (int t = 0; t < n; t++) {
                    out[t] = wa * a[t];
                }
            }
            add = true;
        }
    }

    // ---- same-width layout -----------------------------------------------------------------------

    /** The buffers of {@link #sameWidthTaps}: the plane after {@code pad} zero rows and {@code pad} zeros, and as many after it. */
    private static int sameWidthLength(int rows, int w, int pad) {
        return (rows + 2 * pad) * w + 2 * pad;
    }

    /**
     * Zeroes the same-width buffers' padding, which {@link #sameWidthTaps} never writes: once per
     * operation and worker rather than once per plane.
     */
    private static void clearSameWidth(float[][] bufs, int k, int length) {
        for (int j = 0; j < k; j++) {
            Arrays.fill(bufs[j], 0, length, 0f);
        }
    }

    /**
     * The {@code k × k} tap views ({@code k = 2·pad + 1}) of the {@code rows × w} plane of {@code src}
     * at {@code srcOff}, zero padded: {@code taps[i·k + j][t] = plane[oh + i − pad, ow + j − pad]} for
     * {@code t = oh·w + ow < rows·w}. {@code bufs} holds one padded copy of the plane per column offset
     * {@code d = j − pad} (padding zeroed by {@link #clearSameWidth}), in which the columns that the flat
     * reads of offset {@code d} take for padding (the last {@code −d} or the first {@code d} of each row)
     * are zeroed, so the tap copies come out right as they are. (Zeroing those entries in each tap's copy
     * instead makes the loads that follow wait on the stores: single-element stores just behind wide
     * ones defeat store-to-load forwarding.)
     */
    private static void sameWidthTaps(float[][] taps, float[][] bufs, float[] src, int srcOff, int rows, int w, int k, int pad) {
        int lead = pad + pad * w;
        int n = rows * w;
        for (int j = 0; j < k; j++) {
            int d = j - pad;
            float[] b = bufs[j];
            System.arraycopy(src, srcOff, b, lead, n);
            int c0 = d < 0 ? Math.max(w + d, 0) : 0;
            int c1 = d < 0 ? w : Math.min(d, w);
            for (int c = c0; c < c1; c++) {
                for (int r = lead + c; r < lead + n; r += w) {
                    b[r] = 0f;
                }
            }
        }
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                System.arraycopy(bufs[j], i * w + j, taps[i * k + j], 0, n);
            }
        }
    }

    // ---- phase layout ----------------------------------------------------------------------------

    /** Where the taps of one geometry read in the phase-split layout, and how it maps to the plane. */
    private static final class Phases {
        final int s;
        final int pad;
        final int hq;
        final int wq;
        final int[] offsets;
        /** Buffer length: the phases, plus the reads of the dropped columns past the last one's end ({@code ≤ (kw − 1) / s}). */
        final int length;
        /** Flat outputs per plane, dropped columns included: {@code Ho·Wq}. */
        final int outputs;

        private Phases(CpuConv.Geometry g) {
            s = g.stride();
            pad = g.pad();
            hq = (g.h() + 2 * pad + s - 1) / s;
            wq = (g.w() + 2 * pad + s - 1) / s;
            offsets = new int[g.kh() * g.kw()];
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    offsets[i * g.kw() + j] = ((i % s) * s + j % s) * hq * wq + (i / s) * wq + j / s;
                }
            }
            length = s * s * hq * wq + g.kw();
            outputs = g.ho() * wq;
        }

        static Phases of(CpuConv.Geometry g) {
            return new Phases(g);
        }

        /**
         * Copies the plane of {@code x} at {@code xOff} into its phases in {@code q}. Writes the real
         * positions only: the padding is zeroed once per operation and worker by the caller.
         */
        void split(float[] q, float[] x, int xOff, CpuConv.Geometry g) {
            int hqwq = hq * wq;
            for (int ih = 0; ih < g.h(); ih++) {
                int r = ih + pad;
                int rowBase = (r % s) * s * hqwq + (r / s) * wq;
                int src = xOff + ih * g.w();
                if (s == 1) {
                    System.arraycopy(x, src, q, rowBase + pad, g.w());
                } else if (s == 2) {
                    // both column phases in one pass: per-phase loops of W/2 iterations cost more in loop overhead than in copying
                    int even = rowBase + (pad & 1) * hqwq + (pad >> 1);
                    int odd = rowBase + ((pad + 1) & 1) * hqwq + ((pad + 1) >> 1);
                    int pairs = g.w() / 2;
                    for (int c = 0; c < pairs; c++) {
                        q[even + c] = x[src + 2 * c];
                        q[odd + c] = x[src + 2 * c + 1];
                    }
                    if ((g.w() & 1) != 0) {
                        q[even + pairs] = x[src + g.w() - 1];
                    }
                } else {
                    for (int b = 0; b < s; b++) {
                        // padded columns c ≡ b (mod s) hold input columns c − pad: the first at or after 0, then every s-th
                        int iw0 = Math.floorMod(b - pad, s);
                        int dst = rowBase + b * hqwq + (iw0 + pad) / s;
                        for (int iw = iw0; iw < g.w(); iw += s, dst++) {
                            q[dst] = x[src + iw];
                        }
                    }
                }
            }
        }

        /** The real (unpadded) positions of the phase-split {@code q}, written to the plane of {@code dx} at {@code dxOff}: {@link #split}'s inverse. */
        void merge(float[] dx, int dxOff, float[] q, CpuConv.Geometry g) {
            int hqwq = hq * wq;
            for (int ih = 0; ih < g.h(); ih++) {
                int r = ih + pad;
                int rowBase = (r % s) * s * hqwq + (r / s) * wq;
                int dst = dxOff + ih * g.w();
                if (s == 1) {
                    System.arraycopy(q, rowBase + pad, dx, dst, g.w());
                } else if (s == 2) {
                    int even = rowBase + (pad & 1) * hqwq + (pad >> 1);
                    int odd = rowBase + ((pad + 1) & 1) * hqwq + ((pad + 1) >> 1);
                    int pairs = g.w() / 2;
                    for (int c = 0; c < pairs; c++) {
                        dx[dst + 2 * c] = q[even + c];
                        dx[dst + 2 * c + 1] = q[odd + c];
                    }
                    if ((g.w() & 1) != 0) {
                        dx[dst + g.w() - 1] = q[even + pairs];
                    }
                } else {
                    for (int b = 0; b < s; b++) {
                        int iw0 = Math.floorMod(b - pad, s);
                        int src = rowBase + b * hqwq + (iw0 + pad) / s;
                        for (int iw = iw0; iw < g.w(); iw += s, src++) {
                            dx[dst + iw] = q[src];
                        }
                    }
                }
            }
        }

        /** The tap views of the phase-split {@code q}: {@code taps[k][t] = q[t + off_k]}, {@code t < Ho·Wq}. */
        void taps(float[][] taps, float[] q) {
            for (int k = 0; k < offsets.length; k++) {
                System.arraycopy(q, offsets[k], taps[k], 0, outputs);
            }
        }
    }

    // ---- backward --------------------------------------------------------------------------------

    /** Gradients of {@link #forward} without its activation; {@code dx} and {@code db} may be null. */
    void backward(float[] dx, float[] dw, float[] db, float[] dy, float[] x, float[] wt, CpuConv.Geometry g) {
        boolean same = sameWidth(g);
        Phases l = same ? null : Phases.of(g);
        int m = g.groupOut();
        int taps = g.kh() * g.kw();
        int n = same ? g.positions() : l.outputs;
        int length = same ? sameWidthLength(g.h(), g.w(), g.pad()) : l.length;
        long work = (long) g.batch() * g.out() * g.positions() * taps * (dx == null ? 1 : 2);
        workers.parallel(g.in(), work, (worker, from, to) -> {
            Scratch sc = scratch[worker];
            if (same) {
                sc.bufs = Scratch.grow(sc.bufs, g.kw(), length);
                clearSameWidth(sc.bufs, g.kw(), length);
            } else {
                sc.buf = Scratch.grow(sc.buf, length);
                Arrays.fill(sc.buf, 0, length, 0f);
            }
            sc.acc = Scratch.grow(sc.acc, same ? n : length);
            sc.grad = Scratch.grow(sc.grad, n);
            sc.flipped = Scratch.grow(sc.flipped, taps);
            sc.xTaps = Scratch.grow(sc.xTaps, taps, n);
            sc.dyTaps = Scratch.grow(sc.dyTaps, taps, same ? n : length);
            sc.partial = Scratch.grow(sc.partial, m * taps, n);
            float[] dyc = sc.grad;
            if (!same) {
                // written below only where real values go: the dropped columns of dy and the shifts' margins stay zero
                Arrays.fill(dyc, 0, n, 0f);
                for (int k = 0; k < taps; k++) {
                    Arrays.fill(sc.dyTaps[k], 0, length, 0f);
                }
            }
            for (int ci = from; ci < to; ci++) {
                int o0 = ci * m;
                if (db != null) {
                    for (int o = o0; o < o0 + m; o++) {
                        db[o] = biasGradient(dy, o, g);
                    }
                }
                for (int r = 0; r < m * taps; r++) {
                    Arrays.fill(sc.partial[r], 0, n, 0f);
                }
                for (int b = 0; b < g.batch(); b++) {
                    int xOff = (b * g.in() + ci) * g.h() * g.w();
                    if (same) {
                        sameWidthTaps(sc.xTaps, sc.bufs, x, xOff, g.h(), g.w(), g.kw(), g.pad());
                    } else {
                        l.split(sc.buf, x, xOff, g);
                        l.taps(sc.xTaps, sc.buf);
                    }
                    for (int o = o0; o < o0 + m; o++) {
                        int dyOff = (b * g.out() + o) * g.positions();
                        if (same) {
                            System.arraycopy(dy, dyOff, dyc, 0, n);
                        } else {
                            for (int oh = 0; oh < g.ho(); oh++) {
                                System.arraycopy(dy, dyOff + oh * g.wo(), dyc, oh * l.wq, g.wo());
                            }
                        }
                        accumulateProducts(sc.partial, (o - o0) * taps, dyc, sc.xTaps, taps, n);
                        if (dx == null) {
                            continue;
                        }
                        if (same) {
                            // dx is dy correlated, same width, with the kernel turned by 180°
                            for (int k = 0; k < taps; k++) {
                                sc.flipped[k] = wt[o * taps + taps - 1 - k];
                            }
                            sameWidthTaps(sc.dyTaps, sc.bufs, dy, dyOff, g.ho(), g.wo(), g.kw(), g.pad());
                            weightedSum(sc.acc, sc.dyTaps, sc.flipped, 0, taps, n, o != o0);
                        } else {
                            for (int k = 0; k < taps; k++) {
                                System.arraycopy(dyc, 0, sc.dyTaps[k], l.offsets[k], n);
                            }
                            weightedSum(sc.acc, sc.dyTaps, wt, o * taps, taps, length, o != o0);
                        }
                    }
                    if (dx != null) {
                        if (same) {
                            System.arraycopy(sc.acc, 0, dx, xOff, n);
                        } else {
                            l.merge(dx, xOff, sc.acc, g);
                        }
                    }
                }
                // each accumulator plane summed over the real output positions, in order
                int pitch = same ? g.wo() : l.wq;
                for (int o = o0; o < o0 + m; o++) {
                    for (int k = 0; k < taps; k++) {
                        float[] pk = sc.partial[(o - o0) * taps + k];
                        double s = 0;
                        for (int oh = 0; oh < g.ho(); oh++) {
                            for (int t = oh * pitch; t < oh * pitch + g.wo(); t++) {
                                s += pk[t];
                            }
                        }
                        dw[o * taps + k] = (float) s;
                    }
                }
            }
        });
    }

    /**
     * {@code partial[pOff + k][t] += d[t]·taps[k][t]} for every tap and {@code t < n}, three taps per
     * pass (each {@code d[t]} loaded once for three products; about a fifth faster than one tap per pass).
     */
    private static void accumulateProducts(float[][] partial, int pOff, float[] d, float[][] taps, int count, int n) {
        int k = 0;
        for (; k + 3 <= count; k += 3) {
            float[] p0 = partial[pOff + k];
            float[] p1 = partial[pOff + k + 1];
            float[] p2 = partial[pOff + k + 2];
            float[] a0 = taps[k];
            float[] a1 = taps[k + 1];
            float[] a2 = taps[k + 2];
            for (int t = 0; t < n; t++) {
                float v = d[t];
                p0[t] += v * a0[t];
                p1[t] += v * a1[t];
                p2[t] += v * a2[t];
            }
        }
        for (; k < count; k++) {
            float[] p = partial[pOff + k];
            float[] a = taps[k];
            for (int t = 0; t < n; t++) {
                p[t] += d[t] * a[t];
            }
        }
    }

    /** {@code Σ dy[b, o, …]}: each example's plane summed in double and added in float, examples in order (as {@link CpuConv} does). */
    private static float biasGradient(float[] dy, int o, CpuConv.Geometry g) {
        float s = 0f;
        int p = g.positions();
        for (int b = 0; b < g.batch(); b++) {
            int d = (b * g.out() + o) * p;
            double e = 0;
            for (int i = d; i < d + p; i++) {
                e += dy[i];
            }
            s += (float) e;
        }
        return s;
    }
}
