package io.prune4j.onnx;

import java.util.Objects;

/**
 * How closely two runs of a network agree on the same inputs: the largest absolute difference of
 * their outputs, and that difference relative to the largest output magnitude of the reference
 * (the scale of the logits), which is what the command line's verification of an export reports and
 * the tests bound.
 *
 * @param examples    how many examples were compared, at least 0
 * @param maxAbs      the largest absolute difference, at least 0, or NaN when an output was NaN
 * @param maxRelative {@code maxAbs} divided by the reference's largest magnitude ({@code maxAbs} itself
 *                    when that is 0), at least 0, or NaN
 */
public record Agreement(int examples, double maxAbs, double maxRelative) {

    /**
     * Checks the fields.
     *
     * @param examples    how many examples were compared, at least 0
     * @param maxAbs      the largest absolute difference, at least 0 or NaN
     * @param maxRelative the relative difference, at least 0 or NaN
     * @throws IllegalArgumentException when {@code examples} or a difference is negative
     */
    public Agreement {
        if (examples < 0 || maxAbs < 0 || maxRelative < 0) {
            throw new IllegalArgumentException("an agreement needs a count ≥ 0 and differences ≥ 0, got " + examples + " examples, "
                    + maxAbs + " and " + maxRelative);
        }
    }

    /**
     * Compares {@code actual} with {@code reference}, both {@code examples} outputs one after the other.
     *
     * @param examples  how many examples the arrays hold, at least 0 (recorded, not checked against the lengths)
     * @param reference the reference outputs (not null)
     * @param actual    the outputs to check, as many as {@code reference} (not null)
     * @return the agreement; its differences are NaN when any difference is NaN
     * @throws IllegalArgumentException when the arrays differ in length or {@code examples} is negative
     */
    public static Agreement of(int examples, float[] reference, float[] actual) {
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(actual, "actual");
        if (reference.length != actual.length) {
            throw new IllegalArgumentException("outputs of " + reference.length + " and " + actual.length + " values cannot be compared");
        }
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = Math.abs((double) reference[i] - actual[i]);
            if (Double.isNaN(d)) {
                return new Agreement(examples, Double.NaN, Double.NaN);
            }
            diff = Math.max(diff, d);
            scale = Math.max(scale, Math.abs(reference[i]));
        }
        return new Agreement(examples, diff, scale == 0 ? diff : diff / scale);
    }

    /**
     * Both agreements' worst.
     *
     * @param other another agreement (not null)
     * @return the summed example count with the larger of each difference (NaN where either is NaN)
     */
    public Agreement worst(Agreement other) {
        Objects.requireNonNull(other, "other");
        return new Agreement(examples + other.examples, Math.max(maxAbs, other.maxAbs), Math.max(maxRelative, other.maxRelative));
    }
}
