package io.prune4j.backend;

import java.util.Objects;

/**
 * Device-to-host copies counted by a backend, so tests can prove that a pipeline keeps its data on
 * the device. A snapshot; {@link #minus} gives what happened between two snapshots.
 *
 * @param copies the number of device-to-host copies (≥ 0)
 * @param bytes the bytes those copies moved (≥ 0)
 */
public record TransferStats(long copies, long bytes) {
    /** No copies at all: what the CPU backend always reports. */
    public static final TransferStats NONE = new TransferStats(0, 0);

    /**
     * Checks the counts.
     *
     * @param copies the number of device-to-host copies (≥ 0)
     * @param bytes the bytes those copies moved (≥ 0)
     * @throws IllegalArgumentException when {@code copies} or {@code bytes} is negative
     */
    public TransferStats {
        if (copies < 0 || bytes < 0) {
            throw new IllegalArgumentException("transfer counts must be ≥ 0, got " + copies + " copies and " + bytes + " bytes");
        }
    }

    /**
     * The copies made between {@code earlier} and this snapshot.
     *
     * @param earlier a snapshot of the same backend taken no later than this one (not null)
     * @return the differences of the counts
     * @throws NullPointerException when {@code earlier} is null
     * @throws IllegalArgumentException when {@code earlier} counts more copies or bytes than this
     *                                  snapshot (it was taken later, or from another backend)
     */
    public TransferStats minus(TransferStats earlier) {
        Objects.requireNonNull(earlier, "earlier");
        return new TransferStats(copies - earlier.copies, bytes - earlier.bytes);
    }
}
