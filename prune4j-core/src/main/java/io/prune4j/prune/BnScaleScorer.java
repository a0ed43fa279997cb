package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Layer;

/**
 * BatchNorm scale (Liu et al., "Learning Efficient Convolutional Networks through Network Slimming",
 * ICCV 2017): a channel's importance is {@code |γ|}, the scale its BatchNorm gives it, since a channel
 * whose γ is near zero contributes little after normalisation (network slimming trains with an L1
 * penalty on γ to make that so; here the scale of a trained network is read as it is). Scores the
 * {@link BatchNorm} members of a group, no data needed.
 */
final class BnScaleScorer extends AbstractScorer {
    @Override
    protected void complete() {
        for (int s = 0; s < layers.size(); s++) {
            Layer l = layers.get(s);
            if (!(l instanceof BatchNorm bn)) {
                throw new IllegalArgumentException("bn-scale scores BatchNorm layers; " + l.describe() + " is not one");
            }
            backend.accumulate(acc.get(s), bn.gamma().value(), 1f, Transform.ABS);
        }
    }
}
