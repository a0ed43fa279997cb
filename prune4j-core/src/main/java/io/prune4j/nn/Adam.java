package io.prune4j.nn;

import io.prune4j.tensor.Tensor;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Adam (Kingma &amp; Ba 2015, arXiv:1412.6980) with L2 weight decay, as {@code torch.optim.Adam}. */
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

    public Adam() {
        this(0.9f, 0.999f, 1e-8f, 0f);
    }

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
