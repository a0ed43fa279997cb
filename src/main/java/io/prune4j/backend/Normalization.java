package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import java.util.Locale;

/**
 * Per-layer score normalisation before ranking, so layers of different sizes and scales compare:
 * none, L2 (divide by the layer's Euclidean norm, as Molchanov et al. 2017), max (divide by the
 * layer's largest magnitude), or L1 (divide by the sum of magnitudes, so a layer's scores sum to 1).
 */
public enum Normalization {
    NONE, L2, MAX, L1;

    public static Normalization parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("unknown normalisation '" + s + "': expected none, l2, max or l1");
        }
    }
}
