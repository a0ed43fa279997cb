package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A fixed per-channel affine map, {@code y[b, c, …] = x[b, c, …] · scale[c] + shift[c]}, with nothing
 * to train: the input normalisation a model carries inside itself ({@code (x − mean) / std},
 * {@code x / 255}), as ONNX files write it with Sub, Div, Mul or Add of a constant. One float product
 * and one float sum per element, as ONNX Runtime computes {@code x · s + b} (a division is the product
 * with its reciprocal, within an ulp of it). {@code scale} and {@code shift} are buffers, saved with
 * the model; for feature maps or vectors, as made.
 */
public final class ChannelAffine implements UnaryLayer {
    private final String name;
    private final Backend backend;
    private final float[] scale;
    private final float[] shift;
    private final boolean maps;
    private final Tensor scaleT;
    private final Tensor shiftT;
    /** The first channel whose shift is not 0, or −1: the map then passes a zero channel on as zero. */
    private final int firstShift;
    private final RepeatedRows scaleRows;
    private final RepeatedRows shiftRows;
    private Tensor shiftMap;
    private Tensor out;
    private Tensor dx;
    private int[] inputShape;

    /**
     * An affine map of {@code scale.length} channels.
     *
     * @param name    the node name (not null)
     * @param backend the backend its tensors live on (not null)
     * @param scale   per channel, the factor (not null, at least one entry, finite; copied)
     * @param shift   per channel, the term added after the product (not null, as many entries, finite; copied)
     * @param maps    true for feature maps {@code [C, H, W]}, false for vectors {@code [C]}
     * @throws IllegalArgumentException when the arrays are empty, differ in length or hold a value that is not finite
     */
    public ChannelAffine(String name, Backend backend, float[] scale, float[] shift, boolean maps) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(scale, "scale");
        Objects.requireNonNull(shift, "shift");
        if (scale.length == 0 || scale.length != shift.length) {
            throw new IllegalArgumentException("ChannelAffine " + name + ": needs one scale and one shift per channel, got " + scale.length
                    + " and " + shift.length);
        }
        for (int c = 0; c < scale.length; c++) {
            if (!Float.isFinite(scale[c]) || !Float.isFinite(shift[c])) {
                throw new IllegalArgumentException("ChannelAffine " + name + ": channel " + c + " has scale " + scale[c] + " and shift "
                        + shift[c] + "; both must be finite");
            }
        }
        this.name = name;
        this.backend = backend;
        this.scale = scale.clone();
        this.shift = shift.clone();
        this.maps = maps;
        this.scaleT = backend.fromArray(this.scale, scale.length);
        Tensor s = null;
        try {
            s = backend.fromArray(this.shift, shift.length);
        } finally {
            if (s == null) {
                scaleT.close();
            }
        }
        this.shiftT = s;
        int c = 0;
        while (c < shift.length && shift[c] == 0f) {
            c++;
        }
        this.firstShift = c == shift.length ? -1 : c;
        this.scaleRows = new RepeatedRows(backend);
        this.shiftRows = new RepeatedRows(backend);
    }

    /**
     * The factors.
     *
     * @return per channel, the scale (a copy)
     */
    public float[] scale() {
        return scale.clone();
    }

    /**
     * The terms added.
     *
     * @return per channel, the shift (a copy)
     */
    public float[] shift() {
        return shift.clone();
    }

    /**
     * Whether it was made for feature maps.
     *
     * @return true for {@code [C, H, W]} inputs, false for vectors
     */
    public boolean maps() {
        return maps;
    }

    /**
     * Whether a shift is not 0.
     *
     * @return true when some channel's shift is not 0 (a zero input does not stay zero there)
     */
    public boolean hasShift() {
        return firstShift >= 0;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String describe() {
        return "ChannelAffine " + name + " (" + scale.length + (maps ? " channels)" : " features)");
    }

    @Override
    public int[] outputShape(int[] in) {
        return PerChannel.outputShape(describe(), scale.length, maps, in);
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        int[] s = x.shape();
        outputShape(Arrays.copyOfRange(s, 1, s.length));
        int batch = s[0];
        out = Workspace.ensureShape(backend, out, s);
        inputShape = s;
        if (batch == 0) {
            return out;
        }
        backend.mulChannels(out, x, scaleRows.of(scaleT, batch, scale.length));
        if (hasShift()) {
            int perExample = x.size() / batch;
            if (shiftMap == null || shiftMap.size() != perExample) {
                shiftMap = Workspace.free(shiftMap);
                float[] m = new float[perExample];
                int spatial = perExample / shift.length;
                for (int c = 0; c < shift.length; c++) {
                    Arrays.fill(m, c * spatial, (c + 1) * spatial, shift[c]);
                }
                shiftMap = backend.fromArray(m, 1, perExample);
            }
            backend.add(out, out, shiftRows.of(shiftMap, s));
        }
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
        if (inputShape[0] > 0) {
            backend.mulChannels(dx, dy, scaleRows.of(scaleT, inputShape[0], scale.length));
        }
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of();
    }

    @Override
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        b.put("scale", scaleT);
        b.put("shift", shiftT);
        return b;
    }

    @Override
    public long flopsPerExample(int[] in) {
        Objects.requireNonNull(in, "in");
        return 2L * Shapes.size(in);
    }

    /**
     * {@link ChannelRule.PassThrough} when every shift is 0 (a removed, zero channel stays zero),
     * else a {@link ChannelRule.Gate}: a shifted zero is no longer zero.
     */
    @Override
    public ChannelRule channelRule() {
        return firstShift < 0 ? new ChannelRule.PassThrough() : new ChannelRule.Gate(describe() + " maps 0 to " + shift[firstShift]
                + " in channel " + firstShift);
    }

    /** The map of the channels that stay. Uses the selection's host indices ({@link ChannelSelection#keptIndices}). */
    @Override
    public ChannelAffine pruned(ChannelSelection[] keepInputs, ChannelSelection keepOutput) {
        Objects.requireNonNull(keepInputs, "keepInputs");
        ChannelSelection keep = keepOutput != null ? keepOutput : keepInputs.length == 1 ? keepInputs[0] : null;
        if (keep == null) {
            return copy();
        }
        int[] idx = keep.keptIndices();
        float[] s = new float[idx.length];
        float[] b = new float[idx.length];
        for (int k = 0; k < idx.length; k++) {
            if (idx[k] < 0 || idx[k] >= scale.length) {
                throw new IllegalArgumentException(describe() + ": kept channel " + idx[k] + " is outside [0, " + scale.length + ")");
            }
            s[k] = scale[idx[k]];
            b[k] = shift[idx[k]];
        }
        return new ChannelAffine(name, backend, s, b, maps);
    }

    @Override
    public ChannelAffine copy() {
        return new ChannelAffine(name, backend, scale, shift, maps);
    }

    @Override
    public void close() {
        scaleT.close();
        shiftT.close();
        scaleRows.close();
        shiftMap = Workspace.free(shiftMap);
        shiftRows.close();
        out = Workspace.free(out);
        dx = Workspace.free(dx);
        inputShape = null;
    }
}
