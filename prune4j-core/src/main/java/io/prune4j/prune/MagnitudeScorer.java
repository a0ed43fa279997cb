package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.tensor.Tensor;

/**
 * Weight magnitude: the L2 (or L1) norm of a unit's incoming weights, as Li et al. ("Pruning
 * Filters for Efficient ConvNets", ICLR 2017) rank filters; for single weights {@code |w|}, as Han
 * et al. ("Learning both Weights and Connections for Efficient Neural Networks", NIPS 2015). Needs
 * no data.
 */
final class MagnitudeScorer extends AbstractScorer {
    private final int p;

    MagnitudeScorer(int p) {
        this.p = p;
    }

    @Override
    protected void complete() {
        for (int s = 0; s < acc.size(); s++) {
            Tensor w = weightLayer(s).weight().value();
            if (granularity == Granularity.UNIT) {
                backend.rowNorms(acc.get(s), w, p);
            } else {
                backend.accumulate(acc.get(s), w, 1f, Transform.ABS);
            }
        }
    }
}
