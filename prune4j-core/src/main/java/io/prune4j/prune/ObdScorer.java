package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.tensor.Tensor;

/**
 * Optimal brain damage (LeCun, Denker &amp; Solla, NIPS 1990): deleting weight {@code w} costs about
 * {@code ½·h·w²} with {@code h} the diagonal of the Hessian, here approximated by the empirical
 * Fisher, the mean squared gradient over the calibration batches. Per-batch (not per-example)
 * gradients are squared, which keeps scoring at one backward pass per batch; the ranking this gives
 * is the same up to the gradient noise of a batch. A unit's saliency is the sum over its incoming weights.
 */
final class ObdScorer extends AbstractScorer {
    @Override
    protected boolean weightShapedBuffers() {
        return true;
    }

    @Override
    protected void accumulateBatch() {
        for (int s = 0; s < layers.size(); s++) {
            backend.accumulate(acc.get(s), weightLayer(s).weight().grad(), 1f, Transform.SQUARE);
        }
    }

    @Override
    protected void complete() {
        for (int s = 0; s < acc.size(); s++) {
            Tensor f = acc.get(s); // Σ g², becomes ½·(Σ g² / batches)·w²
            Tensor w = weightLayer(s).weight().value();
            backend.mul(f, w);
            backend.mul(f, w);
            backend.scale(f, 0.5f * perBatch());
            if (granularity == Granularity.UNIT) {
                acc.set(s, unitSums(f));
            }
        }
    }
}
