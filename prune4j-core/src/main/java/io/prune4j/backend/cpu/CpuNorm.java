package io.prune4j.backend.cpu;

/**
 * Batch normalisation on heap arrays, {@code x [batch, C, S]} with {@code S = H·W} (1 for
 * {@code [batch, C]}): channel {@code c} of example {@code b} is the contiguous row of {@code S}
 * values at {@code (b·C + c)·S}.
 *
 * <p>The channels are split over the workers, each worker walking the examples in order and, within
 * an example, its own channels' rows, which lie next to each other: one streaming read per pass. A
 * channel's statistics are summed by one worker only, rows in example order, so the result does not
 * depend on the thread count. Each row is summed in float with four interleaved partial sums (four
 * independent addition chains instead of one waiting on itself; about {@code S/4} terms each), and
 * the rows' sums are added in double.
 *
 * <p>Training makes two passes over {@code x}: the statistics, then the normalisation. The variance
 * comes from the same pass as the mean through sums of {@code x − K} and {@code (x − K)²}, with
 * {@code K} the channel's first value: the shift keeps the two sums of the size of the spread
 * rather than of the mean, so {@code E[(x−K)²] − E[x−K]²} does not cancel away a mean much larger
 * than the spread. The backward pass likewise makes one pass for {@code Σ dy} and
 * {@code Σ dy·(x − μ)} and one for {@code dx}.
 */
final class CpuNorm {
    private final CpuWorkers workers;

    CpuNorm(CpuWorkers workers) {
        this.workers = workers;
    }

    /** Training mode: batch statistics, {@code saveMean}, {@code saveInvStd} and the running statistics updated. */
    void forwardTraining(float[] y, float[] saveMean, float[] saveInvStd, float[] x, float[] gamma, float[] beta, float[] runningMean,
                         float[] runningVar, int batch, int channels, int spatial, float momentum, float eps) {
        long n = (long) batch * spatial;
        workers.parallel(channels, 2 * n * channels, (worker, from, to) -> {
            int width = to - from;
            double[] sum = new double[width];
            double[] sumSq = new double[width];
            float[] shift = new float[width];
            for (int c = from; c < to; c++) {
                shift[c - from] = x[c * spatial];
            }
            for (int b = 0; b < batch; b++) {
                if (spatial == 1) {
                    // [batch, C]: one value per row, so no row loop (it would cost more than the value); the same sums
                    for (int c = from; c < to; c++) {
                        float d = x[b * channels + c] - shift[c - from];
                        sum[c - from] += d;
                        sumSq[c - from] += d * d;
                    }
                    continue;
                }
                for (int c = from; c < to; c++) {
                    int off = (b * channels + c) * spatial;
                    float k = shift[c - from];
                    float s0 = 0f;
                    float s1 = 0f;
                    float s2 = 0f;
                    float s3 = 0f;
                    float q0 = 0f;
                    float q1 = 0f;
                    float q2 = 0f;
                    float q3 = 0f;
                    int i = off;
                    int end = off + spatial;
                    for (; i + 3 < end; i += 4) {
                        float d0 = x[i] - k;
                        float d1 = x[i + 1] - k;
                        float d2 = x[i + 2] - k;
                        float d3 = x[i + 3] - k;
                        s0 += d0;
                        s1 += d1;
                        s2 += d2;
                        s3 += d3;
                        q0 += d0 * d0;
                        q1 += d1 * d1;
                        q2 += d2 * d2;
                        q3 += d3 * d3;
                    }
                    for (; i < end; i++) {
                        float d = x[i] - k;
                        s0 += d;
                        q0 += d * d;
                    }
                    sum[c - from] += (s0 + s1) + (s2 + s3);
                    sumSq[c - from] += (q0 + q1) + (q2 + q3);
                }
            }
            float[] mean = new float[width];
            float[] scale = new float[width];
            for (int c = from; c < to; c++) {
                double m1 = sum[c - from] / n;
                double mu = shift[c - from] + m1;
                double var = Math.max(sumSq[c - from] / n - m1 * m1, 0);
                double inv = 1 / Math.sqrt(var + eps);
                saveMean[c] = (float) mu;
                saveInvStd[c] = (float) inv;
                runningMean[c] = (float) ((1 - (double) momentum) * runningMean[c] + momentum * mu);
                runningVar[c] = (float) ((1 - (double) momentum) * runningVar[c] + momentum * var * n / (n - 1));
                mean[c - from] = (float) mu;
                scale[c - from] = (float) (gamma[c] * inv);
            }
            normalise(y, x, mean, scale, beta, from, to, batch, channels, spatial);
        });
    }

    /** Inference: {@code y = (x − runningMean)·gamma / sqrt(runningVar + eps) + beta}, the running statistics untouched. */
    void forwardInference(float[] y, float[] x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar, int batch,
                          int channels, int spatial, float eps) {
        workers.parallel(channels, (long) batch * spatial * channels, (worker, from, to) -> {
            float[] mean = new float[to - from];
            float[] scale = new float[to - from];
            for (int c = from; c < to; c++) {
                mean[c - from] = runningMean[c];
                scale[c - from] = (float) (gamma[c] / Math.sqrt((double) runningVar[c] + eps));
            }
            normalise(y, x, mean, scale, beta, from, to, batch, channels, spatial);
        });
    }

    /** {@code y = (x − mean)·scale + beta} on channels {@code [from, to)}; {@code mean} and {@code scale} indexed from {@code from}. */
    private static void normalise(float[] y, float[] x, float[] mean, float[] scale, float[] beta, int from, int to, int batch,
                                  int channels, int spatial) {
        for (int b = 0; b < batch; b++) {
            for (int c = from; c < to; c++) {
                int off = (b * channels + c) * spatial;
                float mu = mean[c - from];
                float sc = scale[c - from];
                float bt = beta[c];
                for (int i = off; i < off + spatial; i++) {
                    y[i] = (x[i] - mu) * sc + bt;
                }
            }
        }
    }

    /**
     * The training-mode gradient, {@code n = batch·S}, {@code x̂ = (x − μ)·invStd}:
     * {@code dBeta = Σ dy}, {@code dGamma = Σ dy·x̂} and
     * {@code dx = gamma·invStd·(dy − dBeta/n − x̂·dGamma/n)}; {@code dx} null for none.
     */
    void backward(float[] dx, float[] dGamma, float[] dBeta, float[] dy, float[] x, float[] gamma, float[] saveMean, float[] saveInvStd,
                  int batch, int channels, int spatial) {
        long n = (long) batch * spatial;
        workers.parallel(channels, (dx == null ? 1 : 2) * n * channels, (worker, from, to) -> {
            int width = to - from;
            double[] sumDy = new double[width];
            double[] sumDyX = new double[width];
            for (int b = 0; b < batch; b++) {
                if (spatial == 1) {
                    for (int c = from; c < to; c++) {
                        float g0 = dy[b * channels + c];
                        sumDy[c - from] += g0;
                        sumDyX[c - from] += g0 * (x[b * channels + c] - saveMean[c]);
                    }
                    continue;
                }
                for (int c = from; c < to; c++) {
                    int off = (b * channels + c) * spatial;
                    float mu = saveMean[c];
                    float s0 = 0f;
                    float s1 = 0f;
                    float s2 = 0f;
                    float s3 = 0f;
                    float p0 = 0f;
                    float p1 = 0f;
                    float p2 = 0f;
                    float p3 = 0f;
                    int i = off;
                    int end = off + spatial;
                    for (; i + 3 < end; i += 4) {
                        float g0 = dy[i];
                        float g1 = dy[i + 1];
                        float g2 = dy[i + 2];
                        float g3 = dy[i + 3];
                        s0 += g0;
                        s1 += g1;
                        s2 += g2;
                        s3 += g3;
                        p0 += g0 * (x[i] - mu);
                        p1 += g1 * (x[i + 1] - mu);
                        p2 += g2 * (x[i + 2] - mu);
                        p3 += g3 * (x[i + 3] - mu);
                    }
                    for (; i < end; i++) {
                        s0 += dy[i];
                        p0 += dy[i] * (x[i] - mu);
                    }
                    sumDy[c - from] += (s0 + s1) + (s2 + s3);
                    sumDyX[c - from] += (p0 + p1) + (p2 + p3);
                }
            }
            float[] meanDy = new float[width];
            float[] slope = new float[width];
            float[] scale = new float[width];
            for (int c = from; c < to; c++) {
                double inv = saveInvStd[c];
                double dg = sumDyX[c - from] * inv;
                dBeta[c] = (float) sumDy[c - from];
                dGamma[c] = (float) dg;
                if (n > 0) {
                    meanDy[c - from] = (float) (sumDy[c - from] / n);
                    slope[c - from] = (float) (inv * dg / n);
                }
                scale[c - from] = (float) (gamma[c] * inv);
            }
            if (dx == null) {
                return;
            }
            for (int b = 0; b < batch; b++) {
                for (int c = from; c < to; c++) {
                    int off = (b * channels + c) * spatial;
                    float mu = saveMean[c];
                    float md = meanDy[c - from];
                    float sl = slope[c - from];
                    float sc = scale[c - from];
                    for (int i = off; i < off + spatial; i++) {
                        dx[i] = sc * (dy[i] - md - (x[i] - mu) * sl);
                    }
                }
            }
        });
    }

    /**
     * Layer normalisation over the channels of {@code x [batch, C, S]}: per example {@code b} and
     * position {@code p}, the statistics of {@code x[b, c, p]} over the kept channels {@code c}
     * ({@code mask} null: all). The examples are split over the workers; within one, the channels'
     * rows are walked in order for each pass (the mean, then the squared deviations from it, then the
     * output), each position's sum in double over the channels in order, so the result does not
     * depend on the thread count.
     */
    void layerForward(float[] y, float[] saveMean, float[] saveInvStd, float[] x, float[] gamma, float[] beta, float[] mask, int batch,
                      int channels, int spatial, float eps) {
        int kept = keptCount(mask, channels);
        workers.parallel(batch, 3L * batch * channels * spatial, (worker, from, to) -> {
            double[] sum = new double[spatial];
            float[] mean = new float[spatial];
            float[] inv = new float[spatial];
            for (int b = from; b < to; b++) {
                java.util.Arrays.fill(sum, 0);
                for (int c = 0; c < channels; c++) {
                    if (mask != null && mask[c] == 0f) {
                        continue;
                    }
                    int off = (b * channels + c) * spatial;
                    for (int p = 0; p < spatial; p++) {
                        sum[p] += x[off + p];
                    }
                }
                for (int p = 0; p < spatial; p++) {
                    mean[p] = kept == 0 ? 0f : (float) (sum[p] / kept);
                }
                java.util.Arrays.fill(sum, 0);
                for (int c = 0; c < channels; c++) {
                    if (mask != null && mask[c] == 0f) {
                        continue;
                    }
                    int off = (b * channels + c) * spatial;
                    for (int p = 0; p < spatial; p++) {
                        double d = (double) x[off + p] - mean[p];
                        sum[p] += d * d;
                    }
                }
                for (int p = 0; p < spatial; p++) {
                    inv[p] = (float) (1 / Math.sqrt((kept == 0 ? 0 : sum[p] / kept) + eps));
                }
                for (int c = 0; c < channels; c++) {
                    int off = (b * channels + c) * spatial;
                    if (mask != null && mask[c] == 0f) {
                        java.util.Arrays.fill(y, off, off + spatial, 0f);
                        continue;
                    }
                    float g = gamma[c];
                    float bt = beta[c];
                    for (int p = 0; p < spatial; p++) {
                        y[off + p] = (x[off + p] - mean[p]) * inv[p] * g + bt;
                    }
                }
                if (saveMean != null) {
                    System.arraycopy(mean, 0, saveMean, b * spatial, spatial);
                    System.arraycopy(inv, 0, saveInvStd, b * spatial, spatial);
                }
            }
        });
    }

    /**
     * The gradient of {@link #layerForward}: {@code dx} per example (split over the workers as the
     * forward pass), then {@code dGamma} and {@code dBeta} per channel (the channels split over the
     * workers, each summing its rows in example order, in double).
     */
    void layerBackward(float[] dx, float[] dGamma, float[] dBeta, float[] dy, float[] x, float[] gamma, float[] mask, float[] saveMean,
                       float[] saveInvStd, int batch, int channels, int spatial) {
        int kept = keptCount(mask, channels);
        if (dx != null) {
            workers.parallel(batch, 2L * batch * channels * spatial, (worker, from, to) -> {
                double[] sumG = new double[spatial];
                double[] sumGx = new double[spatial];
                float[] meanG = new float[spatial];
                float[] meanGx = new float[spatial];
                for (int b = from; b < to; b++) {
                    java.util.Arrays.fill(sumG, 0);
                    java.util.Arrays.fill(sumGx, 0);
                    int row = b * spatial;
                    for (int c = 0; c < channels; c++) {
                        if (mask != null && mask[c] == 0f) {
                            continue;
                        }
                        int off = (b * channels + c) * spatial;
                        float gc = gamma[c];
                        for (int p = 0; p < spatial; p++) {
                            float g = dy[off + p] * gc;
                            float xh = (x[off + p] - saveMean[row + p]) * saveInvStd[row + p];
                            sumG[p] += g;
                            sumGx[p] += (double) g * xh;
                        }
                    }
                    for (int p = 0; p < spatial; p++) {
                        meanG[p] = kept == 0 ? 0f : (float) (sumG[p] / kept);
                        meanGx[p] = kept == 0 ? 0f : (float) (sumGx[p] / kept);
                    }
                    for (int c = 0; c < channels; c++) {
                        int off = (b * channels + c) * spatial;
                        if (mask != null && mask[c] == 0f) {
                            java.util.Arrays.fill(dx, off, off + spatial, 0f);
                            continue;
                        }
                        float gc = gamma[c];
                        for (int p = 0; p < spatial; p++) {
                            float inv = saveInvStd[row + p];
                            float xh = (x[off + p] - saveMean[row + p]) * inv;
                            dx[off + p] = inv * (dy[off + p] * gc - meanG[p] - xh * meanGx[p]);
                        }
                    }
                }
            });
        }
        workers.parallel(channels, 2L * batch * channels * spatial, (worker, from, to) -> {
            for (int c = from; c < to; c++) {
                if (mask != null && mask[c] == 0f) {
                    dGamma[c] = 0f;
                    dBeta[c] = 0f;
                    continue;
                }
                double sg = 0;
                double sb = 0;
                for (int b = 0; b < batch; b++) {
                    int off = (b * channels + c) * spatial;
                    int row = b * spatial;
                    for (int p = 0; p < spatial; p++) {
                        float d = dy[off + p];
                        sb += d;
                        sg += (double) d * ((x[off + p] - saveMean[row + p]) * saveInvStd[row + p]);
                    }
                }
                dGamma[c] = (float) sg;
                dBeta[c] = (float) sb;
            }
        });
    }

    /**
     * Group normalisation ({@code Backend.groupNorm}): each example's block of {@code C / groups}
     * channels, {@code M} contiguous values, is one unit of work; the units are split over the
     * workers, and each sums its values in order in double (the mean, then the squared deviations
     * from it), so the result does not depend on the thread count.
     */
    void groupForward(float[] y, float[] saveMean, float[] saveInvStd, float[] x, float[] gamma, float[] beta, int batch, int channels,
                      int spatial, int groups, float eps) {
        int per = channels / groups;
        int m = per * spatial;
        workers.parallel(batch * groups, 3L * batch * channels * spatial, (worker, from, to) -> {
            for (int u = from; u < to; u++) {
                int off = u * m;
                double sum = 0;
                for (int i = off; i < off + m; i++) {
                    sum += x[i];
                }
                float mean = m == 0 ? 0f : (float) (sum / m);
                double sq = 0;
                for (int i = off; i < off + m; i++) {
                    double d = (double) x[i] - mean;
                    sq += d * d;
                }
                float inv = (float) (1 / Math.sqrt((m == 0 ? 0 : sq / m) + eps));
                int c0 = (u % groups) * per;
                for (int k = 0; k < per; k++) {
                    float g = gamma[c0 + k];
                    float bt = beta[c0 + k];
                    int o = off + k * spatial;
                    for (int p = 0; p < spatial; p++) {
                        y[o + p] = (x[o + p] - mean) * inv * g + bt;
                    }
                }
                if (saveMean != null) {
                    saveMean[u] = mean;
                    saveInvStd[u] = inv;
                }
            }
        });
    }

    /**
     * The gradient of {@link #groupForward}: {@code dx} per example and group (split over the workers
     * as the forward pass), then {@code dGamma} and {@code dBeta} per channel (the channels split over
     * the workers, each summing its rows in example order, in double).
     */
    void groupBackward(float[] dx, float[] dGamma, float[] dBeta, float[] dy, float[] x, float[] gamma, float[] saveMean,
                       float[] saveInvStd, int batch, int channels, int spatial, int groups) {
        int per = channels / groups;
        int m = per * spatial;
        if (dx != null) {
            workers.parallel(batch * groups, 2L * batch * channels * spatial, (worker, from, to) -> {
                for (int u = from; u < to; u++) {
                    int off = u * m;
                    int c0 = (u % groups) * per;
                    float mean = saveMean[u];
                    float inv = saveInvStd[u];
                    double sg = 0;
                    double sgx = 0;
                    for (int k = 0; k < per; k++) {
                        float gc = gamma[c0 + k];
                        int o = off + k * spatial;
                        for (int p = 0; p < spatial; p++) {
                            float g = dy[o + p] * gc;
                            float xh = (x[o + p] - mean) * inv;
                            sg += g;
                            sgx += (double) g * xh;
                        }
                    }
                    float meanG = m == 0 ? 0f : (float) (sg / m);
                    float meanGx = m == 0 ? 0f : (float) (sgx / m);
                    for (int k = 0; k < per; k++) {
                        float gc = gamma[c0 + k];
                        int o = off + k * spatial;
                        for (int p = 0; p < spatial; p++) {
                            float xh = (x[o + p] - mean) * inv;
                            dx[o + p] = inv * (dy[o + p] * gc - meanG - xh * meanGx);
                        }
                    }
                }
            });
        }
        workers.parallel(channels, 2L * batch * channels * spatial, (worker, from, to) -> {
            for (int c = from; c < to; c++) {
                double sg = 0;
                double sb = 0;
                for (int b = 0; b < batch; b++) {
                    int off = (b * channels + c) * spatial;
                    int u = b * groups + c / per;
                    float mean = saveMean[u];
                    float inv = saveInvStd[u];
                    for (int p = 0; p < spatial; p++) {
                        float d = dy[off + p];
                        sb += d;
                        sg += (double) d * ((x[off + p] - mean) * inv);
                    }
                }
                dGamma[c] = (float) sg;
                dBeta[c] = (float) sb;
            }
        });
    }

    /** The channels a 0/1 mask keeps ({@code channels} when it is null). */
    private static int keptCount(float[] mask, int channels) {
        if (mask == null) {
            return channels;
        }
        int k = 0;
        for (float m : mask) {
            k += m != 0f ? 1 : 0;
        }
        return k;
    }
}
