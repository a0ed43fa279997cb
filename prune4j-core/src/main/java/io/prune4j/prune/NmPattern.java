package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * An N:M sparsity pattern (2:4, 4:8): in every group of {@code m} consecutive input weights of an
 * output row, the {@code n} with the highest scores stay (NVIDIA's structured sparsity, Mishra et
 * al. 2021, "Accelerating Sparse Deep Neural Networks"; Apex ASP).
 *
 * <p>A row is everything after a weight's first dimension: {@code [in]} for a Dense layer, the
 * flattened {@code [in / groups, kh, kw]} of a convolution's filter, in prune4j's (and PyTorch's)
 * order, so a group of four is four kernel positions of one channel, or the end of one channel and
 * the start of the next. That is the row of the convolution's im2col product, which is what
 * prune4j's CPU code multiplies, so the pattern is the one a sparse im2col product sees. (Apex ASP
 * groups a convolution along its input channels at each kernel position, the order NHWC tensor
 * cores read; it needs the channel count, not the row, to be a multiple of {@code m}.)
 *
 * <p>With {@code permute}, the input channels of each Dense layer fed by another Dense layer are first
 * reordered (and that layer's outputs with them, the function unchanged) so that the pattern keeps
 * more of the score mass ({@link ChannelPermutation}).
 *
 * <p>Ties go to the lower index, so a seed fixes the mask. Entries a prior mask removed score −∞
 * and go first. The selection runs on the host: one copy of the scores down and one of the mask
 * up per layer.
 *
 * @param n       weights kept in every group, 1 ≤ n &lt; m
 * @param m       weights per group, 2 ≤ m ≤ 1024
 * @param permute whether to permute input channels first ({@link ChannelPermutation}) where the network allows it
 */
public record NmPattern(int n, int m, boolean permute) {
    /**
     * The pattern without the channel permutation.
     *
     * @param n weights kept in every group, 1 ≤ n &lt; m
     * @param m weights per group, 2 ≤ m ≤ 1024
     * @throws InvalidSettingException as the canonical constructor
     */
    public NmPattern(int n, int m) {
        this(n, m, false);
    }

    /**
     * The same pattern, with input channels permuted first ({@link ChannelPermutation}) where the network allows it.
     *
     * @return the pattern with {@code permute} set
     */
    public NmPattern withPermutation() {
        return new NmPattern(n, m, true);
    }

    /**
     * Checks the pattern.
     *
     * @param n       weights kept in every group, 1 ≤ n &lt; m
     * @param m       weights per group, 2 ≤ m ≤ 1024
     * @param permute whether to permute input channels first ({@link ChannelPermutation}) where the network allows it
     * @throws InvalidSettingException unless {@code 1 ≤ n < m ≤ 1024}
     */
    public NmPattern {
        if (n < 1 || m < 2) {
            throw new InvalidSettingException("pattern " + n + ":" + m + " must keep at least 1 of at least 2 weights (e.g. 2:4)");
        }
        if (n >= m) {
            throw new InvalidSettingException("pattern " + n + ":" + m + " keeps every weight: N must be smaller than M (e.g. 2:4)");
        }
        if (m > 1024) {
            throw new InvalidSettingException("pattern " + n + ":" + m + ": groups of more than 1024 weights are not an N:M pattern");
        }
    }

    /**
     * Parses {@code N:M}, e.g. {@code 2:4}, blanks around either number allowed; without the permutation.
     *
     * @param s the text; null is refused like any other text that is not {@code N:M}
     * @return the pattern
     * @throws InvalidSettingException when {@code s} is not two whole numbers around a colon, or not a valid pattern
     */
    public static NmPattern parse(String s) {
        String t = s == null ? "" : s.trim();
        int colon = t.indexOf(':');
        try {
            if (colon > 0) {
                return new NmPattern(Integer.parseInt(t.substring(0, colon).trim()), Integer.parseInt(t.substring(colon + 1).trim()));
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new InvalidSettingException("an N:M pattern must be whole numbers N < M, e.g. 2:4 or 4:8; got '" + s + "'");
    }

    /**
     * The fraction of weights the pattern removes, {@code 1 − n/m}.
     *
     * @return the sparsity
     */
    public double sparsity() {
        return 1 - (double) n / m;
    }

    /**
     * The pattern as {@link #parse} reads it.
     *
     * @return {@code n:m}, e.g. {@code 2:4}
     */
    @Override
    public String toString() {
        return n + ":" + m;
    }

    /**
     * Fails, naming the layer, when a layer's rows are not a whole number of groups.
     *
     * @param net    the network
     * @param layers names of its weight layers to be pruned with the pattern
     * @throws InvalidSettingException when a layer's row length is not a multiple of {@code m}
     * @throws IllegalArgumentException when a layer has no weight
     */
    public void check(Graph net, List<String> layers) {
        java.util.Objects.requireNonNull(net, "net");
        java.util.Objects.requireNonNull(layers, "layers");
        for (String name : layers) {
            WeightLayer d = Compaction.weightLayer(net, name);
            int row = d.weight().size() / d.units();
            if (row % m != 0) {
                throw new InvalidSettingException("pattern " + this + ": layer " + name + " has rows of " + row
                        + " weights, not a multiple of " + m + "; keep " + name + " out of pruning");
            }
        }
    }

    /**
     * One keep mask per layer (caller closes), shaped like its scores; {@code prior} may be null or hold nulls.
     * In every group of {@code m} consecutive scores the {@code n} highest stay (ties: the lower index;
     * NaN lowest); entries a prior mask removed score −∞. The scores are not changed.
     *
     * @param scores one score tensor per layer, shaped like its weight; borrowed
     * @param prior  per layer the mask of what is still there (or null for a layer with none), or null for none at all
     * @return one 0/1 mask per layer, shaped like its scores, owned by the caller
     * @throws IllegalArgumentException when a layer's score count is not a multiple of {@code m}
     */
    public List<Tensor> select(List<Tensor> scores, List<Tensor> prior) {
        java.util.Objects.requireNonNull(scores, "scores");
        List<Tensor> out = new ArrayList<>();
        for (int l = 0; l < scores.size(); l++) {
            Tensor s = scores.get(l);
            Backend b = s.backend();
            float[] v = b.toFloatArray(s);
            Tensor p = prior == null ? null : prior.get(l);
            if (p != null) {
                float[] pm = b.toFloatArray(p);
                for (int i = 0; i < v.length; i++) {
                    if (pm[i] == 0) {
                        v[i] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
            if (v.length % m != 0) {
                throw new IllegalArgumentException("scores of " + v.length + " entries are not groups of " + m);
            }
            out.add(b.fromArray(keepTopInGroups(v, m, n), s.shape()));
        }
        return out;
    }

    /**
     * The 0/1 mask that keeps, in every group of {@code group} consecutive entries of {@code scores},
     * the {@code keep} highest (ties: the lower index). A NaN score counts as the lowest. Used for
     * N:M patterns ({@code group = m}) and for per-row selection ({@code group} = the row length).
     */
    static float[] keepTopInGroups(float[] scores, int group, int keep) {
        float[] mask = new float[scores.length];
        for (int g = 0; g < scores.length; g += group) {
            // selection sort of the group's best `keep`: M is small for patterns; rows (per-row selection) use the sort below
            if (keep * (long) group <= 4096) {
                for (int k = 0; k < keep; k++) {
                    int best = -1;
                    for (int i = g; i < g + group; i++) {
                        if (mask[i] == 0 && (best < 0 || better(scores[i], scores[best]))) {
                            best = i;
                        }
                    }
                    mask[best] = 1;
                }
            } else {
                Integer[] order = new Integer[group];
                for (int i = 0; i < group; i++) {
                    order[i] = g + i;
                }
                java.util.Arrays.sort(order, (x, y) -> better(scores[x], scores[y]) ? -1 : better(scores[y], scores[x]) ? 1
                        : Integer.compare(x, y));
                for (int k = 0; k < keep; k++) {
                    mask[order[k]] = 1;
                }
            }
        }
        return mask;
    }

    /** Strictly better: higher, with NaN below everything (−∞ included). */
    private static boolean better(float a, float b) {
        if (Float.isNaN(a)) {
            return false;
        }
        return Float.isNaN(b) || a > b;
    }

    /**
     * Whether every group of {@code m} consecutive entries of {@code mask} holds at most {@code n} non-zeros.
     *
     * @param mask a mask, row-major
     * @return true when it follows the pattern; false also when its length is not a multiple of {@code m}
     */
    public boolean holds(float[] mask) {
        java.util.Objects.requireNonNull(mask, "mask");
        if (mask.length % m != 0) {
            return false;
        }
        for (int g = 0; g < mask.length; g += m) {
            int kept = 0;
            for (int i = g; i < g + m; i++) {
                if (mask[i] != 0) {
                    kept++;
                }
            }
            if (kept > n) {
                return false;
            }
        }
        return true;
    }
}
