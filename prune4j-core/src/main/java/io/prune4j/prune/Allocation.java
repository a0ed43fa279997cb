package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.ChannelRule;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Structured selection on the host, for what {@link Ranking}'s device-side selection cannot do in
 * one pass: a budget of FLOPs or parameters instead of a ratio, kept counts rounded to a multiple,
 * and ratios of its own for some groups. The group scores come to the host in one copy and the
 * masks go back as uploads, so a pruning round still makes one device-to-host copy for its scores.
 *
 * <p>A budget is reached by the global ranking: units of every group without a ratio of its own are
 * ordered by their (normalised) score, ties to the lower group then the lower unit, and the longest
 * prefix whose network meets the budget is kept. The cost of a candidate is computed from the kept
 * fraction of every tensor's channels: a Dense layer's or convolution's multiply-adds scale with the
 * kept fractions of its input and output, every other layer's with its output's, which is exact for
 * the library's layers (a layer written outside it is assumed to scale with its output).
 */
final class Allocation {
    private Allocation() {}

    /** What to reach: {@code budget} of the baseline's FLOPs or parameters, or null for the ranking's own ratio. */
    record Request(PruneConfig.Budget budget, double budgetFraction, int roundTo, double[] groupSparsity, Ranking.Config ranking) {}

    /**
     * Keep masks ({@code [units]} per target group, 0/1 FLOAT32, on the backend; the caller closes them).
     *
     * @param scores    one score tensor per target group; normalised in place
     * @param reference per target group the unit count a ratio refers to
     * @param baseline  the FLOPs per example or parameter count a budget is a fraction of
     */
    static List<Tensor> select(ChannelGroups groups, List<ChannelGroups.Group> targets, List<Tensor> scores, int[] reference,
                               Request req, double target, double baseline) {
        Graph net = groups.network();
        Backend b = net.backend();
        int n = targets.size();
        int total = 0;
        for (Tensor s : scores) {
            total += s.size();
        }
        float[] all;
        try (Tensor joined = b.zeros(DType.FLOAT32, Math.max(1, total))) {
            int at = 0;
            for (Tensor s : scores) {
                b.normalize(s, req.ranking().normalization());
                b.copyRange(joined, at, s, 0, s.size());
                at += s.size();
            }
            all = b.toFloatArray(joined);
        }
        float[][] score = new float[n][];
        int at = 0;
        for (int t = 0; t < n; t++) {
            score[t] = Arrays.copyOfRange(all, at, at + targets.get(t).units());
            at += targets.get(t).units();
        }
        int[][] order = new int[n][];
        for (int t = 0; t < n; t++) {
            order[t] = descending(score[t]);
        }
        int[] floor = new int[n];
        for (int t = 0; t < n; t++) {
            int units = targets.get(t).units();
            int guard = (int) Math.ceil(reference[t] * (1 - req.ranking().maxPruneRatio()) - 1e-9);
            floor[t] = Math.min(units, Math.max(req.ranking().minKeep(), guard));
        }
        int[] keep = new int[n];
        boolean[] own = new boolean[n];
        for (int t = 0; t < n; t++) {
            double p = req.groupSparsity() == null ? Double.NaN : req.groupSparsity()[t];
            if (!Double.isNaN(p)) {
                own[t] = true;
                keep[t] = finish(reference[t] - (int) Math.round(p * reference[t]), floor[t], targets.get(t).units(), req.roundTo());
            }
        }
        // the units every group without a ratio of its own competes with, best first
        List<int[]> global = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            if (!own[t]) {
                for (int u : order[t]) {
                    global.add(new int[] {t, u});
                }
            }
        }
        global.sort((x, y) -> {
            int c = compareDescending(score[x[0]][x[1]], score[y[0]][y[1]]);
            return c != 0 ? c : x[0] != y[0] ? Integer.compare(x[0], y[0]) : Integer.compare(x[1], y[1]);
        });
        if (req.budget() != null) {
            Cost cost = new Cost(groups, targets, order, req.budget());
            int lo = 0;
            int hi = global.size();
            double limit = target * baseline;
            // the largest prefix that meets the budget: cost grows with the prefix
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                int[] k = prefixCounts(global, mid, keep, own, floor, targets, req.roundTo());
                if (cost.of(k) <= limit) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            keep = prefixCounts(global, lo, keep, own, floor, targets, req.roundTo());
        } else {
            Ranking.Config r = req.ranking();
            if (r.scope() == Ranking.Scope.GLOBAL) {
                int ref = 0;
                for (int t = 0; t < n; t++) {
                    ref += own[t] ? 0 : reference[t];
                }
                int k = switch (r.mode()) {
                    case RATIO -> ref - (int) Math.round(target * ref);
                    case THRESHOLD -> countAtLeast(global, score, (float) target);
                    case COUNT -> (int) Math.min(target, global.size());
                };
                keep = prefixCounts(global, Math.min(k, global.size()), keep, own, floor, targets, req.roundTo());
            } else {
                for (int t = 0; t < n; t++) {
                    if (own[t]) {
                        continue;
                    }
                    int units = targets.get(t).units();
                    int k = switch (r.mode()) {
                        case RATIO -> reference[t] - (int) Math.round(target * reference[t]);
                        case THRESHOLD -> countAtLeast(score[t], (float) target);
                        case COUNT -> (int) Math.min(target, units);
                    };
                    keep[t] = finish(k, floor[t], units, req.roundTo());
                }
            }
        }
        List<Tensor> masks = new ArrayList<>(n);
        for (int t = 0; t < n; t++) {
            float[] m = new float[targets.get(t).units()];
            for (int i = 0; i < keep[t]; i++) {
                m[order[t][i]] = 1f;
            }
            masks.add(b.fromArray(m, m.length));
        }
        return masks;
    }

    /** Kept counts when the best {@code prefix} units of {@code global} stay, each group guarded and rounded. */
    private static int[] prefixCounts(List<int[]> global, int prefix, int[] fixed, boolean[] own, int[] floor,
                                      List<ChannelGroups.Group> targets, int roundTo) {
        int[] k = fixed.clone();
        for (int t = 0; t < k.length; t++) {
            if (!own[t]) {
                k[t] = 0;
            }
        }
        for (int i = 0; i < prefix; i++) {
            k[global.get(i)[0]]++;
        }
        for (int t = 0; t < k.length; t++) {
            if (!own[t]) {
                k[t] = finish(k[t], floor[t], targets.get(t).units(), roundTo);
            }
        }
        return k;
    }

    /**
     * A kept count guarded and rounded: at least {@code floor}, at most {@code units}, and a multiple of
     * {@code roundTo} unless it is all the units: rounded down (a rounding that keeps more could break a
     * budget), or up to the first multiple at or above the floor when down would pass below it.
     */
    static int finish(int keep, int floor, int units, int roundTo) {
        int k = Math.max(floor, Math.min(keep, units));
        if (roundTo > 1 && k < units) {
            int down = k / roundTo * roundTo;
            int least = Math.max(floor, 1);
            k = down >= least ? down : Math.min(units, (least + roundTo - 1) / roundTo * roundTo);
        }
        return k;
    }

    /** Unit indices by decreasing score, NaN last, ties to the lower index (the device selection's rule). */
    private static int[] descending(float[] s) {
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < s.length; i++) {
            idx[i] = i;
        }
        Arrays.sort(idx, (x, y) -> {
            int c = compareDescending(s[x], s[y]);
            return c != 0 ? c : Integer.compare(x, y);
        });
        return Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
    }

    private static int compareDescending(float a, float b) {
        boolean na = Float.isNaN(a);
        boolean nb = Float.isNaN(b);
        if (na || nb) {
            return na == nb ? 0 : na ? 1 : -1;
        }
        return Float.compare(b, a);
    }

    private static int countAtLeast(float[] s, float threshold) {
        int c = 0;
        for (float v : s) {
            c += v >= threshold ? 1 : 0;
        }
        return c;
    }

    private static int countAtLeast(List<int[]> global, float[][] score, float threshold) {
        int c = 0;
        for (int[] e : global) {
            c += score[e[0]][e[1]] >= threshold ? 1 : 0;
        }
        return c;
    }

    /**
     * The FLOPs per example or the parameter count of the network once each target group keeps its
     * best {@code k[t]} units (in {@code order}), from the kept fraction of every tensor's channels.
     */
    static final class Cost {
        private final Graph net;
        private final PruneConfig.Budget kind;
        private final int[][] groupOf;
        private final int[][] unitOf;
        private final int[] targetOf;
        private final int[][] rank;
        private final double[] base;
        private final int[][] sources;

        Cost(ChannelGroups groups, List<ChannelGroups.Group> targets, int[][] order, PruneConfig.Budget kind) {
            this.net = groups.network();
            this.kind = kind;
            List<Graph.Node> nodes = net.nodes();
            groupOf = new int[nodes.size() + 1][];
            unitOf = new int[nodes.size() + 1][];
            groupOf[0] = groups.groupsOf(Graph.INPUT);
            unitOf[0] = groups.unitsOf(Graph.INPUT);
            for (int i = 0; i < nodes.size(); i++) {
                groupOf[i + 1] = groups.groupsOf(nodes.get(i).name());
                unitOf[i + 1] = groups.unitsOf(nodes.get(i).name());
            }
            targetOf = new int[groups.all().size()];
            Arrays.fill(targetOf, -1);
            for (int t = 0; t < targets.size(); t++) {
                targetOf[targets.get(t).id()] = t;
            }
            // rank[t][u]: the position of unit u in its group's order, so "kept" is rank < k
            rank = new int[targets.size()][];
            for (int t = 0; t < targets.size(); t++) {
                rank[t] = new int[order[t].length];
                for (int i = 0; i < order[t].length; i++) {
                    rank[t][order[t][i]] = i;
                }
            }
            base = new double[nodes.size()];
            sources = new int[nodes.size()][];
            for (int i = 0; i < nodes.size(); i++) {
                Layer l = nodes.get(i).layer();
                base[i] = kind == PruneConfig.Budget.FLOPS ? l.flopsPerExample(net.inputShapes(i)) : params(l);
                List<String> in = nodes.get(i).inputs();
                sources[i] = new int[in.size()];
                for (int j = 0; j < in.size(); j++) {
                    sources[i][j] = in.get(j).equals(Graph.INPUT) ? 0 : net.indexOf(in.get(j)) + 1;
                }
            }
        }

        private static double params(Layer l) {
            double p = 0;
            for (Parameter q : l.parameters()) {
                p += q.size();
            }
            return p;
        }

        double of(int[] k) {
            double[] kept = new double[groupOf.length];
            for (int v = 0; v < groupOf.length; v++) {
                int stay = 0;
                for (int c = 0; c < groupOf[v].length; c++) {
                    int t = targetOf[groupOf[v][c]];
                    stay += t < 0 || rank[t][unitOf[v][c]] < k[t] ? 1 : 0;
                }
                kept[v] = groupOf[v].length == 0 ? 1 : (double) stay / groupOf[v].length;
            }
            double total = 0;
            List<Graph.Node> nodes = net.nodes();
            for (int i = 0; i < nodes.size(); i++) {
                Layer l = nodes.get(i).layer();
                double out = kept[i + 1];
                double f;
                if (l.channelRule() instanceof ChannelRule.Independent) {
                    double in = kept[sources[i][0]];
                    if (kind == PruneConfig.Budget.FLOPS || !(l instanceof WeightLayer w)) {
                        f = base[i] * in * out;
                    } else {
                        f = w.weight().size() * in * out + (w.bias() == null ? 0 : w.bias().size() * out);
                    }
                } else if (l instanceof WeightLayer || l instanceof BatchNorm || !(l.channelRule() instanceof ChannelRule.Opaque)) {
                    f = base[i] * out;
                } else {
                    f = base[i];
                }
                total += f;
            }
            return total;
        }
    }
}
