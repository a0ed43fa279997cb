package com.example.prune4j;

import io.prune4j.prune.AbstractScorer;
import io.prune4j.prune.Scorer;
import io.prune4j.prune.ScorerFactory;

/**
 * A criterion of our own: a filter (or neuron) scores the largest magnitude among its weights, the
 * L∞ norm of its row. It needs no data and scores whole output channels only.
 */
public final class MaxAbsCriterion implements ScorerFactory {
    @Override
    public String label() {
        return "max-abs";
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
        return new AbstractScorer() {
            @Override
            protected void complete() {
                for (int s = 0; s < acc.size(); s++) {
                    float[] w = weightLayer(s).weight().value().toFloatArray();
                    int units = acc.get(s).size();
                    int per = w.length / units;
                    float[] score = new float[units];
                    for (int u = 0; u < units; u++) {
                        for (int i = u * per; i < (u + 1) * per; i++) {
                            score[u] = Math.max(score[u], Math.abs(w[i]));
                        }
                    }
                    backend.upload(acc.get(s), score);
                }
            }
        };
    }
}
