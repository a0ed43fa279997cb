package io.prune4j.testing;

/**
 * Deliberately plain double-precision references for the operations of the graph networks (grouped
 * convolution, padded pooling, batch normalisation, the element-wise and channel operations, FPGM,
 * LAMP, segmented reduction), written from the definitions in {@code Backend}'s Javadoc and never
 * from the fast code. Slow on purpose: every sum is a loop over the definition's indices.
 */
public final class NaiveGraphOps {
    private NaiveGraphOps() {}

    /** Output extent of a window {@code k} at {@code stride} over {@code n} padded by {@code pad}. */
    public static int out(int n, int k, int stride, int pad) {
        return (n + 2 * pad - k) / stride + 1;
    }

    /**
     * Grouped convolution: {@code y[b,o,i,j] = bias[o] + Σ_{c,u,v} w[o,c,u,v] · x[b, g·cin + c, i·s − p + u, j·s − p + v]}
     * with {@code g = o / (out / groups)}, {@code cin = in / groups}, zero outside; {@code bias} null for none.
     */
    public static double[] conv2d(double[] x, int batch, int in, int h, int wd, double[] w, double[] bias, int out, int kh, int kw,
                                  int stride, int pad, int groups, boolean relu) {
        int ho = out(h, kh, stride, pad);
        int wo = out(wd, kw, stride, pad);
        int cin = in / groups;
        int cout = out / groups;
        double[] y = new double[batch * out * ho * wo];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < out; o++) {
                int g = o / cout;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double s = bias == null ? 0 : bias[o];
                        for (int c = 0; c < cin; c++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int r = i * stride - pad + u;
                                    int q = j * stride - pad + v;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        s += w[((o * cin + c) * kh + u) * kw + v] * x[((b * in + g * cin + c) * h + r) * wd + q];
                                    }
                                }
                            }
                        }
                        y[((b * out + o) * ho + i) * wo + j] = relu ? Math.max(s, 0) : s;
                    }
                }
            }
        }
        return y;
    }

    /**
     * The gradients of {@link #conv2d} (no activation) for {@code dy}, by the same loops with each
     * product's contribution sent back: {@code {dx, dw, db}}.
     */
    public static double[][] conv2dBackward(double[] dy, double[] x, int batch, int in, int h, int wd, double[] w, int out, int kh,
                                            int kw, int stride, int pad, int groups) {
        int ho = out(h, kh, stride, pad);
        int wo = out(wd, kw, stride, pad);
        int cin = in / groups;
        int cout = out / groups;
        double[] dx = new double[x.length];
        double[] dw = new double[w.length];
        double[] db = new double[out];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < out; o++) {
                int g = o / cout;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double d = dy[((b * out + o) * ho + i) * wo + j];
                        db[o] += d;
                        for (int c = 0; c < cin; c++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int r = i * stride - pad + u;
                                    int q = j * stride - pad + v;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        int xi = ((b * in + g * cin + c) * h + r) * wd + q;
                                        int wi = ((o * cin + c) * kh + u) * kw + v;
                                        dw[wi] += d * x[xi];
                                        dx[xi] += d * w[wi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {dx, dw, db};
    }

    /**
     * Max pooling with −∞ padding: the largest value of each window, and the plane position
     * {@code h·W + w} of its first occurrence in row order among the positions inside the plane.
     * Returns {@code {values, positions}}.
     */
    public static double[][] maxPool2d(double[] x, int planes, int h, int w, int window, int stride, int pad) {
        int ho = out(h, window, stride, pad);
        int wo = out(w, window, stride, pad);
        double[] y = new double[planes * ho * wo];
        double[] arg = new double[planes * ho * wo];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    double best = Double.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int u = 0; u < window; u++) {
                        for (int v = 0; v < window; v++) {
                            int r = i * stride - pad + u;
                            int q = j * stride - pad + v;
                            if (r < 0 || r >= h || q < 0 || q >= w) {
                                continue;
                            }
                            double val = x[(p * h + r) * w + q];
                            if (at < 0 || val > best) {
                                best = val;
                                at = r * w + q;
                            }
                        }
                    }
                    y[(p * ho + i) * wo + j] = best;
                    arg[(p * ho + i) * wo + j] = at;
                }
            }
        }
        return new double[][] {y, arg};
    }

    /** The divisor of the window at output {@code (i, j)}: {@code window²}, or the count of its positions inside the plane. */
    private static int divisor(int i, int j, int h, int w, int window, int stride, int pad, boolean countIncludePad) {
        if (countIncludePad) {
            return window * window;
        }
        int n = 0;
        for (int u = 0; u < window; u++) {
            for (int v = 0; v < window; v++) {
                int r = i * stride - pad + u;
                int q = j * stride - pad + v;
                if (r >= 0 && r < h && q >= 0 && q < w) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Average pooling with zero padding. */
    public static double[] avgPool2d(double[] x, int planes, int h, int w, int window, int stride, int pad, boolean countIncludePad) {
        int ho = out(h, window, stride, pad);
        int wo = out(w, window, stride, pad);
        double[] y = new double[planes * ho * wo];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    double s = 0;
                    for (int u = 0; u < window; u++) {
                        for (int v = 0; v < window; v++) {
                            int r = i * stride - pad + u;
                            int q = j * stride - pad + v;
                            if (r >= 0 && r < h && q >= 0 && q < w) {
                                s += x[(p * h + r) * w + q];
                            }
                        }
                    }
                    y[(p * ho + i) * wo + j] = s / divisor(i, j, h, w, window, stride, pad, countIncludePad);
                }
            }
        }
        return y;
    }

    /** The gradient of {@link #avgPool2d}: each {@code dy / divisor} added to its window's positions inside the plane. */
    public static double[] avgPool2dBackward(double[] dy, int planes, int h, int w, int window, int stride, int pad,
                                             boolean countIncludePad) {
        int ho = out(h, window, stride, pad);
        int wo = out(w, window, stride, pad);
        double[] dx = new double[planes * h * w];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    double g = dy[(p * ho + i) * wo + j] / divisor(i, j, h, w, window, stride, pad, countIncludePad);
                    for (int u = 0; u < window; u++) {
                        for (int v = 0; v < window; v++) {
                            int r = i * stride - pad + u;
                            int q = j * stride - pad + v;
                            if (r >= 0 && r < h && q >= 0 && q < w) {
                                dx[(p * h + r) * w + q] += g;
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }
}
