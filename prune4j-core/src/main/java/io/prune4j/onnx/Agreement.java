package io.prune4j.onnx;

/**
 * How closely two runs of a network agree on the same inputs: the largest absolute difference of
 * their outputs, and that difference relative to the largest output magnitude of the reference
 * (the scale of the logits), which is what {@code prune --verify} reports and the tests bound.
 */
public record Agreement(int examples, double maxAbs, double maxRelative) {

    /** Compares {@code actual} with {@code reference}, both {@code examples} outputs one after the other. */
    public static Agreement of(int examples, float[] reference, float[] actual) {
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

    /** Both agreements' worst. */
    public Agreement worst(Agreement other) {
        return new Agreement(examples + other.examples, Math.max(maxAbs, other.maxAbs), Math.max(maxRelative, other.maxRelative));
    }
}
