package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * Input-channel permutation before an N:M selection (the idea of Apex ASP's permutation search,
 * Pool &amp; Yu 2021, "Channel Permutations for N:M Sparsity"): which weights share a group of M
 * depends on the order of a layer's inputs, and a Dense layer's inputs are the outputs of the Dense
 * layer before it, whose order is free. Reordering that layer's output units (weight rows, bias) and
 * this layer's input columns by the same permutation leaves the network's function unchanged, and a
 * good order lets the N:M pattern keep more of the score mass.
 *
 * <p>Applied to each pruned Dense layer whose only input is a Dense layer read by no other node and
 * carrying no mask yet (so in a chain MLP every layer but the first). The search is greedy: passes
 * over all pairs of columns in different groups, swapping two whenever that raises the kept score
 * summed over all rows (each try re-selects the two groups only), until a pass finds nothing or
 * {@link #MAX_PASSES} passes. The scores are the criterion's, permuted along.
 */
public final class ChannelPermutation {
    /** Passes of the pairwise search at most. */
    static final int MAX_PASSES = 8;

    private ChannelPermutation() {}

    /**
     * What the search did: layers permuted, and over the eligible layers the score mass the pattern
     * keeps before and after, and all of it.
     *
     * @param layers     the number of layers whose input channels were permuted, ≥ 0
     * @param keptBefore the score mass the pattern keeps without the permutation
     * @param keptAfter  the score mass it keeps with it
     * @param total      the score mass of the eligible layers, kept or not
     */
    public record Result(int layers, double keptBefore, double keptAfter, double total) {
        /**
         * Checks the layer count.
         *
         * @param layers     the number of layers whose input channels were permuted, ≥ 0
         * @param keptBefore the score mass the pattern keeps without the permutation
         * @param keptAfter  the score mass it keeps with it
         * @param total      the score mass of the eligible layers, kept or not
         * @throws IllegalArgumentException when {@code layers} is negative
         */
        public Result {
            if (layers < 0) {
                throw new IllegalArgumentException("permuted " + layers + " layers");
            }
        }
    }

    /**
     * Permutes, for each eligible layer of {@code layers} (with {@code scores} parallel to it), its
     * input columns and its producer's output units, and the scores of both alike.
     */
    static Result apply(Graph net, List<String> layers, List<Tensor> scores, NmPattern p) {
        int permuted = 0;
        double before = 0;
        double after = 0;
        double total = 0;
        for (int l = 0; l < layers.size(); l++) {
            String name = layers.get(l);
            Graph.Node node = net.nodes().get(net.indexOf(name));
            if (!(node.layer() instanceof Dense d) || node.inputs().size() != 1) {
                continue;
            }
            String in = node.inputs().get(0);
            if (in.equals(Graph.INPUT) || !(net.layer(in) instanceof Dense producer) || net.readersOf(in).size() != 1
                    || d.weight().mask() != null || producer.weight().mask() != null || (producer.bias() != null && producer.bias().mask() != null)) {
                continue;
            }
            Backend b = net.backend();
            int rows = d.outFeatures();
            int cols = d.inFeatures();
            float[] s = b.toFloatArray(scores.get(l));
            int[] perm = search(s, rows, cols, p);
            for (float v : s) {
                total += v;
            }
            before += kept(s, rows, cols, p, identity(cols));
            after += kept(s, rows, cols, p, perm);
            if (isIdentity(perm)) {
                continue;
            }
            permuted++;
            // this layer: columns; its scores alike
            b.upload(d.weight().value(), permuteColumns(b.toFloatArray(d.weight().value()), rows, cols, perm));
            b.upload(scores.get(l), permuteColumns(s, rows, cols, perm));
            // the producer: rows of its weight and its bias, and its scores' rows if it is scored too
            int pin = producer.inFeatures();
            b.upload(producer.weight().value(), permuteRows(b.toFloatArray(producer.weight().value()), pin, perm));
            if (producer.bias() != null) {
                b.upload(producer.bias().value(), permuteRows(b.toFloatArray(producer.bias().value()), 1, perm));
            }
            int pl = layers.indexOf(in);
            if (pl >= 0) {
                b.upload(scores.get(pl), permuteRows(b.toFloatArray(scores.get(pl)), pin, perm));
            }
        }
        return new Result(permuted, before, after, total);
    }

    /** The greedy pairwise search: column {@code perm[k]} of the original goes to position {@code k}. */
    static int[] search(float[] s, int rows, int cols, NmPattern p) {
        int m = p.m();
        int groups = cols / m;
        int[] perm = identity(cols);
        // per group, the kept score summed over rows, for the current order
        double[] groupKept = new double[groups];
        for (int g = 0; g < groups; g++) {
            groupKept[g] = groupKept(s, rows, cols, p, perm, g, -1, -1);
        }
        for (int pass = 0; pass < MAX_PASSES; pass++) {
            boolean improved = false;
            for (int i = 0; i < cols; i++) {
                for (int j = i + 1; j < cols; j++) {
                    int gi = i / m;
                    int gj = j / m;
                    if (gi == gj) {
                        continue;
                    }
                    // the two groups with positions i and j exchanged
                    double a = groupKept(s, rows, cols, p, perm, gi, i, perm[j]);
                    double c = groupKept(s, rows, cols, p, perm, gj, j, perm[i]);
                    if (a + c > groupKept[gi] + groupKept[gj] + 1e-9 * (Math.abs(groupKept[gi]) + Math.abs(groupKept[gj]))) {
                        int t = perm[i];
                        perm[i] = perm[j];
                        perm[j] = t;
                        groupKept[gi] = a;
                        groupKept[gj] = c;
                        improved = true;
                    }
                }
            }
            if (!improved) {
                break;
            }
        }
        return perm;
    }

    /** Group {@code g}'s kept score over all rows, with position {@code at} holding original column {@code col} instead (−1: none). */
    private static double groupKept(float[] s, int rows, int cols, NmPattern p, int[] perm, int g, int at, int col) {
        int m = p.m();
        float[] v = new float[m];
        double total = 0;
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < m; t++) {
                int pos = g * m + t;
                v[t] = s[r * cols + (pos == at ? col : perm[pos])];
            }
            total += topSum(v, p.n());
        }
        return total;
    }

    /** The sum of the {@code n} largest of {@code v} (sorted in place). */
    private static double topSum(float[] v, int n) {
        java.util.Arrays.sort(v);
        double sum = 0;
        for (int k = v.length - n; k < v.length; k++) {
            sum += v[k];
        }
        return sum;
    }

    /** The score mass an N:M selection keeps in order {@code perm}. */
    static double kept(float[] s, int rows, int cols, NmPattern p, int[] perm) {
        double total = 0;
        for (int g = 0; g < cols / p.m(); g++) {
            total += groupKept(s, rows, cols, p, perm, g, -1, -1);
        }
        return total;
    }

    static float[] permuteColumns(float[] w, int rows, int cols, int[] perm) {
        float[] out = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < cols; k++) {
                out[r * cols + k] = w[r * cols + perm[k]];
            }
        }
        return out;
    }

    /** Rows of {@code width} entries each, row {@code perm[k]} of {@code w} to row {@code k}. */
    static float[] permuteRows(float[] w, int width, int[] perm) {
        float[] out = new float[w.length];
        for (int k = 0; k < perm.length; k++) {
            System.arraycopy(w, perm[k] * width, out, k * width, width);
        }
        return out;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    private static boolean isIdentity(int[] p) {
        for (int i = 0; i < p.length; i++) {
            if (p[i] != i) {
                return false;
            }
        }
        return true;
    }
}
