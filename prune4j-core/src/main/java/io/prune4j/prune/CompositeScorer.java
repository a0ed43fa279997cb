package io.prune4j.prune;

import io.prune4j.backend.Transform;
import io.prune4j.nn.Graph;
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
    protected void install() {
        inputExamples = new int[layers.size()];
        boolean[] fromInput = new boolean[layers.size()];
        for (int s = 0; s < layers.size(); s++) {
            WeightLayer d = weightLayer(s);
            gradAbs.add(backend.zeros(DType.FLOAT32, d.weight().value().shape()));
            // one frequency per input feature, or per input channel of a convolution (spatial fraction)
            inputActive.add(backend.zeros(DType.FLOAT32, d.inputUnits()));
            fromInput[s] = net.node(nodes.get(s)).inputs().get(0).equals(Graph.INPUT);
        }
        addForwardHook((node, layer, inputs, a) -> {
            int s = slot(node);
            if (s >= 0 && !fromInput[s]) {
                backend.countPositive(inputActive.get(s), inputs[0]);
                inputExamples[s] += inputs[0].dim(0);
            }
        });
    }

    @Override
    protected void accumulateBatch() {
        for (int s = 0; s < layers.size(); s++) {
            backend.accumulate(gradAbs.get(s), weightLayer(s).weight().grad(), 1f, Transform.ABS);
        }
    }

    @Override
    protected void complete() {
        for (int s = 0; s < layers.size(); s++) {
            Tensor freq = inputActive.get(s);
            if (inputExamples[s] == 0) {
                backend.fill(freq, 1f);
            } else {
                backend.scale(freq, 1f / inputExamples[s]);
            }
            backend.scale(gradAbs.get(s), perBatch());
            backend.compositeScores(acc.get(s), weightLayer(s).weight().value(), gradAbs.get(s), freq);
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
