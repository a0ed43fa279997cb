package io.prune4j.prune;

/**
 * Filter pruning via geometric median (He et al., "Filter Pruning via Geometric Median for Deep
 * Convolutional Neural Networks Acceleration", CVPR 2019): a filter close to the geometric median of
 * its layer's filters is one the others can stand in for, whatever its norm. A filter's score is its
 * summed Euclidean distance to the other filters of the layer (the paper's approximation of the
 * distance to the median): the lowest go first. No data needed.
 */
final class FpgmScorer extends AbstractScorer {
    @Override
    protected void complete() {
        for (int s = 0; s < layers.size(); s++) {
            backend.fpgmScores(acc.get(s), weightLayer(s).weight().value());
        }
    }
}
