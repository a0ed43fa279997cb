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
     * {@link ActivationKind} states (e^x and tanh in double, rounded once).
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
        }
    }

    /** {@code dx = f'(x)·dy} on {@code [from, to)}, from the forward's input {@code x} or output {@code y} as {@link ActivationKind} states. */
    static void activationBackward(float[] dx, float[] dy, float[] x, float[] y, ActivationKind kind, float alpha, int from, int to) {
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
        }
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
