package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Layer;
import io.prune4j.nn.WeightLayer;
import java.util.Locale;

/** The importance criteria prune4j implements; each is the {@link ScorerFactory} of its scorer. */
public enum Criterion implements ScorerFactory {
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
    /** BatchNorm (or GroupNorm) scale {@code |γ|} of a channel (Liu et al. 2017, network slimming). */
    BN_SCALE("bn-scale"),
    /** Summed distance of a filter to the others of its layer (He et al. 2019, FPGM). */
    FPGM("fpgm"),
    /** Layer-adaptive magnitude {@code w_u² / Σ_{v ≥ u} w_v²} for global unstructured pruning (Lee et al. 2021). */
    LAMP("lamp"),
    /** Uniform random scores: the baseline every criterion must beat. */
    RANDOM("random"),
    /**
     * {@code |W_ij|·‖X_j‖₂} over calibration inputs, compared within each output row (Sun et al. 2023,
     * Wanda); unstructured, layer by layer ({@link LayerwisePruning}), no weight update.
     */
    WANDA("wanda"),
    /**
     * SparseGPT (Frantar &amp; Alistarh 2023): mask by OBS saliency in column blocks and the remaining
     * weights updated from the inputs' Hessian; unstructured, layer by layer ({@link SparseGpt}).
     */
    SPARSEGPT("sparsegpt");

    private final String cliName;

    Criterion(String cliName) {
        this.cliName = cliName;
    }

    /**
     * The criterion's name, as {@link #parse} reads it and the command line's {@code --criterion} takes it, e.g. {@code taylor-abs}.
     *
     * @return the name
     */
    public String cliName() {
        return cliName;
    }

    @Override
    public String label() {
        return cliName;
    }

    @Override
    public boolean needsData() {
        return switch (this) {
            case MAGNITUDE, MAGNITUDE_L1, BN_SCALE, FPGM, LAMP, RANDOM -> false;
            default -> true;
        };
    }

    @Override
    public boolean scoresUnits() {
        return this != LAMP && !layerwise();
    }

    /**
     * Whether the criterion prunes layer by layer on calibration inputs, choosing each layer's mask
     * (and for SparseGPT its weights) itself rather than scoring for the ranking: Wanda and SparseGPT.
     *
     * @return true for {@link #WANDA} and {@link #SPARSEGPT}
     */
    public boolean layerwise() {
        return this == WANDA || this == SPARSEGPT;
    }

    @Override
    public boolean scoresWeights() {
        return switch (this) {
            case APOZ, COMPOSITE, BN_SCALE, FPGM -> false;
            default -> true;
        };
    }

    @Override
    public boolean scores(Layer layer) {
        return switch (this) {
            case BN_SCALE -> layer instanceof BatchNorm || layer instanceof io.prune4j.nn.GroupNorm;
            // the input frequencies are per input channel of the whole layer, which a grouped filter does not read
            case COMPOSITE -> layer instanceof WeightLayer && !(layer instanceof Conv2d c && c.groups() > 1);
            default -> layer instanceof WeightLayer;
        };
    }

    /**
     * A new scorer of this criterion.
     *
     * @param seed fixes {@link #RANDOM}'s scores; the others have no randomness
     * @return a new scorer, owned by the caller, who closes it
     * @throws UnsupportedOperationException for {@link #WANDA} and {@link #SPARSEGPT}, which have no scorer
     */
    @Override
    public Scorer create(long seed) {
        return switch (this) {
            case TAYLOR -> new TaylorScorer(false);
            case TAYLOR_ABS -> new TaylorScorer(true);
            case MAGNITUDE -> new MagnitudeScorer(2);
            case MAGNITUDE_L1 -> new MagnitudeScorer(1);
            case SENSITIVITY -> new SensitivityScorer(SensitivityScorer.Mode.COMBINED);
            case SENSITIVITY_GLOBAL -> new SensitivityScorer(SensitivityScorer.Mode.GLOBAL);
            case SENSITIVITY_LOCAL -> new SensitivityScorer(SensitivityScorer.Mode.LOCAL);
            case OBD -> new ObdScorer();
            case APOZ -> new ApozScorer();
            case COMPOSITE -> new CompositeScorer();
            case BN_SCALE -> new BnScaleScorer();
            case FPGM -> new FpgmScorer();
            case LAMP -> new LampScorer();
            case RANDOM -> new RandomScorer(seed);
            case WANDA, SPARSEGPT -> throw new UnsupportedOperationException(cliName
                    + " prunes layer by layer in the Pruner (LayerwisePruning); it has no scorer");
        };
    }

    /**
     * The criterion named {@code s} ({@link #cliName()}), ignoring case and surrounding blanks.
     *
     * @param s the name, e.g. {@code magnitude}
     * @return the criterion
     * @throws InvalidSettingException when no criterion has that name; the message lists the names
     */
    public static Criterion parse(String s) {
        java.util.Objects.requireNonNull(s, "s");
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
