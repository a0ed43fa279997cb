package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A learnt scale per channel, {@code y = γ[c] · x} (Touvron et al. 2021, "Going deeper with image
 * transformers", CaiT's LayerScale; ConvNeXt's {@code layer_scale} on each block's output). Parameter
 * {@code weight} (γ) {@code [C]}, trained; {@link ChannelAffine} is the fixed counterpart. Channels
 * pass through for pruning (a zero channel stays zero), and pruning keeps the γ of the channels that
 * stay. Written from existing backend operations (the per-channel product and its reduction), so it
 * runs on every backend.
 */
public final class LayerScale implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final boolean maps;
    private final Parameter gamma;
    private final RepeatedRows rows;
    private Tensor input;
    private Tensor out;
    private Tensor dx;
    private Tensor dg;

    /**
     * A layer scale with the given values, which the layer copies.
     *
     * @param name    the node name (not null)
     * @param backend the backend its tensors live on (not null)
     * @param gamma   one scale per channel (not null, at least one, finite)
     * @param maps    true for feature maps {@code [C, H, W]}, false for vectors {@code [C]}
     * @throws IllegalArgumentException when {@code gamma} is empty or holds a value that is not finite
     */
    public LayerScale(String name, Backend backend, float[] gamma, boolean maps) {
        this(name, backend, backend.fromArray(checked(name, gamma).clone(), gamma.length), maps);
    }

    /** A layer scale owning {@code gamma} ({@code [C]} on {@code backend}), for copies made on the device. */
    private LayerScale(String name, Backend backend, Tensor gamma, boolean maps) {
        Objects.requireNonNull(name, "name");
        this.name = name;
        this.backend = Objects.requireNonNull(backend, "backend");
        this.maps = maps;
        this.gamma = new Parameter("weight", gamma);
        this.rows = new RepeatedRows(backend);
    }

    private static float[] checked(String name, float[] gamma) {
        Objects.requireNonNull(gamma, "gamma");
        if (gamma.length == 0) {
            throw new IllegalArgumentException("LayerScale " + name + ": needs one scale per channel, got none");
        }
        for (int c = 0; c < gamma.length; c++) {
            if (!Float.isFinite(gamma[c])) {
                throw new IllegalArgumentException("LayerScale " + name + ": channel " + c + " has scale " + gamma[c] + "; it must be finite");
            }
        }
        return gamma;
    }

    /**
     * The scales.
     *
     * @return γ, {@code [C]}, parameter {@code weight}, owned by the layer
     */
    public Parameter gamma() {
        return gamma;
    }

    /**
     * Whether it was made for feature maps.
     *
     * @return true for {@code [C, H, W]} inputs, false for vectors
     */
    public boolean maps() {
        return maps;
    }

    private int channels() {
        return gamma.value().dim(0);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "LayerScale " + name + " (" + channels() + (maps ? " channels)" : " features)");
    }

    @Override
    public int[] outputShape(int[] in) {
        return PerChannel.outputShape(describe(), channels(), maps, in);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        int[] s = x.shape();
        outputShape(Arrays.copyOfRange(s, 1, s.length));
        out = Workspace.ensureShape(backend, out, s);
        input = x;
        if (s[0] > 0) {
            backend.mulChannels(out, x, rows.of(gamma.value(), s[0], channels()));
        }
        return out;
    }

    /** {@code dγ = Σ dy·x} over the examples and positions; {@code dx = γ·dy}. */
    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        Objects.requireNonNull(dy, "dy");
        if (input == null || out == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        int batch = input.dim(0);
        if (batch == 0) {
            backend.fill(gamma.grad(), 0f);
            return needInputGrad ? (dx = Workspace.ensureShape(backend, dx, input.shape())) : null;
        }
        dg = Workspace.ensureShape(backend, dg, batch, channels());
        backend.mulChannelsBackward(dg, dy, input);   // Σ over positions of dy·x, per example and channel
        backend.sumRows(gamma.grad(), dg, 0f);
        if (!needInputGrad) {
            return null;
        }
        dx = Workspace.ensureShape(backend, dx, input.shape());
        backend.mulChannels(dx, dy, rows.of(gamma.value(), batch, channels()));
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(gamma);
    }

    @Override
    public long flopsPerExample(int[] in) {
        Objects.requireNonNull(in, "in");
        return Shapes.size(in);
    }

    @Override
    public ChannelRule channelRule() {
        return new ChannelRule.PassThrough();
    }

    /** Keeps γ of the channels that stay (the output's selection, else the input's). */
    @Override
    public LayerScale pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs.length == 1 ? keepInputs[0] : null;
        if (keep == null) {
            return copy();
        }
        return new LayerScale(name, backend, Workspace.keptChannels(backend, gamma.value(), keep), maps);
    }

    /** A copy with a copy of γ; a mask is not copied. */
    @Override
    public LayerScale copy() {
        return new LayerScale(name, backend, Workspace.copyOf(backend, gamma.value()), maps);
    }

    @Override
    public void close() {
        gamma.close();
        rows.close();
        input = null;
        out = Workspace.free(out);
        dx = Workspace.free(dx);
        dg = Workspace.free(dg);
    }
}
