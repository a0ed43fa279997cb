package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/** Passes its input through unchanged (no copy): a named point in a graph, as ONNX and PyTorch exports have them. */
public final class Identity implements UnaryLayer {
    private final String name;
    private final Backend backend;

    /**
     * An identity layer.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public Identity(String name, Backend backend) {
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
        return "Identity " + name;
    }

    @Override
    public int[] outputShape(int[] inputShape) {
        Objects.requireNonNull(inputShape, "inputShape");
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        return x;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        return needInputGrad ? dy : null;
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
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public Identity pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Identity copy() {
        return new Identity(name, backend);
    }

    @Override
    public void close() {}
}
