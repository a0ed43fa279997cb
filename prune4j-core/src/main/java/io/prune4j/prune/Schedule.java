package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import java.util.Locale;

/** When pruning happens relative to fine-tuning. */
public enum Schedule {
    /** Score, prune to the target once, fine-tune. */
    ONESHOT,
    /**
     * {@code n} rounds of prune-then-fine-tune; round {@code r} reaches sparsity
     * {@code 1 − (1 − s)^(r/n)}, i.e. each round removes the same fraction of what is left (Han et al. 2015).
     */
    ITERATIVE,
    /**
     * Gradual pruning during fine-tuning (Zhu &amp; Gupta, "To prune, or not to prune", 2017): at
     * {@code n} evenly spaced steps over the first two thirds of fine-tuning the sparsity follows
     * {@code s_t = s_f + (s_i − s_f)·(1 − (t − t0)/(nΔt))³} with {@code s_i = 0}; the last third
     * trains at the final sparsity. Structured units are masked meanwhile and compacted at the end.
     */
    GRADUAL;

    /**
     * The schedule named {@code s}, ignoring case and surrounding blanks.
     *
     * @param s {@code oneshot}, {@code iterative} or {@code gradual}
     * @return the schedule
     * @throws InvalidSettingException when {@code s} names none of them
     */
    public static Schedule parse(String s) {
        java.util.Objects.requireNonNull(s, "s");
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException("unknown schedule '" + s + "': expected oneshot, iterative or gradual");
        }
    }
}
