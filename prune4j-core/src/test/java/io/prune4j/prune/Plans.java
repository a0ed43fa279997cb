package io.prune4j.prune;

import io.prune4j.nn.Graph;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pruning plans written the way the chain tests think of them: one unit mask per prunable layer,
 * by node name. In a chain every prunable weight layer writes a group of its own, named after it,
 * whose units are its output channels.
 */
final class Plans {
    private Plans() {}

    /** The names of the prunable groups, in order: for a chain, its weight layers but the last. */
    static List<String> unitLayers(Graph net) {
        List<String> out = new ArrayList<>();
        for (ChannelGroups.Group g : ChannelGroups.of(net).prunable()) {
            out.add(g.name());
        }
        return out;
    }

    /** The channel masks of the groups named {@code nodes} with unit masks {@code masks} (caller closes them). */
    static Map<String, Tensor> channelMasks(Graph net, List<String> nodes, List<Tensor> masks) {
        ChannelGroups groups = ChannelGroups.of(net);
        List<ChannelGroups.Group> targets = new ArrayList<>();
        for (String n : nodes) {
            ChannelGroups.Group g = groups.named(n);
            if (g == null) {
                throw new IllegalArgumentException("no group named " + n);
            }
            targets.add(g);
        }
        return Compaction.channelMasks(groups, targets, masks);
    }

    static void compact(Graph net, List<String> nodes, List<Tensor> masks, Graph... companions) {
        Map<String, Tensor> ch = channelMasks(net, nodes, masks);
        try {
            Compaction.compact(net, ch, companions);
        } finally {
            ch.values().forEach(Tensor::close);
        }
    }

    static void maskUnits(Graph net, List<String> nodes, List<Tensor> masks) {
        Map<String, Tensor> ch = channelMasks(net, nodes, masks);
        try {
            Compaction.maskUnits(net, ch);
        } finally {
            ch.values().forEach(Tensor::close);
        }
    }
}
