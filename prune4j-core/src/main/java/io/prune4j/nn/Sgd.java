package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay, as {@code torch.optim.SGD}:
 * {@code g = grad + weightDecay·w}, {@code v = momentum·v + g}, {@code w −= lr·v} (no dampening, no
 * Nesterov). The velocity of a parameter starts at zero at its first step, and again when its shape
 * changes or after {@link #reset}.
 */
public final class Sgd implements Optimizer {
    private final float momentum;
    private final float weightDecay;
    private final Map<Parameter, Tensor> velocity = new IdentityHashMap<>();

    /**
     * An optimiser with these settings ({@code io.prune4j.train.TrainConfig}'s defaults are momentum
     * 0.9 and weight decay 0).
     *
     * @param momentum    the velocity's decay, in [0, 1); 0 keeps no velocity
     * @param weightDecay the L2 coefficient added to the gradient, at least 0
     * @throws IllegalArgumentException when a setting is out of range (NaN included)
     */
    public Sgd(float momentum, float weightDecay) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be ≥ 0, got " + weightDecay);
        }
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step(List<Parameter> parameters, float lr) {
        Objects.requireNonNull(parameters, "parameters");
        for (Parameter p : parameters) {
            Tensor w = p.value();
            Tensor v = null;
            if (momentum != 0f) {
                v = velocity.get(p);
                if (v == null || !v.sameShape(w)) {
                    if (v != null) {
                        v.close();
                    }
                    v = w.backend().zeros(w.dtype(), w.shape());
                    velocity.put(p, v);
                }
            }
            w.backend().sgdStep(w, v, p.grad(), lr, momentum, weightDecay);
            if (p.mask() != null) {
                w.backend().mul(w, p.mask());
            }
        }
    }

    @Override
    public void reset() {
        velocity.values().forEach(Tensor::close);
        velocity.clear();
    }

    @Override
    public void close() {
        reset();
    }
}
