package io.prune4j.nn;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Objects;

/**
 * The channels of one tensor that stay when channels are removed: {@code indices [count]} (INT32, on
 * the layer's backend, increasing) of the kept ones among {@code total}. Channels are dimension 1 of
 * the batched tensor: feature maps' channels, or a vector's features (so behind a flatten, the
 * features of a removed feature-map channel are all listed as removed). The selection does not own
 * {@code indices}: whoever made it closes them, and a layer given a selection
 * ({@link Layer#pruned}) must not keep them.
 *
 * @param indices {@code [count]} INT32 indices of the kept channels, increasing, each in
 *                {@code [0, total)} (not null; the order and range are not checked, they stay on the device)
 * @param total   the channel count before removal, at least {@code count}
 */
public record ChannelSelection(Tensor indices, int total) {
    /**
     * Checks the indices' rank and type and that they are no more than {@code total}.
     *
     * @param indices {@code [count]} INT32 indices of the kept channels (not null)
     * @param total   the channel count before removal
     * @throws IllegalArgumentException when {@code indices} is not a one-dimensional INT32 tensor, or
     *     holds more than {@code total} entries
     */
    public ChannelSelection {
        Objects.requireNonNull(indices, "indices");
        Shapes.requireRank("ChannelSelection", "indices", indices, 1);
        Shapes.requireDType("ChannelSelection", "indices", indices, DType.INT32);
        if (indices.size() > total) {
            throw new IllegalArgumentException("ChannelSelection: " + indices.size() + " of " + total + " channels is not a selection");
        }
    }

    /**
     * Channels kept.
     *
     * @return {@code count}, the number of indices
     */
    public int count() {
        return indices.size();
    }
}
