package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.nn.AvgPool2d;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.ChannelAffine;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.GroupNorm;
import io.prune4j.nn.Layer;
import io.prune4j.nn.MaxPool2d;
import io.prune4j.nn.PRelu;
import io.prune4j.nn.WeightLayer;
import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random valid graph networks from a seed, small enough to run hundreds of times: an image input of
 * 1–3 channels and 5–8 × 5–8 pixels, a stem convolution, 1–3 stages of randomly chosen blocks and a
 * classifier head. The blocks are what real networks are made of: residual adds over two or three
 * branches (identity, 1×1 projection or two 3×3 convolutions, strided or not), concatenations of two
 * or three branches (convolutions, the identity, a max pool), depthwise-separable and inverted
 * residual blocks (with a squeeze-and-excitation gate, as in MobileNetV3 and EfficientNet, or
 * without), grouped convolutions, ShuffleNet's units (a channel split into slices, a branch, a concat
 * and a channel shuffle); with or without BatchNorm or GroupNorm, ReLU, ReLU6, LeakyReLU, tanh,
 * HardSwish, ELU, PReLU, SiLU or hardswish as a product {@code x ⊙ HardSigmoid(x)}, a fixed per-channel affine
 * map (with or without a shift) (or no activation), a
 * squeeze-and-excitation gate after a block now and then, a residual branch that ends in a sigmoid
 * (a gate an add reads, which keeps its group), followed by max, average (padding counted or not) or
 * no pooling. The head is global average or max pooling or a flatten, then one Dense layer, or two with
 * BatchNorm1d in between. Channel counts stay between 1 and 9 (18 inside an inverted residual block),
 * so every group is small.
 *
 * <p>{@link #randomize} makes biases, BatchNorm and GroupNorm scales and shifts and running statistics non-trivial, so
 * that a wrongly kept or dropped entry of any of them changes the output.
 */
final class RandomGraphs {
    private final SplittableRandom rng;
    private final GraphBuilder g;
    private int blocks;

    private RandomGraphs(Backend backend, long seed) {
        this.rng = new SplittableRandom(seed);
        int[] shape = {1 + rng.nextInt(3), 5 + rng.nextInt(4), 5 + rng.nextInt(4)};
        this.g = Graph.builder(backend, seed, shape);
    }

    /** The network of {@code seed}; its weights are drawn from the seed too. */
    static Graph generate(Backend backend, long seed) {
        RandomGraphs r = new RandomGraphs(backend, seed);
        return r.build();
    }

    private Graph build() {
        // a 1×1 or 3×3 stem, padded or not (a padded 1×1 convolution frames the map with its bias alone)
        String x = g.conv("stem", Graph.INPUT, 2 + rng.nextInt(8), rng.nextBoolean() ? 3 : 1, 1, rng.nextBoolean() ? 1 : 0, 1,
                rng.nextBoolean());
        x = normAct("stem.", x);
        int stages = 1 + rng.nextInt(3);
        for (int s = 0; s < stages; s++) {
            String p = "b" + ++blocks + ".";
            x = switch (rng.nextInt(7)) {
                case 0 -> residual(p, x);
                case 6 -> convnextBlock(p, x);
                case 1 -> concat(p, x);
                case 2 -> depthwiseSeparable(p, x);
                case 3 -> grouped(p, x);
                case 4 -> shuffleUnit(p, x);
                default -> invertedResidual(p, x);
            };
            if (rng.nextInt(4) == 0) {
                x = squeezeExcitation(p + "out.se.", x);
            }
            x = pool(p + "pool", x);
        }
        int classes = 2 + rng.nextInt(3);
        int[] s = g.shape(x);
        boolean global = rng.nextBoolean() || s[0] * s[1] * s[2] > 200;
        String f = g.flatten("flatten", !global ? x : rng.nextInt(4) == 0 ? g.globalMaxPool("gmp", x) : g.globalAvgPool("gap", x));
        if (rng.nextBoolean()) {
            g.dense("fc", f, classes);
        } else {
            int hidden = 2 + rng.nextInt(8);
            String h;
            switch (rng.nextInt(3)) {
                case 0 -> h = g.denseRelu("fc1", f, hidden);
                case 1 -> h = g.relu("fc1.relu", g.batchNorm("fc1.bn", g.dense("fc1", f, hidden)));
                // a Dense layer without bias in front of its BatchNorm, as convolutions have
                default -> h = g.relu6("fc1.relu", g.batchNorm("fc1.bn",
                        g.add(Dense.create(g.backend(), "fc1", g.shape(f)[0], hidden, false, false, g.rng()), f)));
            }
            g.dense("fc", h, classes);
        }
        return g.build();
    }

    private int channels() {
        return 2 + rng.nextInt(8);
    }

    /**
     * Optional normalisation (with probability {@code pBn}: a BatchNorm three times in four, else a
     * GroupNorm over a random divisor of the channels as its group count, 1 and the channel count
     * included), then ReLU, ReLU6, another activation or nothing.
     */
    private String normAct(String p, String x, double pBn) {
        if (rng.nextDouble() < pBn) {
            if (rng.nextInt(4) == 0) {
                int c = g.channels(x);
                List<Integer> divisors = new ArrayList<>();
                for (int d = 1; d <= c; d++) {
                    if (c % d == 0) {
                        divisors.add(d);
                    }
                }
                x = g.groupNorm(p + "gn", x, divisors.get(rng.nextInt(divisors.size())), 1e-5f);
            } else {
                x = g.batchNorm(p + "bn", x);
            }
        }
        return act(p, x);
    }

    private String normAct(String p, String x) {
        return normAct(p, x, 0.6);
    }

    private String act(String p, String x) {
        return switch (rng.nextInt(6)) {
            case 0 -> g.relu(p + "relu", x);
            case 1 -> g.relu6(p + "relu6", x);
            case 2 -> otherActivation(p + "act", x);
            case 3 -> gated(p + "gated", x);
            case 4 -> rng.nextBoolean() ? affine(p + "affine", x) : prelu(p + "prelu", x);
            default -> x;
        };
    }

    /** A PReLU with one shared slope or one per channel, slopes of either sign. */
    private String prelu(String name, String x) {
        int c = g.channels(x);
        float[] slope = Check.uniform(rng, rng.nextBoolean() ? 1 : c, 1);
        return g.add(new PRelu(name, g.backend(), c, slope, g.shape(x).length == 3), x);
    }

    /** A fixed per-channel scale (of either sign), with a shift half the time (a gate: the channels are then kept). */
    private String affine(String name, String x) {
        int c = g.channels(x);
        float[] scale = Check.uniform(rng, c, 2);
        float[] shift = rng.nextBoolean() ? new float[c] : Check.uniform(rng, c, 0.5);
        return g.add(new ChannelAffine(name, g.backend(), scale, shift, g.shape(x).length == 3), x);
    }

    /** SiLU, {@code x ⊙ sigmoid(x)}, or hardswish as PyTorch writes it before opset 14, {@code x ⊙ HardSigmoid(x)}: a gate and a product. */
    private String gated(String name, String x) {
        String gate = rng.nextBoolean() ? g.sigmoid(name + ".gate", x) : g.hardSigmoid(name + ".gate", x);
        return rng.nextBoolean() ? g.mul(name, x, gate) : g.mul(name, gate, x);
    }

    /**
     * A squeeze-and-excitation block on {@code x}: global average pooling, a 1×1 squeeze to 1–4
     * channels, ReLU or SiLU, a 1×1 excitation back to {@code x}'s channels, a sigmoid or HardSigmoid
     * gate, and the gate times {@code x} (either order).
     */
    private String squeezeExcitation(String p, String x) {
        if (rng.nextInt(3) == 0) {
            // SENet's own form: flatten, Dense layers on the vector, the gate back to a one-pixel map
            String v = g.flatten(p + "flat", g.globalAvgPool(p + "gap", x));
            v = g.relu(p + "relu", g.add(Dense.create(g.backend(), p + "squeeze", g.channels(x), 1 + rng.nextInt(4), rng.nextBoolean(), false,
                    g.rng()), v));
            v = g.add(Dense.create(g.backend(), p + "excite", g.shape(v)[0], g.channels(x), rng.nextBoolean(), false, g.rng()), v);
            String s = g.add(new io.prune4j.nn.Unflatten(p + "view", g.backend()), g.sigmoid(p + "gate", v));
            return rng.nextBoolean() ? g.mul(p + "scale", s, x) : g.mul(p + "scale", x, s);
        }
        String s = g.conv(p + "squeeze", g.globalAvgPool(p + "gap", x), 1 + rng.nextInt(4), 1, 1, 0, 1, rng.nextBoolean());
        s = rng.nextBoolean() ? g.relu(p + "relu", s) : gated(p + "silu", s);
        s = g.conv(p + "excite", s, g.channels(x), 1, 1, 0, 1, rng.nextBoolean());
        s = rng.nextBoolean() ? g.sigmoid(p + "gate", s) : g.hardSigmoid(p + "gate", s);
        return rng.nextBoolean() ? g.mul(p + "scale", s, x) : g.mul(p + "scale", x, s);
    }

    /** One of the activations that map 0 to 0 (so that they pass channels through): LeakyReLU, tanh, HardSwish, ELU. */
    private String otherActivation(String name, String x) {
        return switch (rng.nextInt(4)) {
            case 0 -> g.leakyRelu(name, x, 0.1f);
            case 1 -> g.tanh(name, x);
            case 2 -> g.hardSwish(name, x);
            default -> g.elu(name, x, 1f);
        };
    }

    private String maybeBn(String name, String x) {
        return rng.nextDouble() < 0.6 ? g.batchNorm(name, x) : x;
    }

    private String conv(String name, String x, int out, int kernel, int stride) {
        return g.conv(name, x, out, kernel, stride, kernel / 2, 1, rng.nextBoolean());
    }

    /** Two or three branches added: the identity (at most one), a 1×1 projection, or two 3×3 convolutions. */
    private String residual(String p, String x) {
        int c = g.channels(x);
        int out = rng.nextBoolean() ? c : channels();
        int n = 2 + rng.nextInt(2);
        boolean identity = out == c && rng.nextBoolean();
        int stride = !identity && g.shape(x)[1] >= 4 && rng.nextInt(3) == 0 ? 2 : 1;
        List<String> branches = new ArrayList<>();
        if (identity) {
            branches.add(x);
        }
        for (int k = branches.size(); k < n; k++) {
            String q = p + "br" + k + ".";
            int kind = rng.nextInt(8);
            if (kind == 0) {
                branches.add(g.sigmoid(q + "gate", conv(q + "gate.conv", x, out, 1, stride)));   // an add reads the gate: kept
            } else if (kind < 4) {
                branches.add(maybeBn(q + "proj.bn", conv(q + "proj", x, out, 1, stride)));
            } else {
                String y = normAct(q + "1.", conv(q + "conv1", x, 1 + rng.nextInt(6), 3, stride));
                branches.add(maybeBn(q + "bn2", conv(q + "conv2", y, out, 3, 1)));
            }
        }
        return act(p, g.add(p + "add", branches.toArray(String[]::new)));
    }

    /** Two or three branches concatenated: convolutions (1×1 or 3×3), the identity, a 3×3 max pool of stride 1. */
    private String concat(String p, String x) {
        int n = 2 + rng.nextInt(2);
        List<String> branches = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            String q = p + "br" + k + ".";
            int kind = rng.nextInt(5);
            if (kind == 0) {
                branches.add(x);
            } else if (kind == 1) {
                branches.add(g.add(new MaxPool2d(q + "maxpool", g.backend(), 3, 1, 1), x));
            } else {
                branches.add(normAct(q, conv(q + "conv", x, 1 + rng.nextInt(5), rng.nextBoolean() ? 3 : 1, 1)));
            }
        }
        return g.concat(p + "cat", branches.toArray(String[]::new));
    }

    /**
     * ShuffleNet's unit: the channels split at a random point into two slices (now and then leaving
     * the last channel to neither, so that nothing reads it), a branch (a 1×1 convolution, or a
     * depthwise and a 1×1 one) on one of them, the other passed on, a concat in either order and a
     * channel shuffle in a random number of groups dividing the channels.
     */
    private String shuffleUnit(String p, String x) {
        if (g.channels(x) < 2) {
            x = normAct(p + "pre.", conv(p + "pre", x, 2 + rng.nextInt(6), 1, 1));
        }
        int c = g.channels(x);
        int k = 1 + rng.nextInt(c - 1);
        int rest = c - k >= 2 && rng.nextInt(4) == 0 ? c - k - 1 : c - k;
        String a = g.slice(p + "a", x, 0, k);
        String b = g.slice(p + "b", x, k, rest);
        if (rng.nextBoolean()) {
            b = maybeBn(p + "dw.bn", g.depthwise(p + "dw", b, 3, 1, 1));
        }
        String y = normAct(p + "br.", conv(p + "br", b, 1 + rng.nextInt(5), 1, 1));
        String cat = rng.nextBoolean() ? g.concat(p + "cat", a, y) : g.concat(p + "cat", y, a);
        int total = g.channels(cat);
        List<Integer> divisors = new ArrayList<>();
        for (int d = 2; d <= total; d++) {
            if (total % d == 0) {
                divisors.add(d);
            }
        }
        return g.shuffle(p + "shuffle", cat, divisors.get(rng.nextInt(divisors.size())));
    }

    private String depthwiseSeparable(String p, String x) {
        int c = g.channels(x);
        String y = g.conv(p + "dw", x, c, 3, rng.nextInt(3) == 0 ? 2 : 1, 1, c, rng.nextBoolean());
        y = normAct(p + "dw.", y);
        return normAct(p + "pw.", conv(p + "pw", y, channels(), 1, 1));
    }

    /** A grouped 3×3 convolution of 2 or 3 groups, after a 1×1 convolution to a multiple of the groups when needed. */
    private String grouped(String p, String x) {
        int groups = 2 + rng.nextInt(2);
        if (g.channels(x) % groups != 0) {
            x = normAct(p + "pre.", conv(p + "pre", x, groups * (1 + rng.nextInt(3)), 1, 1));
        }
        String y = g.conv(p + "grouped", x, groups * (1 + rng.nextInt(3)), 3, 1, 1, groups, rng.nextBoolean());
        return normAct(p + "grouped.", y);
    }

    /**
     * ConvNeXt's block: depthwise 3×3 (7×7 in ConvNeXt; the maps here are small), LayerNorm over the
     * channels, 1×1 expansion, an activation, 1×1 projection back, a per-channel layer scale (learnt or fixed), added
     * to the input; sometimes a LayerNorm in front (ConvNeXt's downsampling layers start with one).
     */
    private String convnextBlock(String p, String x) {
        if (rng.nextInt(3) == 0) {
            x = g.layerNorm(p + "pre.ln", x, 1e-6f);
        }
        int c = g.channels(x);
        String y = g.layerNorm(p + "ln", g.depthwise(p + "dw", x, 3, 1, 1), 1e-6f);
        y = act(p + "pw1.", conv(p + "pw1", y, Math.min(18, c * (2 + rng.nextInt(3))), 1, 1));
        y = conv(p + "pw2", y, c, 1, 1);
        float[] gamma = Check.uniform(rng, c, 2);
        y = g.add(rng.nextBoolean() ? new io.prune4j.nn.LayerScale(p + "scale", g.backend(), gamma, true)
                : new ChannelAffine(p + "scale", g.backend(), gamma, new float[c], true), y);
        return g.add(p + "add", y, x);
    }

    /** Expand 1×1 → BN → ReLU6 → depthwise 3×3 → BN → ReLU6 → project 1×1 → BN, added to the input when the shape allows. */
    private String invertedResidual(String p, String x) {
        int c = g.channels(x);
        int hidden = Math.min(18, c * (2 + rng.nextInt(2)));
        String y = g.relu6(p + "expand.relu", g.batchNorm(p + "expand.bn", conv(p + "expand", x, hidden, 1, 1)));
        int stride = rng.nextInt(4) == 0 ? 2 : 1;
        y = g.relu6(p + "dw.relu", g.batchNorm(p + "dw.bn", g.depthwise(p + "dw", y, 3, stride, 1)));
        if (rng.nextBoolean()) {
            y = squeezeExcitation(p + "se.", y);   // MobileNetV3's and EfficientNet's blocks
        }
        int out = rng.nextInt(3) == 0 ? channels() : c;
        y = g.batchNorm(p + "project.bn", g.conv(p + "project", y, out, 1, 1, 0));
        return stride == 1 && out == c ? g.add(p + "add", y, x) : y;
    }

    /** Max pooling (2×2, or 3×3 stride 2 padded), average pooling (padding counted or not), uneven zero padding, or none. */
    private String pool(String name, String x) {
        int[] s = g.shape(x);
        if (Math.min(s[1], s[2]) < 3) {
            return x;
        }
        return switch (rng.nextInt(7)) {
            case 0 -> g.maxPool(name, x, 2, 2, 0);
            case 1 -> g.maxPool(name, x, 3, 2, 1);
            case 2 -> g.avgPool(name, x, 2, 2, 0);
            case 3 -> g.add(new AvgPool2d(name, g.backend(), 3, 2, 1, rng.nextBoolean()), x);
            case 4 -> g.add(new AvgPool2d(name, g.backend(), 3, 1, 1, false), x);
            case 5 -> g.zeroPad(name, x, rng.nextInt(2), rng.nextInt(3), rng.nextInt(3), rng.nextInt(2));
            default -> x;
        };
    }

    /**
     * Random biases (±0.5), BatchNorm scales of either sign ({@code 0.5 ≤ |γ| ≤ 1.5}), shifts (±0.5),
     * running means (±0.5) and running variances in {@code [0.5, 2]}, drawn from {@code seed}.
     */
    static void randomize(Graph net, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5EEDL);
        Backend b = net.backend();
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer w && w.bias() != null) {
                b.upload(w.bias().value(), Check.uniform(r, w.bias().size(), 0.5));
            } else if (l instanceof GroupNorm gn) {
                b.upload(gn.gamma().value(), Check.uniform(r, gn.channels(), 1.5));
                b.upload(gn.beta().value(), Check.uniform(r, gn.channels(), 0.5));
            } else if (l instanceof BatchNorm bn) {
                int c = bn.channels();
                float[] gamma = new float[c];
                float[] var = new float[c];
                for (int i = 0; i < c; i++) {
                    gamma[i] = (float) ((0.5 + r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
                    var[i] = (float) (0.5 + 1.5 * r.nextDouble());
                }
                b.upload(bn.gamma().value(), gamma);
                b.upload(bn.beta().value(), Check.uniform(r, c, 0.5));
                b.upload(bn.runningMean(), Check.uniform(r, c, 0.5));
                b.upload(bn.runningVar(), var);
            }
        }
    }
}
