package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Naive;
import io.prune4j.train.DeviceData;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Channel scores of a small CNN ({@code [2, 6, 5] → conv 3 → pool → conv 4 → pool → fc 5 → 3}) against
 * a double-precision forward pass with finite differences. The Taylor reference needs no gradient
 * code: scaling channel {@code c} of a feature map by {@code 1 + ε} changes the loss by
 * {@code ε · Σ_positions a·∂L/∂a}, so {@code dL/dε} is the channel's summed activation×gradient.
 */
class ConvScorerTest {
    private static final double H = 1e-6;
    private static final int N = 11;
    private static final int[] SHAPE = {2, 6, 5};
    private static final int CLASSES = 3;

    private final Backend cpu = new CpuBackend(1);
    private final SplittableRandom rng = new SplittableRandom(23);
    private final float[] x = Check.randn(rng, N * 60, 1.2);
    private final int[] y = Check.randint(rng, N, CLASSES);
    private final Graph net = Models.cnn(cpu, SHAPE, new int[] {3, 4}, 5, CLASSES, 8);
    private final DeviceData data = DeviceData.upload(cpu, new Dataset("toy", x, y, N, 60, CLASSES, SHAPE));
    private final double[][] p = new double[8][];
    private final double[] xd = Naive.toDouble(x);

    ConvScorerTest() {
        List<Parameter> ps = net.parameters();
        SplittableRandom b = new SplittableRandom(4);
        for (int i = 0; i < ps.size(); i++) {
            if (ps.get(i).name().equals("bias")) {
                // non-zero biases, so that some channels are off for some examples (APoZ is not trivial)
                cpu.upload(ps.get(i).value(), Check.randn(b, ps.get(i).size(), 0.3));
            }
            p[i] = Naive.toDouble(ps.get(i).value().toFloatArray());
        }
    }

    /** Feature maps after conv1 (layer 0) and conv2 (layer 2), post-ReLU, and the mean loss; {@code scale} multiplies one channel. */
    private double forward(int layer, int channel, int example, double scale, double[][] maps) {
        double[] h1 = Naive.conv2d(xd, N, 2, 6, 5, p[0], p[1], 3, 3, 3, 1, 1, true);           // [N, 3, 6, 5]
        scaleChannel(h1, 3, 30, layer == 0 ? channel : -1, example, scale);
        double[] q1 = Naive.maxPool2d(h1, N * 3, 6, 5, 2, 2);                                     // [N, 3, 3, 2]
        double[] h2 = Naive.conv2d(q1, N, 3, 3, 2, p[2], p[3], 4, 3, 3, 1, 1, true);             // [N, 4, 3, 2]
        scaleChannel(h2, 4, 6, layer == 2 ? channel : -1, example, scale);
        double[] q2 = Naive.maxPool2d(h2, N * 4, 3, 2, 2, 2);                                     // [N, 4, 1, 1]
        double[] f = Naive.dense(q2, N, 4, p[4], p[5], 5, true);
        double[] z = Naive.dense(f, N, 5, p[6], p[7], CLASSES, false);
        if (maps != null) {
            maps[0] = h1;
            maps[1] = h2;
        }
        return Naive.crossEntropy(z, y, N, CLASSES);
    }

    private static void scaleChannel(double[] h, int channels, int plane, int channel, int example, double scale) {
        if (channel < 0) {
            return;
        }
        for (int b = 0; b < N; b++) {
            if (example >= 0 && b != example) {
                continue;
            }
            for (int s = 0; s < plane; s++) {
                h[(b * channels + channel) * plane + s] *= scale;
            }
        }
    }

    /** {@code dL/dε} for scaling {@code channel} of {@code layer} (in {@code example}, or all when −1) by {@code 1 + ε}. */
    private double channelDerivative(int layer, int channel, int example) {
        return (forward(layer, channel, example, 1 + H, null) - forward(layer, channel, example, 1 - H, null)) / (2 * H);
    }

    private float[] score(Criterion c, Granularity g, int layer) {
        List<Tensor> s = Calibration.score(c, 3, net, List.of(net.nodes().get(layer).name()), g, data, 1, 9, null);
        assertEquals(1, s.size());
        return s.get(0).toFloatArray();
    }

    @Test
    void taylorOnFeatureMapsAveragesOverPositionsFirst() {
        int[] layers = {0, 2};
        int[] channels = {3, 4};
        int[] plane = {30, 6};
        for (int l = 0; l < 2; l++) {
            double[] signed = new double[channels[l]];
            double[] abs = new double[channels[l]];
            for (int c = 0; c < channels[l]; c++) {
                signed[c] = Math.abs(channelDerivative(layers[l], c, -1)) / plane[l];
                for (int b = 0; b < N; b++) {
                    abs[c] += Math.abs(channelDerivative(layers[l], c, b)) / plane[l];
                }
            }
            Check.close("taylor conv" + (l + 1), signed, score(Criterion.TAYLOR, Granularity.UNIT, layers[l]), 1e-6, 1e-3);
            Check.close("taylor-abs conv" + (l + 1), abs, score(Criterion.TAYLOR_ABS, Granularity.UNIT, layers[l]), 1e-6, 1e-3);
        }
    }

    @Test
    void filterNormsAndApozPerChannel() {
        double[] l2 = new double[4];
        double[] l1 = new double[4];
        for (int i = 0; i < p[2].length; i++) {
            l2[i / 27] += p[2][i] * p[2][i];
            l1[i / 27] += Math.abs(p[2][i]);
        }
        for (int c = 0; c < 4; c++) {
            l2[c] = Math.sqrt(l2[c]);
        }
        Check.close("filter L2", l2, score(Criterion.MAGNITUDE, Granularity.UNIT, 2), 1e-6, 1e-5);
        Check.close("filter L1", l1, score(Criterion.MAGNITUDE_L1, Granularity.UNIT, 2), 1e-6, 1e-5);
        float[] w = score(Criterion.MAGNITUDE, Granularity.WEIGHT, 2);
        assertEquals(4 * 3 * 3 * 3, w.length);

        double[][] maps = new double[2][];
        forward(-1, -1, -1, 1, maps);
        double[] freq = new double[3];
        for (int b = 0; b < N; b++) {
            for (int c = 0; c < 3; c++) {
                int on = 0;
                for (int s = 0; s < 30; s++) {
                    on += maps[0][(b * 3 + c) * 30 + s] > 0 ? 1 : 0;
                }
                freq[c] += on / 30.0 / N;
            }
        }
        Check.close("activation frequency per channel", freq, score(Criterion.APOZ, Granularity.UNIT, 0), 1e-6, 1e-5);
    }

    @Test
    void compositeSharesEachInputChannelsFrequencyAcrossItsKernel() {
        // s_n = Σ_j |w_j| |g_j| f_j / Σ_j |w_j| over filter n's weights j = (c, u, v), f_j the frequency of input channel c
        double[][] maps = new double[2][];
        forward(-1, -1, -1, 1, maps);
        double[] q1 = Naive.maxPool2d(maps[0], N * 3, 6, 5, 2, 2);
        double[] freq = new double[3];
        for (int b = 0; b < N; b++) {
            for (int c = 0; c < 3; c++) {
                int on = 0;
                for (int s = 0; s < 6; s++) {
                    on += q1[(b * 3 + c) * 6 + s] > 0 ? 1 : 0;
                }
                freq[c] += on / 6.0 / N;
            }
        }
        double[] g = new double[p[2].length];
        for (int i = 0; i < g.length; i++) {
            double v = p[2][i];
            p[2][i] = v + H;
            double up = forward(-1, -1, -1, 1, null);
            p[2][i] = v - H;
            double down = forward(-1, -1, -1, 1, null);
            p[2][i] = v;
            g[i] = (up - down) / (2 * H);
        }
        double[] expected = new double[4];
        for (int n = 0; n < 4; n++) {
            double num = 0;
            double den = 0;
            for (int j = 0; j < 27; j++) {
                double aw = Math.abs(p[2][n * 27 + j]);
                num += aw * Math.abs(g[n * 27 + j]) * freq[j / 9];
                den += aw;
            }
            expected[n] = num / den;
        }
        Check.close("composite conv2", expected, score(Criterion.COMPOSITE, Granularity.UNIT, 2), 1e-6, 1e-3);
    }
}
