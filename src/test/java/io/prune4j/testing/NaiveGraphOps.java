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
}
