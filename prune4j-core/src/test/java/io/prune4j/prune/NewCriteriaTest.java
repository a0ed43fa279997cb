package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.Reduction;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.Models;
import io.prune4j.nn.Parameter;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The criteria of the graph redesign against hand-computed cases: BatchNorm scale ({@code |γ|},
 * reduced over a residual group's two BatchNorms as the mean of each member's L2-normalised scores,
 * which keeps a pair of channels neither member alone would keep), FPGM (summed distances of each
 * filter to the others: the filter in the middle goes first), LAMP ({@code w_u² / Σ_{v ≥ u} w_v²},
 * ties ordered by index as {@link Backend#lampScores} states), and LAMP through the {@link Pruner} in
 * global unstructured pruning of an MLP whose layers differ in scale by a factor of 100: each layer
 * keeps its largest weight without the guard's help, and the layers' sparsities are LAMP's own, not
 * plain magnitude's (which keeps the small layer's single best weight only because the guard adds it).
 */
class NewCriteriaTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void closeBackend() {
        cpu.close();
    }

    private static PruneConfig.Builder noFineTuning(ScorerFactory c) {
        return PruneConfig.builder().setCriterion(c).optFinetune(TrainConfig.builder().optEpochs(0).build());
    }

    private DeviceData toy(int features, int[] shape, int classes) {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 16;
        return DeviceData.upload(cpu, new Dataset("toy", Check.uniform(rng, n * features, 1), Check.randint(rng, n, classes), n, features,
                classes, shape));
    }

    // ---- bn-scale ---------------------------------------------------------------------------

    private static final float[] GAMMA0 = {1, -2, 0.5f, 3};
    private static final float[] GAMMA1 = {0.3f, -0.1f, 2};
    private static final float[] GAMMA2 = {-4, 1, 2, 0};

    /**
     * {@code c0 → bn0 → r0 → c1 → bn1 → r1 → c2 → bn2 ⊕ r0 → …}: group c0 holds bn0 and bn2, group c1
     * holds bn1 alone.
     */
    private Graph residual() {
        GraphBuilder g = Graph.builder(cpu, 4, 1, 5, 5);
        String r0 = g.relu("r0", g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 4, 3, 1, 1)));
        String y = g.relu("r1", g.batchNorm("bn1", g.conv("c1", r0, 3, 3, 1, 1)));
        y = g.batchNorm("bn2", g.conv("c2", y, 4, 3, 1, 1));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.relu("r", g.add("add", y, r0)))), 2);
        Graph net = g.build();
        cpu.upload(((BatchNorm) net.layer("bn0")).gamma().value(), GAMMA0);
        cpu.upload(((BatchNorm) net.layer("bn1")).gamma().value(), GAMMA1);
        cpu.upload(((BatchNorm) net.layer("bn2")).gamma().value(), GAMMA2);
        return net;
    }

    /** {@code |v| / ‖v‖₂}. */
    private static double[] l2Normalised(float[] v) {
        double n = 0;
        for (float x : v) {
            n += (double) x * x;
        }
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.abs(v[i]) / Math.sqrt(n);
        }
        return out;
    }

    @Test
    void bnScaleIsTheAbsoluteGammaReducedOverTheGroupsBatchNorms() {
        try (Graph net = residual()) {
            ChannelGroups groups = ChannelGroups.of(net);
            List<ChannelGroups.Group> targets = groups.prunable();
            assertEquals(List.of("c0", "c1"), targets.stream().map(ChannelGroups.Group::name).toList());
            List<String> nodes = GroupScores.scoredNodes(net, targets, Criterion.BN_SCALE);
            assertEquals(List.of("bn0", "bn1", "bn2"), nodes, "bn-scale scores the BatchNorms, not the convolutions");
            List<Tensor> scores = Calibration.score(Criterion.BN_SCALE, 1, net, nodes, Granularity.UNIT, null, 0, 1, null);
            Check.close("|γ0|", new float[] {1, 2, 0.5f, 3}, scores.get(0).toFloatArray(), 0, 0);
            Check.close("|γ1|", new float[] {0.3f, 0.1f, 2}, scores.get(1).toFloatArray(), 0, 0);
            Check.close("|γ2|", new float[] {4, 1, 2, 0}, scores.get(2).toFloatArray(), 0, 0);

            // |γ0| / √14.25 and |γ2| / √21, unit by unit
            double[] a = l2Normalised(GAMMA0);
            double[] b = l2Normalised(GAMMA2);
            double[] mean = new double[4];
            double[] sum = new double[4];
            double[] max = new double[4];
            for (int u = 0; u < 4; u++) {
                mean[u] = (a[u] + b[u]) / 2;
                sum[u] = a[u] + b[u];
                max[u] = Math.max(a[u], b[u]);
            }
            Check.close("hand-computed mean", new double[] {0.568889, 0.374015, 0.284445, 0.397360}, toFloat(mean), 1e-6, 0);
            for (Object[] c : new Object[][] {{Reduction.MEAN, mean}, {Reduction.SUM, sum}, {Reduction.MAX, max}}) {
                List<Tensor> reduced = GroupScores.reduce(net, targets, nodes, scores, Normalization.L2, (Reduction) c[0]);
                Check.close("group c0, " + c[0], (double[]) c[1], reduced.get(0).toFloatArray(), 1e-6, 1e-5);
                // one BatchNorm whose channels are the units one to one: its scores as they are, not normalised
                Check.close("group c1, " + c[0], new float[] {0.3f, 0.1f, 2}, reduced.get(1).toFloatArray(), 0, 0);
                reduced.forEach(Tensor::close);
            }
            scores.forEach(Tensor::close);
        }
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    /**
     * Through the Pruner at 50 %: group c0 keeps units 0 and 3 (mean scores 0.5689 and 0.3974), a pair
     * neither BatchNorm alone would choose (bn0 alone: 1 and 3; bn2 alone: 0 and 2); group c1 keeps
     * unit 2 of 3. The BatchNorms keep the γ of those channels.
     */
    @Test
    void bnScaleThroughThePrunerKeepsTheChannelsOfTheReducedScore() {
        try (Graph net = residual(); DeviceData data = toy(25, new int[] {1, 5, 5}, 2)) {
            new Pruner(noFineTuning(Criterion.BN_SCALE).optBnRecalibration(false).build(), null).run(net, null, data, null);
            Check.close("bn0 γ", new float[] {1, 3}, ((BatchNorm) net.layer("bn0")).gamma().value().toFloatArray(), 0, 0);
            Check.close("bn2 γ", new float[] {-4, 0}, ((BatchNorm) net.layer("bn2")).gamma().value().toFloatArray(), 0, 0);
            Check.close("bn1 γ", new float[] {2}, ((BatchNorm) net.layer("bn1")).gamma().value().toFloatArray(), 0, 0);
            assertEquals(2, ((Conv2d) net.layer("c0")).outChannels());
            assertEquals(2, ((Conv2d) net.layer("c2")).outChannels());
        }
    }

    /**
     * bn-scale on a GroupNorm of 4 groups of 2 channels: a unit is a group, scored by its channels'
     * |γ| together (2, 0.2, 6 and 0.7); at 50 % the groups of 2 and 6 stay, whole, and the GroupNorm
     * keeps their γ with 2 groups.
     */
    @Test
    void bnScaleOnAGroupNormKeepsTheGroupsOfLargestScale() {
        GraphBuilder g = Graph.builder(cpu, 4, 1, 5, 5);
        String y = g.relu("r0", g.groupNorm("gn", g.conv("c0", Graph.INPUT, 8, 3, 1, 1), 4, 1e-5f));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        try (Graph net = g.build(); DeviceData data = toy(25, new int[] {1, 5, 5}, 2)) {
            cpu.upload(((io.prune4j.nn.GroupNorm) net.layer("gn")).gamma().value(), new float[] {1, 1, 0.1f, -0.1f, 3, -3, 0.2f, 0.5f});
            assertEquals(List.of("gn"), GroupScores.scoredNodes(net, ChannelGroups.of(net).prunable(), Criterion.BN_SCALE));
            new Pruner(noFineTuning(Criterion.BN_SCALE).optBnRecalibration(false).build(), null).run(net, null, data, null);
            io.prune4j.nn.GroupNorm gn = (io.prune4j.nn.GroupNorm) net.layer("gn");
            Check.close("gn γ", new float[] {1, 1, 3, -3}, gn.gamma().value().toFloatArray(), 0, 0);
            assertEquals(2, gn.groups());
            assertEquals(4, ((Conv2d) net.layer("c0")).outChannels());
        }
    }

    /**
     * Every data-driven criterion and magnitude through the Pruner on a network of GroupNorms (4 groups
     * of 2, then an instance norm): whole groups go, the GroupNorms keep as many groups as their
     * channels allow, and the pruned network's output on the data is finite.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.EnumSource(value = Criterion.class, names = {"TAYLOR", "MAGNITUDE", "OBD", "APOZ", "FPGM"})
    void groupNormNetworksPruneWholeGroupsWithEachCriterion(Criterion criterion) {
        GraphBuilder g = Graph.builder(cpu, 5, 1, 5, 5);
        String y = g.relu("r0", g.groupNorm("gn", g.conv("c0", Graph.INPUT, 8, 3, 1, 1), 4, 1e-5f));
        y = g.relu("r1", g.groupNorm("in", g.conv("c1", y, 6, 3, 1, 1), 6, 1e-5f));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        try (Graph net = g.build(); DeviceData data = toy(25, new int[] {1, 5, 5}, 2)) {
            new Pruner(noFineTuning(criterion).optBnRecalibration(false).build(), null).run(net, null, data, null);
            io.prune4j.nn.GroupNorm gn = (io.prune4j.nn.GroupNorm) net.layer("gn");
            io.prune4j.nn.GroupNorm in = (io.prune4j.nn.GroupNorm) net.layer("in");
            assertEquals(((Conv2d) net.layer("c0")).outChannels(), gn.channels());
            assertEquals(2 * gn.groups(), gn.channels(), criterion + ": whole groups of 2 stay");
            assertTrue(gn.groups() < 4 && in.groups() < 6, criterion + ": " + net.describe());
            assertEquals(in.channels(), in.groups(), criterion + ": the instance norm stays one");
            try (Tensor x = cpu.fromArray(Check.uniform(new java.util.SplittableRandom(3), 4 * 25, 1), 4, 1, 5, 5)) {
                for (float v : net.forward(x, false).toFloatArray()) {
                    assertTrue(Float.isFinite(v), criterion + ": output " + v);
                }
            }
        }
    }

    // ---- fpgm -------------------------------------------------------------------------------

    /** A 1×1 convolution of 2 → 3 channels with filters {@code [1, 0], [0, 1], [1, 1]}. */
    private Graph threeFilters() {
        GraphBuilder g = Graph.builder(cpu, 5, 2, 3, 3);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.relu("r", g.conv("c", Graph.INPUT, 3, 1, 1, 0)))), 2);
        Graph net = g.build();
        cpu.upload(((Conv2d) net.layer("c")).weight().value(), new float[] {1, 0, 0, 1, 1, 1});
        return net;
    }

    /**
     * Distances: {@code ‖f0 − f1‖ = √2}, {@code ‖f0 − f2‖ = ‖f1 − f2‖ = 1}, so the scores are
     * {@code 1 + √2, 1 + √2, 2}: {@code [1, 1]}, between the others, is the one they can stand in for.
     */
    @Test
    void fpgmIsTheSummedDistanceToTheOtherFilters() {
        try (Graph net = threeFilters()) {
            List<Tensor> s = Calibration.score(Criterion.FPGM, 1, net, List.of("c"), Granularity.UNIT, null, 0, 1, null);
            double r2 = Math.sqrt(2);
            Check.close("fpgm", new double[] {1 + r2, 1 + r2, 2}, s.get(0).toFloatArray(), 1e-6, 1e-6);
        }
    }

    /** FPGM of a 3×3 convolution and of a Dense layer (a row is everything after the first dimension) against a double reference. */
    @Test
    void fpgmOfLargerFiltersMatchesADoubleReference() {
        GraphBuilder g = Graph.builder(cpu, 6, 3, 5, 5);
        String y = g.relu("r", g.conv("c", Graph.INPUT, 5, 3, 1, 1));
        g.dense("fc", g.denseRelu("hidden", g.flatten("flatten", g.globalAvgPool("gap", y)), 7), 2);
        try (Graph net = g.build()) {
            List<Tensor> s = Calibration.score(Criterion.FPGM, 1, net, List.of("c", "hidden"), Granularity.UNIT, null, 0, 1, null);
            Check.close("fpgm conv", fpgm(((Conv2d) net.layer("c")).weight().value().toFloatArray(), 5), s.get(0).toFloatArray(), 1e-5, 1e-5);
            Check.close("fpgm dense", fpgm(((Dense) net.layer("hidden")).weight().value().toFloatArray(), 7), s.get(1).toFloatArray(), 1e-5,
                    1e-5);
        }
    }

    private static double[] fpgm(float[] w, int rows) {
        int cols = w.length / rows;
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < rows; j++) {
                double d = 0;
                for (int c = 0; c < cols; c++) {
                    double e = (double) w[r * cols + c] - w[j * cols + c];
                    d += e * e;
                }
                out[r] += Math.sqrt(d);
            }
        }
        return out;
    }

    /** Through the Pruner removing one filter of three: the middle one, {@code [1, 1]}, goes; the others stay as they were. */
    @Test
    void fpgmThroughThePrunerRemovesTheFilterTheOthersCanStandInFor() {
        try (Graph net = threeFilters(); DeviceData data = toy(18, new int[] {2, 3, 3}, 2)) {
            PruneConfig cfg = noFineTuning(Criterion.FPGM).optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.34))
                    .build();
            new Pruner(cfg, null).run(net, null, data, null);
            Check.close("filters left", new float[] {1, 0, 0, 1}, ((Conv2d) net.layer("c")).weight().value().toFloatArray(), 0, 0);
        }
    }

    // ---- lamp -------------------------------------------------------------------------------

    /**
     * {@code w = [0.5, −1, 0.5, 2, −0.5, 1]}: by increasing magnitude, equal magnitudes by increasing
     * index, the order is {@code 0, 2, 4 (0.5), 1, 5 (1), 3 (2)}; the squares {@code .25, .25, .25, 1, 1, 4}
     * have suffix sums {@code 6.75, 6.5, 6.25, 6, 5, 4}. So of the tied weights the lower index scores
     * lower ({@code .25/6.75 < .25/6.5 < .25/6.25}, {@code 1/6 < 1/5}) and the largest scores 1.
     */
    @Test
    void lampScoresWithTies() {
        try (Graph net = Models.mlp(cpu, 3, new int[] {2}, 2, 1)) {
            cpu.upload(((Dense) net.layer("fc1")).weight().value(), new float[] {0.5f, -1, 0.5f, 2, -0.5f, 1});
            List<Tensor> s = Calibration.score(Criterion.LAMP, 1, net, List.of("fc1"), Granularity.WEIGHT, null, 0, 1, null);
            assertArrayEquals(new int[] {2, 3}, s.get(0).shape(), "scores are shaped like the weight");
            Check.close("lamp", new double[] {0.25 / 6.75, 1 / 6.0, 0.25 / 6.5, 1, 0.25 / 6.25, 1 / 5.0}, s.get(0).toFloatArray(), 1e-7, 1e-6);
        }
        // zeros score 0 (they come first, and 0 / anything is 0); an all-zero tensor scores 0 everywhere
        try (Tensor w = cpu.fromArray(new float[] {0, 3, 0, -4}, 4); Tensor out = cpu.zeros(DType.FLOAT32, 4);
             Tensor zero = cpu.zeros(DType.FLOAT32, 2, 2); Tensor zout = cpu.zeros(DType.FLOAT32, 2, 2)) {
            cpu.lampScores(out, w);
            Check.close("lamp with zeros", new double[] {0, 9 / 25.0, 0, 1}, out.toFloatArray(), 1e-7, 1e-6);
            cpu.fill(zout, 7f);
            cpu.lampScores(zout, zero);
            Check.close("lamp of zeros", new float[] {0, 0, 0, 0}, zout.toFloatArray(), 0, 0);
        }
        PruneConfig.Builder structured = noFineTuning(Criterion.LAMP);
        assertTrue(assertThrows(InvalidSettingException.class, structured::build).getMessage().contains("single weights only"));
    }

    /** LAMP scores in double, from the definition: the formula above, ties by increasing index. */
    private static double[] lamp(float[] w) {
        Integer[] order = new Integer[w.length];
        for (int i = 0; i < w.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> {
            int c = Float.compare(Math.abs(w[x]), Math.abs(w[y]));
            return c != 0 ? c : Integer.compare(x, y);
        });
        double[] s = new double[w.length];
        double suffix = 0;
        for (int k = w.length - 1; k >= 0; k--) {
            double sq = (double) w[order[k]] * w[order[k]];
            suffix += sq;
            s[order[k]] = sq / suffix;
        }
        return s;
    }

    /**
     * A 3 → 4 → 2 MLP, fc1's 12 weights of magnitudes {@code 10·k/12} and fc2's 8 of {@code 0.1·k/8}
     * (shuffled, random signs). Global unstructured 50 % (10 of 20 weights) with no normalisation:
     * LAMP keeps fc1's 6 and fc2's 4 largest (the top 10 of the LAMP scores, each layer's largest
     * scoring 1), exactly 10 in all; plain magnitude keeps fc1's 10 largest and fc2's largest only,
     * which the per-layer guard adds back (11 in all).
     */
    @Test
    void lampThroughThePrunerGivesEachLayerItsOwnSparsity() {
        SplittableRandom rng = new SplittableRandom(8);
        float[] w1 = shuffledMagnitudes(12, 10, rng);
        float[] w2 = shuffledMagnitudes(8, 0.1, rng);
        double[] l1 = lamp(w1);
        double[] l2 = lamp(w2);
        // the expected survivors: the 10 largest LAMP scores over both layers (no ties among them)
        List<double[]> all = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            all.add(new double[] {l1[i], 0, i});
        }
        for (int i = 0; i < 8; i++) {
            all.add(new double[] {l2[i], 1, i});
        }
        all.sort((x, y) -> Double.compare(y[0], x[0]));
        float[][] want = {new float[12], new float[8]};
        for (int k = 0; k < 10; k++) {
            want[(int) all.get(k)[1]][(int) all.get(k)[2]] = 1;
        }
        assertEquals(6, count(want[0]), "hand-computed: LAMP keeps 6 of fc1");
        assertEquals(4, count(want[1]), "hand-computed: LAMP keeps 4 of fc2");

        Ranking.Config global = Ranking.Config.ratio(Ranking.Scope.GLOBAL, Normalization.NONE, 0.5);
        float[][] lampMasks = prune(Criterion.LAMP, global, w1, w2);
        Check.close("LAMP mask fc1", want[0], lampMasks[0], 0, 0);
        Check.close("LAMP mask fc2", want[1], lampMasks[1], 0, 0);
        assertEquals(1f, lampMasks[0][argmax(w1)], "fc1 keeps its largest weight");
        assertEquals(1f, lampMasks[1][argmax(w2)], "fc2 keeps its largest weight");

        float[][] magnitudeMasks = prune(Criterion.MAGNITUDE, global, w1, w2);
        assertEquals(10, count(magnitudeMasks[0]), "magnitude: fc1 keeps its 10 largest");
        assertEquals(1, count(magnitudeMasks[1]), "magnitude: fc2 keeps only the guard's weight");
        assertEquals(1f, magnitudeMasks[1][argmax(w2)]);
        assertTrue(count(lampMasks[1]) > count(magnitudeMasks[1]), "LAMP and magnitude differ");
    }

    /** The weight masks of fc1 and fc2 after one-shot unstructured pruning of the MLP with weights {@code w1}, {@code w2}. */
    private float[][] prune(Criterion c, Ranking.Config ranking, float[] w1, float[] w2) {
        try (Graph net = Models.mlp(cpu, 3, new int[] {4}, 2, 2); DeviceData data = toy(3, new int[] {3}, 2)) {
            cpu.upload(((Dense) net.layer("fc1")).weight().value(), w1);
            cpu.upload(((Dense) net.layer("fc2")).weight().value(), w2);
            new Pruner(noFineTuning(c).optStructured(false).optRanking(ranking).build(), null).run(net, null, data, null);
            Parameter p1 = ((Dense) net.layer("fc1")).weight();
            Parameter p2 = ((Dense) net.layer("fc2")).weight();
            for (Parameter p : List.of(p1, p2)) {
                float[] v = p.value().toFloatArray();
                float[] m = p.mask().toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    assertTrue(m[i] != 0 || v[i] == 0, c + ": a masked weight is not zero");
                }
            }
            return new float[][] {p1.mask().toFloatArray(), p2.mask().toFloatArray()};
        }
    }

    /** Magnitudes {@code scale·k/n} for {@code k = 1 … n}, shuffled, each with a random sign. */
    private static float[] shuffledMagnitudes(int n, double scale, SplittableRandom rng) {
        float[] w = new float[n];
        for (int k = 0; k < n; k++) {
            w[k] = (float) (scale * (k + 1) / n * (rng.nextBoolean() ? 1 : -1));
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            float t = w[i];
            w[i] = w[j];
            w[j] = t;
        }
        return w;
    }

    private static int count(float[] m) {
        int c = 0;
        for (float v : m) {
            c += v != 0 ? 1 : 0;
        }
        return c;
    }

    private static int argmax(float[] w) {
        int best = 0;
        for (int i = 1; i < w.length; i++) {
            if (Math.abs(w[i]) > Math.abs(w[best])) {
                best = i;
            }
        }
        return best;
    }
}
