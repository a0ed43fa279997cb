package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * A range of channels of its input: {@code [batch, C, …] → [batch, count, …]}, channels
 * {@code start … start + count − 1}, feature maps or vectors. PyTorch's {@code x[:, a:b]},
 * {@code x.chunk(k, 1)} and {@code x.split(sizes, 1)} (ShuffleNet's channel split) are slices, one per
 * piece. The gradient of the channels left out is zero.
 */
public final class ChannelSlice implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int start;
    private final int count;
    private Tensor out;
    private Tensor dx;
    private int[] inputShape;

    /**
     * A slice of {@code count} channels from channel {@code start} on.
     *
     * @param name    the node name (not null)
     * @param backend the backend its buffers are allocated on (not null)
     * @param start   the first channel kept, ≥ 0
     * @param count   the channels kept, ≥ 1
     * @throws IllegalArgumentException when {@code start} is negative or {@code count} below 1
     */
    public ChannelSlice(String name, Backend backend, int start, int count) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        if (start < 0 || count < 1) {
            throw new IllegalArgumentException("ChannelSlice " + name + ": needs start ≥ 0 and count ≥ 1, got start " + start + " and count "
                    + count);
        }
        this.name = name;
        this.backend = backend;
        this.start = start;
        this.count = count;
    }

    /**
     * The first channel kept.
     *
     * @return the start, ≥ 0
     */
    public int start() {
        return start;
    }

    /**
     * The channels kept.
     *
     * @return the count, ≥ 1
     */
    public int count() {
        return count;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "ChannelSlice " + name + " [" + start + ", " + (start + count) + ")";
    }

    @Override
    public int[] outputShape(int[] in) {
        Objects.requireNonNull(in, "in");
        if (in.length != 1 && in.length != 3) {
            throw new IllegalArgumentException(describe() + " takes vectors or feature maps, got an input of shape " + java.util.Arrays.toString(in));
        }
        if ((long) start + count > in[0]) {
            throw new IllegalArgumentException(describe() + ": its input has only " + in[0] + " channels");
        }
        int[] o = in.clone();
        o[0] = count;
        return o;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        int[] s = x.shape();
        int[] per = java.util.Arrays.copyOfRange(s, 1, s.length);
        out = Workspace.ensureShape(backend, out, Workspace.batched(s[0], outputShape(per)));
        backend.copyChannels(out, 0, x, start, count);
        inputShape = s;
        return out;
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (out == null || inputShape == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        if (!needInputGrad) {
            return null;
        }
        dx = Workspace.ensureShape(backend, dx, inputShape);
        backend.fill(dx, 0f);
        backend.copyChannels(dx, start, dy, 0, count);
        return dx;
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
        return new ChannelRule.Slice(start, count);
    }

    /**
     * The slice of the channels that stay: it starts at the number of kept input channels before
     * {@code start} and holds the kept ones of its range. Uses the selections' host indices ({@link ChannelSelection#keptIndices}).
     *
     * @throws IllegalArgumentException when the kept channels of the input's range and of the output
     *     do not correspond, or nothing of the range stays
     */
    @Override
    public ChannelSlice pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        if (keepInputs.length != 1) {
            throw new IllegalArgumentException(describe() + " takes one input, got " + keepInputs.length + " selections");
        }
        ChannelSelection keepIn = keepInputs[0];
        int[] in = keepIn == null ? null : keepIn.keptIndices();
        int[] outKept = keepOutput == null ? null : keepOutput.keptIndices();
        int newStart = 0;
        int inRange = 0;
        if (in == null) {
            newStart = start;
            inRange = count;
        } else {
            for (int c : in) {
                if (c < start) {
                    newStart++;
                } else if (c < start + count) {
                    if (outKept != null && (inRange >= outKept.length || outKept[inRange] != c - start)) {
                        throw new IllegalArgumentException(describe() + ": input channel " + c + " stays but output channel " + (c - start)
                                + " does not");
                    }
                    inRange++;
                }
            }
        }
        int newCount = outKept == null ? count : outKept.length;
        if (inRange != newCount) {
            throw new IllegalArgumentException(describe() + ": " + inRange + " input channels of its range stay but " + newCount
                    + " output channels do");
        }
        return new ChannelSlice(name, backend, newStart, newCount);
    }

    @Override
    public ChannelSlice copy() {
        return new ChannelSlice(name, backend, start, count);
    }

    @Override
    public void close() {
        out = Workspace.free(out);
        dx = Workspace.free(dx);
        inputShape = null;
    }
}
