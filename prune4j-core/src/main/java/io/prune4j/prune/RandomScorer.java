package io.prune4j.prune;

import java.util.SplittableRandom;

/** Uniform random scores from a seeded generator: the baseline a criterion has to beat to mean anything. */
final class RandomScorer extends AbstractScorer {
    private final long seed;

    RandomScorer(long seed) {
        this.seed = seed;
    }

    @Override
    protected void complete() {
        SplittableRandom rng = new SplittableRandom(seed);
        for (int s = 0; s < acc.size(); s++) {
            float[] r = new float[acc.get(s).size()];
            for (int i = 0; i < r.length; i++) {
                r[i] = (float) rng.nextDouble();
            }
            backend.upload(acc.get(s), r);
        }
    }
}
