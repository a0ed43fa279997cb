package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.GroupNorm;
import io.prune4j.nn.Layer;
import io.prune4j.tensor.Tensor;

/**
 * BatchNorm scale (Liu et al., "Learning Efficient Convolutional Networks through Network Slimming",
 * ICCV 2017): a channel's importance is {@code |γ|}, the scale its BatchNorm gives it, since a channel
 * whose γ is near zero contributes little after normalisation (network slimming trains with an L1
 * penalty on γ to make that so; here the scale of a trained network is read as it is). Scores the
 * {@link BatchNorm} members of a group, and the {@link GroupNorm} ones (a group's channels, removed
 * together, add their scales), no data needed.
 */
final class BnScaleScorer extends AbstractScorer {
    @Override
    protected void complete() {
        for (int s = 0; s < layers.size(); s++) {
            Layer l = layers.get(s);
            Tensor gamma;
            if (l instanceof BatchNorm bn) {
                gamma = bn.gamma().value();
            } else if (l instanceof GroupNorm gn) {
                gamma = gn.gamma().value();
            } else {
                throw new IllegalArgumentException("bn-scale scores BatchNorm and GroupNorm layers; " + l.describe() + " is neither");
            }
            backend.accumulate(acc.get(s), gamma, 1f, Transform.ABS);
        }
    }
}
