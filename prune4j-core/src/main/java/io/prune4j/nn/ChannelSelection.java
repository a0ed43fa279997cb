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
 * ({@link Layer#pruned}) must not keep them. A layer that needs the indices on the host (to rebuild a
 * permutation or a slice) calls {@link #keptIndices}, which costs no device copy when the maker gave
 * them ({@code onHost}: the compaction reads every selection of a pruning round to the host in the
 * one copy it makes anyway).
 *
 * @param indices {@code [count]} INT32 indices of the kept channels, increasing, each in
 *                {@code [0, total)} (not null; the order and range are not checked, they stay on the device)
 * @param total   the channel count before removal, at least {@code count}
 * @param onHost  the same indices on the host, or null when the maker has none (kept, not copied;
 *                read it through {@link #keptIndices})
 */
public record ChannelSelection(Tensor indices, int total, int[] onHost) {
    /**
     * Checks the indices' rank and type, that they are no more than {@code total}, and that
     * {@code onHost}, when given, holds as many.
     *
     * @param indices {@code [count]} INT32 indices of the kept channels (not null)
     * @param total   the channel count before removal
     * @param onHost  the same indices on the host, or null
     * @throws IllegalArgumentException when {@code indices} is not a one-dimensional INT32 tensor,
     *     holds more than {@code total} entries, or {@code onHost} holds another count
     */
    public ChannelSelection {
        Objects.requireNonNull(indices, "indices");
        Shapes.requireRank("ChannelSelection", "indices", indices, 1);
        Shapes.requireDType("ChannelSelection", "indices", indices, DType.INT32);
        if (indices.size() > total) {
            throw new IllegalArgumentException("ChannelSelection: " + indices.size() + " of " + total + " channels is not a selection");
        }
        if (onHost != null && onHost.length != indices.size()) {
            throw new IllegalArgumentException("ChannelSelection: " + onHost.length + " host indices for " + indices.size() + " on the device");
        }
    }

    /**
     * A selection whose indices are on the layer's backend only.
     *
     * @param indices {@code [count]} INT32 indices of the kept channels (not null)
     * @param total   the channel count before removal, at least {@code count}
     * @throws IllegalArgumentException as the canonical constructor does
     */
    public ChannelSelection(Tensor indices, int total) {
        this(indices, total, null);
    }

    /**
     * Channels kept.
     *
     * @return {@code count}, the number of indices
     */
    public int count() {
        return indices.size();
    }

    /**
     * The kept indices on the host: {@code onHost} when the maker gave it, else read from
     * {@code indices} (a device-to-host copy on a device backend).
     *
     * @return the indices, a new array the caller owns
     */
    public int[] keptIndices() {
        return onHost != null ? onHost.clone() : indices.toIntArray();
    }
}
