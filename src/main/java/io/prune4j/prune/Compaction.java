package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Flatten;
import io.prune4j.nn.Layer;
import io.prune4j.nn.MaxPool2d;
import io.prune4j.nn.Relu;
import io.prune4j.nn.Sequential;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies a pruning plan to a network.
 * <ul>
 *   <li>{@link #compact}: structured pruning for real. For each pruned layer a prefix sum over the
 *       unit mask gives the keep-index list; the kept rows of {@code W_l} and {@code b_l} (neurons,
 *       or whole filters of a convolution) and the matching inputs of the next weight layer are
 *       gathered into new, smaller tensors: columns of a Dense layer, input channels
 *       ({@code kh·kw} blocks) of a convolution, or, behind a flattened feature map, the {@code H·W}
 *       column block of each kept channel. The network computes exactly what the masked network
 *       computed, with fewer operations.</li>
 *   <li>{@link #maskUnits}: structured pruning as masks (rows of {@code W_l} and {@code b_l} held
 *       at zero), for schedules that prune while training and compact at the end.</li>
 *   <li>{@link #maskWeights}: unstructured pruning; the optimiser re-applies the masks after every step.</li>
 * </ul>
 * Between a pruned layer and the next weight layer only layers that pass channels through one to
 * one may sit ({@link Relu}, {@link MaxPool2d}, {@link Flatten}).
 */
public final class Compaction {
    private Compaction() {}

    /**
     * Removes the units whose mask entry is 0 from layers {@code layers} of {@code net}, and does the
     * same to each of {@code companions} (networks of the same shape, e.g. the initial weights kept
     * for lottery-ticket rewinding). Layers with nothing removed are left as they are.
     */
    public static void compact(Sequential net, List<Integer> layers, List<Tensor> unitMasks, Sequential... companions) {
        Backend b = net.backend();
        int n = layers.size();
        for (int s = 0; s < n; s++) {
            WeightLayer d = weightLayer(net, layers.get(s));
            if (unitMasks.get(s).size() != d.units()) {
                throw new IllegalArgumentException("unit mask for " + d.describe() + " has " + unitMasks.get(s).size()
                        + " entries, layer has " + d.units());
            }
        }
        if (n == 0) {
            return;
        }
        // every layer's kept indices first, their counts left on the device and read with one copy
        List<Tensor> kept = new ArrayList<>(n);
        try (Tensor counts = b.zeros(DType.INT32, n)) {
            for (int s = 0; s < n; s++) {
                Tensor all = b.zeros(DType.INT32, unitMasks.get(s).size());
                kept.add(all);
                b.maskToIndices(all, unitMasks.get(s), counts, s);
            }
            int[] k = b.toIntArray(counts);
            for (int s = 0; s < n; s++) {
                if (k[s] == 0) {
                    throw new IllegalArgumentException("pruning would remove every unit of " + weightLayer(net, layers.get(s)).describe());
                }
            }
            for (int s = 0; s < n; s++) {
                int li = layers.get(s);
                if (k[s] == weightLayer(net, li).units()) {
                    continue;
                }
                int next = nextWeightLayer(net, li);
                int block = next < 0 ? 0 : inputBlock(net, li, next);
                try (Tensor idx = b.zeros(DType.INT32, k[s])) {
                    b.copyRange(idx, 0, kept.get(s), 0, k[s]);
                    shrink(net, li, next, block, idx);
                    for (Sequential c : companions) {
                        shrink(c, li, next, block, idx);
                    }
                }
            }
        } finally {
            kept.forEach(Tensor::close);
        }
    }

    private static void shrink(Sequential net, int li, int next, int block, Tensor idx) {
        Backend b = net.backend();
        WeightLayer d = weightLayer(net, li);
        int k = idx.size();
        int[] shape = d.weight().value().shape();
        shape[0] = k;
        Tensor w = b.zeros(DType.FLOAT32, shape);
        Tensor bias = b.zeros(DType.FLOAT32, k);
        b.gatherRows(w, d.weight().value(), idx, 0);
        b.gatherRows(bias, d.bias().value(), idx, 0);
        net.setLayer(li, d.withParameters(w, bias));
        if (next >= 0) {
            WeightLayer n = weightLayer(net, next);
            int[] nShape = n.weight().value().shape();
            if (n instanceof Conv2d) {
                nShape[1] = k;
            } else {
                nShape[1] = k * block;
            }
            Tensor w2 = b.zeros(DType.FLOAT32, nShape);
            Tensor b2 = b.zeros(DType.FLOAT32, n.units());
            b.gatherColumnBlocks(w2, n.weight().value(), idx, block);
            b.copy(b2, n.bias().value());
            net.setLayer(next, n.withParameters(w2, b2));
        }
    }

    /**
     * How many consecutive inputs of weight layer {@code next} each unit of layer {@code li} feeds:
     * 1 for Dense → Dense, {@code kh·kw} for any → Conv2d, {@code H·W} for Conv2d → Flatten → Dense.
     */
    static int inputBlock(Sequential net, int li, int next) {
        WeightLayer d = weightLayer(net, li);
        WeightLayer n = weightLayer(net, next);
        for (int i = li + 1; i < next; i++) {
            Layer between = net.layers().get(i);
            if (!(between instanceof Relu || between instanceof MaxPool2d || between instanceof Flatten)) {
                throw new IllegalArgumentException("cannot prune " + d.describe() + ": " + between.describe()
                        + " sits between it and " + n.describe() + " and does not pass units through one to one");
            }
        }
        if (n instanceof Conv2d c) {
            if (c.inChannels() != d.units()) {
                throw new IllegalArgumentException(n.describe() + " takes " + c.inChannels() + " channels but " + d.describe()
                        + " gives " + d.units());
            }
            return c.kernelHeight() * c.kernelWidth();
        }
        int in = n.inputUnits();
        if (in % d.units() != 0) {
            throw new IllegalArgumentException(n.describe() + " takes " + in + " inputs, not a whole number per unit of " + d.describe());
        }
        return in / d.units();
    }

    /** Holds the pruned units' rows of {@code W} and entries of {@code b} at zero (masks the optimiser re-applies). */
    public static void maskUnits(Sequential net, List<Integer> layers, List<Tensor> unitMasks) {
        Backend b = net.backend();
        for (int s = 0; s < layers.size(); s++) {
            WeightLayer d = weightLayer(net, layers.get(s));
            Tensor rowMask = b.zeros(DType.FLOAT32, d.weight().value().shape());
            b.broadcastRows(rowMask, unitMasks.get(s));
            Tensor biasMask = b.zeros(DType.FLOAT32, d.units());
            b.copy(biasMask, unitMasks.get(s));
            d.weight().setMask(rowMask);
            d.bias().setMask(biasMask);
        }
    }

    /** Installs weight masks (copies; the caller keeps its tensors). */
    public static void maskWeights(Sequential net, List<Integer> layers, List<Tensor> weightMasks) {
        Backend b = net.backend();
        for (int s = 0; s < layers.size(); s++) {
            WeightLayer d = weightLayer(net, layers.get(s));
            Tensor m = b.zeros(DType.FLOAT32, d.weight().value().shape());
            b.copy(m, weightMasks.get(s));
            d.weight().setMask(m);
        }
    }

    static WeightLayer weightLayer(Sequential net, int index) {
        Layer l = net.layers().get(index);
        if (!(l instanceof WeightLayer d)) {
            throw new IllegalArgumentException("layer " + index + " (" + l.describe() + ") has no weights to prune");
        }
        return d;
    }

    /** Index of the next weight layer after {@code index}, or −1. */
    static int nextWeightLayer(Sequential net, int index) {
        List<Layer> ls = net.layers();
        for (int i = index + 1; i < ls.size(); i++) {
            if (ls.get(i) instanceof WeightLayer) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Layers whose units can be removed: every weight layer (Dense or Conv2d) but the last, whose
     * units are the classes.
     */
    public static List<Integer> prunableUnitLayers(Sequential net) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof WeightLayer && nextWeightLayer(net, i) >= 0) {
                out.add(i);
            }
        }
        return out;
    }

    /** Layers whose weights unstructured pruning may zero: every weight layer. */
    public static List<Integer> prunableWeightLayers(Sequential net) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof WeightLayer) {
                out.add(i);
            }
        }
        return out;
    }
}
