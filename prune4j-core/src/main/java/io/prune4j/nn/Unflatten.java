package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * A vector as a map of one pixel, {@code [C] → [C, 1, 1]}, as a view (no copy): PyTorch's
 * {@code y.view(b, c, 1, 1)} after the fully connected layers of a squeeze-and-excitation block,
 * before the gate multiplies the map. Channel {@code c} stays channel {@code c}.
 */
public final class Unflatten implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private int[] inputShape;

    /**
     * An unflatten layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend whose views it makes (not null)
     */
    public Unflatten(String name, Backend backend) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        this.name = name;
        this.backend = backend;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "Unflatten " + name;
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 1) {
            throw new IllegalArgumentException(describe() + " takes vectors, got " + java.util.Arrays.toString(in));
        }
        return new int[] {in[0], 1, 1};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        if (x.rank() != 2) {
            throw new IllegalArgumentException(describe() + " takes [batch, C], got " + java.util.Arrays.toString(x.shape()));
        }
        inputShape = x.shape();
        return backend.reshape(x, x.dim(0), x.dim(1), 1, 1);
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (inputShape == null || dy.size() != (long) inputShape[0] * inputShape[1]) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        return needInputGrad ? backend.reshape(dy, inputShape) : null;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[] in) {
        Objects.requireNonNull(in, "in");
        return 0;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public Unflatten pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Unflatten copy() {
        return new Unflatten(name, backend);
    }

    @Override
    public void close() {
        inputShape = null;
    }
}
