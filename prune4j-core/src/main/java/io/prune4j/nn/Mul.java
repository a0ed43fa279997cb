package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The element-wise product of two inputs, {@code y = a ⊙ b}: of one shape, or one of them a gate
 * {@code [C, 1, 1]} that scales each channel of the other, {@code [C, H, W]}, in either order (a
 * squeeze-and-excitation block's {@code s ⊙ x}). The output has the larger shape. PyTorch exports
 * SiLU ({@code x ⊙ sigmoid(x)}), hardswish before opset 14 ({@code x ⊙ hardsigmoid(x)}) and the
 * excitation this way. Each input's gradient is the output's times the other input, summed over the
 * positions for a gate. Output channel {@code c} is the product of channel {@code c} of the inputs
 * ({@link ChannelRule.Product}), so a channel removed from one is removed from both.
 */
public final class Mul implements Layer {
    /** {@link #gateOf}: the inputs have one shape. */
    private static final int SAME = -1;
    /** {@link #gateOf}: the shapes do not fit. */
    private static final int NO_FIT = -2;

    private final String name;
    private final Backend backend;
    private Tensor[] inputs;
    private Tensor out;
    private final Tensor[] dx = new Tensor[2];

    /**
     * A product of two inputs.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public Mul(String name, Backend backend) {
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
        return "Mul " + name;
    }

    /** Which input ({@code 0} or {@code 1}) is a gate {@code [C, 1, 1]} on the other's {@code [C, H, W]}, else {@link #SAME} or {@link #NO_FIT}. */
    private static int gateOf(int[] a, int[] b) {
        if (Arrays.equals(a, b)) {
            return SAME;
        }
        if (gates(a, b)) {
            return 0;
        }
        return gates(b, a) ? 1 : NO_FIT;
    }

    private static boolean gates(int[] s, int[] x) {
        return s.length == 3 && x.length == 3 && s[0] == x[0] && s[1] == 1 && s[2] == 1;
    }

    private int gate(int[] a, int[] b) {
        int g = gateOf(a, b);
        if (g == NO_FIT) {
            throw new IllegalArgumentException(describe() + ": inputs of shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + " cannot be multiplied (one shape, or [C, 1, 1] by [C, H, W], can)");
        }
        return g;
    }

    @Override
    public int[] outputShape(int[][] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 2) {
            throw new IllegalArgumentException(describe() + " takes two inputs, got " + in.length);
        }
        return (gate(in[0], in[1]) == 0 ? in[1] : in[0]).clone();
    }

    @Override
    public Tensor forward(Tensor[] in, boolean training) {
        Objects.requireNonNull(in, "in");
        if (in.length != 2) {
            throw new IllegalArgumentException(describe() + " takes two inputs, got " + in.length);
        }
        if (in[0].dim(0) != in[1].dim(0)) {
            throw new IllegalArgumentException(describe() + ": inputs of " + in[0].dim(0) + " and " + in[1].dim(0) + " examples");
        }
        int g = gate(perExample(in[0]), perExample(in[1]));
        Tensor full = in[g == 0 ? 1 : 0];
        out = Workspace.ensureShape(backend, out, full.shape());
        if (g == SAME) {
            backend.mul(out, in[0], in[1]);
        } else {
            backend.mulChannels(out, full, in[g]);
        }
        inputs = in.clone();
        return out;
    }

    private static int[] perExample(Tensor t) {
        return Arrays.copyOfRange(t.shape(), 1, t.rank());
    }

    @Override
    public Tensor[] backward(Tensor dy, boolean[] needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(needInputGrad, "needInputGrad");
        if (out == null || !dy.sameShape(out) || needInputGrad.length != 2) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        int g = gateOf(perExample(inputs[0]), perExample(inputs[1]));
        Tensor[] grads = new Tensor[2];
        for (int i = 0; i < 2; i++) {
            if (!needInputGrad[i]) {
                continue;
            }
            Tensor other = inputs[1 - i];
            dx[i] = Workspace.ensureShape(backend, dx[i], inputs[i].shape());
            if (g == SAME) {
                backend.mul(dx[i], dy, other);
            } else if (g == i) {
                backend.mulChannelsBackward(dx[i], dy, other);   // the gate: a sum over its channel's positions
            } else {
                backend.mulChannels(dx[i], dy, other);
            }
            grads[i] = dx[i];
        }
        return grads;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    /** One multiply per output element. */
    @Override
    public long flopsPerExample(int[][] in) {
        Objects.requireNonNull(in, "in");
        long n = 1;
        for (int d : outputShape(in)) {
            n *= d;
        }
        return n;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.Product();
    }

    @Override
    public Mul pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Mul copy() {
        return new Mul(name, backend);
    }

    @Override
    public void close() {
        inputs = null;
        out = Workspace.free(out);
        for (int i = 0; i < dx.length; i++) {
            dx[i] = Workspace.free(dx[i]);
        }
    }
}
