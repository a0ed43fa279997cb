package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import java.util.List;

/**
 * The one-shot methods that prune layer by layer on calibration inputs, {@link Criterion#WANDA} and
 * {@link Criterion#SPARSEGPT}. Layers go in network order; each reads its inputs in the network as
 * pruned so far (the layers before it already masked, and for SparseGPT updated), as both papers do,
 * and is masked before the next one is measured. The inputs' second moments {@code H = mean(x xᵀ)}
 * come from {@link Reconstruction#inputGram}, the same accumulation {@code --reconstruct} uses
 * (Dense inputs, or a convolution's im2col patches).
 *
 * <ul>
 *   <li><b>Wanda</b> (Sun, Liu, Bair &amp; Kolter 2023, "A Simple and Effective Pruning Approach for
 *   Large Language Models"): the score of {@code W_ij} is {@code |W_ij|·‖X_j‖₂}, with
 *   {@code ‖X_j‖₂ = sqrt(H_jj)} up to a constant; weights are compared within their output row
 *   (every row loses the same fraction) or, with a pattern, within their group; no update.</li>
 *   <li><b>SparseGPT</b>: {@link SparseGpt}, mask and OBS update from {@code H} with dampening
 *   {@link Reconstruction#DAMPING}.</li>
 * </ul>
 * Both run on the host (the moments are accumulated on the backend; one copy of {@code H} and of the
 * weight down, the mask and the weight up, per layer).
 */
final class LayerwisePruning {
    private LayerwisePruning() {}

    /** Fails, naming the layer, for a layer whose inputs the moments cannot be read for (grouped convolutions, several inputs). */
    static void check(Graph net, List<String> layers, Criterion c) {
        for (String name : layers) {
            if (!Reconstruction.gramOf(net, net.indexOf(name))) {
                throw new InvalidSettingException(c.cliName() + " prunes Dense layers and one-group convolutions; "
                        + net.layer(name).describe() + " is neither: keep " + name + " out of pruning");
            }
        }
    }

    /**
     * Prunes {@code layers} of {@code net} in network order to {@code sparsity} (or {@code pattern}),
     * installing each layer's mask (and SparseGPT's updated weights) before the next is measured.
     */
    static void prune(Graph net, List<String> layers, Criterion c, double sparsity, NmPattern pattern, DeviceData data, int batches,
                      long seed, Reconstruction.Progress progress) {
        Backend b = net.backend();
        progress.started(layers.size(), Calibration.batchCount(data, batches));
        for (String name : layers) {
            WeightLayer d = Compaction.weightLayer(net, name);
            int rows = d.units();
            int cols = d.weight().size() / rows;
            double[] h = Reconstruction.inputGram(net, net.indexOf(name), data, batches, seed, progress);
            float[] w = b.toFloatArray(d.weight().value());
            float[] prior = d.weight().mask() == null ? null : b.toFloatArray(d.weight().mask());
            float[] keep;
            if (c == Criterion.WANDA) {
                keep = wandaMask(w, rows, cols, h, sparsity, pattern, prior);
            } else {
                double[] wd = new double[w.length];
                for (int i = 0; i < w.length; i++) {
                    wd[i] = w[i];
                }
                keep = SparseGpt.prune(wd, rows, cols, h, sparsity, pattern, prior, Reconstruction.DAMPING);
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) wd[i];
                }
                b.upload(d.weight().value(), w);
            }
            Tensor mask = b.fromArray(keep, d.weight().value().shape());
            d.weight().setMask(mask);
        }
    }

    /**
     * Wanda's mask of {@code w [rows, cols]}: per row (or per group of {@code pattern.m()}), the
     * highest {@code |w_ij|·sqrt(H_jj)} stay; {@code round((1 − sparsity)·cols)} per row. Entries a
     * prior mask removed go first.
     */
    static float[] wandaMask(float[] w, int rows, int cols, double[] h, double sparsity, NmPattern pattern, float[] prior) {
        float[] s = new float[w.length];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                s[i] = prior != null && prior[i] == 0 ? Float.NEGATIVE_INFINITY
                        : (float) (Math.abs(w[i]) * Math.sqrt(Math.max(0, h[j * cols + j])));
            }
        }
        if (pattern != null) {
            return NmPattern.keepTopInGroups(s, pattern.m(), pattern.n());
        }
        int keep = Math.max(0, cols - (int) Math.round(sparsity * cols));
        return NmPattern.keepTopInGroups(s, cols, keep);
    }
}
