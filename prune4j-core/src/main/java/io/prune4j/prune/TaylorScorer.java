package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.tensor.Tensor;

/**
 * First-order Taylor importance (Molchanov et al., "Pruning Convolutional Neural Networks for
 * Resource Efficient Inference", ICLR 2017): removing unit {@code n} changes the loss by about
 * {@code |a_n · ∂L/∂a_n|}. Per calibration batch the unit's score is {@code |mean_b a·g|}
 * ({@link Criterion#TAYLOR}) or {@code mean_b |a·g|} ({@link Criterion#TAYLOR_ABS}), with {@code g}
 * the per-example loss gradient; batches are averaged. The backend fuses the product and the
 * reduction ({@code taylorAccumulate}), so {@code a·g} is never stored.
 *
 * <p>The activation is the unit's output, or that of the BatchNorm right after it (removing the unit
 * removes the BatchNorm's shift too, so that is the activation whose loss the expansion estimates).
 *
 * <p>For single weights the same expansion gives {@code |w · ∂L/∂w|}, with the gradient averaged
 * over the calibration set first ({@code TAYLOR}) or the magnitude averaged per batch ({@code TAYLOR_ABS}).
 */
final class TaylorScorer extends AbstractScorer {
    private final boolean absInside;

    TaylorScorer(boolean absInside) {
        this.absInside = absInside;
    }

    @Override
    protected void install() {
        if (granularity != Granularity.UNIT) {
            return;
        }
        // Each node's activations are kept from its forward hook to the backward hook of the same batch:
        // ForwardHook allows exactly that (the tensor is the layer's own output, which nothing writes before
        // the graph's next forward pass), and it spares a copy of every activation.
        Tensor[] last = new Tensor[layers.size()];
        addForwardHook((node, layer, inputs, a) -> {
            int s = activationSlot(node);
            if (s >= 0) {
                last[s] = a;
            }
        });
        addBackwardHook((node, layer, g) -> {
            int s = activationSlot(node);
            if (s >= 0) {
                // g is the gradient of the batch-mean loss, i.e. the per-example gradient over B, so
                // Σ_b a·g is already mean_b of a times the per-example gradient.
                backend.taylorAccumulate(acc.get(s), last[s], g, absInside, 1f);
                last[s] = null;   // valid for this backward pass only; a stale one must not be reused
            }
        });
    }

    @Override
    protected void accumulateBatch() {
        if (granularity != Granularity.WEIGHT) {
            return;
        }
        for (int s = 0; s < layers.size(); s++) {
            Tensor w = weightLayer(s).weight().value();
            Tensor g = weightLayer(s).weight().grad();
            if (absInside) {
                backend.accumulateAbsProduct(acc.get(s), w, g, 1f);
            } else {
                backend.accumulate(acc.get(s), g, 1f, Transform.IDENTITY);
            }
        }
    }

    @Override
    protected void complete() {
        for (int s = 0; s < acc.size(); s++) {
            Tensor a = acc.get(s);
            if (granularity == Granularity.WEIGHT && !absInside) {
                Tensor out = backend.zeros(a.dtype(), a.shape());
                backend.accumulateAbsProduct(out, weightLayer(s).weight().value(), a, perBatch());
                a.close();
                acc.set(s, out);
            } else {
                backend.scale(a, perBatch());
            }
        }
    }
}
