package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * 2-D convolution (cross-correlation, as PyTorch's {@code Conv2d}) with an optional fused ReLU:
 * {@code x [batch, in, H, W] → y [batch, out, Ho, Wo]} with {@code W [out, in, kh, kw]},
 * {@code b [out]}, zero padding {@code pad} and {@code Ho = (H + 2·pad − kh) / stride + 1}. Unit
 * {@code n} is output channel {@code n}: filter {@code W[n]} and bias {@code b[n]}. The layer does not
 * fix the spatial size; any input at least as large as the kernel works.
 *
 * <p>With the ReLU fused, hooks see the feature map after it, as for {@link Dense}.
 */
public final class Conv2d implements WeightLayer {
    private final String name;
    private final Backend backend;
    private final int stride;
    private final int pad;
    private final boolean relu;
    private final Parameter weight;
    private final Parameter bias;

    private Tensor input;
    private Tensor out;
    private Tensor dz;
    private Tensor dx;

    /** Takes ownership of {@code weight [out, in, kh, kw]} and {@code bias [out]}. */
    public Conv2d(String name, Tensor weight, Tensor bias, int stride, int pad, boolean relu) {
        Shapes.requireRank("Conv2d " + name, "weight", weight, 4);
        Shapes.requireShape("Conv2d " + name, "bias", bias, weight.dim(0));
        Shapes.requireDType("Conv2d " + name, "weight", weight, DType.FLOAT32);
        Shapes.requireDType("Conv2d " + name, "bias", bias, DType.FLOAT32);
        if (stride < 1 || pad < 0) {
            throw new IllegalArgumentException("Conv2d " + name + ": stride must be ≥ 1 and padding ≥ 0, got " + stride + " and " + pad);
        }
        this.name = name;
        this.backend = weight.backend();
        this.stride = stride;
        this.pad = pad;
        this.relu = relu;
        this.weight = new Parameter("weight", weight);
        this.bias = new Parameter("bias", bias);
    }

    /**
     * A layer with He-uniform filters ({@code U(±sqrt(6/fanIn))} before a ReLU, {@code U(±sqrt(3/fanIn))}
     * otherwise, {@code fanIn = in·k·k}) and zero bias, drawn from {@code rng}.
     */
    public static Conv2d create(Backend backend, String name, int in, int out, int kernel, int stride, int pad, boolean relu,
                                SplittableRandom rng) {
        if (in < 1 || out < 1 || kernel < 1) {
            throw new IllegalArgumentException("Conv2d " + name + ": channels and kernel must be positive, got " + in + "→" + out
                    + ", kernel " + kernel);
        }
        int fanIn = in * kernel * kernel;
        double bound = Math.sqrt((relu ? 6.0 : 3.0) / fanIn);
        float[] w = new float[Shapes.size(out, in, kernel, kernel)];
        for (int j = 0; j < w.length; j++) {
            w[j] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        }
        return new Conv2d(name, backend.fromArray(w, out, in, kernel, kernel), backend.zeros(DType.FLOAT32, out), stride, pad, relu);
    }

    @Override
    public String name() {
        return name;
    }

    public int inChannels() {
        return weight.value().dim(1);
    }

    public int outChannels() {
        return weight.value().dim(0);
    }

    public int kernelHeight() {
        return weight.value().dim(2);
    }

    public int kernelWidth() {
        return weight.value().dim(3);
    }

    public int stride() {
        return stride;
    }

    public int padding() {
        return pad;
    }

    @Override
    public boolean hasRelu() {
        return relu;
    }

    @Override
    public Parameter weight() {
        return weight;
    }

    @Override
    public Parameter bias() {
        return bias;
    }

    @Override
    public int units() {
        return outChannels();
    }

    @Override
    public int inputUnits() {
        return inChannels();
    }

    @Override
    public Conv2d withParameters(Tensor w, Tensor b) {
        if (w.rank() != 4 || w.dim(2) != kernelHeight() || w.dim(3) != kernelWidth()) {
            throw new IllegalArgumentException(describe() + ": new weight " + java.util.Arrays.toString(w.shape())
                    + " must keep the " + kernelHeight() + "x" + kernelWidth() + " kernel");
        }
        return new Conv2d(name, w, b, stride, pad, relu);
    }

    @Override
    public String describe() {
        return "Conv2d " + name + " (" + inChannels() + "→" + outChannels() + ", " + kernelHeight() + "x" + kernelWidth()
                + (stride != 1 ? ", stride " + stride : "") + (pad != 0 ? ", pad " + pad : "") + (relu ? ", relu)" : ")");
    }

    @Override
    public int[] outputShape(int[] in) {
        if (in.length != 3 || in[0] != inChannels()) {
            throw new IllegalArgumentException(describe() + " expects [" + inChannels() + ", height, width] per example, got "
                    + java.util.Arrays.toString(in));
        }
        // in long: a padding near 2^30 (a model file may hold any int) must not wrap into a plausible size
        long ho = in[1] + 2L * pad - kernelHeight();
        long wo = in[2] + 2L * pad - kernelWidth();
        if (ho < 0 || wo < 0) {
            throw new IllegalArgumentException(describe() + ": a " + in[1] + "x" + in[2] + " input is smaller than the kernel");
        }
        long oh = ho / stride + 1;
        long ow = wo / stride + 1;
        Shapes.intSize(describe(), "an output of " + outChannels() + "x" + oh + "x" + ow + " per example", outChannels(), oh, ow);
        return new int[] {outChannels(), (int) oh, (int) ow};
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
        int[] o = outputShape(perExample(x));
        out = Workspace.ensureShape(backend, out, x.dim(0), o[0], o[1], o[2]);
        input = x;
        backend.conv2d(out, x, weight.value(), bias.value(), stride, pad, relu);
        return out;
    }

    private int[] perExample(Tensor x) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException(describe() + " expects input [batch, channels, height, width], got "
                    + java.util.Arrays.toString(x.shape()));
        }
        return new int[] {x.dim(1), x.dim(2), x.dim(3)};
    }

    @Override
    public Tensor backward(Tensor dy, boolean needInputGrad) {
        if (input == null || !dy.sameShape(out)) {
            throw new IllegalStateException(describe() + ": backward needs the matching forward pass first");
        }
        Tensor g = dy;
        if (relu) {
            dz = Workspace.ensureShape(backend, dz, dy.shape());
            backend.reluBackward(dz, dy, out);
            g = dz;
        }
        Tensor gx = null;
        if (needInputGrad) {
            dx = Workspace.ensureShape(backend, dx, input.shape());
            gx = dx;
        }
        backend.conv2dBackward(gx, weight.grad(), bias.grad(), g, input, weight.value(), stride, pad);
        return gx;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    @Override
    public long flopsPerExample(int[] inputShape) {
        int[] o = outputShape(inputShape);
        return 2L * o[0] * o[1] * o[2] * inChannels() * kernelHeight() * kernelWidth();
    }

    @Override
    public Conv2d copy() {
        Tensor w = backend.zeros(DType.FLOAT32, weight.value().shape());
        Tensor c = backend.zeros(DType.FLOAT32, bias.value().shape());
        backend.copy(w, weight.value());
        backend.copy(c, bias.value());
        return new Conv2d(name, w, c, stride, pad, relu);
    }

    @Override
    public void close() {
        input = null;
        out = Workspace.free(out);
        dz = Workspace.free(dz);
        dx = Workspace.free(dx);
        weight.close();
        bias.close();
    }
}
