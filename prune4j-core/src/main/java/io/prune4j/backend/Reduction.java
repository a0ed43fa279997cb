package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import java.util.Locale;

/** How {@link Backend#segmentReduce} folds a segment: the sum, the mean or the largest value of its terms. */
public enum Reduction {
    SUM, MEAN, MAX;

    public static Reduction parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("unknown reduction '" + s + "': expected sum, mean or max");
        }
    }
}
