package io.prune4j.testing;

import io.prune4j.backend.ActivationKind;
import java.util.Arrays;

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
     * The output extent in ceil mode, as PyTorch documents it: {@code ⌈(n + 2·pad − k) / stride⌉ + 1},
     * less one when the last window would start in the far padding.
     */
    public static int outCeil(int n, int k, int stride, int pad) {
        int o = (int) Math.ceil((n + 2.0 * pad - k) / stride) + 1;
        return (o - 1) * stride >= n + pad ? o - 1 : o;
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
        return maxPool2d(x, planes, h, w, window, stride, pad, false);
    }

    /** {@link #maxPool2d(double[], int, int, int, int, int, int)}, in ceil mode when {@code ceil}. */
    public static double[][] maxPool2d(double[] x, int planes, int h, int w, int window, int stride, int pad, boolean ceil) {
        int ho = ceil ? outCeil(h, window, stride, pad) : out(h, window, stride, pad);
        int wo = ceil ? outCeil(w, window, stride, pad) : out(w, window, stride, pad);
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
    /**
     * The window's positions counted one by one: those inside the plane padded by {@code pad} on every
     * side with {@code countIncludePad} (all {@code window²} but for a ceil-mode window past the far
     * padding), else those inside the plane.
     */
    private static int divisor(int i, int j, int h, int w, int window, int stride, int pad, boolean countIncludePad) {
        int lo = countIncludePad ? -pad : 0;
        int n = 0;
        for (int u = 0; u < window; u++) {
            for (int v = 0; v < window; v++) {
                int r = i * stride - pad + u;
                int q = j * stride - pad + v;
                if (r >= lo && r < h - lo && q >= lo && q < w - lo) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Zero padding: each plane {@code [h, w]} inside a {@code [h + top + bottom, w + left + right]} plane of zeros. */
    public static double[] zeroPad2d(double[] x, int planes, int h, int w, int top, int bottom, int left, int right) {
        int hp = h + top + bottom;
        int wp = w + left + right;
        double[] y = new double[planes * hp * wp];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < hp; i++) {
                for (int j = 0; j < wp; j++) {
                    int r = i - top;
                    int q = j - left;
                    y[(p * hp + i) * wp + j] = r >= 0 && r < h && q >= 0 && q < w ? x[(p * h + r) * w + q] : 0;
                }
            }
        }
        return y;
    }

    /** Average pooling with zero padding. */
    public static double[] avgPool2d(double[] x, int planes, int h, int w, int window, int stride, int pad, boolean countIncludePad) {
        return avgPool2d(x, planes, h, w, window, stride, pad, countIncludePad, false);
    }

    /** {@link #avgPool2d(double[], int, int, int, int, int, int, boolean)}, in ceil mode when {@code ceil}. */
    public static double[] avgPool2d(double[] x, int planes, int h, int w, int window, int stride, int pad, boolean countIncludePad,
                                     boolean ceil) {
        int ho = ceil ? outCeil(h, window, stride, pad) : out(h, window, stride, pad);
        int wo = ceil ? outCeil(w, window, stride, pad) : out(w, window, stride, pad);
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
        return avgPool2dBackward(dy, planes, h, w, window, stride, pad, countIncludePad, false);
    }

    /** {@link #avgPool2dBackward(double[], int, int, int, int, int, int, boolean)}, in ceil mode when {@code ceil}. */
    public static double[] avgPool2dBackward(double[] dy, int planes, int h, int w, int window, int stride, int pad,
                                             boolean countIncludePad, boolean ceil) {
        int ho = ceil ? outCeil(h, window, stride, pad) : out(h, window, stride, pad);
        int wo = ceil ? outCeil(w, window, stride, pad) : out(w, window, stride, pad);
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

    /** Index of value {@code s} of channel {@code c} of example {@code b} in {@code [batch, channels, spatial]}. */
    private static int at(int b, int c, int s, int channels, int spatial) {
        return (b * channels + c) * spatial + s;
    }

    /** A channel's mean over the batch and the spatial positions, the plain sum divided by the count. */
    public static double[] channelMeans(double[] x, int batch, int channels, int spatial) {
        double[] m = new double[channels];
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < spatial; i++) {
                    s += x[at(b, c, i, channels, spatial)];
                }
            }
            m[c] = s / ((double) batch * spatial);
        }
        return m;
    }

    /** A channel's biased variance: the mean squared deviation from {@link #channelMeans}. */
    public static double[] channelVariances(double[] x, int batch, int channels, int spatial) {
        double[] m = channelMeans(x, batch, channels, spatial);
        double[] v = new double[channels];
        for (int c = 0; c < channels; c++) {
            double s = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < spatial; i++) {
                    double d = x[at(b, c, i, channels, spatial)] - m[c];
                    s += d * d;
                }
            }
            v[c] = s / ((double) batch * spatial);
        }
        return v;
    }

    /** {@code y = gamma · (x − mean) / sqrt(var + eps) + beta} per channel, for given statistics. */
    public static double[] batchNorm(double[] x, int batch, int channels, int spatial, double[] gamma, double[] beta, double[] mean,
                                     double[] var, double eps) {
        double[] y = new double[x.length];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < spatial; i++) {
                    int k = at(b, c, i, channels, spatial);
                    y[k] = gamma[c] * (x[k] - mean[c]) / Math.sqrt(var[c] + eps) + beta[c];
                }
            }
        }
        return y;
    }

    /** Training-mode batch normalisation: {@link #batchNorm} with the batch's own mean and biased variance. */
    public static double[] batchNormTraining(double[] x, int batch, int channels, int spatial, double[] gamma, double[] beta, double eps) {
        return batchNorm(x, batch, channels, spatial, gamma, beta, channelMeans(x, batch, channels, spatial),
                channelVariances(x, batch, channels, spatial), eps);
    }

    /**
     * The running statistics after one training batch: {@code (1 − momentum)·running + momentum·stat}, the
     * variance unbiased ({@code σ²·n/(n−1)}). Returns {@code {mean, var}}.
     */
    public static double[][] runningStats(double[] x, int batch, int channels, int spatial, double[] runningMean, double[] runningVar,
                                          double momentum) {
        double[] m = channelMeans(x, batch, channels, spatial);
        double[] v = channelVariances(x, batch, channels, spatial);
        double n = (double) batch * spatial;
        double[] rm = new double[channels];
        double[] rv = new double[channels];
        for (int c = 0; c < channels; c++) {
            rm[c] = (1 - momentum) * runningMean[c] + momentum * m[c];
            rv[c] = (1 - momentum) * runningVar[c] + momentum * v[c] * n / (n - 1);
        }
        return new double[][] {rm, rv};
    }

    /**
     * The training-mode gradient in its textbook form (Ioffe &amp; Szegedy, section 3), each term its own
     * loop: {@code dx̂ = dy·γ}, {@code dσ² = Σ dx̂·(x−μ)·(−½)(σ²+ε)^(−3/2)},
     * {@code dμ = Σ −dx̂/√(σ²+ε) + dσ²·Σ −2(x−μ)/n}, {@code dx = dx̂/√(σ²+ε) + dσ²·2(x−μ)/n + dμ/n},
     * {@code dγ = Σ dy·x̂}, {@code dβ = Σ dy}. Returns {@code {dx, dgamma, dbeta}}.
     */
    public static double[][] batchNormBackward(double[] dy, double[] x, int batch, int channels, int spatial, double[] gamma, double eps) {
        double[] mu = channelMeans(x, batch, channels, spatial);
        double[] var = channelVariances(x, batch, channels, spatial);
        double n = (double) batch * spatial;
        double[] dx = new double[x.length];
        double[] dg = new double[channels];
        double[] dbt = new double[channels];
        for (int c = 0; c < channels; c++) {
            double sd = Math.sqrt(var[c] + eps);
            double dvar = 0;
            double dmu = 0;
            double centred = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < spatial; i++) {
                    int k = at(b, c, i, channels, spatial);
                    double dxhat = dy[k] * gamma[c];
                    dvar += dxhat * (x[k] - mu[c]) * -0.5 * Math.pow(var[c] + eps, -1.5);
                    dmu += -dxhat / sd;
                    centred += -2 * (x[k] - mu[c]);
                    dg[c] += dy[k] * (x[k] - mu[c]) / sd;
                    dbt[c] += dy[k];
                }
            }
            dmu += dvar * centred / n;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < spatial; i++) {
                    int k = at(b, c, i, channels, spatial);
                    dx[k] = dy[k] * gamma[c] / sd + dvar * 2 * (x[k] - mu[c]) / n + dmu / n;
                }
            }
        }
        return new double[][] {dx, dg, dbt};
    }

    public static double[] clamp(double[] x, double lo, double hi) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
        }
        return y;
    }

    /**
     * {@code f(x)} of an activation from its definition ({@link ActivationKind}), element by element:
     * LeakyReLU {@code x > 0 ? x : αx}, sigmoid {@code 1/(1 + e^−x)}, tanh, HardSigmoid
     * {@code max(0, min(1, αx + β))}, HardSwish {@code x·max(0, min(1, x/6 + 1/2))}, ELU
     * {@code x > 0 ? x : α(e^x − 1)}, GELU {@code x·Φ(x)} ({@link #normalCdf}), SELU
     * {@code x > 0 ? βx : βα(e^x − 1)}, CELU {@code max(0, x) + min(0, α(e^(x/α) − 1))}, Softplus
     * {@code ln(1 + e^x)}, Mish {@code x·tanh(ln(1 + e^x))}, GELU's tanh approximation
     * {@code ½x(1 + tanh(√(2/π)(x + 0.044715x³)))}. NaN gives NaN; HardSwish, GELU and Mish of
     * −∞ are {@code −∞·0}, NaN.
     */
    public static double[] activation(double[] x, ActivationKind kind, double alpha, double beta) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            y[i] = switch (kind) {
                case LEAKY_RELU -> v > 0 ? v : alpha * v;
                case SIGMOID -> 1 / (1 + Math.exp(-v));
                case TANH -> Math.tanh(v);
                case HARD_SIGMOID -> Math.max(0, Math.min(1, alpha * v + beta));
                case HARD_SWISH -> v * Math.max(0, Math.min(1, v / 6 + 0.5));
                case ELU -> v > 0 ? v : alpha * Math.expm1(v);
                case GELU -> v * normalCdf(v);
                case SELU -> v > 0 ? beta * v : beta * alpha * (Math.exp(v) - 1);
                case CELU -> Math.max(0, v) + Math.min(0, alpha * Math.expm1(v / alpha));
                case SOFTPLUS -> softplus(v);
                case MISH -> v * Math.tanh(softplus(v));
                case GELU_TANH -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * Math.pow(v, 3))));
            };
        }
        return y;
    }

    /** {@code ln(1 + e^x)} from its definition; above 30 it is {@code x} to double precision (and e^x could overflow). */
    private static double softplus(double v) {
        return v > 30 ? v : Math.log(1 + Math.exp(v));
    }

    /**
     * {@code f'(x)·dy} of {@link #activation}, with PyTorch's choices where {@code f} has a kink and at
     * NaN: LeakyReLU {@code x > 0 ? dy : α·dy}; HardSigmoid {@code α·dy} where {@code 0 < αx + β < 1};
     * HardSwish 0 below −3, {@code (x/3 + 1/2)·dy} up to 3 (both included), {@code dy} above (and at
     * NaN); ELU {@code α·e^x·dy} up to 0, {@code dy} above (and at NaN); GELU
     * {@code (Φ(x) + x·e^(−x²/2)/√(2π))·dy}, NaN at ±∞ ({@code ±∞·0}) and at NaN; SELU {@code βα·e^x·dy}
     * up to 0, {@code β·dy} above; CELU {@code e^(x/α)·dy} up to 0, {@code dy} above; Softplus
     * {@code σ(x)·dy}; Mish {@code (t + x·σ(x)·(1 − t²))·dy}, {@code t = tanh(ln(1 + e^x))}.
     */
    public static double[] activationBackward(double[] dy, double[] x, ActivationKind kind, double alpha, double beta) {
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            double s = 1 / (1 + Math.exp(-v));
            double t = Math.tanh(v);
            double lin = alpha * v + beta;
            dx[i] = switch (kind) {
                case LEAKY_RELU -> v > 0 ? dy[i] : alpha * dy[i];
                case SIGMOID -> s * (1 - s) * dy[i];
                case TANH -> (1 - t * t) * dy[i];
                case HARD_SIGMOID -> lin > 0 && lin < 1 ? alpha * dy[i] : 0;
                case HARD_SWISH -> v < -3 ? 0 : v <= 3 ? (v / 3 + 0.5) * dy[i] : dy[i];
                case ELU -> v <= 0 ? alpha * Math.exp(v) * dy[i] : dy[i];
                case GELU -> (normalCdf(v) + v * Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI)) * dy[i];
                case SELU -> v <= 0 ? beta * alpha * Math.exp(v) * dy[i] : beta * dy[i];
                case CELU -> v <= 0 ? Math.exp(v / alpha) * dy[i] : dy[i];
                case SOFTPLUS -> s * dy[i];
                case MISH -> {
                    double m = Math.tanh(softplus(v));
                    yield (m + v * s * (1 - m * m)) * dy[i];
                }
                case GELU_TANH -> {
                    double k = Math.sqrt(2 / Math.PI);
                    double th = Math.tanh(k * (v + 0.044715 * Math.pow(v, 3)));
                    yield (0.5 * (1 + th) + 0.5 * v * (1 - th * th) * k * (1 + 3 * 0.044715 * v * v)) * dy[i];
                }
            };
        }
        return dx;
    }

    /**
     * Φ(x), the standard normal distribution function, for the GELU reference: written apart from the
     * CPU backend's (another series, the fraction evaluated the other way) so that the tests compare
     * two computations. With {@code z = |x|/√2}, {@code Φ(x) = erfc(z)/2} below 0 and
     * {@code 1 − erfc(z)/2} above, so the tail below 0 keeps its relative accuracy. erfc below 3 is
     * {@code 1 − erf(z)}, erf by its alternating Maclaurin series
     * {@code (2/√π)·Σₙ (−1)ⁿ·z^(2n+1) / (n!·(2n+1))} (terms up to about 190 at 3: some 1e-14 absolute
     * lost to cancellation, 1e-9 relative of {@code erfc(3) ≈ 2.2e-5}); from 3 up it is the continued
     * fraction {@code (e^(−z²)/√π) / (z + (1/2)/(z + (2/2)/(z + (3/2)/(z + …))))}, evaluated forward by
     * Lentz's method until a step changes it by an ulp or two (3e-16).
     */
    public static double normalCdf(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) {
            return Double.isNaN(x) ? x : x > 0 ? 1 : 0;
        }
        double z = Math.abs(x) / Math.sqrt(2);
        double erfc;
        if (z < 3) {
            double sum = 0;
            double power = z;   // z^(2n+1) / n!, with its sign
            for (int n = 0; n < 200; n++) {
                double term = power / (2 * n + 1);
                sum += term;
                if (Math.abs(term) <= 1e-17 * Math.abs(sum)) {
                    break;
                }
                power *= -z * z / (n + 1);
            }
            erfc = 1 - 2 / Math.sqrt(Math.PI) * sum;
        } else {
            double tiny = 1e-300;
            double f = z;
            double c = f;
            double d = 0;
            for (int k = 1; k < 1000; k++) {
                double a = k / 2.0;
                d = z + a * d;
                d = 1 / (d == 0 ? tiny : d);
                c = z + a / c;
                c = c == 0 ? tiny : c;
                double delta = c * d;
                f *= delta;
                if (Math.abs(delta - 1) < 3e-16) {
                    break;
                }
            }
            erfc = Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
        }
        return x < 0 ? erfc / 2 : 1 - erfc / 2;
    }

    /** {@code y = a ⊙ b}, element by element. */
    public static double[] mul(double[] a, double[] b) {
        double[] y = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            y[i] = a[i] * b[i];
        }
        return y;
    }

    /**
     * {@code y[b, c, i] = x[b, c, i] · s[b, c]} for {@code x [batch, channels, spatial]} and
     * {@code s [batch, channels]}: each channel of each example scaled by its own entry.
     */
    public static double[] mulChannels(double[] x, double[] s, int batch, int channels, int spatial) {
        double[] y = new double[x.length];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < spatial; i++) {
                    y[at(b, c, i, channels, spatial)] = x[at(b, c, i, channels, spatial)] * s[b * channels + c];
                }
            }
        }
        return y;
    }

    /** {@code ds[b, c] = Σ_i dy[b, c, i] · x[b, c, i]}: the gradient of {@link #mulChannels} with respect to {@code s}. */
    public static double[] mulChannelsBackward(double[] dy, double[] x, int batch, int channels, int spatial) {
        double[] ds = new double[batch * channels];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < spatial; i++) {
                    ds[b * channels + c] += dy[at(b, c, i, channels, spatial)] * x[at(b, c, i, channels, spatial)];
                }
            }
        }
        return ds;
    }

    /**
     * {@code dst} with {@code channels} channels of {@code src} from {@code srcOffset} written over
     * its channels from {@code dstOffset}; the other channels kept.
     */
    public static double[] copyChannels(double[] dst, int batch, int dstChannels, int dstOffset, double[] src, int srcChannels,
                                        int srcOffset, int channels, int spatial) {
        double[] out = dst.clone();
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < spatial; i++) {
                    out[at(b, dstOffset + c, i, dstChannels, spatial)] = src[at(b, srcOffset + c, i, srcChannels, spatial)];
                }
            }
        }
        return out;
    }

    /** {@code out[r] = Σ_j ‖w_r − w_j‖₂} over the rows of {@code w [rows, cols]}. */
    public static double[] fpgm(double[] w, int rows, int cols) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < rows; j++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    double d = w[r * cols + c] - w[j * cols + c];
                    s += d * d;
                }
                out[r] += Math.sqrt(s);
            }
        }
        return out;
    }

    /**
     * LAMP from its definition, with no sort: the score of element {@code u} is {@code w_u²} over the
     * sum of {@code w_v²} for every {@code v} at or after {@code u} in the order (magnitude, then
     * index), that is every {@code v} with {@code |w_v| > |w_u|}, or {@code |w_v| = |w_u|} and {@code v ≥ u}.
     */
    public static double[] lamp(double[] w) {
        double[] out = new double[w.length];
        for (int u = 0; u < w.length; u++) {
            double den = 0;
            for (int v = 0; v < w.length; v++) {
                double a = Math.abs(w[v]);
                double b = Math.abs(w[u]);
                if (a > b || (a == b && v >= u)) {
                    den += w[v] * w[v];
                }
            }
            out[u] = den == 0 ? 0 : w[u] * w[u] / den;
        }
        return out;
    }

    /** {@code out[k]} = the sum, mean or maximum of {@code src[perm[i]]} over segment {@code k}; 0 when empty. */
    public static double[] segmentReduce(double[] src, int[] perm, int[] offsets, String reduction) {
        int k = offsets.length - 1;
        double[] out = new double[k];
        for (int s = 0; s < k; s++) {
            double[] terms = new double[offsets[s + 1] - offsets[s]];
            for (int i = offsets[s]; i < offsets[s + 1]; i++) {
                terms[i - offsets[s]] = src[perm[i]];
            }
            if (terms.length == 0) {
                continue;
            }
            switch (reduction) {
                case "SUM" -> out[s] = Arrays.stream(terms).sum();
                case "MEAN" -> out[s] = Arrays.stream(terms).sum() / terms.length;
                case "MAX" -> out[s] = Arrays.stream(terms).max().getAsDouble();
                default -> throw new IllegalArgumentException(reduction);
            }
        }
        return out;
    }
}
