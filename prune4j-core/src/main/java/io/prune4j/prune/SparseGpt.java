package io.prune4j.prune;

import io.prune4j.Prune4jException;

/**
 * SparseGPT's layer solver (Frantar &amp; Alistarh 2023, "SparseGPT: Massive Language Models Can Be
 * Accurately Pruned in One-Shot"), in plain Java on the host, in double precision.
 *
 * <p>For a layer {@code W [rows, cols]} whose inputs have second moments {@code H = XᵀX / n}
 * ({@code [cols, cols]}), it prunes to a sparsity (or an N:M pattern) while keeping {@code W X}:
 * <ol>
 *   <li>columns no input reaches ({@code H_jj = 0}) are zeroed and given {@code H_jj = 1};
 *   {@code H += λ·mean(diag H)·I} (dampening);</li>
 *   <li>{@code U}, the upper Cholesky factor of {@code H⁻¹} ({@code H⁻¹ = UᵀU}): row {@code j} of
 *   {@code U} is the OBS update direction once columns {@code < j} are fixed;</li>
 *   <li>columns go in blocks of {@link #BLOCK}: at the start of a block the mask of its columns is
 *   chosen by the OBS saliency {@code w² / U_jj²} (unstructured: the block's share of the layer's
 *   sparsity, lowest saliency pruned; N:M: at each group's first column, the {@code M − N} lowest of
 *   each row's group). Then column by column: a pruned weight's error {@code e = w / U_jj} is
 *   spread over the block's later columns, {@code w_k −= e·U_jk}; after the block the errors
 *   update all later columns at once ({@code W[:, later] −= E · U[block, later]}).</li>
 * </ol>
 * Pruned weights end exactly at zero; the others carry the updates. Entries a prior mask removed are
 * pruned again whatever their saliency.
 */
final class SparseGpt {
    /** Columns per block (lazy batch updates); a multiple of any M up to 128 that divides it. */
    public static final int BLOCK = 128;

    private SparseGpt() {}

    /**
     * Prunes {@code w} ({@code [rows, cols]} row-major) in place and returns the keep mask.
     *
     * @param h        {@code [cols, cols]} row-major input second moments; changed (dampened, dead columns)
     * @param sparsity the fraction to prune (ignored when {@code pattern} is set)
     * @param pattern  an N:M pattern along each row, or null
     * @param prior    a 0/1 mask of what is still there, or null
     * @param damping  λ, as a fraction of the mean diagonal
     */
    public static float[] prune(double[] w, int rows, int cols, double[] h, double sparsity, NmPattern pattern, float[] prior,
                                double damping) {
        if (w.length != (long) rows * cols || h.length != (long) cols * cols) {
            throw new IllegalArgumentException("SparseGPT: " + w.length + " weights for [" + rows + ", " + cols + "], " + h.length
                    + " Hessian entries");
        }
        if (pattern != null && cols % pattern.m() != 0) {
            throw new IllegalArgumentException("SparseGPT: rows of " + cols + " are not groups of " + pattern.m());
        }
        float[] keep = new float[w.length];
        if (w.length == 0) {
            return keep;
        }
        double mean = 0;
        for (int j = 0; j < cols; j++) {
            mean += h[j * cols + j];
        }
        mean /= cols;
        for (int j = 0; j < cols; j++) {
            if (h[j * cols + j] == 0) {
                h[j * cols + j] = 1;
                for (int r = 0; r < rows; r++) {
                    w[r * cols + j] = 0;
                }
            }
        }
        double ridge = damping * (mean > 0 ? mean : 1);
        for (int j = 0; j < cols; j++) {
            h[j * cols + j] += ridge;
        }
        double[] u = upperCholeskyOfInverse(h, cols);
        int block = pattern == null ? BLOCK : Math.max(pattern.m(), BLOCK / pattern.m() * pattern.m());
        boolean[] pruned = new boolean[rows * block];
        double[] err = new double[rows * block];
        float[] saliency = new float[Math.max(rows * block, pattern == null ? 0 : pattern.m())];
        for (int i1 = 0; i1 < cols; i1 += block) {
            int i2 = Math.min(cols, i1 + block);
            int count = i2 - i1;
            java.util.Arrays.fill(pruned, false);
            if (pattern == null) {
                // the block's share of the layer's pruned count, so the layer as a whole gets the exact sparsity
                long before = Math.round(sparsity * rows * (long) i1);
                long upTo = Math.round(sparsity * rows * (long) i2);
                int drop = (int) (upTo - before);
                float[] s = new float[rows * count];
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < count; i++) {
                        s[r * count + i] = salience(w, u, prior, r, i1 + i, cols);
                    }
                }
                // keep the rows·count − drop most salient (ties: the lower index stays)
                float[] kept = NmPattern.keepTopInGroups(s, s.length, s.length - drop);
                for (int k = 0; k < kept.length; k++) {
                    pruned[(k / count) * block + k % count] = kept[k] == 0;
                }
            }
            for (int i = 0; i < count; i++) {
                int j = i1 + i;
                if (pattern != null && i % pattern.m() == 0) {
                    int m = pattern.m();
                    for (int r = 0; r < rows; r++) {
                        for (int t = 0; t < m; t++) {
                            saliency[t] = salience(w, u, prior, r, j + t, cols);
                        }
                        float[] kept = NmPattern.keepTopInGroups(java.util.Arrays.copyOf(saliency, m), m, pattern.n());
                        for (int t = 0; t < m; t++) {
                            pruned[r * block + i + t] = kept[t] == 0;
                        }
                    }
                }
                double d = u[j * cols + j];
                for (int r = 0; r < rows; r++) {
                    int row = r * cols;
                    double wj = w[row + j];
                    double q = pruned[r * block + i] ? 0 : wj;
                    double e = (wj - q) / d;
                    w[row + j] = q;
                    err[r * block + i] = e;
                    if (e != 0) {
                        for (int k = j + 1; k < i2; k++) {
                            w[row + k] -= e * u[j * cols + k];
                        }
                    }
                }
            }
            if (i2 < cols) {
                for (int r = 0; r < rows; r++) {
                    int row = r * cols;
                    for (int i = 0; i < count; i++) {
                        double e = err[r * block + i];
                        if (e == 0) {
                            continue;
                        }
                        int uRow = (i1 + i) * cols;
                        for (int k = i2; k < cols; k++) {
                            w[row + k] -= e * u[uRow + k];
                        }
                    }
                }
            }
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < count; i++) {
                    keep[r * cols + i1 + i] = pruned[r * block + i] ? 0 : 1;
                }
            }
        }
        return keep;
    }

    /** OBS saliency {@code w² / U_jj²}; −∞ for an entry a prior mask removed (it goes first). */
    private static float salience(double[] w, double[] u, float[] prior, int r, int j, int cols) {
        if (prior != null && prior[r * cols + j] == 0) {
            return Float.NEGATIVE_INFINITY;
        }
        double d = u[j * cols + j];
        double v = w[r * cols + j];
        return (float) (v * v / (d * d));
    }

    /**
     * {@code U} upper triangular with {@code H⁻¹ = UᵀU}, for symmetric positive definite {@code h}
     * ({@code [n, n]} row-major, untouched): {@code H = LLᵀ}, {@code H⁻¹ = L⁻ᵀL⁻¹}, whose lower
     * Cholesky factor {@code M} gives {@code U = Mᵀ}.
     */
    static double[] upperCholeskyOfInverse(double[] h, int n) {
        double[] l = cholesky(h, n);
        // inverse of L, lower triangular, by forward substitution column by column
        double[] li = new double[n * n];
        for (int c = 0; c < n; c++) {
            li[c * n + c] = 1 / l[c * n + c];
            for (int r = c + 1; r < n; r++) {
                double s = 0;
                for (int k = c; k < r; k++) {
                    s += l[r * n + k] * li[k * n + c];
                }
                li[r * n + c] = -s / l[r * n + r];
            }
        }
        // H⁻¹ = L⁻ᵀ L⁻¹: entry (i, j) = Σ_{k ≥ max(i, j)} li[k, i] · li[k, j]
        double[] inv = new double[n * n];
        for (int k = 0; k < n; k++) {
            int row = k * n;
            for (int i = 0; i <= k; i++) {
                double a = li[row + i];
                if (a == 0) {
                    continue;
                }
                for (int j = 0; j <= i; j++) {
                    inv[i * n + j] += a * li[row + j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                inv[j * n + i] = inv[i * n + j];
            }
        }
        double[] m = cholesky(inv, n);
        double[] u = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                u[j * n + i] = m[i * n + j];
            }
        }
        return u;
    }

    /** The lower Cholesky factor of a symmetric positive definite {@code [n, n]} matrix. */
    static double[] cholesky(double[] a, int n) {
        double[] l = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double s = a[i * n + j];
                int ri = i * n;
                int rj = j * n;
                for (int k = 0; k < j; k++) {
                    s -= l[ri + k] * l[rj + k];
                }
                if (i == j) {
                    if (!(s > 0)) {
                        throw new Prune4jException("SparseGPT: the damped Hessian of the calibration inputs is not positive definite"
                                + " (pivot " + i + " of " + n + " is " + s + "); are the activations NaN or infinite?");
                    }
                    l[ri + i] = Math.sqrt(s);
                } else {
                    l[ri + j] = s / l[rj + j];
                }
            }
        }
        return l;
    }
}
