package io.prune4j.backend;

import io.prune4j.InvalidSettingException;
import java.util.Locale;
import java.util.Objects;

/** How {@link Backend#segmentReduce} folds a segment: the sum, the mean or the largest value of its terms. */
public enum Reduction {
    /** The sum of the terms, added in double in a fixed order and rounded once to float. */
    SUM,
    /** The sum (in double) divided by the number of terms. */
    MEAN,
    /** The largest term; a NaN term makes it NaN. */
    MAX;

    /**
     * Parses a reduction name, ignoring case and surrounding blanks.
     *
     * @param s {@code sum}, {@code mean} or {@code max}
     * @return the reduction
     * @throws InvalidSettingException for any other name
     * @throws NullPointerException when {@code s} is null
     */
    public static Reduction parse(String s) {
        Objects.requireNonNull(s, "s");
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("unknown reduction '" + s + "': expected sum, mean or max");
        }
    }
}
