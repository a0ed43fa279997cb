package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import java.util.Locale;

/**
 * Per-layer (or per-group) score normalisation before ranking, so layers of different sizes and
 * scales compare: none, L2 (divide by the layer's Euclidean norm, as Molchanov et al. 2017), max
 * (divide by the layer's largest magnitude), L1 (divide by the sum of magnitudes, so a layer's scores
 * sum to 1), or mean (divide by the mean magnitude, so a layer's scores average 1).
 *
 * <p>Under a global ranking only the mean treats layers of different sizes alike: after L2 a layer
 * of {@code n} units scores about {@code 1/√n} a unit and after L1 {@code 1/n}, so the widest layers
 * lose the most; after the mean every layer's typical unit scores 1 whatever its width.
 */
public enum Normalization {
    NONE, L2, MAX, L1, MEAN;

    public static Normalization parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("unknown normalisation '" + s + "': expected none, l2, max, l1 or mean");
        }
    }
}
