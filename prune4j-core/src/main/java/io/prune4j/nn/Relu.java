package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;

/** Rectified linear unit as a layer of its own: {@code x [batch, …] → max(x, 0)} of the same shape. */
public final class Relu implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private Tensor out;
    private Tensor dx;

    public Relu(String name, Backend backend) {
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
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        out = Workspace.ensureShape(backend, out, x.shape());
        backend.relu(out, x);
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
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
        return copy();
    }

    @Override
    public void close() {
        out = Workspace.free(out);
        dx = Workspace.free(dx);
    }
}
