package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Sequential;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * Applies a pruning plan to a network.
 * <ul>
 *   <li>{@link #compact}: structured pruning for real. For each pruned layer a prefix sum over the
 *       unit mask gives the keep-index list; the kept rows of {@code W_l} and {@code b_l} and the
 *       kept columns of the next Dense layer's {@code W} are gathered into new, smaller tensors.
 *       The network computes exactly what the masked network computed, with fewer operations.</li>
 *   <li>{@link #maskUnits}: structured pruning as masks (rows of {@code W_l} and {@code b_l} held
 *       at zero), for schedules that prune while training and compact at the end.</li>
 *   <li>{@link #maskWeights}: unstructured pruning; the optimiser re-applies the masks after every step.</li>
 * </ul>
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
        for (int s = 0; s < layers.size(); s++) {
            int li = layers.get(s);
            Tensor mask = unitMasks.get(s);
            Dense d = dense(net, li);
            int units = d.outFeatures();
            if (mask.size() != units) {
                throw new IllegalArgumentException("unit mask for " + d.describe() + " has " + mask.size() + " entries, layer has " + units);
            }
            int next = nextDense(net, li);
            try (Tensor all = b.zeros(DType.INT32, units)) {
                int k = b.maskToIndices(all, mask);
                if (k == units) {
                    continue;
                }
                if (k == 0) {
                    throw new IllegalArgumentException("pruning would remove every unit of " + d.describe());
                }
                try (Tensor idx = b.zeros(DType.INT32, k)) {
                    b.copyRange(idx, 0, all, 0, k);
                    shrink(net, li, next, idx);
                    for (Sequential c : companions) {
                        shrink(c, li, next, idx);
                    }
                }
            }
        }
    }

    private static void shrink(Sequential net, int li, int next, Tensor idx) {
        Backend b = net.backend();
        Dense d = dense(net, li);
        int k = idx.size();
        Tensor w = b.zeros(DType.FLOAT32, k, d.inFeatures());
        Tensor bias = b.zeros(DType.FLOAT32, k);
        b.gatherRows(w, d.weight().value(), idx, 0);
        b.gatherRows(bias, d.bias().value(), idx, 0);
        net.setLayer(li, new Dense(d.name(), w, bias, d.hasRelu()));
        if (next >= 0) {
            Dense n = dense(net, next);
            Tensor w2 = b.zeros(DType.FLOAT32, n.outFeatures(), k);
            Tensor b2 = b.zeros(DType.FLOAT32, n.outFeatures());
            b.gatherColumns(w2, n.weight().value(), idx);
            b.copy(b2, n.bias().value());
            net.setLayer(next, new Dense(n.name(), w2, b2, n.hasRelu()));
        }
    }

    /** Holds the pruned units' rows of {@code W} and entries of {@code b} at zero (masks the optimiser re-applies). */
    public static void maskUnits(Sequential net, List<Integer> layers, List<Tensor> unitMasks) {
        Backend b = net.backend();
        for (int s = 0; s < layers.size(); s++) {
            Dense d = dense(net, layers.get(s));
            Tensor rowMask = b.zeros(DType.FLOAT32, d.outFeatures(), d.inFeatures());
            b.broadcastRows(rowMask, unitMasks.get(s));
            Tensor biasMask = b.zeros(DType.FLOAT32, d.outFeatures());
            b.copy(biasMask, unitMasks.get(s));
            d.weight().setMask(rowMask);
            d.bias().setMask(biasMask);
        }
    }

    /** Installs weight masks (copies; the caller keeps its tensors). */
    public static void maskWeights(Sequential net, List<Integer> layers, List<Tensor> weightMasks) {
        Backend b = net.backend();
        for (int s = 0; s < layers.size(); s++) {
            Dense d = dense(net, layers.get(s));
            Tensor m = b.zeros(DType.FLOAT32, d.outFeatures(), d.inFeatures());
            b.copy(m, weightMasks.get(s));
            d.weight().setMask(m);
        }
    }

    static Dense dense(Sequential net, int index) {
        Layer l = net.layers().get(index);
        if (!(l instanceof Dense d)) {
            throw new IllegalArgumentException("layer " + index + " (" + l.describe() + ") is not a Dense layer");
        }
        return d;
    }

    /** Index of the next Dense layer after {@code index} (ReLU layers pass units through), or −1. */
    static int nextDense(Sequential net, int index) {
        List<Layer> ls = net.layers();
        for (int i = index + 1; i < ls.size(); i++) {
            if (ls.get(i) instanceof Dense) {
                return i;
            }
        }
        return -1;
    }

    /** Dense layers whose units can be removed: every Dense layer but the last (its units are the classes). */
    public static List<Integer> prunableUnitLayers(Sequential net) {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof Dense && nextDense(net, i) >= 0) {
                out.add(i);
            }
        }
        return out;
    }

    /** Dense layers whose weights unstructured pruning may zero: all of them. */
    public static List<Integer> prunableWeightLayers(Sequential net) {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof Dense) {
                out.add(i);
            }
        }
        return out;
    }
}
