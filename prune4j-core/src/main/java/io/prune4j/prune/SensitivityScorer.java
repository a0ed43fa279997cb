package io.prune4j.prune;

import io.prune4j.backend.Normalization;
import io.prune4j.backend.Transform;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient sensitivity: how strongly the loss reacts to each weight, {@code |∂L/∂w|}, normalised by
 * the sum of magnitudes in its layer so that layers compare (Mozer &amp; Smolensky 1989 and Karnin
 * 1990 in spirit; the global/local split follows the pruning-criteria surveys).
 * <ul>
 *   <li>global: the gradient summed over the whole calibration set, then {@code |G| / Σ|G|};</li>
 *   <li>local: per batch {@code |g_b| / Σ|g_b|}, averaged over batches (directions that cancel across
 *       batches still count);</li>
 *   <li>combined ({@link Criterion#SENSITIVITY}): the mean of the two.</li>
 * </ul>
 * A unit's score is the sum over its incoming weights.
 */
final class SensitivityScorer extends AbstractScorer {
    enum Mode { GLOBAL, LOCAL, COMBINED }

    private final Mode mode;
    private final List<Tensor> global = new ArrayList<>();
    private final List<Tensor> local = new ArrayList<>();

    SensitivityScorer(Mode mode) {
        this.mode = mode;
    }

    @Override
    protected void install() {
        for (int s = 0; s < layers.size(); s++) {
            int[] shape = weightLayer(s).weight().value().shape();
            global.add(backend.zeros(DType.FLOAT32, shape));
            local.add(backend.zeros(DType.FLOAT32, shape));
        }
    }

    @Override
    protected void accumulateBatch() {
        for (int s = 0; s < layers.size(); s++) {
            Tensor g = weightLayer(s).weight().grad();
            if (mode != Mode.LOCAL) {
                backend.accumulate(global.get(s), g, 1f, Transform.IDENTITY);
            }
            if (mode != Mode.GLOBAL) {
                backend.accumulateNormalizedAbs(local.get(s), g);
            }
        }
    }

    @Override
    protected void complete() {
        for (int s = 0; s < layers.size(); s++) {
            Tensor score = backend.zeros(DType.FLOAT32, weightLayer(s).weight().value().shape());
            float share = mode == Mode.COMBINED ? 0.5f : 1f;
            if (mode != Mode.LOCAL) {
                Tensor g = global.get(s);
                Tensor abs = backend.zeros(DType.FLOAT32, g.shape());
                backend.accumulate(abs, g, 1f, Transform.ABS);
                backend.normalize(abs, Normalization.L1);
                backend.accumulate(score, abs, share, Transform.IDENTITY);
                abs.close();
            }
            if (mode != Mode.GLOBAL) {
                backend.accumulate(score, local.get(s), share * perBatch(), Transform.IDENTITY);
            }
            Tensor old = acc.set(s, granularity == Granularity.UNIT ? unitSums(score) : score);
            old.close();
        }
        releaseExtra();
    }

    private void releaseExtra() {
        local.forEach(Tensor::close);
        local.clear();
        global.forEach(Tensor::close);
        global.clear();
    }

    @Override
    public void close() {
        releaseExtra();
        super.close();
    }
}
