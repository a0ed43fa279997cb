package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import io.prune4j.testing.Check;
import io.prune4j.testing.FiniteDifference;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole small graphs' gradients against central finite differences of a double-precision reference
 * forward pass written out here, as {@link GradientCheckTest} does for layers and chains: BatchNorm in
 * training mode (2-D and 1-D, the batch's statistics), an add whose inputs fan out (a value read by
 * several nodes, one of them twice, gets the sum of their gradients), a concatenation (with the input
 * and a repeated branch among its operands), grouped and depthwise convolutions with and without bias,
 * average pooling with and without the padding counted, global average pooling, ReLU6 and a general
 * clamp with values beyond both bounds, every {@link Activation} kind, and the products of {@link Mul}
 * (a squeeze-and-excitation gate, SiLU, a value times itself), channel slices and shuffles, a fixed
 * per-channel affine map, PReLU. Every parameter's gradient
 * is checked, and the gradient with respect to the network's input (seen by a backward hook on an
 * identity node in front, the network asks its first nodes for none).
 *
 * <p>The loss is {@code L = Σ r ⊙ logits} for a random {@code r}, so {@code dL/dlogits = r}. A step of
 * 1e-6 in double leaves the finite differences far more exact than float arithmetic; the tolerance
 * ({@code 1e-4 + 1e-3·|ref|}, that of {@link GradientCheckTest}'s layer checks) absorbs the float side.
 * Parameters are random (biases, BatchNorm γ of either sign, β) so no term vanishes by accident; each
 * case's seed is in its name.
 */
class GraphGradientCheckTest {
    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-3;
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void closeBackend() {
        cpu.close();
    }

    // ---- the double-precision reference ------------------------------------------------------

    /** A double tensor {@code [b, c, h, w]} (vectors: {@code h = w = 1}). */
    private record T(double[] v, int b, int c, int h, int w) {
        int spatial() {
            return h * w;
        }

        double at(int n, int ch, int i, int j) {
            return v[((n * c + ch) * h + i) * w + j];
        }
    }

    /** The reference of one graph: its logits from parameters (by {@code node.parameter}) and the input. */
    @FunctionalInterface
    private interface Reference {
        T logits(Map<String, double[]> p, T x);
    }

    /** {@code y[n,o] = bias[o] + Σ w[o, c, u, v] · x[n, g·cg + c, …]} over the {@code cg} input channels of {@code o}'s group {@code g}. */
    private static T conv(T x, double[] w, double[] bias, int out, int k, int stride, int pad, int groups) {
        int cg = x.c() / groups;
        int og = out / groups;
        int ho = (x.h() + 2 * pad - k) / stride + 1;
        int wo = (x.w() + 2 * pad - k) / stride + 1;
        double[] y = new double[x.b() * out * ho * wo];
        for (int n = 0; n < x.b(); n++) {
            for (int o = 0; o < out; o++) {
                int g = o / og;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double s = bias == null ? 0 : bias[o];
                        for (int c = 0; c < cg; c++) {
                            for (int u = 0; u < k; u++) {
                                for (int v = 0; v < k; v++) {
                                    int r = i * stride - pad + u;
                                    int q = j * stride - pad + v;
                                    if (r >= 0 && r < x.h() && q >= 0 && q < x.w()) {
                                        s += w[((o * cg + c) * k + u) * k + v] * x.at(n, g * cg + c, r, q);
                                    }
                                }
                            }
                        }
                        y[((n * out + o) * ho + i) * wo + j] = s;
                    }
                }
            }
        }
        return new T(y, x.b(), out, ho, wo);
    }

    /** Training-mode batch normalisation: each channel's mean and biased variance over the batch and positions. */
    private static T batchNorm(T x, double[] gamma, double[] beta, double eps) {
        double[] y = new double[x.v().length];
        int s = x.spatial();
        int count = x.b() * s;
        for (int c = 0; c < x.c(); c++) {
            double mean = 0;
            for (int n = 0; n < x.b(); n++) {
                for (int k = 0; k < s; k++) {
                    mean += x.v()[(n * x.c() + c) * s + k];
                }
            }
            mean /= count;
            double var = 0;
            for (int n = 0; n < x.b(); n++) {
                for (int k = 0; k < s; k++) {
                    double d = x.v()[(n * x.c() + c) * s + k] - mean;
                    var += d * d;
                }
            }
            var /= count;
            double inv = 1 / Math.sqrt(var + eps);
            for (int n = 0; n < x.b(); n++) {
                for (int k = 0; k < s; k++) {
                    int at = (n * x.c() + c) * s + k;
                    y[at] = gamma[c] * (x.v()[at] - mean) * inv + beta[c];
                }
            }
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    private static T clamp(T x, double lo, double hi) {
        double[] y = x.v().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] = Math.min(Math.max(y[i], lo), hi);
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    private static T activation(T x, Activations.Case c) {
        return new T(io.prune4j.testing.NaiveGraphOps.activation(x.v(), c.kind(), c.alpha(), c.beta()), x.b(), x.c(), x.h(), x.w());
    }

    /** {@code a ⊙ b} of one shape, or a gate {@code [b, c, 1, 1]} times a map {@code [b, c, h, w]}, in either order. */
    private static T mul(T a, T b) {
        T map = a.spatial() >= b.spatial() ? a : b;
        T gate = map == a ? b : a;
        boolean perChannel = gate.spatial() < map.spatial();
        double[] y = new double[map.v().length];
        for (int i = 0; i < y.length; i++) {
            y[i] = map.v()[i] * gate.v()[perChannel ? i / map.spatial() : i];
        }
        return new T(y, map.b(), map.c(), map.h(), map.w());
    }

    private static T relu(T x) {
        return clamp(x, 0, Double.POSITIVE_INFINITY);
    }

    private static T add(T... xs) {
        double[] y = new double[xs[0].v().length];
        for (T x : xs) {
            for (int i = 0; i < y.length; i++) {
                y[i] += x.v()[i];
            }
        }
        return new T(y, xs[0].b(), xs[0].c(), xs[0].h(), xs[0].w());
    }

    private static T concat(T... xs) {
        int c = 0;
        for (T x : xs) {
            c += x.c();
        }
        int s = xs[0].spatial();
        int b = xs[0].b();
        double[] y = new double[b * c * s];
        for (int n = 0; n < b; n++) {
            int offset = 0;
            for (T x : xs) {
                System.arraycopy(x.v(), n * x.c() * s, y, (n * c + offset) * s, x.c() * s);
                offset += x.c();
            }
        }
        return new T(y, b, c, xs[0].h(), xs[0].w());
    }

    /** Channels {@code start … start + count − 1} of {@code x}. */
    private static T slice(T x, int start, int count) {
        int s = x.spatial();
        double[] y = new double[x.b() * count * s];
        for (int n = 0; n < x.b(); n++) {
            System.arraycopy(x.v(), (n * x.c() + start) * s, y, n * count * s, count * s);
        }
        return new T(y, x.b(), count, x.h(), x.w());
    }

    /** ShuffleNet's channel shuffle written out as PyTorch does it: {@code view(b, g, c/g, …).transpose(1, 2)}. */
    private static T shuffle(T x, int groups) {
        int per = x.c() / groups;
        int s = x.spatial();
        double[] y = new double[x.v().length];
        for (int n = 0; n < x.b(); n++) {
            for (int gi = 0; gi < groups; gi++) {
                for (int j = 0; j < per; j++) {
                    // element [n, gi, j] of the view lands at [n, j, gi] of the transposed one: channel j·groups + gi
                    System.arraycopy(x.v(), (n * x.c() + gi * per + j) * s, y, (n * x.c() + j * groups + gi) * s, s);
                }
            }
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    /** Each patch's sum over {@code window²} (padding counted) or over its positions inside the input. */
    private static T avgPool(T x, int window, int stride, int pad, boolean countIncludePad) {
        int ho = (x.h() + 2 * pad - window) / stride + 1;
        int wo = (x.w() + 2 * pad - window) / stride + 1;
        double[] y = new double[x.b() * x.c() * ho * wo];
        for (int p = 0; p < x.b() * x.c(); p++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    double s = 0;
                    int inside = 0;
                    for (int u = 0; u < window; u++) {
                        for (int v = 0; v < window; v++) {
                            int r = i * stride - pad + u;
                            int q = j * stride - pad + v;
                            if (r >= 0 && r < x.h() && q >= 0 && q < x.w()) {
                                s += x.v()[(p * x.h() + r) * x.w() + q];
                                inside++;
                            }
                        }
                    }
                    y[(p * ho + i) * wo + j] = s / (countIncludePad ? window * window : inside);
                }
            }
        }
        return new T(y, x.b(), x.c(), ho, wo);
    }

    private static T zeroPad(T x, int top, int bottom, int left, int right) {
        return new T(io.prune4j.testing.NaiveGraphOps.zeroPad2d(x.v(), x.b() * x.c(), x.h(), x.w(), top, bottom, left, right), x.b(),
                x.c(), x.h() + top + bottom, x.w() + left + right);
    }

    private static T globalAvgPool(T x) {
        double[] y = new double[x.b() * x.c()];
        int s = x.spatial();
        for (int p = 0; p < y.length; p++) {
            for (int k = 0; k < s; k++) {
                y[p] += x.v()[p * s + k];
            }
            y[p] /= s;
        }
        return new T(y, x.b(), x.c(), 1, 1);
    }

    /** Nearest upsampling by whole factors: each value over its block. */
    private static T upsample(T x, int sh, int sw) {
        int oh = x.h() * sh;
        int ow = x.w() * sw;
        double[] y = new double[x.b() * x.c() * oh * ow];
        for (int n = 0; n < x.b(); n++) {
            for (int ch = 0; ch < x.c(); ch++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        y[((n * x.c() + ch) * oh + i) * ow + j] = x.at(n, ch, i / sh, j / sw);
                    }
                }
            }
        }
        return new T(y, x.b(), x.c(), oh, ow);
    }

    /** Each plane's maximum (the first, as the backend's tie rule; random inputs have no ties). */
    private static T globalMaxPool(T x) {
        double[] y = new double[x.b() * x.c()];
        int s = x.spatial();
        for (int p = 0; p < y.length; p++) {
            y[p] = x.v()[p * s];
            for (int k = 1; k < s; k++) {
                y[p] = Math.max(y[p], x.v()[p * s + k]);
            }
        }
        return new T(y, x.b(), x.c(), 1, 1);
    }

    private static T flatten(T x) {
        return new T(x.v(), x.b(), x.c() * x.spatial(), 1, 1);
    }

    private static T dense(T x, double[] w, double[] bias, int out) {
        int in = x.c() * x.spatial();
        double[] y = new double[x.b() * out];
        for (int n = 0; n < x.b(); n++) {
            for (int o = 0; o < out; o++) {
                double s = bias == null ? 0 : bias[o];
                for (int i = 0; i < in; i++) {
                    s += x.v()[n * in + i] * w[o * in + i];
                }
                y[n * out + o] = s;
            }
        }
        return new T(y, x.b(), out, 1, 1);
    }

    // ---- the check ---------------------------------------------------------------------------

    /** Random biases (±0.5), BatchNorm γ of either sign with {@code 0.5 ≤ |γ| ≤ 1.5} and β (±0.5); weights as initialised. */
    private void randomize(Graph net, SplittableRandom rng) {
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer w && w.bias() != null) {
                cpu.upload(w.bias().value(), Check.uniform(rng, w.bias().size(), 0.5));
            } else if (l instanceof BatchNorm bn) {
                float[] g = new float[bn.channels()];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) ((0.5 + rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1));
                }
                cpu.upload(bn.gamma().value(), g);
                cpu.upload(bn.beta().value(), Check.uniform(rng, g.length, 0.5));
            }
        }
    }

    /**
     * Runs {@code net} forward (training mode) and backward with {@code dL/dlogits = r}, and checks the
     * reference's logits, every parameter's gradient and the input's (the gradient into node {@code x},
     * an identity on the input) against finite differences of {@code ref}.
     */
    private void check(String what, Graph net, int batch, Reference ref, SplittableRandom rng) {
        randomize(net, rng);
        int[] shape = net.inputShape();
        float[] xf = Check.uniform(rng, batch * net.inputSize(), 1.5);
        Tensor logits = net.forward(cpu.fromArray(xf, batch, net.inputSize()), true);
        float[] out = logits.toFloatArray();
        float[] r = Check.uniform(rng, out.length, 1);
        float[][] inputGrad = {null};
        BackwardHook atInput = (node, layer, g) -> {
            if (node.equals("x")) {
                inputGrad[0] = g.toFloatArray();
            }
        };
        net.addBackwardHook(atInput);
        net.backward(cpu.reshape(cpu.fromArray(r, r.length), logits.shape()));
        net.removeHook(atInput);

        Map<String, double[]> p = new LinkedHashMap<>();
        Map<String, Parameter> params = new LinkedHashMap<>();
        for (Graph.Node n : net.nodes()) {
            for (Parameter q : n.layer().parameters()) {
                p.put(n.name() + "." + q.name(), io.prune4j.testing.Naive.toDouble(q.value().toFloatArray()));
                params.put(n.name() + "." + q.name(), q);
            }
        }
        T x = new T(io.prune4j.testing.Naive.toDouble(xf), batch, shape[0], shape[1], shape[2]);
        double[] rd = io.prune4j.testing.Naive.toDouble(r);
        Check.close(what + ": forward, reference vs network", ref.logits(p, x).v(), out, 1e-5, 1e-4);
        DoubleSupplier loss = () -> {
            double[] z = ref.logits(p, x).v();
            double s = 0;
            for (int i = 0; i < z.length; i++) {
                s += rd[i] * z[i];
            }
            return s;
        };
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Check.close(what + ": dL/d" + e.getKey(), FiniteDifference.gradient(p.get(e.getKey()), loss), e.getValue().grad().toFloatArray(), ATOL, RTOL);
        }
        assertTrue(inputGrad[0] != null, what + ": no gradient reached the input node");
        Check.close(what + ": dL/dinput", FiniteDifference.gradient(x.v(), loss), inputGrad[0], ATOL, RTOL);
    }

    private static double[] w(Map<String, double[]> p, String node) {
        return p.get(node + ".weight");
    }

    private static double[] b(Map<String, double[]> p, String node) {
        return p.get(node + ".bias");
    }

    // ---- the graphs --------------------------------------------------------------------------

    /**
     * {@code x → conv → BN2d → ReLU → conv → BN2d → GAP → flatten → fc1 → BN1d → fc}: both kinds of
     * BatchNorm on the batch's statistics, whose gradient couples every example of the batch.
     */
    @ParameterizedTest(name = "BatchNorm, batch {0}, seed {1}")
    @CsvSource({"2,1", "3,2", "5,3"})
    void batchNormInTrainingMode(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 5);
        String x = g.identity("x", Graph.INPUT);
        String y = g.relu("r0", g.batchNorm("bn0", g.conv("c0", x, 3, 3, 1, 1, 1, true)));
        y = g.batchNorm("bn1", g.conv("c1", y, 4, 3, 1, 1));
        y = g.batchNorm("bn2", g.dense("fc1", g.flatten("flatten", g.globalAvgPool("gap", y)), 3));
        g.dense("fc", y, 2);
        try (Graph net = g.build()) {
            double eps = ((BatchNorm) net.layer("bn0")).eps();
            check("BatchNorm batch " + batch + " seed " + seed, net, batch, (p, in) -> {
                T h = relu(batchNorm(conv(in, w(p, "c0"), b(p, "c0"), 3, 3, 1, 1, 1), w(p, "bn0"), b(p, "bn0"), eps));
                h = batchNorm(conv(h, w(p, "c1"), null, 4, 3, 1, 1, 1), w(p, "bn1"), b(p, "bn1"), eps);
                h = batchNorm(dense(flatten(globalAvgPool(h)), w(p, "fc1"), b(p, "fc1"), 3), w(p, "bn2"), b(p, "bn2"), eps);
                return dense(h, w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * The input is read by two convolutions, their sum {@code y} by a convolution and twice by a
     * three-input add: every value read more than once gets the sum of its readers' gradients.
     */
    @ParameterizedTest(name = "Add with fan-out, batch {0}, seed {1}")
    @CsvSource({"1,4", "3,5"})
    void addWithFanOut(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 5, 4);
        String x = g.identity("x", Graph.INPUT);
        String y = g.add("y", g.conv("c1", x, 3, 3, 1, 1, 1, true), g.conv("c2", x, 3, 1, 1, 0, 1, false));
        String z = g.relu("r", g.add("z", y, g.conv("c3", y, 3, 3, 1, 1, 1, true), y));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", z)), 3);
        try (Graph net = g.build()) {
            check("Add fan-out batch " + batch, net, batch, (p, in) -> {
                T s = add(conv(in, w(p, "c1"), b(p, "c1"), 3, 3, 1, 1, 1), conv(in, w(p, "c2"), null, 3, 1, 1, 0, 1));
                T t = relu(add(s, conv(s, w(p, "c3"), b(p, "c3"), 3, 3, 1, 1, 1), s));
                return dense(flatten(globalAvgPool(t)), w(p, "fc"), b(p, "fc"), 3);
            }, rng);
        }
    }

    /** {@code concat(a, x, b, a)}: the input itself and branch {@code a} twice among the operands; each gets its slices' gradients. */
    @ParameterizedTest(name = "Concat, batch {0}, seed {1}")
    @CsvSource({"1,6", "2,7"})
    void concatenation(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 6);
        String x = g.identity("x", Graph.INPUT);
        String a = g.relu("ra", g.conv("a", x, 2, 3, 1, 1, 1, true));
        String bb = g.conv("b", x, 3, 1, 1, 0, 1, true);
        String y = g.conv("c", g.concat("cat", a, x, bb, a), 2, 3, 1, 1, 1, true);
        g.dense("fc", g.flatten("flatten", y), 3);
        try (Graph net = g.build()) {
            check("Concat batch " + batch, net, batch, (p, in) -> {
                T ta = relu(conv(in, w(p, "a"), b(p, "a"), 2, 3, 1, 1, 1));
                T tb = conv(in, w(p, "b"), b(p, "b"), 3, 1, 1, 0, 1);
                T tc = conv(concat(ta, in, tb, ta), w(p, "c"), b(p, "c"), 2, 3, 1, 1, 1);
                return dense(flatten(tc), w(p, "fc"), b(p, "fc"), 3);
            }, rng);
        }
    }

    /**
     * A convolution of 2 groups (4 → 6, bias), a depthwise one (stride 2, no bias), a pointwise one
     * without bias and a depthwise one with channel multiplier 2 (3 groups, 3 → 6, bias).
     */
    @ParameterizedTest(name = "grouped and depthwise, batch {0}, seed {1}")
    @CsvSource({"1,8", "2,9"})
    void groupedAndDepthwiseConvolutions(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 4, 5, 6);
        String x = g.identity("x", Graph.INPUT);
        String y = g.relu("r", g.conv("grouped", x, 6, 3, 1, 1, 2, true));
        y = g.depthwise("dw", y, 3, 2, 1);
        y = g.conv("pw", y, 3, 1, 1, 0);
        y = g.conv("dm", y, 6, 3, 1, 1, 3, true);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        try (Graph net = g.build()) {
            check("grouped/depthwise batch " + batch, net, batch, (p, in) -> {
                T h = relu(conv(in, w(p, "grouped"), b(p, "grouped"), 6, 3, 1, 1, 2));
                h = conv(h, w(p, "dw"), null, 6, 3, 2, 1, 6);
                h = conv(h, w(p, "pw"), null, 3, 1, 1, 0, 1);
                h = conv(h, w(p, "dm"), b(p, "dm"), 6, 3, 1, 1, 3);
                return dense(flatten(globalAvgPool(h)), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * SENet's squeeze-and-excitation as its PyTorch code writes it: pool, flatten, Dense, ReLU, Dense,
     * sigmoid, back to a one-pixel map ({@link Unflatten}) and the gate times the map.
     */
    @ParameterizedTest(name = "SE through Unflatten, batch {0}, seed {1}")
    @CsvSource({"1,20", "3,21"})
    void squeezeExcitationThroughAView(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 4);
        String x = g.identity("x", Graph.INPUT);
        String y = g.conv("c0", x, 4, 3, 1, 1, 1, true);
        String s = g.relu("sr", g.dense("sq", g.flatten("sf", g.globalAvgPool("sp", y)), 2));
        s = g.add(new Unflatten("view", cpu), g.sigmoid("gate", g.dense("ex", s, 4)));
        y = g.mul("scale", y, s);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 3);
        try (Graph net = g.build()) {
            check("SE through Unflatten batch " + batch, net, batch, (p, in) -> {
                T h = conv(in, w(p, "c0"), b(p, "c0"), 4, 3, 1, 1, 1);
                T e = relu(dense(flatten(globalAvgPool(h)), w(p, "sq"), b(p, "sq"), 2));
                e = dense(e, w(p, "ex"), b(p, "ex"), 4);
                double[] gv = e.v().clone();
                for (int i = 0; i < gv.length; i++) {
                    gv[i] = 1 / (1 + Math.exp(-gv[i]));
                }
                T gate = new T(gv, e.b(), 4, 1, 1);
                return dense(flatten(globalAvgPool(mul(h, gate))), w(p, "fc"), b(p, "fc"), 3);
            }, rng);
        }
    }

    /**
     * PReLU with one shared slope on maps, one slope per channel on maps and on the vector before the
     * classifier: the slopes' gradients (summed over the batch, the positions and, for the shared one,
     * the channels) and the input's, through both signs.
     */
    @ParameterizedTest(name = "PReLU, batch {0}, seed {1}")
    @CsvSource({"1,18", "3,19"})
    void prelu(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 4);
        String x = g.identity("x", Graph.INPUT);
        String y = g.add(new PRelu("p1", cpu, 3, new float[] {0.3f}, true), g.conv("c0", x, 3, 3, 1, 1, 1, true));
        y = g.add(new PRelu("p2", cpu, 3, new float[] {-0.4f, 0.2f, 1.5f}, true), g.conv("c1", y, 3, 3, 1, 1, 1, true));
        String f = g.add(new PRelu("p3", cpu, 3, new float[] {0.1f, 0.6f, -0.2f}, false), g.flatten("flatten", g.globalAvgPool("gap", y)));
        g.dense("fc", f, 2);
        try (Graph net = g.build()) {
            check("PReLU batch " + batch, net, batch, (p, in) -> {
                T h = prelu(conv(in, w(p, "c0"), b(p, "c0"), 3, 3, 1, 1, 1), w(p, "p1"));
                h = prelu(conv(h, w(p, "c1"), b(p, "c1"), 3, 3, 1, 1, 1), w(p, "p2"));
                return dense(prelu(flatten(globalAvgPool(h)), w(p, "p3")), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * Layer normalisation over the channels of maps (ConvNeXt's form) and over a vector, with a
     * {@link LayerScale} (ConvNeXt's layer scale, γ of either sign) between; the first normalisation
     * with one channel masked out ({@link LayerNorm#maskChannels}): its statistics then leave that
     * channel out and its output there is 0, which the reference writes as a normalisation over the
     * kept channels alone.
     */
    @ParameterizedTest(name = "LayerNorm, masked {0}, batch {1}, seed {2}")
    @CsvSource({"false,1,30", "false,3,31", "true,2,32", "true,3,33"})
    void layerNorm(boolean masked, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 3);
        String x = g.identity("x", Graph.INPUT);
        String y = g.add(LayerNorm.create(cpu, "ln1", 4, 1e-6f), g.conv("c0", x, 4, 3, 1, 1, 1, false));
        y = g.relu("r", g.add(new LayerScale("ls", cpu, new float[] {0.5f, -1.5f, 2f}, true), g.conv("c1", y, 3, 3, 1, 1, 1, false)));
        String f = g.add(LayerNorm.create(cpu, "ln2", 3, 1e-5f), g.flatten("flatten", g.globalAvgPool("gap", y)));
        g.dense("fc", f, 2);
        try (Graph net = g.build()) {
            double[] keep = {1, 1, 1, 1};
            if (masked) {
                keep[2] = 0;
                try (Tensor m = cpu.fromArray(new float[] {1, 1, 0, 1}, 4)) {
                    net.layer("ln1").maskChannels(m);
                }
            }
            check("LayerNorm masked " + masked + " batch " + batch, net, batch, (p, in) -> {
                T h = layerNorm(conv(in, w(p, "c0"), b(p, "c0"), 4, 3, 1, 1, 1), w(p, "ln1"), b(p, "ln1"), keep, 1e-6f);
                h = relu(scaled(conv(h, w(p, "c1"), b(p, "c1"), 3, 3, 1, 1, 1), w(p, "ls")));
                return dense(layerNorm(flatten(globalAvgPool(h)), w(p, "ln2"), b(p, "ln2"), new double[] {1, 1, 1}, 1e-5f), w(p, "fc"),
                        b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * Nearest upsampling 2×3 of a 3×2 map, its output concatenated with a convolution's and reduced by
     * a strided convolution: the gradient sums each block.
     */
    @ParameterizedTest(name = "Upsample, batch {0}, seed {1}")
    @CsvSource({"1,42", "2,43"})
    void upsampleNearest(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 3, 2);
        String y = g.conv("c0", g.identity("x", Graph.INPUT), 3, 3, 1, 1, 1, false);
        y = g.upsample("up", y, 2, 3);
        y = g.conv("c1", y, 2, 3, 2, 1, 1, true);
        g.dense("fc", g.flatten("flatten", y), 2);
        try (Graph net = g.build()) {
            check("Upsample batch " + batch, net, batch, (p, in) -> {
                T h = upsample(conv(in, w(p, "c0"), b(p, "c0"), 3, 3, 1, 1, 1), 2, 3);
                return dense(flatten(conv(h, w(p, "c1"), b(p, "c1"), 2, 3, 2, 1, 1)), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /** Global max pooling of a map that is not square (2 × 3 inputs, 4 × 3 after the convolution), beside an average pool. */
    @ParameterizedTest(name = "GlobalMaxPool, batch {0}, seed {1}")
    @CsvSource({"1,40", "3,41"})
    void globalMaxPool(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 3);
        String y = g.conv("c0", g.identity("x", Graph.INPUT), 4, 3, 1, 1, 1, false);
        y = g.add("sum", g.globalMaxPool("gmp", y), g.globalAvgPool("gap", y));
        g.dense("fc", g.flatten("flatten", y), 2);
        try (Graph net = g.build()) {
            check("GlobalMaxPool batch " + batch, net, batch, (p, in) -> {
                T h = conv(in, w(p, "c0"), b(p, "c0"), 4, 3, 1, 1, 1);
                T m = globalMaxPool(h);
                T a = globalAvgPool(h);
                double[] sum = m.v().clone();
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += a.v()[i];
                }
                return dense(flatten(new T(sum, m.b(), m.c(), 1, 1)), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * Group normalisation: two groups of three channels of a map, an instance norm ({@code groups = C})
     * and one group over a vector; the first with its second group masked out
     * ({@link GroupNorm#maskChannels}: γ and β 0 there, which the reference reads from the network).
     */
    @ParameterizedTest(name = "GroupNorm, masked {0}, batch {1}, seed {2}")
    @CsvSource({"false,1,34", "false,3,35", "true,2,36", "true,3,37"})
    void groupNorm(boolean masked, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 3);
        String y = g.groupNorm("gn1", g.conv("c0", g.identity("x", Graph.INPUT), 6, 3, 1, 1, 1, false), 2, 1e-5f);
        y = g.relu("r", g.groupNorm("in2", g.conv("c1", y, 3, 3, 1, 1, 1, false), 3, 1e-6f));
        String f = g.groupNorm("gn3", g.flatten("flatten", g.globalAvgPool("gap", y)), 1, 1e-5f);
        g.dense("fc", f, 2);
        try (Graph net = g.build()) {
            if (masked) {
                try (Tensor m = cpu.fromArray(new float[] {1, 1, 1, 0, 0, 0}, 6)) {
                    net.layer("gn1").maskChannels(m);
                }
                assertEquals(0f, net.layer("gn1").parameters().get(0).value().toFloatArray()[4], "γ of the masked group");
            }
            check("GroupNorm masked " + masked + " batch " + batch, net, batch, (p, in) -> {
                T h = groupNorm(conv(in, w(p, "c0"), b(p, "c0"), 6, 3, 1, 1, 1), w(p, "gn1"), b(p, "gn1"), 2, 1e-5f);
                h = relu(groupNorm(conv(h, w(p, "c1"), b(p, "c1"), 3, 3, 1, 1, 1), w(p, "in2"), b(p, "in2"), 3, 1e-6f));
                return dense(groupNorm(flatten(globalAvgPool(h)), w(p, "gn3"), b(p, "gn3"), 1, 1e-5f), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /** Per example and block of {@code C / groups} channels, {@code γ·(x − μ)/sqrt(σ² + eps) + β} over the block's values. */
    private static T groupNorm(T x, double[] gamma, double[] beta, int groups, float eps) {
        double[] y = new double[x.v().length];
        int m = x.c() / groups * x.spatial();
        for (int u = 0; u < x.b() * groups; u++) {
            double mean = 0;
            for (int i = 0; i < m; i++) {
                mean += x.v()[u * m + i];
            }
            mean /= m;
            double var = 0;
            for (int i = 0; i < m; i++) {
                double d = x.v()[u * m + i] - mean;
                var += d * d;
            }
            var /= m;
            for (int i = 0; i < m; i++) {
                int at = u * m + i;
                int c = (at / x.spatial()) % x.c();
                y[at] = gamma[c] * (x.v()[at] - mean) / Math.sqrt(var + (double) eps) + beta[c];
            }
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    /** Per example and position, {@code γ·(x − μ)/sqrt(σ² + eps) + β} over the channels where {@code keep} is 1; 0 at the others. */
    private static T layerNorm(T x, double[] gamma, double[] beta, double[] keep, float eps) {
        double[] y = new double[x.v().length];
        int s = x.spatial();
        double k = java.util.Arrays.stream(keep).sum();
        for (int n = 0; n < x.b(); n++) {
            for (int i = 0; i < s; i++) {
                double mean = 0;
                for (int c = 0; c < x.c(); c++) {
                    mean += keep[c] * x.v()[(n * x.c() + c) * s + i];
                }
                mean /= k;
                double var = 0;
                for (int c = 0; c < x.c(); c++) {
                    double d = x.v()[(n * x.c() + c) * s + i] - mean;
                    var += keep[c] * d * d;
                }
                var /= k;
                for (int c = 0; c < x.c(); c++) {
                    int at = (n * x.c() + c) * s + i;
                    y[at] = keep[c] * (gamma[c] * (x.v()[at] - mean) / Math.sqrt(var + (double) eps) + beta[c]);
                }
            }
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    /** {@code g[c]·x}, channel by channel. */
    private static T scaled(T x, double[] g) {
        double[] y = x.v().clone();
        for (int i = 0; i < y.length; i++) {
            y[i] *= g[(i / x.spatial()) % x.c()];
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    /** {@code x} where positive, else {@code a[c]·x} ({@code a} one value or one per channel). */
    private static T prelu(T x, double[] a) {
        double[] y = x.v().clone();
        for (int i = 0; i < y.length; i++) {
            int c = (i / x.spatial()) % x.c();
            y[i] = y[i] > 0 ? y[i] : a[a.length == 1 ? 0 : c] * y[i];
        }
        return new T(y, x.b(), x.c(), x.h(), x.w());
    }

    /**
     * An input normalisation ({@code x · s + b} per channel, as ONNX files carry it) before a
     * convolution, and a scale without shift on the vector before the classifier: the gradient goes
     * through both as the scale alone.
     */
    @ParameterizedTest(name = "channel affine, batch {0}, seed {1}")
    @CsvSource({"1,16", "3,17"})
    void channelAffine(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 3, 4, 4);
        String x = g.identity("x", Graph.INPUT);
        float[] s = {2f, -0.5f, 1.25f};
        float[] b = {-0.3f, 0.1f, 0.7f};
        String y = g.conv("c0", g.add(new ChannelAffine("norm", cpu, s, b, true), x), 4, 3, 1, 1, 1, true);
        float[] t = {0.5f, -2f, 1f, 3f};
        String f = g.add(new ChannelAffine("temp", cpu, t, new float[4], false), g.flatten("flatten", g.globalAvgPool("gap", y)));
        g.dense("fc", f, 2);
        try (Graph net = g.build()) {
            check("channel affine batch " + batch, net, batch, (p, in) -> {
                double[] v = in.v().clone();
                for (int i = 0; i < v.length; i++) {
                    int c = (i / in.spatial()) % in.c();
                    v[i] = v[i] * s[c] + b[c];
                }
                T h = conv(new T(v, in.b(), in.c(), in.h(), in.w()), w(p, "c0"), b(p, "c0"), 4, 3, 1, 1, 1);
                T flat = flatten(globalAvgPool(h));
                double[] u = flat.v().clone();
                for (int i = 0; i < u.length; i++) {
                    u[i] *= t[i % 4];
                }
                return dense(new T(u, flat.b(), flat.c(), 1, 1), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * ShuffleNet's unit: a channel split into two slices (one read by a convolution, one passed on),
     * a concat, a channel shuffle in 2 groups, an uneven slice pair and a shuffle in 3 groups, on
     * maps and on vectors (a slice and a shuffle after the flatten); the slices' gradients are zero
     * outside their ranges and the shuffles' go back through the inverse permutation.
     */
    @ParameterizedTest(name = "slices and shuffles, batch {0}, seed {1}")
    @CsvSource({"1,14", "3,15"})
    void slicesAndShuffles(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 5);
        String x = g.identity("x", Graph.INPUT);
        String y = g.conv("c0", x, 6, 3, 1, 1, 1, true);
        String a = g.slice("a", y, 0, 3);
        String b = g.relu("rb", g.conv("cb", g.slice("b", y, 3, 3), 3, 3, 1, 1, 1, true));
        y = g.shuffle("s1", g.concat("cat", a, b), 2);
        String u = g.slice("u", y, 0, 2);
        String v = g.conv("cv", g.slice("v", y, 2, 4), 4, 1, 1, 0, 1, true);
        y = g.shuffle("s2", g.concat("cat2", v, u), 3);
        String f = g.flatten("flatten", g.globalAvgPool("gap", y));
        g.dense("fc", g.shuffle("s3", g.slice("f", f, 1, 4), 2), 3);
        try (Graph net = g.build()) {
            check("slices and shuffles batch " + batch, net, batch, (p, in) -> {
                T h = conv(in, w(p, "c0"), b(p, "c0"), 6, 3, 1, 1, 1);
                T tb = relu(conv(slice(h, 3, 3), w(p, "cb"), b(p, "cb"), 3, 3, 1, 1, 1));
                h = shuffle(concat(slice(h, 0, 3), tb), 2);
                T tv = conv(slice(h, 2, 4), w(p, "cv"), b(p, "cv"), 4, 1, 1, 0, 1);
                h = shuffle(concat(tv, slice(h, 0, 2)), 3);
                T flat = flatten(globalAvgPool(h));
                return dense(shuffle(slice(flat, 1, 4), 2), w(p, "fc"), b(p, "fc"), 3);
            }, rng);
        }
    }

    /**
     * Average pooling 3×3 stride 2 padded by 1 (where counting the padding or not differs at every
     * border patch), then 2×2 stride 2 on an odd-sized map (the last row and column dropped), and a
     * global average pool on a branch, concatenated with the flattened map.
     */
    @ParameterizedTest(name = "average pooling, countIncludePad={0}")
    @ValueSource(booleans = {true, false})
    void averagePooling(boolean countIncludePad) {
        long seed = countIncludePad ? 10 : 11;
        SplittableRandom rng = new SplittableRandom(seed);
        int batch = 2;
        GraphBuilder g = Graph.builder(cpu, seed, 2, 7, 6);
        String x = g.identity("x", Graph.INPUT);
        String y = g.add(new AvgPool2d("pool1", cpu, 3, 2, 1, countIncludePad), g.conv("c0", x, 3, 3, 1, 1, 1, true));
        y = g.conv("c1", y, 2, 3, 1, 1, 1, true);                                        // 2 × 4 × 3
        String pooled = g.flatten("flat1", g.add(new AvgPool2d("pool2", cpu, 2, 2, 0, countIncludePad), y)); // 2 × 2 × 1
        String global = g.flatten("flat2", g.globalAvgPool("gap", y));
        g.dense("fc", g.concat("cat", pooled, global), 3);
        try (Graph net = g.build()) {
            check("avgPool countIncludePad=" + countIncludePad, net, batch, (p, in) -> {
                T h = avgPool(conv(in, w(p, "c0"), b(p, "c0"), 3, 3, 1, 1, 1), 3, 2, 1, countIncludePad);
                h = conv(h, w(p, "c1"), b(p, "c1"), 2, 3, 1, 1, 1);
                T f = concat(flatten(avgPool(h, 2, 2, 0, countIncludePad)), flatten(globalAvgPool(h)));
                return dense(f, w(p, "fc"), b(p, "fc"), 3);
            }, rng);
        }
    }

    /**
     * Uneven zero padding in front of a convolution padded by 0 and of an average pooling, as an
     * imported Inception or {@code auto_pad SAME} network reads: the gradient is the padded
     * gradient's window, on maps of odd and even extents.
     */
    @ParameterizedTest(name = "zero padding, batch {0}, seed {1}")
    @CsvSource({"1,20", "3,21"})
    void zeroPadding(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 5, 4);
        String x = g.identity("x", Graph.INPUT);
        String y = g.conv("c0", g.zeroPad("pad0", x, 1, 0, 2, 1), 3, 3, 1, 0, 1, true);       // 3 × 4 × 5
        y = g.avgPool("pool", g.zeroPad("pad1", y, 0, 1, 0, 1), 2, 2, 0);                     // 3 × 2 × 3
        g.dense("fc", g.flatten("flatten", y), 2);
        try (Graph net = g.build()) {
            check("zero padding", net, batch, (p, in) -> {
                T h = conv(zeroPad(in, 1, 0, 2, 1), w(p, "c0"), b(p, "c0"), 3, 3, 1, 0, 1);
                h = avgPool(zeroPad(h, 0, 1, 0, 1), 2, 2, 0, true);
                return dense(flatten(h), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
        }
    }

    /**
     * ReLU6 and a clamp to {@code [−1, 2]} on pre-activations large enough to pass both bounds (the
     * test checks that they do): the gradient passes strictly between the bounds only.
     */
    @ParameterizedTest(name = "ReLU6, batch {0}, seed {1}")
    @CsvSource({"1,12", "3,13"})
    void relu6AndClamp(int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 4);
        String x = g.identity("x", Graph.INPUT);
        String y = g.relu6("r6", g.conv("c0", x, 3, 3, 1, 1, 1, true));
        y = g.add(new Clamp("clip", cpu, -1f, 2f), g.conv("c1", y, 3, 3, 1, 1, 1, true));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        try (Graph net = g.build()) {
            // weights large enough that some pre-activations pass 6 and some fall below −1
            Conv2d c0 = (Conv2d) net.layer("c0");
            Conv2d c1 = (Conv2d) net.layer("c1");
            cpu.upload(c0.weight().value(), Check.uniform(rng, c0.weight().size(), 4));
            cpu.upload(c1.weight().value(), Check.uniform(rng, c1.weight().size(), 1.5));
            int[] beyond = new int[4];
            ForwardHook count = (node, layer, in, out) -> {
                if (node.equals("c0") || node.equals("c1")) {
                    double hi = node.equals("c0") ? 6 : 2;
                    double lo = node.equals("c0") ? 0 : -1;
                    int k = node.equals("c0") ? 0 : 2;
                    for (float v : out.toFloatArray()) {
                        beyond[k] += v > hi ? 1 : 0;
                        beyond[k + 1] += v < lo ? 1 : 0;
                    }
                }
            };
            net.addForwardHook(count);
            check("ReLU6/clamp batch " + batch, net, batch, (p, in) -> {
                T h = clamp(conv(in, w(p, "c0"), b(p, "c0"), 3, 3, 1, 1, 1), 0, 6);
                h = clamp(conv(h, w(p, "c1"), b(p, "c1"), 3, 3, 1, 1, 1), -1, 2);
                return dense(flatten(globalAvgPool(h)), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
            net.removeHook(count);
            for (int k = 0; k < 4; k++) {
                assertTrue(beyond[k] > 0, "seed " + seed + ": no pre-activation beyond bound " + k + " (c0 > 6, c0 < 0, c1 > 2, c1 < −1): "
                        + java.util.Arrays.toString(beyond));
            }
        }
    }

    /**
     * Every activation layer between two convolutions, {@code x → c0 → act → c1 → GAP → fc}, on
     * pre-activations spread over [−6, 6] (the test checks that each kink has values on both sides).
     */
    @ParameterizedTest(name = "activation {0}")
    @MethodSource("io.prune4j.testing.Activations#all")
    void activationLayers(Activations.Case c) {
        long seed = 20 + c.kind().ordinal();
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 4);
        String x = g.identity("x", Graph.INPUT);
        String y = g.activation("act", g.conv("c0", x, 3, 3, 1, 1, 1, true), c.kind(), c.alpha(), c.beta());
        y = g.conv("c1", y, 3, 3, 1, 1, 1, true);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        try (Graph net = g.build()) {
            Conv2d c0 = (Conv2d) net.layer("c0");
            cpu.upload(c0.weight().value(), Check.uniform(rng, c0.weight().size(), 2));
            double[] kinks = c.kinks();
            int[][] sides = new int[kinks.length][2];
            ForwardHook count = (node, layer, in, out) -> {
                if (node.equals("c0")) {
                    for (float v : out.toFloatArray()) {
                        for (int k = 0; k < kinks.length; k++) {
                            sides[k][v < kinks[k] ? 0 : 1]++;
                        }
                    }
                }
            };
            net.addForwardHook(count);
            check(c + " seed " + seed, net, 2, (p, in) -> {
                T h = activation(conv(in, w(p, "c0"), b(p, "c0"), 3, 3, 1, 1, 1), c);
                h = conv(h, w(p, "c1"), b(p, "c1"), 3, 3, 1, 1, 1);
                return dense(flatten(globalAvgPool(h)), w(p, "fc"), b(p, "fc"), 2);
            }, rng);
            net.removeHook(count);
            for (int k = 0; k < kinks.length; k++) {
                assertTrue(sides[k][0] > 0 && sides[k][1] > 0, c + ": pre-activations on one side of the kink at " + kinks[k] + " only: "
                        + java.util.Arrays.toString(sides[k]));
            }
        }
    }

    /**
     * A squeeze-and-excitation block, {@code h → GAP → 1×1 conv → ReLU → 1×1 conv → HardSigmoid → s ⊙ h}
     * (the gate as the first input or the second), then SiLU, {@code y ⊙ sigmoid(y)}, and a square
     * {@code z ⊙ z}: one value as both inputs of a product gets the sum of both gradients.
     */
    @ParameterizedTest(name = "products, gate first {0}")
    @ValueSource(booleans = {true, false})
    void products(boolean gateFirst) {
        long seed = gateFirst ? 30 : 31;
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(cpu, seed, 2, 4, 5);
        String x = g.identity("x", Graph.INPUT);
        String h = g.conv("c0", x, 4, 3, 1, 1, 1, true);
        String e = g.relu("r", g.conv("squeeze", g.globalAvgPool("gap", h), 2, 1, 1, 0, 1, true));
        String s = g.hardSigmoid("gate", g.conv("excite", e, 4, 1, 1, 0, 1, true));
        String y = gateFirst ? g.mul("se", s, h) : g.mul("se", h, s);
        String z = g.mul("silu", y, g.sigmoid("sig", y));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("pool", g.mul("square", z, z))), 3);
        Activations.Case hardSigmoid = new Activations.Case(io.prune4j.backend.ActivationKind.HARD_SIGMOID, Activation.HARD_SIGMOID_ALPHA,
                Activation.HARD_SIGMOID_BETA);
        Activations.Case sigmoid = new Activations.Case(io.prune4j.backend.ActivationKind.SIGMOID, 0f, 0f);
        try (Graph net = g.build()) {
            check("products, gate first " + gateFirst, net, 2, (p, in) -> {
                T th = conv(in, w(p, "c0"), b(p, "c0"), 4, 3, 1, 1, 1);
                T te = relu(conv(globalAvgPool(th), w(p, "squeeze"), b(p, "squeeze"), 2, 1, 1, 0, 1));
                T ts = activation(conv(te, w(p, "excite"), b(p, "excite"), 4, 1, 1, 0, 1), hardSigmoid);
                T ty = gateFirst ? mul(ts, th) : mul(th, ts);
                T tz = mul(ty, activation(ty, sigmoid));
                return dense(flatten(globalAvgPool(mul(tz, tz))), w(p, "fc"), b(p, "fc"), 3);
            }, rng);
        }
    }
}
