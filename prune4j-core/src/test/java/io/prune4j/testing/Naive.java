package io.prune4j.testing;

/**
 * Deliberately plain reference implementations in double precision; the fast code is checked
 * against these, never against itself.
 */
public final class Naive {
    private Naive() {}

    /** {@code op(a)[m,k] · op(b)[k,n]} with row-major storage of a and b as given. */
    public static double[] matmul(float[] a, int aRows, int aCols, boolean ta, float[] b, int bRows, int bCols, boolean tb) {
        int m = ta ? aCols : aRows;
        int k = ta ? aRows : aCols;
        int n = tb ? bRows : bCols;
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * aCols + i] : a[i * aCols + p];
                    double bv = tb ? b[j * bCols + p] : b[p * bCols + j];
                    s += av * bv;
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** Mean softmax cross-entropy of {@code logits [rows, classes]} in double. */
    public static double crossEntropy(double[] logits, int[] labels, int rows, int classes) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[r * classes + c]);
            }
            double s = 0;
            for (int c = 0; c < classes; c++) {
                s += Math.exp(logits[r * classes + c] - max);
            }
            total += Math.log(s) + max - logits[r * classes + labels[r]];
        }
        return total / rows;
    }

    /** Dense forward in double: {@code act(x · Wᵀ + b)}. */
    public static double[] dense(double[] x, int batch, int in, double[] w, double[] b, int out, boolean relu) {
        double[] y = new double[batch * out];
        for (int r = 0; r < batch; r++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = relu ? Math.max(s, 0) : s;
            }
        }
        return y;
    }

    public static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /**
     * Direct six-loop convolution in double, the definition PyTorch documents:
     * {@code y[b,o,i,j] = bias[o] + Σ_{c,u,v} w[o,c,u,v] · x[b, c, i·s − p + u, j·s − p + v]} (zero outside).
     */
    public static double[] conv2d(double[] x, int batch, int in, int h, int wd, double[] w, double[] bias, int out, int kh, int kw,
                                  int stride, int pad, boolean relu) {
        int ho = (h + 2 * pad - kh) / stride + 1;
        int wo = (wd + 2 * pad - kw) / stride + 1;
        double[] y = new double[batch * out * ho * wo];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double s = bias[o];
                        for (int c = 0; c < in; c++) {
                            for (int u = 0; u < kh; u++) {
                                for (int v = 0; v < kw; v++) {
                                    int r = i * stride - pad + u;
                                    int q = j * stride - pad + v;
                                    if (r >= 0 && r < h && q >= 0 && q < wd) {
                                        s += w[((o * in + c) * kh + u) * kw + v] * x[((b * in + c) * h + r) * wd + q];
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

    /** Max over each {@code window × window} patch {@code stride} apart, plane by plane. */
    public static double[] maxPool2d(double[] x, int planes, int h, int w, int window, int stride) {
        int ho = (h - window) / stride + 1;
        int wo = (w - window) / stride + 1;
        double[] y = new double[planes * ho * wo];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    double m = Double.NEGATIVE_INFINITY;
                    for (int u = 0; u < window; u++) {
                        for (int v = 0; v < window; v++) {
                            m = Math.max(m, x[(p * h + i * stride + u) * w + j * stride + v]);
                        }
                    }
                    y[(p * ho + i) * wo + j] = m;
                }
            }
        }
        return y;
    }
}
