package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.Prune4jException;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link Reconstruction} checked against what a least-squares fit must satisfy, computed here
 * independently in double precision from the networks' activations: the residual of every refitted
 * row is orthogonal to each kept input (up to the ridge term) and has mean zero; each layer is fitted
 * on the inputs the layers before it, already refitted, give it; a duplicated unit or input is
 * absorbed exactly; weights outside the masks end at zero.
 */
class ReconstructionTest {
    private static final int N = 256;
    private static final int BATCHES = N / Calibration.BATCH; // every example, so the sums below are over the same set
    private final CpuBackend b = new CpuBackend(1);

    @AfterEach
    void close() {
        b.close();
    }

    private static Dataset gaussian(int n, int features, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * features];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(4);
        }
        return new Dataset("gaussian", x, y, n, features, 4);
    }

    /** {@code N} one-channel 8×8 images of Gaussian noise. */
    private static Dataset images(long seed) {
        Dataset flat = gaussian(N, 64, seed);
        return new Dataset("images", flat.features(), flat.labels(), N, 64, 4, new int[] {1, 8, 8});
    }

    /** A 0/1 mask of {@code n} entries keeping {@code keep} of them, chosen by {@code seed}. */
    private Tensor mask(int n, int keep, long seed) {
        float[] m = new float[n];
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 0;
        while (k < keep) {
            int i = rng.nextInt(n);
            if (m[i] == 0) {
                m[i] = 1;
                k++;
            }
        }
        return b.fromArray(m, n);
    }

    /**
     * The rows of the least-squares problem of layer {@code layer}, computed here without the
     * library's convolution: a Dense layer's input vector per example, or a convolution's input patch
     * per example and output position ({@code [channel, row, column]} order, zeros in the padding).
     */
    private double[][] inputsOf(Graph net, Dataset data, int layer) {
        float[][] seen = new float[1][];
        int[][] shape = new int[1][];
        try (Tensor x = b.fromArray(data.features(), data.count(), data.featureSize())) {
            Tensor in = net.forwardTo(x, false, net.nodes().get(layer).name())[0];
            seen[0] = b.toFloatArray(in);
            shape[0] = in.shape();
        }
        float[] v = seen[0];
        int n = data.count();
        if (net.layers().get(layer) instanceof Conv2d c) {
            int ch = shape[0][1];
            int h = shape[0][2];
            int w = shape[0][3];
            int kh = c.kernelHeight();
            int kw = c.kernelWidth();
            int oh = (h + 2 * c.padding() - kh) / c.stride() + 1;
            int ow = (w + 2 * c.padding() - kw) / c.stride() + 1;
            double[][] out = new double[n * oh * ow][ch * kh * kw];
            for (int t = 0; t < n; t++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double[] row = out[(t * oh + oy) * ow + ox];
                        for (int cc = 0; cc < ch; cc++) {
                            for (int i = 0; i < kh; i++) {
                                for (int j = 0; j < kw; j++) {
                                    int y = oy * c.stride() - c.padding() + i;
                                    int xx = ox * c.stride() - c.padding() + j;
                                    boolean inside = y >= 0 && y < h && xx >= 0 && xx < w;
                                    row[(cc * kh + i) * kw + j] = inside ? v[((t * ch + cc) * h + y) * w + xx] : 0;
                                }
                            }
                        }
                    }
                }
            }
            return out;
        }
        int width = ((Dense) net.layers().get(layer)).inFeatures();
        double[][] out = new double[n][width];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < width; j++) {
                out[t][j] = v[t * width + j];
            }
        }
        return out;
    }

    /** A random 0/1 mask for each layer, over its units ({@code units}) or its weights, keeping 1/{@code divisor}; layer li's seed is seed + li. */
    private List<Tensor> randomMasks(Graph net, List<String> layers, boolean units, int divisor, long seed) {
        List<Tensor> masks = new ArrayList<>();
        for (String name : layers) {
            WeightLayer l = (WeightLayer) net.layer(name);
            int n = units ? l.units() : l.weight().size();
            masks.add(mask(n, n / divisor, seed + net.indexOf(name)));
        }
        return masks;
    }

    /** Refits on the channel masks of the groups named {@code layers}, as the Pruner does. */
    private static int refitUnits(Graph net, List<String> layers, List<Tensor> masks, DeviceData data, int seed, double damping) {
        java.util.Map<String, Tensor> channels = Plans.channelMasks(net, layers, masks);
        try {
            return Reconstruction.refitUnits(net, channels, data, BATCHES, seed, damping);
        } finally {
            channels.values().forEach(Tensor::close);
        }
    }

    /** Position of the first weight layer after node {@code name}. */
    private static int nextWeightLayer(Graph net, String name) {
        for (int i = net.indexOf(name) + 1; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof WeightLayer) {
                return i;
            }
        }
        return -1;
    }

    /** The inputs of one row that a unit mask keeps: each unit's whole block of {@code in / units} inputs. */
    private static boolean[] keptByUnits(float[] unitMask, int in) {
        int block = in / unitMask.length;
        boolean[] kept = new boolean[in];
        for (int k = 0; k < in; k++) {
            kept[k] = unitMask[k / block] != 0;
        }
        return kept;
    }

    /** The inputs of row {@code r} that a weight mask keeps. */
    private static boolean[] keptInRow(float[] weightMask, int r, int in) {
        boolean[] kept = new boolean[in];
        for (int k = 0; k < in; k++) {
            kept[k] = weightMask[r * in + k] != 0;
        }
        return kept;
    }

    /**
     * Every row of layer {@code layer} meets the least-squares conditions (within 1e-4) on the inputs
     * {@code kept} gives it. With a unit mask ({@code sharedMask}) the layer is fitted on the kept
     * inputs only, so its ridge scales with their mean square; with a weight mask, with all inputs'.
     */
    private void assertLeastSquares(Graph before, Graph after, Dataset data, int layer, IntFunction<boolean[]> kept,
                                    boolean sharedMask) {
        WeightLayer l = (WeightLayer) after.layers().get(layer);
        for (int r = 0; r < l.units(); r++) {
            double err = normalEquationError(before, after, data, layer, r, kept.apply(r), sharedMask, 0.01);
            assertTrue(err < 1e-4, l.describe() + " row " + r + ": least-squares conditions off by " + err);
        }
    }

    /**
     * The least-squares conditions for row {@code r} of layer {@code layer}: with {@code e} the new
     * pre-activation minus the old one, {@code mean(e) = 0} and {@code mean(x'_k·e) + λ·w'_k = 0}
     * for each kept input {@code k}; returns the largest violation relative to the scale of the terms.
     */
    private double normalEquationError(Graph before, Graph after, Dataset data, int layer, int r, boolean[] kept,
                                       boolean ridgeOnKept, double damping) {
        double[][] x = inputsOf(before, data, layer);
        double[][] xNew = inputsOf(after, data, layer);
        WeightLayer d0 = (WeightLayer) before.layers().get(layer);
        WeightLayer d1 = (WeightLayer) after.layers().get(layer);
        int in = d0.weight().size() / d0.units();
        float[] w0 = b.toFloatArray(d0.weight().value());
        float[] w1 = b.toFloatArray(d1.weight().value());
        float b0 = d0.bias() == null ? 0 : b.toFloatArray(d0.bias().value())[r];
        float b1 = d1.bias() == null ? 0 : b.toFloatArray(d1.bias().value())[r];
        int n = x.length;
        double[] e = new double[n];
        int fitted = 0;
        for (int j = 0; j < in; j++) {
            fitted += !ridgeOnKept || kept[j] ? 1 : 0;
        }
        double meanSquareInput = 0;
        double meanSquareTarget = 0;
        for (int t = 0; t < n; t++) {
            double old = b0;
            double now = b1;
            for (int j = 0; j < in; j++) {
                old += w0[r * in + j] * x[t][j];
                now += w1[r * in + j] * xNew[t][j];
                if (!ridgeOnKept || kept[j]) {
                    meanSquareInput += xNew[t][j] * xNew[t][j] / ((double) n * fitted);
                }
            }
            e[t] = now - old;
            meanSquareTarget += old * old / n;
        }
        double ridge = damping * meanSquareInput;
        double scale = Math.sqrt(meanSquareInput * meanSquareTarget) + 1e-12;
        double worst = Math.abs(java.util.Arrays.stream(e).average().orElse(0)) / Math.sqrt(meanSquareTarget);
        for (int k = 0; k < in; k++) {
            if (!kept[k]) {
                assertEquals(0f, w1[r * in + k], "layer " + layer + " row " + r + ": weight " + k + " is pruned, so must be 0");
                continue;
            }
            double dot = 0;
            for (int t = 0; t < n; t++) {
                dot += xNew[t][k] * e[t] / n;
            }
            worst = Math.max(worst, Math.abs(dot + ridge * w1[r * in + k]) / scale);
        }
        return worst;
    }

    @Test
    void structuredRefitSolvesEachNextLayersLeastSquares() {
        Dataset data = gaussian(N, 12, 1);
        try (DeviceData dd = DeviceData.upload(b, data);
             Graph net = Models.mlp(b, 12, new int[] {9, 7}, 4, 3);
             Graph before = net.copy();
             Tensor m1 = mask(9, 5, 11);
             Tensor m2 = mask(7, 4, 12)) {
            assertEquals(2, refitUnits(net, List.of("fc1", "fc2"), List.of(m1, m2), dd, 5, 0.01));
            assertArrayEquals(b.toFloatArray(before.parameters().get(0).value()), b.toFloatArray(net.parameters().get(0).value()),
                    "fc1 reads the data, not a pruned layer: it stays as it was");
            boolean[] kept1 = keptByUnits(b.toFloatArray(m1), 9);
            boolean[] kept2 = keptByUnits(b.toFloatArray(m2), 7);
            assertLeastSquares(before, net, data, 1, r -> kept1, true);
            assertLeastSquares(before, net, data, 2, r -> kept2, true);
        }
    }

    @Test
    void unstructuredRefitSolvesEachRowsLeastSquaresLayerAfterLayer() {
        Dataset data = gaussian(N, 10, 2);
        try (DeviceData dd = DeviceData.upload(b, data);
             Graph net = Models.mlp(b, 10, new int[] {8, 6}, 4, 4);
             Graph before = net.copy()) {
            List<String> layers = List.of("fc1", "fc2", "fc3");
            List<Tensor> masks = randomMasks(net, layers, false, 3, 20);
            try {
                assertEquals(3, Reconstruction.refitWeights(net, layers, masks, dd, BATCHES, 6, 0.01));
                for (int li = 0; li < layers.size(); li++) {
                    float[] m = b.toFloatArray(masks.get(li));
                    int in = ((Dense) net.layers().get(li)).inFeatures();
                    assertLeastSquares(before, net, data, li, r -> keptInRow(m, r, in), false);
                }
            } finally {
                masks.forEach(Tensor::close);
            }
        }
    }

    @Test
    void aDuplicatedUnitIsAbsorbedExactly() {
        Dataset data = gaussian(N, 12, 3);
        try (DeviceData dd = DeviceData.upload(b, data);
             Graph net = Models.mlp(b, 12, new int[] {9, 7}, 4, 5);
             Tensor all2 = mask(7, 7, 0)) {
            // unit 8 of fc1 is a copy of unit 2, so removing it loses nothing the next layer cannot rebuild
            Dense fc1 = (Dense) net.layers().get(0);
            float[] w = b.toFloatArray(fc1.weight().value());
            float[] bias = b.toFloatArray(fc1.bias().value());
            System.arraycopy(w, 2 * 12, w, 8 * 12, 12);
            bias[8] = bias[2];
            b.upload(fc1.weight().value(), w);
            b.upload(fc1.bias().value(), bias);
            float[] keep = {1, 1, 1, 1, 1, 1, 1, 1, 0};
            float[] reference = logits(net, data);
            try (Graph plain = net.copy(); Tensor m1 = b.fromArray(keep, 9); Tensor m1b = b.fromArray(keep, 9)) {
                Plans.compact(plain, List.of("fc1", "fc2"), List.of(m1, all2));
                assertTrue(maxDiff(reference, logits(plain, data)) > 1e-2, "removing the unit without a refit must change the outputs");
                refitUnits(net, List.of("fc1", "fc2"), List.of(m1b, all2), dd, 7, 1e-9);
                Plans.compact(net, List.of("fc1", "fc2"), List.of(m1b, all2));
                assertEquals(8, ((Dense) net.layers().get(0)).units());
                double diff = maxDiff(reference, logits(net, data));
                assertTrue(diff < 1e-3, "the refitted network should give the same logits, differs by " + diff);
            }
        }
    }

    /**
     * A layer without a bias (as convolutions before a BatchNorm are) is fitted without the constant
     * input: with a duplicated unit removed, the bias-free next layer absorbs it exactly, as in
     * {@link #aDuplicatedUnitIsAbsorbedExactly}, and nothing indexes past the smaller system.
     */
    @Test
    void aLayerWithoutBiasIsFittedWithoutTheConstantAndAbsorbsADuplicate() {
        Dataset data = gaussian(N, 12, 5);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(8);
        Dense fc1 = Dense.create(b, "fc1", 12, 9, false, true, rng);
        Dense fc2 = Dense.create(b, "fc2", 9, 7, false, true, rng);
        Dense fc3 = Dense.create(b, "fc3", 7, 4, true, false, rng);
        try (DeviceData dd = DeviceData.upload(b, data);
             Graph net = Graph.chain(b, 12, List.of(fc1, fc2, fc3));
             Tensor all2 = mask(7, 7, 0)) {
            float[] w = b.toFloatArray(fc1.weight().value());
            System.arraycopy(w, 2 * 12, w, 8 * 12, 12);   // unit 8 of fc1 repeats unit 2
            b.upload(fc1.weight().value(), w);
            float[] keep = {1, 1, 1, 1, 1, 1, 1, 1, 0};
            float[] reference = logits(net, data);
            try (Tensor m1 = b.fromArray(keep, 9)) {
                refitUnits(net, List.of("fc1", "fc2"), List.of(m1, all2), dd, 7, 1e-9);
                Plans.compact(net, List.of("fc1", "fc2"), List.of(m1, all2));
            }
            assertEquals(8, ((Dense) net.layers().get(0)).units());
            assertTrue(((Dense) net.layers().get(1)).bias() == null, "fc2 still has no bias");
            double diff = maxDiff(reference, logits(net, data));
            assertTrue(diff < 1e-3, "the refitted bias-free layer should give the same logits, differs by " + diff);
        }
    }

    @Test
    void convolutionsAndTheLayerBehindTheFlattenAreRefittedOnTheKeptChannelsPatches() {
        try (Graph net = Models.cnn(b, new int[] {1, 8, 8}, new int[] {4, 6}, 10, 3, 6);
             Graph before = net.copy()) {
            Dataset data = images(8);
            List<String> layers = Plans.unitLayers(net);
            List<Tensor> masks = randomMasks(net, layers, true, 2, 0);
            try (DeviceData dd = DeviceData.upload(b, data)) {
                // conv1 → pool → conv2, conv2 → pool → flatten → fc1 (a 2×2 block per channel), fc1 → fc2
                assertEquals(3, refitUnits(net, layers, masks, dd, 9, 0.01));
                assertArrayEquals(b.toFloatArray(before.parameters().get(0).value()), b.toFloatArray(net.parameters().get(0).value()),
                        "conv1 reads the images, not a pruned layer: it stays as it was");
                for (int s = 0; s < layers.size(); s++) {
                    int next = nextWeightLayer(net, layers.get(s));
                    WeightLayer n = (WeightLayer) net.layers().get(next);
                    boolean[] kept = keptByUnits(b.toFloatArray(masks.get(s)), n.weight().size() / n.units());
                    assertLeastSquares(before, net, data, next, r -> kept, true);
                }
            } finally {
                masks.forEach(Tensor::close);
            }
        }
    }

    @Test
    void unstructuredConvolutionRowsAreRefittedToo() {
        try (Graph net = Models.cnn(b, new int[] {1, 8, 8}, new int[] {3, 5}, 6, 3, 7);
             Graph before = net.copy()) {
            Dataset data = images(10);
            List<String> layers = Compaction.prunableWeightLayers(net, java.util.Set.of());
            List<Tensor> masks = randomMasks(net, layers, false, 3, 30);
            try (DeviceData dd = DeviceData.upload(b, data)) {
                assertEquals(layers.size(), Reconstruction.refitWeights(net, layers, masks, dd, BATCHES, 11, 0.01));
                for (int s = 0; s < layers.size(); s++) {
                    WeightLayer l = (WeightLayer) net.layer(layers.get(s));
                    float[] m = b.toFloatArray(masks.get(s));
                    int in = l.weight().size() / l.units();
                    assertLeastSquares(before, net, data, net.indexOf(layers.get(s)), r -> keptInRow(m, r, in), false);
                }
            } finally {
                masks.forEach(Tensor::close);
            }
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without the guard the solves would run for hours
    void aLayerTooLargeToSolveRowByRowIsRefusedBeforeAnythingChanges() {
        Dataset data = gaussian(Calibration.BATCH, 3000, 4);
        try (DeviceData dd = DeviceData.upload(b, data);
             Graph net = Models.mlp(b, 3000, new int[] {2000}, 2, 7);
             Tensor half = mask(3000 * 2000, 3000 * 1000, 9);
             Tensor all = mask(2 * 2000, 2 * 2000, 0)) {
            float[] w = b.toFloatArray(net.parameters().get(0).value());
            InvalidSettingException e = assertThrows(InvalidSettingException.class,
                    () -> Reconstruction.refitWeights(net, List.of("fc1", "fc2"), List.of(half, all), dd, 1, 1));
            assertTrue(e.getMessage().startsWith("reconstruction of fc1 would take about") && e.getMessage().contains("2000 rows"),
                    e.getMessage());
            assertArrayEquals(w, b.toFloatArray(net.parameters().get(0).value()), "the refusal comes before any change");
        }
        // the estimate itself: one 3×3 system (two kept inputs and the bias) factorised once and solved for 4 rows;
        // per row of a weight mask, a system of its own (rows keeping 1 and 2 inputs: 2×2 and 3×3)
        assertEquals(27.0 / 3 + 4 * 2 * 9, Reconstruction.solveFlops(2, 4), 1e-9);
        float[] weights = {1, 0, 0, 1, 1, 0};
        assertEquals(8.0 / 3 + 2 * 4 + 27.0 / 3 + 2 * 9, Reconstruction.solveFlops(weights, 2, 3), 1e-9);
    }

    @Test
    void throughThePrunerTheRefitKeepsMoreAccuracyWithoutFineTuning() {
        Dataset trainSet = io.prune4j.data.CornerPatches.generate(400, 1);
        Dataset testSet = io.prune4j.data.CornerPatches.generate(200, 2);
        double[] accuracy = new double[2];
        for (int refit = 0; refit < 2; refit++) {
            try (DeviceData train = DeviceData.upload(b, trainSet); DeviceData test = DeviceData.upload(b, testSet);
                 Graph net = Models.mlp(b, 64, new int[] {32, 16}, 4, 3);
                 io.prune4j.train.Trainer t = new io.prune4j.train.Trainer(net,
                         TrainConfig.builder().optEpochs(3).optBatchSize(32).optLearningRate(0.01f).build())) {
                t.fit(train, null, io.prune4j.train.TrainListener.NONE);
                PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false)
                        .optRanking(Ranking.Config.ratio(Ranking.Scope.GLOBAL, Normalization.NONE, 0.9))
                        .optFinetune(TrainConfig.builder().optEpochs(0).build()).optCalibrationBatches(3)
                        .optReconstruct(refit == 1).build();
                accuracy[refit] = new Pruner(cfg, null).run(net, null, train, test).rounds().get(0).test().accuracy();
            }
        }
        System.out.printf("[ReconstructionTest] global magnitude 90%%, no fine-tuning: accuracy %.4f plain, %.4f refitted%n",
                accuracy[0], accuracy[1]);
        assertTrue(accuracy[1] > accuracy[0] + 0.05, "the refit should keep clearly more: " + accuracy[1] + " against " + accuracy[0]);
    }

    @Test
    void thePrunersListenerHearsOfEveryRefitBatch() {
        // 400 examples give 3 batches of 128, fewer than the 5 asked for; fc2 and fc3 are refitted
        try (DeviceData train = DeviceData.upload(b, io.prune4j.data.CornerPatches.generate(400, 1));
             DeviceData test = DeviceData.upload(b, io.prune4j.data.CornerPatches.generate(100, 2));
             Graph net = Models.mlp(b, 64, new int[] {32, 16}, 4, 3)) {
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE)
                    .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5))
                    .optFinetune(TrainConfig.builder().optEpochs(0).build()).optCalibrationBatches(5).optReconstruct(true).build();
            List<String> heard = new ArrayList<>();
            int[] batches = {0};
            Pruner.Listener listener = new Pruner.Listener() {
                @Override
                public void refitting(int round, int layers, int perLayer) {
                    heard.add("round " + round + ": " + layers + " layers × " + perLayer + " batches after " + batches[0]);
                }

                @Override
                public void refitBatch() {
                    batches[0]++;
                }
            };
            new Pruner(cfg, listener).run(net, null, train, test);
            assertEquals(List.of("round 1: 2 layers × 3 batches after 0"), heard);
            assertEquals(6, batches[0]);
        }
    }

    @Test
    void reconstructionIsRefusedWhereItCannotApply() {
        TrainConfig ft = TrainConfig.builder().optEpochs(1).build();
        Ranking.Config half = Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5);
        InvalidSettingException gradual = assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.TAYLOR, true, half, Schedule.GRADUAL, 3, ft, 0, 0.5f, false, 3, 1, false, true, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()));
        assertTrue(gradual.getMessage().contains("gradual"), gradual.getMessage());
        InvalidSettingException both = assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.TAYLOR, true, half, Schedule.ONESHOT, 1, ft, 0, 0.5f, false, 3, 1, true, true, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()));
        assertTrue(both.getMessage().contains("bias compensation"), both.getMessage());
        InvalidSettingException rewind = assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.TAYLOR, true, half, Schedule.ONESHOT, 1, ft, 0, 0.5f, true, 3, 1, false, true, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()));
        assertTrue(rewind.getMessage().contains("rewinding"), rewind.getMessage());
        InvalidSettingException noData = assertThrows(InvalidSettingException.class,
                () -> new PruneConfig(Criterion.MAGNITUDE, false, half, Schedule.ONESHOT, 1, ft, 0, 0.5f, false, 0, 1, false, true, java.util.Set.of(), io.prune4j.backend.Reduction.MEAN, true, null, 1, 1, java.util.Map.of()));
        assertTrue(noData.getMessage().contains("calibration batches"), noData.getMessage());
    }

    @Test
    void aGramMatrixThatIsNotPositiveDefiniteIsAnErrorNamingTheCause() {
        double[] nan = {1, 0, 0, Double.NaN};
        Prune4jException e = assertThrows(Prune4jException.class, () -> Reconstruction.solve(nan, 2, new double[] {1, 1}, 1));
        assertTrue(e.getMessage().startsWith("reconstruction: ") && e.getMessage().contains("NaN"), e.getMessage());
        double[] indefinite = {1, 2, 2, 1};
        Prune4jException f = assertThrows(Prune4jException.class, () -> Reconstruction.solve(indefinite, 2, new double[] {1, 1}, 1));
        assertTrue(f.getMessage().contains("not positive definite (leading minor 2 of 2)"), f.getMessage());
        // two right-hand sides at once, [n, nrhs] row-major: 4·x + 2·y = 2, 2·x + 3·y = 5 → (−0.5, 2); and = (4, 2) → (1, 0)
        double[] b = {2, 4, 5, 2};
        Reconstruction.solve(new double[] {4, 2, 2, 3}, 2, b, 2);
        assertArrayEquals(new double[] {-0.5, 1, 2, 0}, b, 1e-12);
    }

    private float[] logits(Graph net, Dataset data) {
        try (Tensor x = b.fromArray(data.features(), data.count(), data.featureSize())) {
            return b.toFloatArray(net.forward(x, false));
        }
    }

    private static double maxDiff(float[] a, float[] c) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - c[i]));
        }
        return m;
    }

    @Test
    void nullArgumentsAreRefusedAtTheCall() {
        Graph net = Models.mlp(b, 4, new int[] {3}, 2, 1);
        assertEquals("data", assertThrows(NullPointerException.class, () -> Reconstruction.refitUnits(net, java.util.Map.of(), null, 1, 1))
                .getMessage());
        assertEquals("progress", assertThrows(NullPointerException.class,
                () -> Reconstruction.refitWeights(net, List.of(), List.of(), DeviceData.upload(b, gaussian(8, 4, 1)), 1, 1, null))
                .getMessage());
    }
}
