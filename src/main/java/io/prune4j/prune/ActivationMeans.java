package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Dense;
import io.prune4j.nn.WeightLayer;
import io.prune4j.nn.LayerHook;
import io.prune4j.nn.Sequential;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Mean output activation of each unit of some layers over the calibration batches, collected by a
 * forward hook, and the bias compensation it allows: when unit {@code n} of layer {@code l} is
 * removed, its average contribution {@code W_{l+1}[:, n] · mean(a_n)} is folded into the next
 * layer's bias, so the next layer's inputs keep their mean (the "mean replacement" used by several
 * structured-pruning papers). It corrects the first-order shift pruning causes, before any
 * fine-tuning.
 *
 * <p>Only Dense layers feeding Dense layers are compensated; convolution channels are left as they
 * are, because zero padding makes a channel's contribution to the next layer depend on position, so
 * a single bias shift would not be its mean.
 */
public final class ActivationMeans implements AutoCloseable {
    private final Sequential net;
    private final List<Integer> layers;
    private final List<Tensor> sums = new ArrayList<>();
    private final LayerHook hook;
    private int examples;

    public ActivationMeans(Sequential net, List<Integer> layers) {
        this.net = net;
        this.layers = List.copyOf(layers);
        Backend b = net.backend();
        for (int li : layers) {
            WeightLayer l = Compaction.weightLayer(net, li);
            int next = Compaction.nextWeightLayer(net, li);
            boolean eligible = l instanceof Dense && next >= 0 && net.layers().get(next) instanceof Dense d
                    && d.inFeatures() == l.units();
            sums.add(eligible ? b.zeros(DType.FLOAT32, l.units()) : null);
        }
        hook = (i, layer, a) -> {
            int s = this.layers.indexOf(i);
            if (s >= 0 && sums.get(s) != null) {
                b.sumRows(sums.get(s), a, 1f);
                if (s == firstCollected()) {
                    examples += a.dim(0);
                }
            }
        };
        net.addForwardHook(hook);
    }

    private int firstCollected() {
        for (int s = 0; s < sums.size(); s++) {
            if (sums.get(s) != null) {
                return s;
            }
        }
        return -1;
    }

    /** Stops collecting. */
    public void detach() {
        net.removeHook(hook);
    }

    /**
     * Adds {@code W_next · (mean ⊙ (1 − mask))} to the next Dense layer's bias for each layer, i.e.
     * the mean contribution of the units the masks remove. Call before compaction.
     */
    public void compensate(List<Tensor> unitMasks) {
        if (examples == 0) {
            return;
        }
        Backend b = net.backend();
        for (int s = 0; s < layers.size(); s++) {
            if (sums.get(s) == null) {
                continue;
            }
            Dense n = (Dense) net.layers().get(Compaction.nextWeightLayer(net, layers.get(s)));
            int units = sums.get(s).size();
            try (Tensor removed = b.zeros(DType.FLOAT32, 1, units);
                 Tensor kept = b.zeros(DType.FLOAT32, units);
                 Tensor shift = b.zeros(DType.FLOAT32, 1, n.outFeatures())) {
                // removed = mean − mean ⊙ mask: the mean activation of the units that go
                b.copy(removed, sums.get(s));
                b.scale(removed, 1f / examples);
                b.copy(kept, removed);
                b.mul(kept, unitMasks.get(s));
                b.axpy(removed, -1f, kept);
                b.gemm(shift, removed, false, n.weight().value(), true, 1f, 0f);
                b.axpy(n.bias().value(), 1f, shift);
            }
        }
    }

    @Override
    public void close() {
        detach();
        sums.stream().filter(java.util.Objects::nonNull).forEach(Tensor::close);
        sums.clear();
    }
}
