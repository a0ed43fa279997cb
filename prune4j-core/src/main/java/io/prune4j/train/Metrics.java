package io.prune4j.train;

/** Mean loss and accuracy over {@code count} examples. */
public record Metrics(double loss, double accuracy, int count) {
    /** From the device-side sums {@code [Σ loss, Σ correct]}. */
    static Metrics fromSums(float[] sums, int count) {
        return count == 0 ? new Metrics(Double.NaN, Double.NaN, 0) : new Metrics(sums[0] / count, sums[1] / count, count);
    }
}
