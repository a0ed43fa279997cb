package io.prune4j.prune;

/**
 * Layer-adaptive magnitude-based pruning (Lee et al., "Layer-adaptive Sparsity for the
 * Magnitude-based Pruning", ICLR 2021), for unstructured pruning with global ranking: with the
 * weights of a layer sorted by magnitude, weight {@code u}'s score is {@code w_u² / Σ_{v ≥ u} w_v²},
 * its share of the squared magnitude of itself and every larger weight of the layer. The scores are
 * comparable across layers without normalisation, so one global threshold gives each layer its own
 * sparsity; every layer keeps its largest weight (score 1). No data needed.
 */
final class LampScorer extends AbstractScorer {
    @Override
    protected void complete() {
        if (granularity != Granularity.WEIGHT) {
            throw new IllegalArgumentException("lamp scores single weights; use it with unstructured pruning");
        }
        for (int s = 0; s < layers.size(); s++) {
            backend.lampScores(acc.get(s), weightLayer(s).weight().value());
        }
    }
}
