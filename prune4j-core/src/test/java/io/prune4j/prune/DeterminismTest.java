package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainListener;
import io.prune4j.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same seed gives the same bits (CPU, same thread count): trained weights, scores and masks.
 * Compared as raw float bits, so a −0 against a 0 or a different NaN payload counts as a difference.
 */
class DeterminismTest {
    private final Backend cpu = new CpuBackend(2);
    private final DeviceData train = DeviceData.upload(cpu, NativeMemoryCycles.blobs(256, 1));

    /** Raw bits of every parameter after two epochs from {@code seed} (initialisation and shuffling). */
    private int[][] trained(long seed) {
        try (Graph net = Models.mlp(cpu, 12, new int[] {32, 16}, 4, seed);
             Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(2).optBatchSize(32).optLearningRate(1e-2f).optSeed(seed).build())) {
            t.fit(train, null, TrainListener.NONE);
            return bits(net.parameters().stream().map(p -> p.value().toFloatArray()).toList());
        }
    }

    private static int[][] bits(List<float[]> arrays) {
        int[][] out = new int[arrays.size()][];
        for (int i = 0; i < out.length; i++) {
            float[] a = arrays.get(i);
            out[i] = new int[a.length];
            for (int j = 0; j < a.length; j++) {
                out[i][j] = Float.floatToRawIntBits(a[j]);
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42})
    void sameSeedSameTrainedWeights(long seed) {
        int[][] a = trained(seed);
        int[][] b = trained(seed);
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], "parameter " + i + " with seed " + seed);
        }
        assertFalse(Arrays.deepEquals(a, trained(seed + 1)), "another seed trains other weights");
    }

    /** Scores before ranking and the keep masks after, for one criterion on a trained network. */
    private List<int[][]> scoresAndMasks(Criterion c, Granularity g, long seed) {
        // BatchNorm scale needs BatchNorm layers: an MLP with one after each hidden layer
        try (Graph net = c == Criterion.BN_SCALE ? mlpWithBatchNorm() : Models.mlp(cpu, 12, new int[] {32, 16}, 4, 3);
             Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(1).optBatchSize(32).optSeed(3).build())) {
            t.fit(train, null, TrainListener.NONE);
            if (c.layerwise()) { // Wanda and SparseGPT choose masks (and SparseGPT weights) in the Pruner: compare those
                PruneConfig cfg = PruneConfig.builder().setCriterion(c).optStructured(false).optCalibrationBatches(3).optSeed(seed)
                        .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.NONE, 0.5))
                        .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
                new Pruner(cfg, null).run(net, null, train, null);
                List<float[]> w = new ArrayList<>();
                List<float[]> m = new ArrayList<>();
                for (io.prune4j.nn.Layer l : net.layers()) {
                    if (l instanceof io.prune4j.nn.WeightLayer wl) {
                        w.add(wl.weight().value().toFloatArray());
                        m.add(wl.weight().mask().toFloatArray());
                    }
                }
                return List.of(bits(w), bits(m));
            }
            List<String> layers = g == Granularity.UNIT
                    ? GroupScores.scoredNodes(net, ChannelGroups.of(net).prunable(), c)
                    : Compaction.prunableWeightLayers(net, java.util.Set.of());
            List<Tensor> scores = Calibration.score(c, seed, net, layers, g, train, 3, seed, () -> { });
            int[][] s = bits(scores.stream().map(Tensor::toFloatArray).toList());
            int[] reference = scores.stream().mapToInt(Tensor::size).toArray();
            List<Tensor> prior = new ArrayList<>();
            layers.forEach(l -> prior.add(null));
            List<Tensor> masks = Ranking.select(scores, prior, reference,
                    Ranking.Config.ratio(Ranking.Scope.GLOBAL, g == Granularity.UNIT ? Normalization.L2 : Normalization.NONE, 0.5));
            int[][] m = bits(masks.stream().map(Tensor::toFloatArray).toList());
            scores.forEach(Tensor::close);
            masks.forEach(Tensor::close);
            return List.of(s, m);
        }
    }

    private Graph mlpWithBatchNorm() {
        io.prune4j.nn.GraphBuilder b = Graph.builder(cpu, 3, 12);
        String x = b.relu("relu1", b.batchNorm("bn1", b.dense("fc1", Graph.INPUT, 32)));
        x = b.relu("relu2", b.batchNorm("bn2", b.dense("fc2", x, 16)));
        b.dense("fc3", x, 4);
        return b.build();
    }

    @ParameterizedTest
    @EnumSource(Criterion.class)
    void sameSeedSameScoresAndMasks(Criterion c) {
        List<Granularity> grains = new ArrayList<>();
        if (c.scoresUnits()) {
            grains.add(Granularity.UNIT);
        }
        if (c.scoresWeights()) {
            grains.add(Granularity.WEIGHT);
        }
        for (Granularity g : grains) {
            List<int[][]> a = scoresAndMasks(c, g, 11);
            List<int[][]> b = scoresAndMasks(c, g, 11);
            for (int k = 0; k < 2; k++) {
                for (int i = 0; i < a.get(k).length; i++) {
                    assertArrayEquals(a.get(k)[i], b.get(k)[i], c + " " + g + (k == 0 ? " scores" : " masks") + " of layer " + i);
                }
            }
            long kept = Arrays.stream(a.get(1)).flatMapToInt(Arrays::stream).filter(x -> x != 0).count();
            long total = Arrays.stream(a.get(1)).mapToLong(x -> x.length).sum();
            assertEquals(total / 2, kept, 1, c + " " + g + ": half kept");
        }
    }

    @org.junit.jupiter.api.Test
    void randomScoresFollowTheSeed() {
        assertFalse(Arrays.deepEquals(scoresAndMasks(Criterion.RANDOM, Granularity.UNIT, 11).get(0),
                scoresAndMasks(Criterion.RANDOM, Granularity.UNIT, 12).get(0)));
    }

}
