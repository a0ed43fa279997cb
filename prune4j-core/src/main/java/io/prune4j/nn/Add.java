package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Element-wise sum of two or more inputs of the same shape (a residual connection):
 * {@code y = x_0 + x_1 + …}. Every input's gradient is the output's. Channels pass through, so a
 * channel removed from one input is removed from all of them.
 */
public final class Add implements Layer {
    private final String name;
    private final Backend backend;
    private Tensor out;

    /**
     * A sum of two or more inputs.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public Add(String name, Backend backend) {
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
        return "Add " + name;
    }

    @Override
    public int[] outputShape(int[][] in) {
        Objects.requireNonNull(in, "in");
        if (in.length < 2) {
            throw new IllegalArgumentException(describe() + " takes two or more inputs, got " + in.length);
        }
        for (int[] s : in) {
            if (!Arrays.equals(s, in[0])) {
                throw new IllegalArgumentException(describe() + ": inputs of shapes " + Arrays.toString(in[0]) + " and "
                        + Arrays.toString(s) + " cannot be added");
            }
        }
        return in[0].clone();
    }

    @Override
    public Tensor forward(Tensor[] inputs, boolean training) {
        Objects.requireNonNull(inputs, "inputs");
        if (inputs.length < 2) {
            throw new IllegalArgumentException(describe() + " takes two or more inputs, got " + inputs.length);
        }
        for (Tensor t : inputs) {
            if (!t.sameShape(inputs[0])) {
                throw new IllegalArgumentException(describe() + ": inputs of shapes " + Arrays.toString(inputs[0].shape()) + " and "
                        + Arrays.toString(t.shape()) + " cannot be added");
            }
        }
        out = Workspace.ensureShape(backend, out, inputs[0].shape());
        backend.add(out, inputs[0], inputs[1]);
        for (int i = 2; i < inputs.length; i++) {
            backend.add(out, out, inputs[i]);
        }
        return out;
    }

    /** Every needed input gradient is {@code dy} itself. */
    @Override
    public Tensor[] backward(Tensor dy, boolean[] needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(needInputGrad, "needInputGrad");
        Tensor[] dx = new Tensor[needInputGrad.length];
        for (int i = 0; i < dx.length; i++) {
            dx[i] = needInputGrad[i] ? dy : null;
        }
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[][] in) {
        Objects.requireNonNull(in, "in");
        long n = 1;
        for (int d : in[0]) {
            n *= d;
        }
        return n * (in.length - 1);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    @Override
    public Add pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Add copy() {
        return new Add(name, backend);
    }

    @Override
    public void close() {
        out = Workspace.free(out);
    }
}
