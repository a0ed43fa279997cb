package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Adam (Kingma &amp; Ba 2015, arXiv:1412.6980) with L2 weight decay, as {@code torch.optim.Adam}
 * (weight decay added to the gradient, not decoupled; bias-corrected moments). The moments and step
 * count of a parameter start afresh at its first step, when its shape changes and after {@link #reset}.
 */
public final class Adam implements Optimizer {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Map<Parameter, Moments> state = new IdentityHashMap<>();

    /** First and second moment estimates of one parameter; the step count stays on the host. */
    private static final class Moments {
        final Tensor m;
        final Tensor v;
        int step;

        Moments(Tensor w) {
            m = w.backend().zeros(w.dtype(), w.shape());
            v = w.backend().zeros(w.dtype(), w.shape());
        }

        void close() {
            m.close();
            v.close();
        }
    }

    /** Adam with PyTorch's defaults: β₁ 0.9, β₂ 0.999, eps 1e-8, weight decay 0. */
    public Adam() {
        this(0.9f, 0.999f, 1e-8f, 0f);
    }

    /**
     * Adam with these settings.
     *
     * @param beta1       decay of the first moment, in [0, 1) (PyTorch's default 0.9)
     * @param beta2       decay of the second moment, in [0, 1) (PyTorch's default 0.999)
     * @param eps         added to the root of the second moment, greater than 0 (PyTorch's default 1e-8)
     * @param weightDecay the L2 coefficient added to the gradient, at least 0 (PyTorch's default 0)
     * @throws IllegalArgumentException when a setting is out of range (NaN included)
     */
    public Adam(float beta1, float beta2, float eps, float weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("Adam needs eps > 0 and weight decay ≥ 0, got " + eps + ", " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step(List<Parameter> parameters, float lr) {
        Objects.requireNonNull(parameters, "parameters");
        for (Parameter p : parameters) {
            Tensor w = p.value();
            Moments s = state.get(p);
            if (s == null || !s.m.sameShape(w)) {
                if (s != null) {
                    s.close();
                }
                s = new Moments(w);
                state.put(p, s);
            }
            s.step++;
            w.backend().adamStep(w, s.m, s.v, p.grad(), lr, beta1, beta2, eps, weightDecay, s.step);
            if (p.mask() != null) {
                w.backend().mul(w, p.mask());
            }
        }
    }

    @Override
    public void reset() {
        state.values().forEach(Moments::close);
        state.clear();
    }

    @Override
    public void close() {
        reset();
    }
}
