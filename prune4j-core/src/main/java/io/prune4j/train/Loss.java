package io.prune4j.train;

import io.prune4j.tensor.Tensor;

/**
 * The training objective of a {@link Trainer}: writes {@code gradScale ·} the gradient of the loss
 * with respect to {@code logits} into {@code gradLogits}, and adds {@code [Σ loss, Σ correct]} over
 * the batch to {@code metrics [2]}.
 */
@FunctionalInterface
public interface Loss {
    /**
     * Computes one batch's loss gradient and adds its sums. Every tensor is borrowed from the
     * {@link Trainer} and valid during the call only.
     *
     * @param gradLogits written: {@code gradScale ·} ∂loss/∂logits, {@code [batch, classes]}
     * @param metrics    added to: {@code [Σ loss, Σ correct]} over the batch, {@code [2]}
     * @param logits     the network's output, {@code [batch, classes]}
     * @param labels     class indices, {@code [batch]} (INT32)
     * @param inputs     the batch the network read, {@code [batch, features]} (augmented when augmentation is on)
     * @param gradScale  factor of the gradient (the trainer passes {@code 1 / batch})
     */
    void apply(Tensor gradLogits, Tensor metrics, Tensor logits, Tensor labels, Tensor inputs, float gradScale);

    /**
     * Softmax cross-entropy against the labels ({@link io.prune4j.backend.Backend#softmaxCrossEntropy}); the default of a {@link Trainer}.
     *
     * @return the loss
     */
    static Loss crossEntropy() {
        return (grad, metrics, logits, labels, inputs, scale) -> logits.backend().softmaxCrossEntropy(grad, metrics, logits, labels, scale);
    }
}
