package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.ChannelSelection;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Applies a pruning plan (one keep mask per dependency group, over the group's units) to a graph.
 * <ul>
 *   <li>{@link #channelMasks}: the plan as one 0/1 mask per tensor whose channels it removes, every
 *       member of a unit removed with it.</li>
 *   <li>{@link #compact}: structured pruning for real. A prefix sum over each tensor's channel mask
 *       gives its keep-index list, and every node that reads or writes a changed tensor is replaced by
 *       its {@link Layer#pruned} copy: kept rows of a layer's weight and bias (filters, neurons), its
 *       kept input columns or input channels, a BatchNorm's kept entries, whole groups of a grouped
 *       convolution. The network computes exactly what the masked network computed, with fewer
 *       operations.</li>
 *   <li>{@link #maskUnits}: structured pruning as masks, for schedules that prune while training and
 *       compact at the end: the rows and biases of the layers that write a removed channel, and the
 *       γ and β of its BatchNorms, are held at zero, so the channel reads as zero everywhere.</li>
 *   <li>{@link #maskWeights}: unstructured pruning; the optimiser re-applies the masks after every step.</li>
 * </ul>
 */
public final class Compaction {
    private Compaction() {}

    /**
     * The channel mask of every tensor (by value name: a node, or {@link Graph#INPUT}) that holds
     * channels of {@code targets}: 1 where the channel stays, 0 where its unit's entry in
     * {@code unitMasks} (one per target group, {@code [units]}) is 0. Computed on the backend (a
     * gather of the unit masks), no copy to the host. The caller closes the masks.
     *
     * @param groups    the network's groups
     * @param targets   the groups the plan prunes, from {@code groups}
     * @param unitMasks one 0/1 keep mask {@code [units]} per target, in the same order; borrowed
     * @return per tensor name, its channel mask {@code [channels]}, owned by the caller (empty when there are no targets)
     * @throws IllegalArgumentException when the masks do not match the targets in number or size
     */
    public static Map<String, Tensor> channelMasks(ChannelGroups groups, List<ChannelGroups.Group> targets, List<Tensor> unitMasks) {
        Objects.requireNonNull(groups, "groups");
        Objects.requireNonNull(targets, "targets");
        Objects.requireNonNull(unitMasks, "unitMasks");
        Graph net = groups.network();
        Backend b = net.backend();
        if (unitMasks.size() != targets.size()) {
            throw new IllegalArgumentException(unitMasks.size() + " unit masks for " + targets.size() + " groups");
        }
        int total = 0;
        int[] offset = new int[groups.all().size()];
        java.util.Arrays.fill(offset, -1);
        for (int t = 0; t < targets.size(); t++) {
            ChannelGroups.Group g = targets.get(t);
            if (unitMasks.get(t).size() != g.units()) {
                throw new IllegalArgumentException("unit mask for group " + g.name() + " has " + unitMasks.get(t).size()
                        + " entries, the group has " + g.units() + " units");
            }
            offset[g.id()] = total;
            total += g.units();
        }
        Map<String, Tensor> masks = new LinkedHashMap<>();
        if (targets.isEmpty()) {
            return masks;
        }
        // every unit mask one after the other, then a constant 1 for the channels of other groups
        try (Tensor all = b.zeros(DType.FLOAT32, total + 1)) {
            int at = 0;
            for (Tensor m : unitMasks) {
                b.copyRange(all, at, m, 0, m.size());
                at += m.size();
            }
            try (Tensor one = b.fromArray(new float[] {1f}, 1)) {
                b.copyRange(all, total, one, 0, 1);
            }
            List<String> values = new ArrayList<>();
            values.add(Graph.INPUT);
            for (Graph.Node n : net.nodes()) {
                values.add(n.name());
            }
            for (String v : values) {
                int[] gs = groups.groupsOf(v);
                int[] us = groups.unitsOf(v);
                int[] idx = new int[gs.length];
                boolean touched = false;
                for (int c = 0; c < gs.length; c++) {
                    idx[c] = offset[gs[c]] < 0 ? total : offset[gs[c]] + us[c];
                    touched |= offset[gs[c]] >= 0;
                }
                if (!touched) {
                    continue;
                }
                Tensor mask = b.zeros(DType.FLOAT32, gs.length);
                try (Tensor ix = b.fromArray(idx, idx.length)) {
                    b.gatherRows(mask, all, ix, 0);
                }
                masks.put(v, mask);
            }
        }
        return masks;
    }

    /**
     * Removes the channels whose mask entry is 0 ({@code channelMasks}, by value name, as
     * {@link #channelMasks} gives them) from {@code net}, and does the same to each of
     * {@code companions} (networks of the same shape, e.g. the initial weights kept for
     * lottery-ticket rewinding). Reads every tensor's kept count and indices with one copy; refuses, before
     * anything changes, a plan that empties a tensor.
     *
     * @param net          the network; its layers are replaced in place
     * @param channelMasks per tensor name, its 0/1 channel mask; borrowed (the caller closes them)
     * @param companions   networks of the same structure to compact alike; none is fine
     * @throws InvalidSettingException when the plan would remove every channel of a tensor, or a channel of the input
     */
    public static void compact(Graph net, Map<String, Tensor> channelMasks, Graph... companions) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(channelMasks, "channelMasks");
        Objects.requireNonNull(companions, "companions");
        Backend b = net.backend();
        List<String> values = new ArrayList<>(channelMasks.keySet());
        int n = values.size();
        if (n == 0) {
            return;
        }
        List<Tensor> kept = new ArrayList<>(n);
        int[] offset = new int[n + 1];
        offset[0] = n;
        for (int s = 0; s < n; s++) {
            offset[s + 1] = Math.addExact(offset[s], Math.max(1, channelMasks.get(values.get(s)).size()));
        }
        try (Tensor counts = b.zeros(DType.INT32, n); Tensor packed = b.zeros(DType.INT32, offset[n])) {
            for (int s = 0; s < n; s++) {
                Tensor mask = channelMasks.get(values.get(s));
                Tensor all = b.zeros(DType.INT32, Math.max(1, mask.size()));
                kept.add(all);
                b.maskToIndices(all, mask, counts, s);
                b.copyRange(packed, offset[s], all, 0, all.size());
            }
            // the counts and every tensor's kept indices in one device-to-host copy: the layers that
            // rebuild a permutation or a slice read their selections' host indices, not the device
            b.copyRange(packed, 0, counts, 0, n);
            int[] host = b.toIntArray(packed);
            int[] k = java.util.Arrays.copyOf(host, n);
            Map<String, ChannelSelection> selections = new LinkedHashMap<>();
            List<Tensor> indices = new ArrayList<>();
            try {
                for (int s = 0; s < n; s++) {
                    String v = values.get(s);
                    int channels = channelMasks.get(v).size();
                    if (k[s] == 0) {
                        throw new InvalidSettingException("pruning would remove every unit of "
                                + (v.equals(Graph.INPUT) ? "the input" : net.layer(v).describe()));
                    }
                    if (k[s] == channels) {
                        continue;
                    }
                    Tensor idx = b.zeros(DType.INT32, k[s]);
                    indices.add(idx);
                    b.copyRange(idx, 0, kept.get(s), 0, k[s]);
                    selections.put(v, new ChannelSelection(idx, channels, java.util.Arrays.copyOfRange(host, offset[s], offset[s] + k[s])));
                }
                if (selections.containsKey(Graph.INPUT)) {
                    throw new InvalidSettingException("pruning would remove channels of the network's input");
                }
                apply(net, selections);
                for (Graph c : companions) {
                    apply(c, selections);
                }
            } finally {
                indices.forEach(Tensor::close);
            }
        } finally {
            kept.forEach(Tensor::close);
        }
    }

    /** Replaces every node that reads or writes a selected tensor by its pruned copy, then checks the shapes fit. */
    private static void apply(Graph net, Map<String, ChannelSelection> selections) {
        for (Graph.Node node : net.nodes()) {
            ChannelSelection[] in = new ChannelSelection[node.inputs().size()];
            boolean changed = false;
            for (int j = 0; j < in.length; j++) {
                in[j] = selections.get(node.inputs().get(j));
                changed |= in[j] != null;
            }
            ChannelSelection out = selections.get(node.name());
            if (changed || out != null) {
                net.setLayer(node.name(), node.layer().pruned(in, out));
            }
        }
        net.checkShapes();
    }

    /**
     * Holds the removed channels at zero without changing shapes: every layer that writes a masked
     * tensor masks its own parameters of the removed channels ({@link Layer#maskChannels}: the weight
     * rows and biases of Dense and Conv2d layers, a BatchNorm's γ and β, whatever a layer written
     * outside the library holds), with masks the optimiser re-applies. Pass-through layers carry the
     * zeros on, and a layer that reads a removed channel multiplies zeros, so the masked network
     * computes what the compacted one will. The caller keeps its tensors.
     *
     * @param net          the network; its layers' masks change in place
     * @param channelMasks per tensor name, its 0/1 channel mask ({@link #channelMasks}); the input's is ignored
     */
    public static void maskUnits(Graph net, Map<String, Tensor> channelMasks) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(channelMasks, "channelMasks");
        for (Map.Entry<String, Tensor> e : channelMasks.entrySet()) {
            if (!e.getKey().equals(Graph.INPUT)) {
                net.layer(e.getKey()).maskChannels(e.getValue());
            }
        }
    }

    private static Tensor copy(Backend b, Tensor t) {
        Tensor c = b.zeros(DType.FLOAT32, t.shape());
        b.copy(c, t);
        return c;
    }

    /**
     * Installs weight masks on nodes {@code nodes} (copies; the caller keeps its tensors), replacing
     * any mask they had; each is applied at once, and the optimiser re-applies it after every step.
     *
     * @param net         the network
     * @param nodes       nodes with a weight
     * @param weightMasks one 0/1 mask per node, shaped like its weight, in the same order
     * @throws IllegalArgumentException when a node has no weight
     */
    public static void maskWeights(Graph net, List<String> nodes, List<Tensor> weightMasks) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(weightMasks, "weightMasks");
        Backend b = net.backend();
        for (int s = 0; s < nodes.size(); s++) {
            WeightLayer d = weightLayer(net, nodes.get(s));
            d.weight().setMask(copy(b, weightMasks.get(s)));
        }
    }

    /** Node {@code name}'s layer, which must have a weight. */
    static WeightLayer weightLayer(Graph net, String name) {
        Layer l = net.layer(name);
        if (!(l instanceof WeightLayer d)) {
            throw new IllegalArgumentException("node " + name + " (" + l.describe() + ") has no weights to prune");
        }
        return d;
    }

    /**
     * Nodes whose weights unstructured pruning may zero: every weight layer but those in {@code keep}.
     *
     * @param net  the network
     * @param keep names of nodes to leave out
     * @return the node names, in network order
     */
    public static List<String> prunableWeightLayers(Graph net, java.util.Set<String> keep) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(keep, "keep");
        List<String> out = new ArrayList<>();
        for (Graph.Node n : net.nodes()) {
            if (n.layer() instanceof WeightLayer && !keep.contains(n.name())) {
                out.add(n.name());
            }
        }
        return out;
    }
}
