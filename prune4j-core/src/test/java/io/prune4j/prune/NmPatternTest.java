package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** N:M patterns: the selection against a brute-force reference, the invariant after pruning and fine-tuning, the errors. */
class NmPatternTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void close() {
        cpu.close();
    }

    /** Random images [4, 8, 8] labelled by the sign pattern of two fixed projections (learnable, not trivial). */
    private static Dataset images(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        SplittableRandom dirs = new SplittableRandom(5);
        int f = 4 * 8 * 8;
        float[] u = new float[f];
        float[] v = new float[f];
        for (int i = 0; i < f; i++) {
            u[i] = (float) dirs.nextGaussian();
            v[i] = (float) dirs.nextGaussian();
        }
        float[] x = new float[n * f];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            double a = 0;
            double b = 0;
            for (int j = 0; j < f; j++) {
                float t = (float) rng.nextGaussian();
                x[i * f + j] = t;
                a += t * u[j];
                b += t * v[j];
            }
            y[i] = (a > 0 ? 1 : 0) + (b > 0 ? 2 : 0);
        }
        return new Dataset("images", x, y, n, f, 4);
    }

    /** The brute-force reference: for each group, keep entry i iff fewer than n entries beat it (higher, or equal and earlier). */
    private static float[] reference(float[] s, int n, int m) {
        float[] mask = new float[s.length];
        for (int g = 0; g < s.length; g += m) {
            for (int i = g; i < g + m; i++) {
                int beaten = 0;
                for (int j = g; j < g + m; j++) {
                    if (s[j] > s[i] || (s[j] == s[i] && j < i)) {
                        beaten++;
                    }
                }
                mask[i] = beaten < n ? 1 : 0;
            }
        }
        return mask;
    }

    @Test
    void selectionMatchesBruteForceWithTies() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int[] nm : new int[][] {{2, 4}, {4, 8}, {1, 2}, {3, 16}}) {
            for (int groups : new int[] {0, 1, 7, 33}) {
                float[] s = new float[groups * nm[1]];
                for (int i = 0; i < s.length; i++) {
                    s[i] = rng.nextInt(5) / 4f; // few distinct values: ties everywhere
                }
                assertArrayEquals(reference(s, nm[0], nm[1]), NmPattern.keepTopInGroups(s, nm[1], nm[0]),
                        nm[0] + ":" + nm[1] + " over " + groups + " groups");
            }
        }
        // per-row selection (rows longer than the selection sort handles) takes the sorting path
        float[] row = new float[3000];
        for (int i = 0; i < row.length; i++) {
            row[i] = rng.nextInt(100);
        }
        assertArrayEquals(reference(row, 1700, 3000), NmPattern.keepTopInGroups(row, 3000, 1700));
    }

    private static Map<String, float[]> masks(Graph net) {
        Map<String, float[]> out = new HashMap<>();
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer w) {
                assertNotNull(w.weight().mask(), l.name() + " is masked");
                out.put(l.name(), w.weight().mask().toFloatArray());
            }
        }
        return out;
    }

    /** Every group of m consecutive weights of every weight tensor keeps exactly n in its mask and holds zeros outside it. */
    private static void assertPattern(Graph net, NmPattern p, String when) {
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer w) {
                float[] mask = w.weight().mask().toFloatArray();
                float[] value = w.weight().value().toFloatArray();
                for (int g = 0; g < mask.length; g += p.m()) {
                    int kept = 0;
                    for (int i = g; i < g + p.m(); i++) {
                        kept += mask[i] != 0 ? 1 : 0;
                        if (mask[i] == 0) {
                            assertEquals(0f, value[i], 0f, when + ": " + l.name() + " weight " + i + " is pruned but not zero");
                        }
                    }
                    assertEquals(p.n(), kept, when + ": " + l.name() + " group at " + g);
                }
            }
        }
    }

    @Test
    void patternHoldsForEveryWeightTensorAfterPruningAndAfterFineTuning() {
        for (Criterion c : new Criterion[] {Criterion.MAGNITUDE, Criterion.TAYLOR}) {
            try (DeviceData train = DeviceData.upload(cpu, images(512, 1));
                 Graph net = Models.cnn(cpu, new int[] {4, 8, 8}, new int[] {8}, 16, 4, 3)) {
                NmPattern p = new NmPattern(2, 4);
                List<float[]> before = new ArrayList<>();
                for (Layer l : net.layers()) {
                    if (l instanceof WeightLayer w) {
                        before.add(w.weight().value().toFloatArray());
                    }
                }
                PruneConfig none = PruneConfig.builder().setCriterion(c).optStructured(false).optPattern(p).optCalibrationBatches(2)
                        .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
                Pruner.Outcome o = new Pruner(none, null).run(net, null, train, null);
                assertEquals(0.5, o.rounds().get(0).target(), 0);
                assertPattern(net, p, c + " after pruning");
                if (c == Criterion.MAGNITUDE) { // the kept weights are the two largest |w| of each group
                    int k = 0;
                    for (Layer l : net.layers()) {
                        if (l instanceof WeightLayer w) {
                            float[] abs = before.get(k++).clone();
                            for (int i = 0; i < abs.length; i++) {
                                abs[i] = Math.abs(abs[i]);
                            }
                            assertArrayEquals(reference(abs, 2, 4), w.weight().mask().toFloatArray(), l.name());
                        }
                    }
                }
                Map<String, float[]> pruned = masks(net);
                try (io.prune4j.train.Trainer t = new io.prune4j.train.Trainer(net,
                        TrainConfig.builder().optEpochs(1).optBatchSize(32).optLearningRate(3e-3f).build())) {
                    t.fit(train, null, io.prune4j.train.TrainListener.NONE);
                }
                assertPattern(net, p, c + " after fine-tuning");
                Map<String, float[]> tuned = masks(net);
                for (String name : pruned.keySet()) {
                    assertArrayEquals(pruned.get(name), tuned.get(name), name + ": fine-tuning keeps the mask");
                }
            }
        }
    }

    @Test
    void fineTuningInsideThePrunerKeepsFourOfEight() {
        try (DeviceData train = DeviceData.upload(cpu, images(256, 2));
             Graph net = Models.mlp(cpu, 256, new int[] {32, 16}, 4, 9)) {
            NmPattern p = new NmPattern(4, 8);
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.SENSITIVITY).optStructured(false).optPattern(p)
                    .optCalibrationBatches(1).optFinetune(TrainConfig.builder().optEpochs(1).optBatchSize(32).build()).build();
            Pruner.Outcome o = new Pruner(cfg, null).run(net, null, train, null);
            assertPattern(net, p, "after the pruner's fine-tuning");
            long weights = 256 * 32 + 32 * 16 + 16 * 4;
            assertEquals(weights / 2 + 32 + 16 + 4, o.rounds().get(0).nonzeroParams());
        }
    }

    @Test
    void badPatternsGetOneLineNamingTheProblem() {
        assertTrue(assertThrows(InvalidSettingException.class, () -> NmPattern.parse("4:4")).getMessage().contains("N must be smaller than M"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> NmPattern.parse("0:4")).getMessage().contains("keep at least 1"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> NmPattern.parse("2-4")).getMessage().contains("N:M"));
        assertTrue(assertThrows(InvalidSettingException.class, () -> NmPattern.parse("2:4:8")).getMessage().contains("N:M"));
        assertEquals(new NmPattern(2, 4), NmPattern.parse(" 2:4 "));
        assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.MAGNITUDE)
                .optPattern(new NmPattern(2, 4)).build(), "structured");
        assertThrows(InvalidSettingException.class, () -> PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false)
                .optSchedule(Schedule.ITERATIVE, 3).optPattern(new NmPattern(2, 4)).build(), "iterative");
        try (DeviceData train = DeviceData.upload(cpu, images(128, 3));
             Graph net = Models.cnn(cpu, new int[] {4, 8, 8}, new int[] {8}, 16, 4, 3)) {
            PruneConfig eight = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false).optPattern(new NmPattern(4, 8))
                    .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
            String msg = assertThrows(InvalidSettingException.class, () -> new Pruner(eight, null).run(net, null, train, null)).getMessage();
            assertEquals("pattern 4:8: layer conv1 has rows of 36 weights, not a multiple of 8; keep conv1 out of pruning", msg);
            PruneConfig ignored = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false)
                    .optPattern(new NmPattern(4, 8)).optKeep(Set.of("conv1")).optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
            new Pruner(ignored, null).run(net, null, train, null);
            assertEquals(null, ((WeightLayer) net.layer("conv1")).weight().mask(), "an ignored layer stays dense");
        }
    }

    @Test
    void nullArgumentsAreRefusedAtTheCall() {
        NmPattern p = new NmPattern(2, 4);
        assertEquals("scores", assertThrows(NullPointerException.class, () -> p.select(null, null)).getMessage());
        assertEquals("mask", assertThrows(NullPointerException.class, () -> p.holds(null)).getMessage());
        assertEquals("layers", assertThrows(NullPointerException.class, () -> p.check(Models.mlp(cpu, 4, new int[] {4}, 2, 1), null))
                .getMessage());
        assertThrows(InvalidSettingException.class, () -> NmPattern.parse(null), "null is malformed text, as before");
    }
}
