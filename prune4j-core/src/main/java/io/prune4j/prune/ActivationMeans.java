package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Dense;
import io.prune4j.nn.ForwardHook;
import io.prune4j.nn.Graph;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mean activation of each channel of some tensors over the calibration batches, collected by a
 * forward hook, and the bias compensation it allows: when channel {@code n} goes, its average
 * contribution {@code W[:, n] · mean(a_n)} is folded into the bias of each layer that reads it, so
 * those layers' outputs keep their mean (the "mean replacement" used by several structured-pruning
 * papers). It corrects the first-order shift pruning causes, before any fine-tuning.
 *
 * <p>Only outputs of Dense layers read by Dense layers with a bias are compensated; convolution
 * channels are left as they are, because zero padding makes a channel's contribution to the next
 * layer depend on position, so a single bias shift would not be its mean.
 */
final class ActivationMeans implements AutoCloseable {
    private final Graph net;
    private final Map<String, Tensor> sums = new LinkedHashMap<>();
    private final ForwardHook hook;
    private int examples;

    /** Collects the means of the outputs of {@code candidates} (node names) that can be compensated. */
    public ActivationMeans(Graph net, List<String> candidates) {
        this.net = net;
        Backend b = net.backend();
        for (String v : candidates) {
            if (eligible(net, v)) {
                sums.put(v, b.zeros(DType.FLOAT32, net.shapeOf(v)[0]));
            }
        }
        String first = sums.isEmpty() ? null : sums.keySet().iterator().next();
        hook = (node, layer, inputs, a) -> {
            Tensor s = sums.get(node);
            if (s != null) {
                b.sumRows(s, a, 1f);
                if (node.equals(first)) {
                    examples += a.dim(0);
                }
            }
        };
        net.addForwardHook(hook);
    }

    /** A Dense layer's output that only Dense layers with a bias read. */
    private static boolean eligible(Graph net, String v) {
        if (!(net.layer(v) instanceof Dense)) {
            return false;
        }
        List<String> readers = net.readersOf(v);
        for (String r : readers) {
            if (!(net.layer(r) instanceof Dense d) || d.bias() == null) {
                return false;
            }
        }
        return !readers.isEmpty();
    }

    /** Stops collecting. */
    public void detach() {
        net.removeHook(hook);
    }

    /**
     * Adds {@code W · (mean ⊙ (1 − mask))} to the bias of every reader of each collected tensor, i.e.
     * the mean contribution of the channels the masks ({@link Compaction#channelMasks}) remove. Call
     * before compaction.
     */
    public void compensate(Map<String, Tensor> channelMasks) {
        if (examples == 0) {
            return;
        }
        Backend b = net.backend();
        for (Map.Entry<String, Tensor> e : sums.entrySet()) {
            Tensor mask = channelMasks.get(e.getKey());
            if (mask == null) {
                continue;
            }
            int units = e.getValue().size();
            List<Dense> readers = new ArrayList<>();
            for (String r : net.readersOf(e.getKey())) {
                readers.add((Dense) net.layer(r));
            }
            try (Tensor removed = b.zeros(DType.FLOAT32, 1, units);
                 Tensor kept = b.zeros(DType.FLOAT32, units)) {
                // removed = mean − mean ⊙ mask: the mean activation of the channels that go
                b.copy(removed, e.getValue());
                b.scale(removed, 1f / examples);
                b.copy(kept, removed);
                b.mul(kept, mask);
                b.axpy(removed, -1f, kept);
                for (Dense n : readers) {
                    try (Tensor shift = b.zeros(DType.FLOAT32, 1, n.outFeatures())) {
                        b.gemm(shift, removed, false, n.weight().value(), true, 1f, 0f);
                        b.axpy(n.bias().value(), 1f, shift);
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        detach();
        sums.values().forEach(Tensor::close);
        sums.clear();
    }
}
