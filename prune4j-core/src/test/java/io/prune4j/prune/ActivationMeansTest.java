package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bias compensation keeps the mean of the next layer's output: the logits of a one-hidden-layer MLP
 * are linear in the hidden activations, so after folding the removed units' mean activation into
 * the output bias, the mean logits over the calibration inputs must not move.
 */
class ActivationMeansTest {
    private final Backend cpu = new CpuBackend(1);

    private static double[] columnMeans(float[] x, int rows, int cols) {
        double[] m = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                m[c] += x[r * cols + c] / (double) rows;
            }
        }
        return m;
    }

    @Test
    void compensationKeepsTheMeanOutput() {
        SplittableRandom rng = new SplittableRandom(4);
        int batch = 41;
        Graph net = Models.mlp(cpu, 9, new int[] {13}, 5, 2);
        Tensor x = cpu.fromArray(Check.randn(rng, batch * 9, 2), batch, 9);
        double[] before = columnMeans(net.forward(x, false).toFloatArray(), batch, 5);

        List<String> layers = List.of("fc1");
        List<Tensor> masks = List.of(cpu.fromArray(new float[] {1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0}, 13));
        try (ActivationMeans means = new ActivationMeans(net, layers)) {
            net.forward(x, false);
            means.detach();
            java.util.Map<String, Tensor> channels = Plans.channelMasks(net, layers, masks);
            means.compensate(channels);
            channels.values().forEach(Tensor::close);
        }
        Plans.compact(net, layers, masks);
        double[] after = columnMeans(net.forward(x, false).toFloatArray(), batch, 5);
        Check.close("mean logits", before, toFloat(after), 1e-5, 1e-4);

        Graph plain = Models.mlp(cpu, 9, new int[] {13}, 5, 2);
        Plans.compact(plain, layers, masks);
        double[] uncompensated = columnMeans(plain.forward(x, false).toFloatArray(), batch, 5);
        double shift = 0;
        for (int c = 0; c < 5; c++) {
            shift += Math.abs(uncompensated[c] - before[c]);
        }
        org.junit.jupiter.api.Assertions.assertTrue(shift > 1e-3, "without compensation the mean moves (" + shift + ")");
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
