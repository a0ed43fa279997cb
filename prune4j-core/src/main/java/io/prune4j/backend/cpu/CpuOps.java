package io.prune4j.backend.cpu;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.ArgChecks;

/**
 * The CPU backend's loops over raw arrays. Kept apart from {@link CpuBackend} (which checks
 * shapes) so that each loop is short, branch-free in its body and easy for C2 to vectorise.
 */
final class CpuOps {
    private CpuOps() {}

    static void biasAdd(float[] y, float[] bias, int rows, int n, boolean relu) {
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            if (relu) {
                for (int j = 0; j < n; j++) {
                    y[base + j] = Math.max(y[base + j] + bias[j], 0f);
                }
            } else {
                for (int j = 0; j < n; j++) {
                    y[base + j] += bias[j];
                }
            }
        }
    }

    /** {@code y = max(x, 0)} on {@code [from, to)}. */
    static void relu(float[] y, float[] x, int from, int to) {
        for (int j = from; j < to; j++) {
            y[j] = Math.max(x[j], 0f);
        }
    }

    /**
     * {@code dx = y > 0 ? dy : 0} on {@code [from, to)}, with the comparison done on the bits so the
     * JIT vectorises the loop: the select would be a branch, mispredicted on half of random signs (ten
     * times slower). {@code y > 0} holds exactly for the bit patterns in {@code (0, 0x7f800000]} read
     * as ints (+0, negative values and NaN fail, as in the comparison), and the result is {@code dy}'s
     * bits or +0, bit for bit what the select gives.
     */
    static void reluBackward(float[] dx, float[] dy, float[] y, int from, int to) {
        for (int j = from; j < to; j++) {
            int yb = Float.floatToRawIntBits(y[j]);
            int positive = ((-yb & ~yb) >> 31) & ((yb - 0x7f800001) >> 31);
            dx[j] = Float.intBitsToFloat(Float.floatToRawIntBits(dy[j]) & positive);
        }
    }

    /** {@code y = min(max(x, lo), hi)} on {@code [from, to)}; NaN stays NaN (as in PyTorch's {@code clamp}). */
    static void clamp(float[] y, float[] x, float lo, float hi, int from, int to) {
        for (int j = from; j < to; j++) {
            y[j] = Math.min(Math.max(x[j], lo), hi);
        }
    }

    /** {@code dx = dy} where {@code lo < y < hi}, else 0, on {@code [from, to)}. */
    static void clampBackward(float[] dx, float[] dy, float[] y, float lo, float hi, int from, int to) {
        for (int j = from; j < to; j++) {
            float v = y[j];
            dx[j] = v > lo && v < hi ? dy[j] : 0f;
        }
    }

    /**
     * {@code y = f(x)} on {@code [from, to)}, one loop per kind, in the float operations
     * {@link ActivationKind} states (e^x, tanh and Φ in double, rounded once).
     */
    static void activation(float[] y, float[] x, ActivationKind kind, float alpha, float beta, int from, int to) {
        switch (kind) {
            case LEAKY_RELU -> {
                for (int j = from; j < to; j++) {
                    y[j] = x[j] > 0 ? x[j] : alpha * x[j];
                }
            }
            case SIGMOID -> {
                for (int j = from; j < to; j++) {
                    y[j] = (float) (1 / (1 + Math.exp(-x[j])));
                }
            }
            case TANH -> {
                for (int j = from; j < to; j++) {
                    y[j] = (float) Math.tanh(x[j]);
                }
            }
            case HARD_SIGMOID -> {
                for (int j = from; j < to; j++) {
                    y[j] = Math.min(Math.max(alpha * x[j] + beta, 0f), 1f);
                }
            }
            case HARD_SWISH -> {
                for (int j = from; j < to; j++) {
                    y[j] = x[j] * Math.min(Math.max(x[j] + 3f, 0f), 6f) / 6f;
                }
            }
            case ELU -> {
                for (int j = from; j < to; j++) {
                    y[j] = x[j] > 0 ? x[j] : alpha * (float) Math.expm1(x[j]);
                }
            }
            case GELU -> {
                for (int j = from; j < to; j++) {
                    y[j] = (float) (x[j] * normalCdf(x[j]));
                }
            }
            case SELU -> {
                double scaled = (double) beta * alpha;
                for (int j = from; j < to; j++) {
                    y[j] = x[j] > 0 ? beta * x[j] : (float) (scaled * Math.expm1(x[j]));
                }
            }
            case CELU -> {
                for (int j = from; j < to; j++) {
                    y[j] = x[j] > 0 ? x[j] : (float) (alpha * Math.expm1((double) x[j] / alpha));
                }
            }
            case SOFTPLUS -> {
                for (int j = from; j < to; j++) {
                    y[j] = (float) softplus(x[j]);
                }
            }
            case MISH -> {
                for (int j = from; j < to; j++) {
                    y[j] = (float) (x[j] * Math.tanh(softplus(x[j])));
                }
            }
            case GELU_TANH -> {
                for (int j = from; j < to; j++) {
                    double v = x[j];
                    y[j] = (float) (v * sigmoid(2 * geluTanhArgument(v)));
                }
            }
        }
    }

    /** √(2/π). */
    private static final double SQRT_2_OVER_PI = 0.7978845608028654;
    /** The cubic term's factor of the tanh approximation of GELU. */
    private static final double GELU_TANH_CUBIC = 0.044715;

    /** {@code u = √(2/π)·(x + 0.044715·x³)}, the tanh approximation's argument, in double. */
    private static double geluTanhArgument(double x) {
        return SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x);
    }

    /** {@code ln(1 + e^x)} in double, {@code x + ln(1 + e^−x)} above 0 so that e^x does not overflow; NaN gives NaN. */
    private static double softplus(double x) {
        return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    }

    /** The logistic sigmoid in double. */
    private static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    /** {@code dx = f'(x)·dy} on {@code [from, to)}, from the forward's input {@code x} or output {@code y} as {@link ActivationKind} states. */
    static void activationBackward(float[] dx, float[] dy, float[] x, float[] y, ActivationKind kind, float alpha, float beta, int from,
                                   int to) {
        switch (kind) {
            case LEAKY_RELU -> {
                for (int j = from; j < to; j++) {
                    dx[j] = x[j] > 0 ? dy[j] : dy[j] * alpha;
                }
            }
            case SIGMOID -> {
                for (int j = from; j < to; j++) {
                    dx[j] = dy[j] * (1f - y[j]) * y[j];
                }
            }
            case TANH -> {
                for (int j = from; j < to; j++) {
                    dx[j] = dy[j] * (1f - y[j] * y[j]);
                }
            }
            case HARD_SIGMOID -> {
                for (int j = from; j < to; j++) {
                    dx[j] = y[j] > 0 && y[j] < 1 ? dy[j] * alpha : 0f;
                }
            }
            case HARD_SWISH -> {
                for (int j = from; j < to; j++) {
                    float v = x[j];
                    dx[j] = v < -3f ? 0f : v <= 3f ? dy[j] * (v / 3f + 0.5f) : dy[j];
                }
            }
            case ELU -> {
                for (int j = from; j < to; j++) {
                    dx[j] = x[j] <= 0 ? dy[j] * alpha * (float) Math.exp(x[j]) : dy[j];
                }
            }
            case GELU -> {
                for (int j = from; j < to; j++) {
                    // x·x of a float is exact in double, so e^(−x²/2) has only exp's own error
                    double v = x[j];
                    dx[j] = dy[j] * (float) (normalCdf(v) + v * (Math.exp(-0.5 * v * v) * INV_SQRT_2PI));
                }
            }
            case SELU -> {
                double scaled = (double) beta * alpha;
                for (int j = from; j < to; j++) {
                    dx[j] = x[j] <= 0 ? dy[j] * (float) (scaled * Math.exp(x[j])) : dy[j] * beta;
                }
            }
            case CELU -> {
                for (int j = from; j < to; j++) {
                    dx[j] = x[j] <= 0 ? dy[j] * (float) Math.exp((double) x[j] / alpha) : dy[j];
                }
            }
            case SOFTPLUS -> {
                for (int j = from; j < to; j++) {
                    dx[j] = dy[j] * (float) sigmoid(x[j]);
                }
            }
            case MISH -> {
                for (int j = from; j < to; j++) {
                    double v = x[j];
                    double t = Math.tanh(softplus(v));
                    dx[j] = dy[j] * (float) (t + v * sigmoid(v) * (1 - t * t));
                }
            }
            case GELU_TANH -> {
                for (int j = from; j < to; j++) {
                    double v = x[j];
                    double u = geluTanhArgument(v);
                    double s = sigmoid(2 * u);
                    double du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_CUBIC * v * v);
                    dx[j] = dy[j] * (float) (s + 2 * v * s * sigmoid(-2 * u) * du);
                }
            }
        }
    }

    /** 1/√(2π), the standard normal density at 0. */
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    /** 1/√2. */
    private static final double SQRT1_2 = 0.7071067811865476;
    /** 2/√π, the derivative of erf at 0. */
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;
    /** 1/√π. */
    private static final double INV_SQRT_PI = 0.5641895835477563;
    /**
     * Below this argument erf is its series, at and above it erfc is its continued fraction: the
     * series' erfc, {@code 1 − erf}, has lost about 3 digits there (1.2e-13 relative at worst, measured;
     * {@code erfc(2) ≈ 4.7e-3}), and
     * the fraction converges to double precision in about 55 levels there, fewer further up.
     */
    private static final double ERF_SERIES_BELOW = 2;
    /** {@code 1/(2n + 1)} for the series' terms: a product per term rather than a division. */
    private static final double[] INV_ODD = new double[40];

    static {
        for (int n = 0; n < INV_ODD.length; n++) {
            INV_ODD[n] = 1.0 / (2 * n + 1);
        }
    }

    /**
     * Φ(x), the standard normal distribution function, as {@code ½·erfc(−x/√2)}: below 0 it is the
     * small tail itself (relative accuracy kept down to the underflow), not {@code ½·(1 + erf(x/√2))},
     * which cancels; above 0 it is {@code 1 − ½·erfc(x/√2)}, which does not. Φ(−∞) = 0, Φ(∞) = 1.
     */
    static double normalCdf(double x) {
        return 0.5 * erfc(-x * SQRT1_2);
    }

    /**
     * The error function, {@code erf(z) = (2/√π)·∫₀^z e^(−t²) dt}, odd, to 1e-15 relative (9e-16 at
     * worst against 40-digit values from 0 to 27; NaN for NaN, ±1 at ±∞). Java has none; written here
     * from the series and the continued fraction of {@link #erfSeries} and {@link #erfcFraction}.
     */
    static double erf(double z) {
        double a = Math.abs(z);
        double r = a < ERF_SERIES_BELOW ? erfSeries(a) : 1 - erfcFraction(a);
        return Math.copySign(r, z);   // NaN stays NaN (the comparison is false, the fraction NaN)
    }

    /**
     * The complementary error function, {@code erfc(z) = 1 − erf(z)}, to 5e-16 relative from
     * {@code z = 2} up (the continued fraction, down to its underflow near 27) and 1.2e-13 at worst
     * below 2, where it is {@code 1 − erf} (both measured as for {@link #erf}); from 1 to 2 below 0
     * ({@code 1 + erf(|z|)}). NaN for NaN.
     */
    static double erfc(double z) {
        double a = Math.abs(z);
        double tail = a < ERF_SERIES_BELOW ? 1 - erfSeries(a) : erfcFraction(a);
        return z < 0 ? 2 - tail : tail;
    }

    /**
     * erf(a) for {@code 0 ≤ a < 2}: integrating the Maclaurin series of {@code e^(−t²)} gives
     * alternating terms, which cancel (terms up to 3 at 2, up to 190 at 3); the same function times {@code e^(a²)}
     * satisfies {@code f' = 2a·f + 2/√π}, whose series has all terms positive:
     * {@code erf(a) = (2/√π)·e^(−a²)·Σₙ (2a²)ⁿ·a / (1·3·5···(2n + 1))}, each term the one before times
     * {@code 2a²/(2n + 1)}. Summed until a term is below 1e-17 of the sum (32 terms at most below 2,
     * within {@link #INV_ODD}).
     */
    private static double erfSeries(double a) {
        double twoA2 = 2 * a * a;
        double term = a;
        double sum = a;
        for (int n = 1; term > 1e-17 * sum; n++) {
            term *= twoA2 * INV_ODD[n];
            sum += term;
        }
        return TWO_OVER_SQRT_PI * expMinusSquare(a) * sum;
    }

    /**
     * erfc(a) for {@code a ≥ 2} (or NaN): Laplace's continued fraction
     * {@code erfc(a) = (e^(−a²)/√π) / (a + (1/2)/(a + (2/2)/(a + (3/2)/(a + …))))}, which comes from
     * integrating {@code ∫_a^∞ e^(−t²) dt} by parts repeatedly, evaluated from a fixed level back to the
     * first (every level is positive: no cancellation). ∞ gives 0. The depth is {@code 12 + 240/a²}:
     * the levels that reach double precision, measured against 40-digit values every 0.05 from 2 to
     * 27.3, are 54 at 2, 28 at 3, 20 at 4, 13 at 6, 9 at 10 and 5 at 27; this has 4 or more to spare
     * everywhere (72 at 2, 27 at 4, 14 at 10), and fewer levels where the fraction converges faster.
     */
    private static double erfcFraction(double a) {
        if (a > 27.3) {
            return 0;   // erfc(27.3) ≈ 1e-325 is below double's least value; beyond, a² and the levels overflow
        }
        double t = a;
        for (int k = 12 + (int) (240 / (a * a)); k >= 1; k--) {
            t = a + 0.5 * k / t;
        }
        return expMinusSquare(a) * INV_SQRT_PI / t;
    }

    /**
     * {@code e^(−a²)} for {@code 0 ≤ a ≤ 27.3} without the rounding of {@code a²}, which would cost
     * {@code a²·2^−53} relative (1e-14 at 10): {@code a² = s + r} exactly, and {@code e^(−r) = 1 − r} to
     * double precision since {@code |r| ≤ ulp(s)/2}. {@code r} comes from Veltkamp's split of
     * {@code a} into two 26-bit halves, whose products are exact, rather than {@code Math.fma}, which is
     * a BigDecimal computation where the processor has no FMA.
     */
    private static double expMinusSquare(double a) {
        double c = 134217729.0 * a;   // 2^27 + 1
        double hi = c - (c - a);
        double lo = a - hi;
        double s = a * a;
        double r = ((hi * hi - s) + 2 * hi * lo) + lo * lo;
        return Math.exp(-s) * (1 - r);
    }

    /** {@code y = a + b} on {@code [from, to)}. */
    static void add(float[] y, float[] a, float[] b, int from, int to) {
        for (int j = from; j < to; j++) {
            y[j] = a[j] + b[j];
        }
    }

    /** {@code y = a ⊙ b} on {@code [from, to)}. */
    static void mul(float[] y, float[] a, float[] b, int from, int to) {
        for (int j = from; j < to; j++) {
            y[j] = a[j] * b[j];
        }
    }

    /** {@code y = x · s[p]} over the planes {@code p} in {@code [from, to)} of {@code spatial} values each. */
    static void mulChannels(float[] y, float[] x, float[] s, int spatial, int from, int to) {
        for (int p = from; p < to; p++) {
            float g = s[p];
            for (int j = p * spatial; j < (p + 1) * spatial; j++) {
                y[j] = x[j] * g;
            }
        }
    }

    /** {@code ds[p] = Σ dy·x} over each plane in {@code [from, to)}: the products exact in double, summed in order, rounded once. */
    static void mulChannelsBackward(float[] ds, float[] dy, float[] x, int spatial, int from, int to) {
        for (int p = from; p < to; p++) {
            double sum = 0;
            for (int j = p * spatial; j < (p + 1) * spatial; j++) {
                sum += (double) dy[j] * x[j];
            }
            ds[p] = (float) sum;
        }
    }

    static void sumRows(float[] out, float[] x, int rows, int n, float beta) {
        if (beta == 0f) {
            java.util.Arrays.fill(out, 0, n, 0f);
        } else if (beta != 1f) {
            for (int j = 0; j < n; j++) {
                out[j] *= beta;
            }
        }
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            for (int j = 0; j < n; j++) {
                out[j] += x[base + j];
            }
        }
    }

    /**
     * Row by row: subtract the row maximum (so exp never overflows), take log-sum-exp in double,
     * and add {@code logsumexp − logit[label]} to the loss. Ties in the arg-max go to the lower
     * class index, as {@code torch.argmax} does.
     */
    static void softmaxCrossEntropy(float[] grad, float[] metrics, float[] logits, int[] labels,
                                    int rows, int classes, float gradScale) {
        double loss = 0;
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            int base = r * classes;
            int label = labels[r];
            if (label < 0 || label >= classes) {
                throw ArgChecks.labelOutOfRange("softmaxCrossEntropy", label, r, classes);
            }
            float max = Float.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int c = 0; c < classes; c++) {
                float v = logits[base + c];
                if (v > max) {
                    max = v;
                    argmax = c;
                }
            }
            double sumExp = 0;
            for (int c = 0; c < classes; c++) {
                sumExp += Math.exp(logits[base + c] - max);
            }
            double logSumExp = Math.log(sumExp);
            loss += logSumExp - (logits[base + label] - max);
            if (argmax == label) {
                correct++;
            }
            if (grad != null) {
                double inv = 1.0 / sumExp;
                for (int c = 0; c < classes; c++) {
                    double p = Math.exp(logits[base + c] - max) * inv;
                    grad[base + c] = (float) ((p - (c == label ? 1.0 : 0.0)) * gradScale);
                }
            }
        }
        metrics[0] += (float) loss;
        metrics[1] += correct;
    }

    static void sgdStep(float[] w, float[] v, float[] g, float lr, float momentum, float wd) {
        int n = w.length;
        if (v == null) {
            for (int j = 0; j < n; j++) {
                w[j] -= lr * (g[j] + wd * w[j]);
            }
        } else {
            for (int j = 0; j < n; j++) {
                float gj = g[j] + wd * w[j];
                float vj = momentum * v[j] + gj;
                v[j] = vj;
                w[j] -= lr * vj;
            }
        }
    }

    static void adamStep(float[] w, float[] m, float[] v, float[] g, float lr, float beta1, float beta2, float eps,
                         float wd, int step) {
        // Bias corrections folded into the step size and epsilon, as in the paper's Algorithm 1 footnote.
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        float stepSize = (float) (lr / bc1);
        float invSqrtBc2 = (float) (1 / Math.sqrt(bc2));
        float b1c = 1 - beta1;
        float b2c = 1 - beta2;
        int n = w.length;
        for (int j = 0; j < n; j++) {
            float gj = g[j] + wd * w[j];
            float mj = beta1 * m[j] + b1c * gj;
            float vj = beta2 * v[j] + b2c * gj * gj;
            m[j] = mj;
            v[j] = vj;
            w[j] -= stepSize * mj / ((float) Math.sqrt(vj) * invSqrtBc2 + eps);
        }
    }

    /**
     * Per unit {@code n}: {@code t_b = mean_s a·g} over the spatial positions of example {@code b}
     * (just {@code a·g} for dense layers), then {@code acc[n] += scale·|Σ_b t_b|} or, with
     * {@code absInside}, {@code scale·Σ_b |t_b|}. Sums in double so the order of examples hardly matters.
     */
    static void taylorAccumulate(float[] acc, float[] a, float[] g, int batch, int units, int spatial, boolean absInside, float scale) {
        double[] sum = new double[units];
        float invSpatial = 1f / spatial;
        for (int b = 0; b < batch; b++) {
            int rowBase = b * units * spatial;
            for (int n = 0; n < units; n++) {
                int base = rowBase + n * spatial;
                float t = 0f;
                for (int s = 0; s < spatial; s++) {
                    t += a[base + s] * g[base + s];
                }
                t *= invSpatial;
                sum[n] += absInside ? Math.abs(t) : t;
            }
        }
        for (int n = 0; n < units; n++) {
            acc[n] += (float) (scale * Math.abs(sum[n]));
        }
    }

    /**
     * Row by row with {@code p = softmax(s/T)}, {@code q = softmax(t/T)}, {@code r = softmax(s)}:
     * loss {@code (1−α)·(−log r_y) + α·T²·Σ q·(log q − log p)} and gradient
     * {@code (1−α)·(r − onehot) + α·T·(p − q)} (the T² factor keeps the soft term's gradient on the
     * hard term's scale, as Hinton et al. recommend).
     */
    static void distillation(float[] grad, float[] metrics, float[] s, float[] t, int[] labels, int rows, int classes,
                             float temperature, float alpha, float gradScale) {
        double loss = 0;
        int correct = 0;
        double[] p = new double[classes];
        double[] q = new double[classes];
        double[] r = new double[classes];
        for (int row = 0; row < rows; row++) {
            int base = row * classes;
            int y = labels[row];
            if (y < 0 || y >= classes) {
                throw ArgChecks.labelOutOfRange("distillation", y, row, classes);
            }
            double logZr = softmax(s, base, classes, 1.0, r);
            double logZp = softmax(s, base, classes, temperature, p);
            double logZq = softmax(t, base, classes, temperature, q);
            int argmax = 0;
            for (int c = 1; c < classes; c++) {
                if (s[base + c] > s[base + argmax]) {
                    argmax = c;
                }
            }
            correct += argmax == y ? 1 : 0;
            double kl = 0;
            for (int c = 0; c < classes; c++) {
                if (q[c] > 0) {
                    double logq = t[base + c] / temperature - logZq;
                    double logp = s[base + c] / temperature - logZp;
                    kl += q[c] * (logq - logp);
                }
            }
            double ce = logZr - s[base + y];
            loss += (1 - alpha) * ce + alpha * temperature * temperature * kl;
            for (int c = 0; c < classes; c++) {
                double hard = r[c] - (c == y ? 1 : 0);
                double soft = temperature * (p[c] - q[c]);
                grad[base + c] = (float) (gradScale * ((1 - alpha) * hard + alpha * soft));
            }
        }
        metrics[0] += (float) loss;
        metrics[1] += correct;
    }

    /** Writes {@code softmax(x/T)} of one row into {@code out} and returns its log-normaliser {@code log Σ exp(x/T)}. */
    private static double softmax(float[] x, int base, int n, double temperature, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            max = Math.max(max, x[base + c] / temperature);
        }
        double z = 0;
        for (int c = 0; c < n; c++) {
            out[c] = Math.exp(x[base + c] / temperature - max);
            z += out[c];
        }
        for (int c = 0; c < n; c++) {
            out[c] /= z;
        }
        return max + Math.log(z);
    }

    /**
     * One example of {@code augmentImages}: {@code out[c, y, x] = in[c, y + dy, x' + dx]} from
     * {@code offset}, {@code x' = w − 1 − x} when {@code mirror}, zero outside the image.
     */
    static void shiftImage(float[] out, float[] in, int offset, int c, int h, int w, int dy, int dx, boolean mirror) {
        for (int ch = 0; ch < c; ch++) {
            int plane = offset + ch * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + dy;
                int dst = plane + y * w;
                if (sy < 0 || sy >= h) {
                    java.util.Arrays.fill(out, dst, dst + w, 0f);
                    continue;
                }
                int src = plane + sy * w;
                for (int x = 0; x < w; x++) {
                    int sx = (mirror ? w - 1 - x : x) + dx;
                    out[dst + x] = sx >= 0 && sx < w ? in[src + sx] : 0f;
                }
            }
        }
    }
}
