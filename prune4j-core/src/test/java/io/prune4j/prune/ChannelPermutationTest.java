package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The channel permutation keeps the network's function, is a permutation, and lets the pattern keep more. */
class ChannelPermutationTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    private List<Tensor> magnitudes(Graph net, List<String> layers) {
        List<Tensor> out = new ArrayList<>();
        for (String n : layers) {
            float[] w = Compaction.weightLayer(net, n).weight().value().toFloatArray();
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.abs(w[i]);
            }
            out.add(cpu.fromArray(w, Compaction.weightLayer(net, n).weight().value().shape()));
        }
        return out;
    }

    @Test
    void theNetworkComputesTheSameAndThePatternKeepsMore() {
        NmPattern p = new NmPattern(2, 4, true);
        try (Graph net = Models.mlp(cpu, 24, new int[] {32, 16}, 4, 5);
             Graph before = net.copy();
             Tensor x = cpu.fromArray(Check.gaussian(new SplittableRandom(2), 7 * 24, 1), 7, 24)) {
            List<String> layers = List.of("fc1", "fc2", "fc3");
            List<Tensor> scores = magnitudes(net, layers);
            ChannelPermutation.Result r = ChannelPermutation.apply(net, layers, scores, p);
            assertEquals(2, r.layers(), "fc2 and fc3 are fed by Dense layers; fc1 by the input");
            assertTrue(r.keptAfter() > r.keptBefore() * 1.01, r.keptAfter() + " against " + r.keptBefore());
            Check.close("the same outputs", before.forward(x, false).toFloatArray(), net.forward(x, false).toFloatArray(), 1e-5, 1e-5);
            // the permuted scores are the magnitudes of the permuted weights
            List<Tensor> again = magnitudes(net, layers);
            for (int l = 0; l < layers.size(); l++) {
                assertArrayEquals(again.get(l).toFloatArray(), scores.get(l).toFloatArray(), layers.get(l));
            }
            scores.forEach(Tensor::close);
            again.forEach(Tensor::close);
        }
    }

    @Test
    void theSearchReturnsAPermutationThatNeverKeepsLess() {
        SplittableRandom rng = new SplittableRandom(8);
        for (int[] shape : new int[][] {{1, 8}, {5, 12}, {9, 40}}) {
            float[] s = new float[shape[0] * shape[1]];
            for (int i = 0; i < s.length; i++) {
                s[i] = (float) Math.abs(rng.nextGaussian());
            }
            NmPattern p = new NmPattern(2, 4);
            int[] perm = ChannelPermutation.search(s, shape[0], shape[1], p);
            int[] sorted = perm.clone();
            java.util.Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) {
                assertEquals(i, sorted[i], "a permutation");
            }
            int[] id = new int[shape[1]];
            for (int i = 0; i < id.length; i++) {
                id[i] = i;
            }
            assertTrue(ChannelPermutation.kept(s, shape[0], shape[1], p, perm) >= ChannelPermutation.kept(s, shape[0], shape[1], p, id));
        }
    }

    @Test
    void throughThePrunerTheMasksKeepMoreMagnitudeAndThePattern() {
        double[] kept = new double[2];
        for (int k = 0; k < 2; k++) {
            try (Graph net = Models.mlp(cpu, 24, new int[] {32, 16}, 4, 5)) {
                NmPattern p = k == 0 ? new NmPattern(2, 4) : new NmPattern(2, 4).withPermutation();
                PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false).optPattern(p)
                        .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
                new Pruner(cfg, null).run(net, null, null, null);
                for (Layer l : net.layers()) {
                    if (l instanceof WeightLayer w) {
                        assertTrue(p.holds(w.weight().mask().toFloatArray()), l.name());
                        for (float v : w.weight().value().toFloatArray()) {
                            kept[k] += Math.abs(v);
                        }
                    }
                }
            }
        }
        assertTrue(kept[1] > kept[0], "with the permutation " + kept[1] + ", without " + kept[0]);
        assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.SPARSEGPT).optStructured(false)
                .optPattern(new NmPattern(2, 4).withPermutation()).build());
        assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false)
                .optRewind(true).optPattern(new NmPattern(2, 4).withPermutation()).build());
    }

    @Test
    void aResultCountsNoNegativeLayers() {
        assertThrows(IllegalArgumentException.class, () -> new ChannelPermutation.Result(-1, 0, 0, 0));
        assertEquals(0, new ChannelPermutation.Result(0, 0, 0, 0).layers());
    }
}
