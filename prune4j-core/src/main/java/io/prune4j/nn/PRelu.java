package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The parametric ReLU of He et al. 2015 ("Delving deep into rectifiers"), as PyTorch's
 * {@code nn.PReLU}: {@code y = x} where {@code x > 0}, else {@code a·x}, with a trained slope
 * {@code a} (parameter {@code weight}) shared by every channel ({@code nn.PReLU()}) or one per
 * channel ({@code nn.PReLU(C)}). The gradient at {@code x = 0} is the slope's, as PyTorch's.
 * Written from the backend's element-wise operations, so it runs wherever they do:
 * {@code y = relu(x) + a ⊙ (x − relu(x))}.
 */
public final class PRelu implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final int channels;
    private final boolean maps;
    private final Parameter slope;
    private final RepeatedRows slopes;
    private Tensor pos;
    private Tensor neg;
    private Tensor out;
    private Tensor dpos;
    private Tensor dneg;
    private Tensor dx;
    private Tensor ds;
    private int[] inputShape;

    /**
     * A PReLU over {@code channels} channels with the given slopes.
     *
     * @param name     the node name (not null)
     * @param backend  the backend its tensors live on (not null)
     * @param channels the channels of its input, ≥ 1
     * @param slope    one slope for every channel, or one per channel (not null, finite; copied)
     * @param maps     true for feature maps {@code [C, H, W]}, false for vectors {@code [C]}
     * @throws IllegalArgumentException when {@code slope} holds neither 1 nor {@code channels} values, or one is not finite
     */
    public PRelu(String name, Backend backend, int channels, float[] slope, boolean maps) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(slope, "slope");
        if (channels < 1 || slope.length != 1 && slope.length != channels) {
            throw new IllegalArgumentException("PRelu " + name + ": needs one slope or one per channel (" + channels + "), got "
                    + slope.length);
        }
        for (float a : slope) {
            if (!Float.isFinite(a)) {
                throw new IllegalArgumentException("PRelu " + name + ": a slope of " + a + " is not finite");
            }
        }
        this.name = name;
        this.backend = backend;
        this.channels = channels;
        this.maps = maps;
        this.slope = new Parameter("weight", backend.fromArray(slope.clone(), slope.length));
        this.slopes = new RepeatedRows(backend);
    }

    /** A PReLU owning {@code slope} ({@code [1]} or {@code [channels]}, on {@code backend}), for copies made on the device. */
    private PRelu(String name, Backend backend, int channels, Tensor slope, boolean maps) {
        this.name = name;
        this.backend = backend;
        this.channels = channels;
        this.maps = maps;
        this.slope = new Parameter("weight", slope);
        this.slopes = new RepeatedRows(backend);
    }

    /**
     * The slope parameter.
     *
     * @return {@code weight}, {@code [1]} or {@code [C]}
     */
    public Parameter slope() {
        return slope;
    }

    /**
     * Whether it was made for feature maps.
     *
     * @return true for {@code [C, H, W]} inputs, false for vectors
     */
    public boolean maps() {
        return maps;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "PRelu " + name + " (" + channels + (maps ? " channels" : " features") + ", " + (slope.size() == 1 ? "one slope)"
                : "a slope each)");
    }

    @Override
    public int[] outputShape(int[] in) {
        return PerChannel.outputShape(describe(), channels, maps, in);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        int[] s = x.shape();
        outputShape(Arrays.copyOfRange(s, 1, s.length));
        inputShape = s;
        pos = Workspace.ensureShape(backend, pos, s);
        neg = Workspace.ensureShape(backend, neg, s);
        out = Workspace.ensureShape(backend, out, s);
        if (s[0] == 0) {
            return out;
        }
        backend.relu(pos, x);
        backend.copy(neg, x);
        backend.axpy(neg, -1f, pos);               // x − relu(x): the negative part, exactly
        backend.mulChannels(out, neg, slopes(s[0]));
        backend.add(out, out, pos);
        return out;
    }

    /** {@code [batch, C]}: each example's slope per channel, from the parameter as it is now. */
    private Tensor slopes(int batch) {
        return slopes.of(slope.value(), batch, channels);   // one slope fills every channel, one per channel every row
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (out == null || inputShape == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        int batch = inputShape[0];
        dpos = Workspace.ensureShape(backend, dpos, inputShape);
        dneg = Workspace.ensureShape(backend, dneg, inputShape);
        if (batch == 0) {
            backend.fill(slope.grad(), 0f);
            return needInputGrad ? (dx = Workspace.ensureShape(backend, dx, inputShape)) : null;
        }
        backend.reluBackward(dpos, dy, pos);       // dy where x > 0
        backend.copy(dneg, dy);
        backend.axpy(dneg, -1f, dpos);             // dy where x ≤ 0
        ds = Workspace.ensureShape(backend, ds, batch, channels);
        backend.mulChannelsBackward(ds, dneg, neg);   // Σ over positions of dy·x where x < 0
        if (slope.size() == 1) {
            backend.sum(slope.grad(), ds);
        } else {
            backend.sumRows(slope.grad(), ds, 0f);
        }
        if (!needInputGrad) {
            return null;
        }
        dx = Workspace.ensureShape(backend, dx, inputShape);
        backend.mulChannels(dx, dneg, slopes(batch));
        backend.add(dx, dx, dpos);
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(slope);
    }

    @Override
    public long flopsPerExample(int[] in) {
        Objects.requireNonNull(in, "in");
        return 2L * Shapes.size(in);
    }

    /** {@link ChannelRule.PassThrough}: a zero channel stays zero. */
    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    /**
     * The PReLU of the channels that stay: the shared slope, or the kept channels' slopes, gathered on
     * the layer's backend (no copy to the host).
     */
    @Override
    public PRelu pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs.length == 1 ? keepInputs[0] : null;
        if (keep == null) {
            return copy();
        }
        if (slope.size() == 1) {
            return new PRelu(name, backend, keep.count(), Workspace.copyOf(backend, slope.value()), maps);
        }
        return new PRelu(name, backend, keep.count(), Workspace.keptChannels(backend, slope.value(), keep), maps);
    }

    @Override
    public PRelu copy() {
        return new PRelu(name, backend, channels, Workspace.copyOf(backend, slope.value()), maps);
    }

    @Override
    public void close() {
        slope.close();
        slopes.close();
        pos = Workspace.free(pos);
        neg = Workspace.free(neg);
        out = Workspace.free(out);
        dpos = Workspace.free(dpos);
        dneg = Workspace.free(dneg);
        dx = Workspace.free(dx);
        ds = Workspace.free(ds);
        inputShape = null;
    }
}
