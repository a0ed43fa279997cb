package io.prune4j.prune;

/** Creates the {@link Scorer} for a {@link Criterion}. */
public final class Scorers {
    private Scorers() {}

    public static Scorer create(Criterion criterion, long seed) {
        return switch (criterion) {
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
            case RANDOM -> new RandomScorer(seed);
        };
    }
}
