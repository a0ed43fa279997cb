package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Weight × gradient × activation frequency: for unit {@code n} with incoming weights {@code w_j},
 * their mean gradient magnitudes {@code |g_j|} over the calibration batches and the activation
 * frequency {@code f_j} of input {@code j},
 * {@code s_n = Σ_j |w_j|·|g_j|·f_j / Σ_j |w_j|}: a weight-averaged sensitivity that ignores inputs
 * which are rarely active. The network's own inputs count as always active ({@code f = 1}); the
 * inputs of later layers are the previous layer's outputs, counted after its ReLU.
 */
final class CompositeScorer extends AbstractScorer {
    private final List<Tensor> gradAbs = new ArrayList<>();
    private final List<Tensor> inputActive = new ArrayList<>();
    private int[] inputExamples;

    @Override
    public Criterion criterion() {
        return Criterion.COMPOSITE;
    }

    @Override
    protected void install() {
        inputExamples = new int[targets.size()];
        for (WeightLayer d : targets) {
            gradAbs.add(backend.zeros(DType.FLOAT32, d.weight().value().shape()));
            // one frequency per input feature, or per input channel of a convolution (spatial fraction)
            inputActive.add(backend.zeros(DType.FLOAT32, d.inputUnits()));
        }
        addForwardHook((i, layer, a) -> {
            // the output of layer i is the input of layer i + 1
            int s = slot(i + 1);
            if (s >= 0) {
                backend.countPositive(inputActive.get(s), a);
                inputExamples[s] += a.dim(0);
            }
        });
    }

    @Override
    protected void accumulateBatch() {
        for (int s = 0; s < targets.size(); s++) {
            backend.accumulate(gradAbs.get(s), targets.get(s).weight().grad(), 1f, Transform.ABS);
        }
    }

    @Override
    protected void complete() {
        for (int s = 0; s < targets.size(); s++) {
            Tensor freq = inputActive.get(s);
            if (inputExamples[s] == 0) {
                backend.fill(freq, 1f);
            } else {
                backend.scale(freq, 1f / inputExamples[s]);
            }
            backend.scale(gradAbs.get(s), perBatch());
            backend.compositeScores(acc.get(s), targets.get(s).weight().value(), gradAbs.get(s), freq);
        }
        release();
    }

    private void release() {
        gradAbs.forEach(Tensor::close);
        inputActive.forEach(Tensor::close);
        gradAbs.clear();
        inputActive.clear();
    }

    @Override
    public void close() {
        release();
        super.close();
    }
}
