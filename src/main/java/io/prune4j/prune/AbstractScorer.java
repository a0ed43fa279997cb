package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.WeightLayer;
import io.prune4j.nn.Layer;
import io.prune4j.nn.LayerHook;
import io.prune4j.nn.Sequential;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** The bookkeeping every scorer shares: the layers, one buffer per layer, hooks, the batch count. */
abstract class AbstractScorer implements Scorer {
    protected Sequential net;
    protected Backend backend;
    protected List<Integer> layers;
    protected List<WeightLayer> targets;
    protected Granularity granularity;
    protected final List<Tensor> acc = new ArrayList<>();
    protected int batches;
    private final List<LayerHook> hooks = new ArrayList<>();

    @Override
    public void begin(Sequential net, List<Integer> layers, Granularity granularity) {
        if (granularity == Granularity.WEIGHT && !criterion().scoresWeights()) {
            throw new InvalidSettingException("criterion " + criterion() + " scores units; use structured pruning with it");
        }
        this.net = net;
        this.backend = net.backend();
        this.layers = List.copyOf(layers);
        this.granularity = granularity;
        this.targets = new ArrayList<>();
        for (int i : layers) {
            Layer l = net.layers().get(i);
            if (!(l instanceof WeightLayer d)) {
                throw new IllegalArgumentException("layer " + i + " (" + l.describe() + ") has no prunable units");
            }
            targets.add(d);
            acc.add(granularity == Granularity.UNIT && !weightShapedBuffers() ? backend.zeros(DType.FLOAT32, d.units())
                    : backend.zeros(DType.FLOAT32, d.weight().value().shape()));
        }
        install();
    }

    /** True when the buffers hold per-weight values even for unit scores (summed per unit at the end). */
    protected boolean weightShapedBuffers() {
        return false;
    }

    /** Adds hooks; called at the end of {@link #begin}. */
    protected void install() {}

    protected void addForwardHook(LayerHook hook) {
        net.addForwardHook(hook);
        hooks.add(hook);
    }

    protected void addBackwardHook(LayerHook hook) {
        net.addBackwardHook(hook);
        hooks.add(hook);
    }

    /** Position of network layer {@code layerIndex} in {@link #layers}, or −1. */
    protected int slot(int layerIndex) {
        return layers.indexOf(layerIndex);
    }

    @Override
    public void afterBackward() {
        batches++;
        accumulateBatch();
    }

    /** Adds the current batch's parameter gradients (they are in place when this runs). */
    protected void accumulateBatch() {}

    /** Turns the buffers into final scores in place. */
    protected abstract void complete();

    @Override
    public final List<Tensor> finish() {
        removeHooks();
        complete();
        List<Tensor> out = new ArrayList<>(acc);
        acc.clear();
        return out;
    }

    /** For unit granularity: sums per-weight scores {@code [units, …]} into a fresh {@code [units]} tensor, closing the input. */
    protected Tensor unitSums(Tensor perWeight) {
        Tensor u = backend.zeros(DType.FLOAT32, perWeight.dim(0));
        backend.rowSums(u, perWeight);
        perWeight.close();
        return u;
    }

    protected float perBatch() {
        return batches == 0 ? 0f : 1f / batches;
    }

    private void removeHooks() {
        if (net != null) {
            hooks.forEach(net::removeHook);
        }
        hooks.clear();
    }

    @Override
    public void close() {
        removeHooks();
        acc.forEach(Tensor::close);
        acc.clear();
    }
}
