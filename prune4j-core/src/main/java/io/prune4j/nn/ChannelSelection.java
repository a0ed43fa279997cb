package io.prune4j.nn;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;

/**
 * The channels of one tensor that stay when channels are removed: {@code indices [count]} (INT32, on
 * the layer's backend, increasing) of the kept ones among {@code total}. Channels are dimension 1 of
 * the batched tensor: feature maps' channels, or a vector's features (so behind a flatten, the
 * features of a removed feature-map channel are all listed as removed). The selection does not own
 * {@code indices}.
 */
public record ChannelSelection(Tensor indices, int total) {
    public ChannelSelection {
        Shapes.requireRank("ChannelSelection", "indices", indices, 1);
        Shapes.requireDType("ChannelSelection", "indices", indices, DType.INT32);
        if (indices.size() > total) {
            throw new IllegalArgumentException("ChannelSelection: " + indices.size() + " of " + total + " channels is not a selection");
        }
    }

    /** Channels kept. */
    public int count() {
        return indices.size();
    }
}
