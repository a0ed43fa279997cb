package io.prune4j.train;

/**
 * Mean loss and accuracy over {@code count} examples.
 *
 * @param loss     the mean loss per example; NaN when {@code count} is 0
 * @param accuracy the fraction of examples whose arg-max prediction is the label, in [0, 1]; NaN when {@code count} is 0
 * @param count    the number of examples, ≥ 0
 */
public record Metrics(double loss, double accuracy, int count) {
    /**
     * Checks the count.
     *
     * @param loss     the mean loss per example; NaN when {@code count} is 0
     * @param accuracy the fraction of examples whose arg-max prediction is the label, in [0, 1]; NaN when {@code count} is 0
     * @param count    the number of examples, ≥ 0
     * @throws IllegalArgumentException when {@code count} is negative
     */
    public Metrics {
        if (count < 0) {
            throw new IllegalArgumentException("metrics over " + count + " examples");
        }
    }

    /** From the device-side sums {@code [Σ loss, Σ correct]}. */
    static Metrics fromSums(float[] sums, int count) {
        return count == 0 ? new Metrics(Double.NaN, Double.NaN, 0) : new Metrics(sums[0] / count, sums[1] / count, count);
    }
}
