package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import java.util.Locale;
import java.util.Objects;

/**
 * Per-layer (or per-group) score normalisation before ranking, so layers of different sizes and
 * scales compare: none, L2 (divide by the layer's Euclidean norm, as Molchanov et al. 2017), max
 * (divide by the layer's largest magnitude), L1 (divide by the sum of magnitudes, so a layer's scores
 * sum to 1), or mean (divide by the mean magnitude, so a layer's scores average 1). Applied by
 * {@link Backend#normalize}.
 *
 * <p>Under a global ranking only the mean treats layers of different sizes alike: after L2 a layer
 * of {@code n} units scores about {@code 1/√n} a unit and after L1 {@code 1/n}, so the widest layers
 * lose the most; after the mean every layer's typical unit scores 1 whatever its width.
 */
public enum Normalization {
    /** The scores as they are. */
    NONE,
    /** Divided by their Euclidean norm {@code sqrt(Σ s²)}. */
    L2,
    /** Divided by their largest magnitude {@code max |s|}. */
    MAX,
    /** Divided by the sum of their magnitudes {@code Σ |s|}, so they sum to 1 (in magnitude). */
    L1,
    /** Divided by their mean magnitude {@code Σ |s| / n}, so they average 1 (in magnitude). */
    MEAN;

    /**
     * Parses a normalisation name, ignoring case and surrounding blanks.
     *
     * @param s {@code none}, {@code l2}, {@code max}, {@code l1} or {@code mean}
     * @return the normalisation
     * @throws InvalidSettingException for any other name
     * @throws NullPointerException when {@code s} is null
     */
    public static Normalization parse(String s) {
        Objects.requireNonNull(s, "s");
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("unknown normalisation '" + s + "': expected none, l2, max, l1 or mean");
        }
    }
}
