package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * {@code y = min(max(x, lo), hi)} element-wise, of the input's shape: ReLU6 ({@code lo = 0, hi = 6},
 * MobileNetV2's activation) and any other clip. The gradient passes where {@code lo < y < hi}.
 */
public final class Clamp implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final float lo;
    private final float hi;
    private Tensor out;
    private Tensor dx;

    public Clamp(String name, Backend backend, float lo, float hi) {
        if (!(lo <= hi)) {
            throw new IllegalArgumentException("Clamp " + name + ": bounds must satisfy lo ≤ hi, got " + lo + " and " + hi);
        }
        this.name = name;
        this.backend = backend;
        this.lo = lo;
        this.hi = hi;
    }

    /** ReLU6: {@code min(max(x, 0), 6)}. */
    public static Clamp relu6(String name, Backend backend) {
        return new Clamp(name, backend, 0f, 6f);
    }

    @Override
    public String name() {
        return name;
    }

    public float lo() {
        return lo;
    }

    public float hi() {
        return hi;
    }

    @Override
    public String describe() {
        return (lo == 0f && hi == 6f ? "ReLU6 " + name : "Clamp " + name + " (" + lo + ", " + hi + ")");
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        out = Workspace.ensureShape(backend, out, x.shape());
        backend.clamp(out, x, lo, hi);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (!needInputGrad) {
            return null;
        }
        if (out == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        dx = Workspace.ensureShape(backend, dx, dy.shape());
        backend.clampBackward(dx, dy, out, lo, hi);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        return 0;
    }

    @Override
    public ChannelRule channelRule() {
        // clamp(0) is 0 only when 0 lies within the bounds; otherwise a removed (zero) channel comes out as a bound
        return lo <= 0f && hi >= 0f ? new ChannelRule.PassThrough() : new ChannelRule.Gate(describe() + " maps 0 to " + (lo > 0 ? lo : hi));
    }

    @Override
    public Clamp pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        return copy();
    }

    @Override
    public Clamp copy() {
        return new Clamp(name, backend, lo, hi);
    }

    @Override
    public void close() {
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
