package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/** Rectified linear unit as a layer of its own: {@code x [batch, …] → max(x, 0)} of the same shape. */
public final class Relu implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private Tensor out;
    private Tensor dx;

    /**
     * A ReLU layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public Relu(String name, Backend backend) {
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
        return "ReLU " + name;
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
        backend.relu(out, x);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (out == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        if (!needInputGrad) {
            return null;
        }
        dx = Workspace.ensureShape(backend, dx, dy.shape());
        backend.reluBackward(dx, dy, out);
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

    @Override
    public Relu copy() {
        return new Relu(name, backend);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public Relu pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public void close() {
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
