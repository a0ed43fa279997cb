package io.prune4j.backend;

/**
 * Device-to-host copies counted by a backend, so tests can prove that a pipeline keeps its data on
 * the device. A snapshot; {@link #minus} gives what happened between two snapshots.
 */
public record TransferStats(long copies, long bytes) {
    public static final TransferStats NONE = new TransferStats(0, 0);

    public TransferStats minus(TransferStats earlier) {
        return new TransferStats(copies - earlier.copies, bytes - earlier.bytes);
    }
}
