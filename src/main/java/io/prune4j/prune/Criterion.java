package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import java.util.Locale;

/** The importance criteria prune4j implements; {@link Scorers#create} makes the scorer for each. */
public enum Criterion {
    /** {@code |mean_b a·g|} per unit (Molchanov et al. 2017); for weights {@code |w·∂L/∂w|}. */
    TAYLOR("taylor"),
    /** {@code mean_b |a·g|} per unit: the variant that does not let signs cancel across examples. */
    TAYLOR_ABS("taylor-abs"),
    /** L2 norm of a unit's incoming weights (Li et al. 2017); {@code |w|} for weights (Han et al. 2015). */
    MAGNITUDE("magnitude"),
    /** L1 norm of a unit's incoming weights. */
    MAGNITUDE_L1("magnitude-l1"),
    /** Gradient sensitivity, the mean of the global and the per-batch (local) normalised gradient magnitudes. */
    SENSITIVITY("sensitivity"),
    /** Gradient sensitivity normalised once over the whole calibration set. */
    SENSITIVITY_GLOBAL("sensitivity-global"),
    /** Gradient sensitivity normalised per calibration batch, then averaged. */
    SENSITIVITY_LOCAL("sensitivity-local"),
    /** Optimal brain damage saliency {@code ½·F·w²} with the empirical Fisher diagonal (LeCun et al. 1990). */
    OBD("obd"),
    /** Activation frequency after the ReLU, i.e. 1 − APoZ (Hu et al. 2016). */
    APOZ("apoz"),
    /** {@code Σ_j |w_j|·|g_j|·f_j / Σ_j |w_j|}: weight × gradient × input activation frequency. */
    COMPOSITE("composite"),
    /** Uniform random scores: the baseline every criterion must beat. */
    RANDOM("random");

    private final String cliName;

    Criterion(String cliName) {
        this.cliName = cliName;
    }

    public String cliName() {
        return cliName;
    }

    /** Whether scoring runs calibration batches forward and backward. */
    public boolean needsData() {
        return this != MAGNITUDE && this != MAGNITUDE_L1 && this != RANDOM;
    }

    /** Whether the criterion can score single weights (APoZ and composite score units only). */
    public boolean scoresWeights() {
        return this != APOZ && this != COMPOSITE;
    }

    public static Criterion parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT);
        for (Criterion c : values()) {
            if (c.cliName.equals(k)) {
                return c;
            }
        }
        StringBuilder names = new StringBuilder();
        for (Criterion c : values()) {
            names.append(names.length() == 0 ? "" : ", ").append(c.cliName);
        }
        throw new InvalidSettingException("unknown criterion '" + s + "': expected one of " + names);
    }

    @Override
    public String toString() {
        return cliName;
    }
}
