package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Stochastic gradient descent with (heavy-ball) momentum and L2 weight decay, as {@code torch.optim.SGD}. */
public final class Sgd implements Optimizer {
    private final float momentum;
    private final float weightDecay;
    private final Map<Parameter, Tensor> velocity = new IdentityHashMap<>();

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
