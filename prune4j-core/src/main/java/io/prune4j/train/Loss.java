package io.prune4j.train;

import io.prune4j.tensor.Tensor;

/**
 * The training objective of a {@link Trainer}: writes {@code gradScale ·} the gradient of the loss
 * with respect to {@code logits} into {@code gradLogits}, and adds {@code [Σ loss, Σ correct]} over
 * the batch to {@code metrics [2]}.
 */
@FunctionalInterface
public interface Loss {
    void apply(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels, Tensor inputs, float gradScale);

    /** Softmax cross-entropy against the labels. */
    static Loss crossEntropy() {
        return (grad, metrics, logits, labels, inputs, scale) -> logits.backend().softmaxCrossEntropy(grad, metrics, logits, labels, scale);
    }
}
