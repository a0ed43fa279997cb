package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.BackwardHook;
import io.prune4j.nn.ForwardHook;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The bookkeeping every scorer shares, for the library's scorers and for scorers written outside
 * it: the nodes, one buffer per node (slot), the hooks (removed at the end), the batch count. A
 * subclass installs hooks in {@link #install}, accumulates in them or in {@link #accumulateBatch},
 * and turns the buffers into scores in {@link #complete}.
 *
 * <p>The fields are set by {@link #begin} and null before it.
 */
public abstract class AbstractScorer implements Scorer {
    /** The network being scored; borrowed from the caller of {@link #begin}. */
    protected Graph net;
    /** {@code net}'s backend, where the buffers live. */
    protected Backend backend;
    /** The scored nodes, in slot order. */
    protected List<String> nodes;
    /** The scored nodes' layers, in slot order. */
    protected List<Layer> layers;
    /** Whether the scores are per unit or per weight. */
    protected Granularity granularity;
    /** One buffer per slot: {@code [output channels]}, or weight-shaped (see {@link #weightShapedBuffers}). */
    protected final List<Tensor> acc = new ArrayList<>();
    /** Calibration batches seen. */
    protected int batches;

    /** For subclasses; the scorer is ready for {@link #begin}. */
    protected AbstractScorer() {}
    private final Map<String, Integer> slots = new HashMap<>();
    private final Map<String, Integer> activationSlots = new HashMap<>();
    private final List<Object> hooks = new ArrayList<>();

    /**
     * {@inheritDoc}
     *
     * <p>Allocates one zero buffer per node, {@code [output channels]} or weight-shaped (see
     * {@link #weightShapedBuffers}), then calls {@link #install}.
     *
     * @throws IllegalArgumentException {@inheritDoc}
     */
    @Override
    public void begin(Graph net, List<String> nodes, Granularity granularity) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(granularity, "granularity");
        this.net = net;
        this.backend = net.backend();
        this.nodes = List.copyOf(nodes);
        this.granularity = granularity;
        this.layers = new ArrayList<>();
        for (int s = 0; s < nodes.size(); s++) {
            String n = nodes.get(s);
            Layer l = net.layer(n);
            if (slots.putIfAbsent(n, s) != null) {
                throw new IllegalArgumentException("node '" + n + "' is to be scored twice");
            }
            if (granularity == Granularity.WEIGHT && !(l instanceof WeightLayer)) {
                throw new IllegalArgumentException(l.describe() + " has no weight to score");
            }
            layers.add(l);
            activationSlots.put(ChannelGroups.activationPoint(net, n), s);
            boolean perWeight = granularity == Granularity.WEIGHT || weightShapedBuffers();
            acc.add(perWeight ? backend.zeros(DType.FLOAT32, weightLayer(s).weight().value().shape())
                    : backend.zeros(DType.FLOAT32, net.shapeOf(n)[0]));
        }
        install();
    }

    /**
     * True when the buffers hold per-weight values even for unit scores (summed per unit at the end); false by default.
     *
     * @return whether every buffer is shaped like its node's weight
     */
    protected boolean weightShapedBuffers() {
        return false;
    }

    /** Adds hooks; called at the end of {@link #begin}. */
    protected void install() {}

    /**
     * Installs a forward hook on {@link #net}, removed by {@link #finish} or {@link #close}.
     *
     * @param hook the hook
     */
    protected void addForwardHook(ForwardHook hook) {
        Objects.requireNonNull(hook, "hook");
        net.addForwardHook(hook);
        hooks.add(hook);
    }

    /**
     * Installs a backward hook on {@link #net}, removed by {@link #finish} or {@link #close}.
     *
     * @param hook the hook
     */
    protected void addBackwardHook(BackwardHook hook) {
        Objects.requireNonNull(hook, "hook");
        net.addBackwardHook(hook);
        hooks.add(hook);
    }

    /**
     * The slot of scored node {@code node}, or −1.
     *
     * @param node a node name
     * @return its slot, or −1 when it is not scored
     */
    protected int slot(String node) {
        Integer s = slots.get(node);
        return s == null ? -1 : s;
    }

    /**
     * The slot whose activations node {@code node}'s output is, or −1: a scored node's own output, or
     * that of the BatchNorm right after it ({@link ChannelGroups#activationPoint}).
     *
     * @param node a node name, as a forward or backward hook gets it
     * @return the slot, or −1
     */
    protected int activationSlot(String node) {
        Integer s = activationSlots.get(node);
        return s == null ? -1 : s;
    }

    /**
     * The scored layer of slot {@code s} as a {@link WeightLayer}, or an error naming it.
     *
     * @param s a slot
     * @return the layer
     * @throws IllegalArgumentException when the layer has no weight
     */
    protected WeightLayer weightLayer(int s) {
        Layer l = layers.get(s);
        if (!(l instanceof WeightLayer w)) {
            throw new IllegalArgumentException(l.describe() + " has no weight for this criterion to score");
        }
        return w;
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

    /**
     * For unit granularity: sums per-weight scores {@code [units, …]} into a fresh {@code [units]} tensor, closing the input.
     *
     * @param perWeight per-weight scores {@code [units, …]}; closed by this call
     * @return the per-unit sums {@code [units]}, owned by the caller
     */
    protected Tensor unitSums(Tensor perWeight) {
        Objects.requireNonNull(perWeight, "perWeight");
        Tensor u = backend.zeros(DType.FLOAT32, perWeight.dim(0));
        backend.rowSums(u, perWeight);
        perWeight.close();
        return u;
    }

    /**
     * {@code 1 / batches}, or 0 before any batch: turns sums over batches into means.
     *
     * @return the factor
     */
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
