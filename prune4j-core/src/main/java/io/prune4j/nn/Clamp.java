package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

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

    /**
     * A clip to {@code [lo, hi]}.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param lo      the lower bound
     * @param hi      the upper bound, at least {@code lo}
     * @throws IllegalArgumentException when {@code lo ≤ hi} does not hold (a NaN bound included)
     */
    public Clamp(String name, Backend backend, float lo, float hi) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (!(lo <= hi)) {
            throw new IllegalArgumentException("Clamp " + name + ": bounds must satisfy lo ≤ hi, got " + lo + " and " + hi);
        }
        this.name = name;
        this.backend = backend;
        this.lo = lo;
        this.hi = hi;
    }

    /**
     * ReLU6: {@code min(max(x, 0), 6)}.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @return the layer
     */
    public static Clamp relu6(String name, Backend backend) {
        return new Clamp(name, backend, 0f, 6f);
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * The lower bound.
     *
     * @return {@code lo}
     */
    public float lo() {
        return lo;
    }

    /**
     * The upper bound.
     *
     * @return {@code hi}
     */
    public float hi() {
        return hi;
    }

    @Override
    public String describe() {
        return (lo == 0f && hi == 6f ? "ReLU6 " + name : "Clamp " + name + " (" + lo + ", " + hi + ")");
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        out = Workspace.ensureShape(backend, out, x.shape());
        backend.clamp(out, x, lo, hi);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
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
        Objects.requireNonNull(inputShape, "inputShape");
        return 0;
    }

    /** {@link ChannelRule.PassThrough} when 0 lies within the bounds, else a {@link ChannelRule.Gate} naming the bound 0 maps to. */
    @Override
    public ChannelRule channelRule() {
        // clamp(0) is 0 only when 0 lies within the bounds; otherwise a removed (zero) channel comes out as a bound
        return lo <= 0f && hi >= 0f ? new ChannelRule.PassThrough() : new ChannelRule.Gate(describe() + " maps 0 to " + (lo > 0 ? lo : hi));
    }

    @Override
    public Clamp pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
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
