package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Reorders the channels of its input: output channel {@code c} is input channel {@code source[c]},
 * for feature maps {@code [batch, C, H, W]} or vectors {@code [batch, C]}. ShuffleNet's channel
 * shuffle ({@link #shuffle}) is one; once channels are removed it is the permutation of those that
 * stay, no longer a shuffle. The gradient goes back through the inverse permutation.
 */
public final class PermuteChannels implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int[] source;
    private final int[] inverse;
    private Tensor sourceIdx;
    private Tensor inverseIdx;
    private Tensor out;
    private Tensor dx;

    /**
     * A permutation of {@code source.length} channels.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param source  per output channel, the input channel it takes: each of {@code 0 … n−1} once, n ≥ 1
     *                (not null; copied)
     * @throws IllegalArgumentException when {@code source} is empty or not a permutation
     */
    public PermuteChannels(String name, Backend backend, int[] source) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(source, "source");
        if (source.length == 0) {
            throw new IllegalArgumentException("PermuteChannels " + name + ": needs at least one channel");
        }
        this.name = name;
        this.backend = backend;
        this.source = source.clone();
        this.inverse = new int[source.length];
        Arrays.fill(inverse, -1);
        for (int c = 0; c < source.length; c++) {
            int s = source[c];
            if (s < 0 || s >= source.length || inverse[s] >= 0) {
                throw new IllegalArgumentException("PermuteChannels " + name + ": " + Arrays.toString(source) + " is not a permutation of 0 … "
                        + (source.length - 1));
            }
            inverse[s] = c;
        }
    }

    /**
     * ShuffleNet's channel shuffle of {@code channels} channels in {@code groups} groups:
     * {@code x.view(b, g, C/g, …).transpose(1, 2).reshape(b, C, …)}, so output channel {@code c} is
     * input channel {@code (c mod g)·(C/g) + ⌊c/g⌋}.
     *
     * @param name     the node name (not null)
     * @param backend  the backend its buffers are allocated on (not null)
     * @param channels the channel count C, ≥ 1
     * @param groups   the groups g, ≥ 1 and dividing C
     * @return the layer
     * @throws IllegalArgumentException when {@code groups} does not divide {@code channels}
     */
    public static PermuteChannels shuffle(String name, Backend backend, int channels, int groups) {
        if (channels < 1 || groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("PermuteChannels " + name + ": a shuffle of " + channels + " channels in " + groups
                    + " groups needs groups ≥ 1 dividing the channels");
        }
        int per = channels / groups;
        int[] source = new int[channels];
        for (int c = 0; c < channels; c++) {
            source[c] = (c % groups) * per + c / groups;
        }
        return new PermuteChannels(name, backend, source);
    }

    /**
     * The permutation.
     *
     * @return per output channel, the input channel it takes (a copy)
     */
    public int[] source() {
        return source.clone();
    }

    /**
     * The groups of the channel shuffle this permutation is, or 0 when it is none (or the identity).
     *
     * @return g ≥ 2 such that {@link #shuffle shuffle(C, g)} gives this permutation, else 0
     */
    public int shuffleGroups() {
        int n = source.length;
        if (Arrays.equals(source, identity(n))) {
            return 0;
        }
        for (int g = 2; g <= n; g++) {
            if (n % g == 0 && isShuffle(g)) {
                return g;
            }
        }
        return 0;
    }

    private boolean isShuffle(int groups) {
        int per = source.length / groups;
        for (int c = 0; c < source.length; c++) {
            if (source[c] != (c % groups) * per + c / groups) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        int g = shuffleGroups();
        return "PermuteChannels " + name + " (" + source.length + " channels" + (g > 0 ? ", a shuffle in " + g + " groups)" : ")");
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 1 && in.length != 3 || in[0] != source.length) {
            throw new IllegalArgumentException(describe() + " takes " + source.length + " channels (vectors or feature maps), got an input"
                    + " of shape " + Arrays.toString(in));
        }
        return in.clone();
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        int[] s = x.shape();
        outputShape(Arrays.copyOfRange(s, 1, s.length));
        out = Workspace.ensureShape(backend, out, s);
        if (sourceIdx == null) {
            sourceIdx = backend.fromArray(source, source.length);
        }
        gather(out, x, sourceIdx);
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
        if (inverseIdx == null) {
            inverseIdx = backend.fromArray(inverse, inverse.length);
        }
        gather(dx, dy, inverseIdx);
        return dx;
    }

    /** {@code dst[b, c, …] = src[b, idx[c], …]}: one block gather over {@code [batch, C·spatial]} views. */
    private void gather(Tensor dst, Tensor src, Tensor idx) {
        int batch = src.dim(0);
        int perExample = batch == 0 ? 0 : src.size() / batch;
        int spatial = perExample / source.length;
        if (batch == 0 || spatial == 0) {
            return;
        }
        try (Tensor d = backend.reshape(dst, batch, perExample); Tensor s = backend.reshape(src, batch, perExample)) {
            backend.gatherColumnBlocks(d, s, idx, spatial);
        }
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
        return new ChannelRule.Permutation(source);
    }

    /**
     * The permutation of the channels that stay, renumbered. Uses the selections' host indices ({@link ChannelSelection#keptIndices}).
     *
     * @throws IllegalArgumentException when the kept input and output channels do not correspond
     */
    @Override
    public PermuteChannels pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        if (keepInputs.length != 1) {
            throw new IllegalArgumentException(describe() + " takes one input, got " + keepInputs.length + " selections");
        }
        int n = source.length;
        int[] in = keepInputs[0] == null ? identity(n) : keepInputs[0].keptIndices();
        int[] kept = keepOutput == null ? identity(n) : keepOutput.keptIndices();
        int[] renumbered = new int[n];
        Arrays.fill(renumbered, -1);
        for (int k = 0; k < in.length; k++) {
            if (in[k] < 0 || in[k] >= n) {
                throw new IllegalArgumentException(describe() + ": kept input channel " + in[k] + " is outside [0, " + n + ")");
            }
            renumbered[in[k]] = k;
        }
        if (in.length != kept.length) {
            throw new IllegalArgumentException(describe() + ": " + in.length + " input channels stay but " + kept.length + " output channels do");
        }
        int[] next = new int[kept.length];
        for (int k = 0; k < kept.length; k++) {
            if (kept[k] < 0 || kept[k] >= n) {
                throw new IllegalArgumentException(describe() + ": kept output channel " + kept[k] + " is outside [0, " + n + ")");
            }
            next[k] = renumbered[source[kept[k]]];
            if (next[k] < 0) {
                throw new IllegalArgumentException(describe() + ": output channel " + kept[k] + " stays but input channel " + source[kept[k]]
                        + ", which it takes, does not");
            }
        }
        return new PermuteChannels(name, backend, next);
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    @Override
    public PermuteChannels copy() {
        return new PermuteChannels(name, backend, source);
    }

    @Override
    public void close() {
        out = Workspace.free(out);
        dx = Workspace.free(dx);
        sourceIdx = Workspace.free(sourceIdx);
        inverseIdx = Workspace.free(inverseIdx);
    }
}
