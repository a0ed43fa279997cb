package io.prune4j.prune;

import io.prune4j.tensor.Tensor;

/**
 * Activation frequency: the fraction of calibration examples in which a unit is non-zero after its
 * ReLU (counted at the unit's output, or after the BatchNorm that follows it: a value is non-zero
 * after a ReLU exactly when it is positive before), i.e. {@code 1 − APoZ} (Average Percentage of Zeros; Hu et al., "Network Trimming", 2016).
 * Units that are almost always zero carry little information. Forward passes only.
 */
final class ApozScorer extends AbstractScorer {
    private int examples;

    @Override
    protected void install() {
        addForwardHook((node, layer, inputs, a) -> {
            int s = activationSlot(node);
            if (s >= 0) {
                backend.countPositive(acc.get(s), a);
                if (s == 0) {
                    examples += a.dim(0);
                }
            }
        });
    }

    @Override
    protected void complete() {
        for (Tensor a : acc) {
            backend.scale(a, examples == 0 ? 0f : 1f / examples);
        }
    }
}
