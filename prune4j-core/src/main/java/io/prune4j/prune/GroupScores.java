package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.Reduction;
import io.prune4j.nn.Graph;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * From member scores to group scores: each scored member of a dependency group (a layer whose output
 * channels are the group's, e.g. the convolutions that write a residual stream) has one score per
 * output channel; each member's scores are normalised on their own, so that members of different
 * sizes and scales compare, then every unit's score is the {@link Reduction} (mean, sum or max) over
 * the scores of its channels in all members. Done on the backend with one segmented reduction.
 *
 * <p>A group with a single scored member whose channels are its units one to one (every layer of a
 * chain) takes that member's scores as they are, so chains rank exactly as before groups existed.
 */
final class GroupScores {
    private GroupScores() {}

    /**
     * The nodes whose output channels {@code criterion} scores in {@code targets}, in network order;
     * an error names a group none of whose members it can score.
     */
    static List<String> scoredNodes(Graph net, List<ChannelGroups.Group> targets, ScorerFactory criterion) {
        Set<String> nodes = new LinkedHashSet<>();
        for (ChannelGroups.Group g : targets) {
            boolean any = false;
            for (ChannelGroups.Member m : g.members()) {
                if (m.isOutput() && criterion.scores(net.layer(m.node()))) {
                    nodes.add(m.node());
                    any = true;
                }
            }
            if (!any) {
                throw new InvalidSettingException("criterion " + criterion.label() + " scores none of the layers of group " + g.name()
                        + " (" + describeMembers(g) + "); keep its nodes out of pruning or choose another criterion");
            }
        }
        List<String> ordered = new ArrayList<>();
        for (Graph.Node n : net.nodes()) {
            if (nodes.contains(n.name())) {
                ordered.add(n.name());
            }
        }
        return ordered;
    }

    private static String describeMembers(ChannelGroups.Group g) {
        Set<String> names = new LinkedHashSet<>();
        for (ChannelGroups.Member m : g.members()) {
            names.add(m.node());
        }
        return String.join(", ", names);
    }

    /**
     * One score tensor {@code [units]} per target group (the caller closes them). {@code scores} holds
     * one {@code [output channels]} tensor per node of {@code nodes}; they are left as they are.
     */
    static List<Tensor> reduce(Graph net, List<ChannelGroups.Group> targets, List<String> nodes, List<Tensor> scores,
                               Normalization normalization, Reduction reduction) {
        Backend b = net.backend();
        Map<String, Integer> slot = new HashMap<>();
        for (int s = 0; s < nodes.size(); s++) {
            slot.put(nodes.get(s), s);
        }
        List<Tensor> out = new ArrayList<>();
        for (int t = 0; t < targets.size(); t++) {
            out.add(null);
        }
        // members of the groups that need the reduction, and where each slot's normalised scores start
        int[] start = new int[nodes.size()];
        java.util.Arrays.fill(start, -1);
        int total = 0;
        List<Integer> reduced = new ArrayList<>();
        for (int t = 0; t < targets.size(); t++) {
            List<ChannelGroups.Member> ms = scored(targets.get(t), slot);
            if (ms.size() == 1 && oneToOne(ms.get(0), targets.get(t).units())) {
                Tensor s = scores.get(slot.get(ms.get(0).node()));
                Tensor copy = b.zeros(DType.FLOAT32, s.shape());
                b.copy(copy, s);
                out.set(t, copy);
                continue;
            }
            reduced.add(t);
            for (ChannelGroups.Member m : ms) {
                int s = slot.get(m.node());
                if (start[s] < 0) {
                    start[s] = total;
                    total += scores.get(s).size();
                }
            }
        }
        if (reduced.isEmpty()) {
            return out;
        }
        // the segments: for each unit of each reduced group, the positions of its channels' scores
        int units = 0;
        for (int t : reduced) {
            units += targets.get(t).units();
        }
        int[] offsets = new int[units + 1];
        List<int[]> perUnit = new ArrayList<>();
        int unitBase = 0;
        for (int t : reduced) {
            ChannelGroups.Group g = targets.get(t);
            List<List<Integer>> members = new ArrayList<>();
            for (int u = 0; u < g.units(); u++) {
                members.add(new ArrayList<>());
            }
            for (ChannelGroups.Member m : scored(g, slot)) {
                int s = slot.get(m.node());
                int[] unitOf = m.unitOf();
                for (int c = 0; c < unitOf.length; c++) {
                    if (unitOf[c] >= 0) {
                        members.get(unitOf[c]).add(start[s] + c);
                    }
                }
            }
            for (int u = 0; u < g.units(); u++) {
                perUnit.add(members.get(u).stream().mapToInt(Integer::intValue).toArray());
                offsets[unitBase + u + 1] = offsets[unitBase + u] + members.get(u).size();
            }
            unitBase += g.units();
        }
        int[] perm = new int[offsets[units]];
        int at = 0;
        for (int[] p : perUnit) {
            System.arraycopy(p, 0, perm, at, p.length);
            at += p.length;
        }
        try (Tensor src = b.zeros(DType.FLOAT32, Math.max(1, total));
             Tensor permT = b.fromArray(perm, Math.max(1, perm.length));
             Tensor offsetsT = b.fromArray(offsets, offsets.length);
             Tensor all = b.zeros(DType.FLOAT32, units)) {
            for (int s = 0; s < nodes.size(); s++) {
                if (start[s] < 0) {
                    continue;
                }
                Tensor part = scores.get(s);
                try (Tensor normalised = b.zeros(DType.FLOAT32, part.shape())) {
                    b.copy(normalised, part);
                    b.normalize(normalised, normalization);
                    b.copyRange(src, start[s], normalised, 0, part.size());
                }
            }
            b.segmentReduce(all, src, permT, offsetsT, reduction);
            int base = 0;
            for (int t : reduced) {
                int n = targets.get(t).units();
                Tensor g = b.zeros(DType.FLOAT32, n);
                b.copyRange(g, 0, all, base, n);
                out.set(t, g);
                base += n;
            }
        }
        return out;
    }

    private static List<ChannelGroups.Member> scored(ChannelGroups.Group g, Map<String, Integer> slot) {
        List<ChannelGroups.Member> ms = new ArrayList<>();
        for (ChannelGroups.Member m : g.members()) {
            if (m.isOutput() && slot.containsKey(m.node())) {
                ms.add(m);
            }
        }
        return ms;
    }

    /** Every channel of the member is the unit of the same index, and there are as many as units. */
    private static boolean oneToOne(ChannelGroups.Member m, int units) {
        int[] u = m.unitOf();
        if (u.length != units) {
            return false;
        }
        for (int c = 0; c < u.length; c++) {
            if (u[c] != c) {
                return false;
            }
        }
        return true;
    }
}
