package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;

/** Passes its input through unchanged (no copy): a named point in a graph, as ONNX and PyTorch exports have them. */
public final class Identity implements UnaryLayer {
    private final String name;
    private final Backend backend;

    public Identity(String name, Backend backend) {
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
        return inputShape.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        return x;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        return needInputGrad ? dy : null;
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
        return new ChannelRule.PassThrough();
    }

    @Override
    public Identity pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        return copy();
    }

    @Override
    public Identity copy() {
        return new Identity(name, backend);
    }

    @Override
    public void close() {}
}
