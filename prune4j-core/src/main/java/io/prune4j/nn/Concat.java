package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Concatenation along channels of two or more inputs that agree in everything else:
 * {@code [batch, C_0, …] ⊕ [batch, C_1, …] → [batch, C_0 + C_1 + …, …]}, feature maps or vectors.
 * Input {@code i}'s channels become the output's channels from {@code C_0 + … + C_{i−1}} on.
 */
public final class Concat implements Layer {
    private final String name;
    private final Backend backend;
    private Tensor out;
    private Tensor[] dx = new Tensor[0];
    private int[] channels = new int[0];

    /**
     * A concatenation of two or more inputs along their channels.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     */
    public Concat(String name, Backend backend) {
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
        return "Concat " + name;
    }

    @Override
    public int[] outputShape(int[][] in) {
        Objects.requireNonNull(in, "in");
        if (in.length < 2) {
            throw new IllegalArgumentException(describe() + " takes two or more inputs, got " + in.length);
        }
        int[] o = in[0].clone();
        for (int i = 1; i < in.length; i++) {
            int[] s = in[i];
            if (s.length != o.length || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), Arrays.copyOfRange(o, 1, o.length))) {
                throw new IllegalArgumentException(describe() + ": inputs of shapes " + Arrays.toString(in[0]) + " and "
                        + Arrays.toString(s) + " differ in more than their channels");
            }
            o[0] += s[0];
        }
        return o;
    }

    @Override
    public Tensor forward(Tensor[] inputs, boolean training) {
        Objects.requireNonNull(inputs, "inputs");
        int[][] per = new int[inputs.length][];
        for (int i = 0; i < inputs.length; i++) {
            int[] s = inputs[i].shape();
            per[i] = Arrays.copyOfRange(s, 1, s.length);
            if (s[0] != inputs[0].dim(0)) {
                throw new IllegalArgumentException(describe() + ": inputs of " + inputs[0].dim(0) + " and " + s[0] + " examples");
            }
        }
        int[] o = outputShape(per);
        out = Workspace.ensureShape(backend, out, Workspace.batched(inputs[0].dim(0), o));
        channels = new int[inputs.length];
        int offset = 0;
        for (int i = 0; i < inputs.length; i++) {
            channels[i] = inputs[i].dim(1);
            backend.copyChannels(out, offset, inputs[i], 0, channels[i]);
            offset += channels[i];
        }
        return out;
    }

    @Override
    public Tensor[] backward(Tensor dy, boolean[] needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        Objects.requireNonNull(needInputGrad, "needInputGrad");
        if (out == null || !dy.sameShape(out) || needInputGrad.length != channels.length) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        if (dx.length != channels.length) {
            for (Tensor t : dx) {
                Workspace.free(t);
            }
            dx = new Tensor[channels.length];
        }
        Tensor[] grads = new Tensor[channels.length];
        int offset = 0;
        for (int i = 0; i < channels.length; i++) {
            if (needInputGrad[i]) {
                int[] s = dy.shape();
                s[1] = channels[i];
                dx[i] = Workspace.ensureShape(backend, dx[i], s);
                backend.copyChannels(dx[i], 0, dy, offset, channels[i]);
                grads[i] = dx[i];
            }
            offset += channels[i];
        }
        return grads;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public long flopsPerExample(int[][] in) {
        Objects.requireNonNull(in, "in");
        return 0;
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.Concat();
    }

    @Override
    public Concat pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        return copy();
    }

    @Override
    public Concat copy() {
        return new Concat(name, backend);
    }

    @Override
    public void close() {
        out = Workspace.free(out);
        for (int i = 0; i < dx.length; i++) {
            dx[i] = Workspace.free(dx[i]);
        }
    }
}
