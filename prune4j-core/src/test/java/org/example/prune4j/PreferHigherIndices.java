package org.example.prune4j;

import io.prune4j.nn.Graph;
import io.prune4j.prune.AbstractScorer;
import io.prune4j.prune.Granularity;
import io.prune4j.prune.Scorer;
import io.prune4j.prune.ScorerFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * A criterion written outside the library whose outcome is known in advance: unit {@code n} of every
 * scored layer scores {@code n + 1}, so ranking keeps the highest-numbered channels. Needs no data,
 * scores units only. Records what each scorer was asked to score, so a test can check the calls.
 */
public final class PreferHigherIndices implements ScorerFactory {
    /** Per scorer created, the nodes and granularity {@link Scorer#begin} was given. */
    public final List<String> calls = new ArrayList<>();

    @Override
    public String label() {
        return "higher-index";
    }

    @Override
    public boolean needsData() {
        return false;
    }

    @Override
    public boolean scoresWeights() {
        return false;
    }

    @Override
    public Scorer create(long seed) {
        return new IndexScorer();
    }

    /** The scorer: fills each unit buffer with {@code 1, 2, …, units}. */
    final class IndexScorer extends AbstractScorer {
        @Override
        public void begin(Graph net, List<String> nodes, Granularity granularity) {
            super.begin(net, nodes, granularity);
            calls.add(granularity + " " + nodes);
        }

        @Override
        protected void complete() {
            for (int s = 0; s < acc.size(); s++) {
                float[] v = new float[acc.get(s).size()];
                for (int n = 0; n < v.length; n++) {
                    v[n] = n + 1;
                }
                backend.upload(acc.get(s), v);
            }
        }
    }
}
