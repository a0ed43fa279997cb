package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.train.DeviceData;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every scorer against a hand-computed case or a naive double-precision reference whose gradients
 * come from finite differences. One calibration batch holds the whole (37-example) data set, so the
 * reference sees exactly the scorer's batch.
 */
class ScorerTest {
    private static final int IN = 6;
    private static final int HIDDEN = 5;
    private static final int CLASSES = 3;
    private static final int N = 37;

    private final Backend cpu = new CpuBackend(1);
    private final SplittableRandom rng = new SplittableRandom(17);
    private final float[] x = Check.randn(rng, N * IN, 1.5);
    private final int[] y = Check.randint(rng, N, CLASSES);
    private final Graph net = Models.mlp(cpu, IN, new int[] {HIDDEN}, CLASSES, 5);
    private final DeviceData data = DeviceData.upload(cpu, new Dataset("toy", x, y, N, IN, CLASSES));
    private final NaiveMlp ref = new NaiveMlp(net, x, y, IN, HIDDEN, CLASSES);

    private float[] score(Criterion c, Granularity g, int layer) {
        List<Tensor> s = Calibration.score(c, 3, net, List.of(net.nodes().get(layer).name()), g, data, 1, 9, null);
        assertEquals(1, s.size());
        return s.get(0).toFloatArray();
    }

    @Test
    void taylorFusedOpHandComputed() {
        Tensor acc = cpu.zeros(DType.FLOAT32, 2);
        Tensor a = cpu.fromArray(new float[] {1, 2, 3, -1}, 2, 2);
        Tensor g = cpu.fromArray(new float[] {0.5f, 1, -1, 2}, 2, 2);
        cpu.taylorAccumulate(acc, a, g, false, 1f);   // a·g = [[0.5, 2], [-3, -2]]: |Σ_b| = [2.5, 0]
        assertArrayEquals(new float[] {2.5f, 0f}, acc.toFloatArray());
        cpu.taylorAccumulate(acc, a, g, true, 2f);    // Σ_b |a·g| = [3.5, 4], times 2, added
        assertArrayEquals(new float[] {9.5f, 8f}, acc.toFloatArray());
    }

    @Test
    void taylorUnitsMatchFiniteDifferences() {
        double[] a = ref.hiddenActivations();
        double[] g = ref.gradHidden();
        double[] signed = new double[HIDDEN];
        double[] abs = new double[HIDDEN];
        for (int b = 0; b < N; b++) {
            for (int n = 0; n < HIDDEN; n++) {
                signed[n] += a[b * HIDDEN + n] * g[b * HIDDEN + n];
                abs[n] += Math.abs(a[b * HIDDEN + n] * g[b * HIDDEN + n]);
            }
        }
        for (int n = 0; n < HIDDEN; n++) {
            signed[n] = Math.abs(signed[n]);
        }
        Check.close("taylor", signed, score(Criterion.TAYLOR, Granularity.UNIT, 0), 1e-6, 1e-3);
        Check.close("taylor-abs", abs, score(Criterion.TAYLOR_ABS, Granularity.UNIT, 0), 1e-6, 1e-3);
    }

    @Test
    void taylorWeightsMatchFiniteDifferences() {
        double[] g = ref.grad(ref.w1);
        double[] expected = new double[g.length];
        for (int i = 0; i < g.length; i++) {
            expected[i] = Math.abs(ref.w1[i] * g[i]);
        }
        Check.close("taylor weights", expected, score(Criterion.TAYLOR, Granularity.WEIGHT, 0), 1e-6, 1e-3);
        Check.close("taylor-abs weights (one batch: same)", expected, score(Criterion.TAYLOR_ABS, Granularity.WEIGHT, 0), 1e-6, 1e-3);
    }

    @Test
    void magnitudeIsTheRowNormOrTheAbsoluteWeight() {
        double[] l2 = new double[HIDDEN];
        double[] l1 = new double[HIDDEN];
        double[] abs = new double[HIDDEN * IN];
        for (int n = 0; n < HIDDEN; n++) {
            for (int j = 0; j < IN; j++) {
                double w = ref.w1[n * IN + j];
                l2[n] += w * w;
                l1[n] += Math.abs(w);
                abs[n * IN + j] = Math.abs(w);
            }
            l2[n] = Math.sqrt(l2[n]);
        }
        Check.close("magnitude l2", l2, score(Criterion.MAGNITUDE, Granularity.UNIT, 0), 1e-6, 1e-5);
        Check.close("magnitude l1", l1, score(Criterion.MAGNITUDE_L1, Granularity.UNIT, 0), 1e-6, 1e-5);
        Check.close("|w|", abs, score(Criterion.MAGNITUDE, Granularity.WEIGHT, 0), 0, 0);
    }

    @Test
    void sensitivityGlobalLocalAndCombined() {
        double[] g = ref.grad(ref.w1);
        double total = 0;
        for (double v : g) {
            total += Math.abs(v);
        }
        double[] perWeight = new double[g.length];
        double[] perUnit = new double[HIDDEN];
        for (int i = 0; i < g.length; i++) {
            perWeight[i] = Math.abs(g[i]) / total;
            perUnit[i / IN] += perWeight[i];
        }
        // with one batch, global and local normalisation coincide, and so does their mean
        for (Criterion c : new Criterion[] {Criterion.SENSITIVITY, Criterion.SENSITIVITY_GLOBAL, Criterion.SENSITIVITY_LOCAL}) {
            Check.close(c + " weights", perWeight, score(c, Granularity.WEIGHT, 0), 1e-6, 1e-3);
            Check.close(c + " units", perUnit, score(c, Granularity.UNIT, 0), 1e-6, 1e-3);
        }
    }

    @Test
    void sensitivityLocalNormalisesEachBatch() {
        Tensor acc = cpu.zeros(DType.FLOAT32, 3);
        cpu.accumulateNormalizedAbs(acc, cpu.fromArray(new float[] {1, -1, 2}, 3));   // + [.25, .25, .5]
        cpu.accumulateNormalizedAbs(acc, cpu.fromArray(new float[] {0, 0, -10}, 3));  // + [0, 0, 1]
        cpu.accumulateNormalizedAbs(acc, cpu.fromArray(new float[] {0, 0, 0}, 3));    // nothing
        assertArrayEquals(new float[] {0.25f, 0.25f, 1.5f}, acc.toFloatArray());
    }

    @Test
    void obdIsHalfFisherTimesWeightSquared() {
        double[] g = ref.grad(ref.w2);
        double[] perWeight = new double[g.length];
        double[] perUnit = new double[CLASSES];
        for (int i = 0; i < g.length; i++) {
            perWeight[i] = 0.5 * g[i] * g[i] * ref.w2[i] * ref.w2[i];
            perUnit[i / HIDDEN] += perWeight[i];
        }
        Check.close("obd weights", perWeight, score(Criterion.OBD, Granularity.WEIGHT, 1), 1e-9, 1e-3);
        Check.close("obd units", perUnit, score(Criterion.OBD, Granularity.UNIT, 1), 1e-9, 1e-3);
    }

    @Test
    void apozIsTheActivationFrequency() {
        double[] a = ref.hiddenActivations();
        double[] freq = new double[HIDDEN];
        for (int i = 0; i < a.length; i++) {
            freq[i % HIDDEN] += a[i] > 0 ? 1.0 / N : 0;
        }
        Check.close("activation frequency", freq, score(Criterion.APOZ, Granularity.UNIT, 0), 1e-6, 1e-6);
        assertThrows(IllegalArgumentException.class, () -> score(Criterion.APOZ, Granularity.WEIGHT, 0));
    }

    @Test
    void compositeHandComputed() {
        Tensor out = cpu.zeros(DType.FLOAT32, 2);
        Tensor w = cpu.fromArray(new float[] {1, -3, 0, 0}, 2, 2);
        Tensor g = cpu.fromArray(new float[] {2, 1, 5, 5}, 2, 2);
        Tensor f = cpu.fromArray(new float[] {0.5f, 1f}, 2);
        cpu.compositeScores(out, w, g, f);
        // row 0: (1·2·0.5 + 3·1·1) / (1 + 3) = 1; row 1: all-zero weights score 0
        assertArrayEquals(new float[] {1f, 0f}, out.toFloatArray());
    }

    @Test
    void compositeMatchesFiniteDifferencesForTheSecondLayer() {
        double[] g = ref.grad(ref.w2);
        double[] a = ref.hiddenActivations();
        double[] freq = new double[HIDDEN];
        for (int i = 0; i < a.length; i++) {
            freq[i % HIDDEN] += a[i] > 0 ? 1.0 / N : 0;
        }
        double[] expected = new double[CLASSES];
        for (int n = 0; n < CLASSES; n++) {
            double num = 0;
            double den = 0;
            for (int j = 0; j < HIDDEN; j++) {
                double w = Math.abs(ref.w2[n * HIDDEN + j]);
                num += w * Math.abs(g[n * HIDDEN + j]) * freq[j];
                den += w;
            }
            expected[n] = num / den;
        }
        Check.close("composite", expected, score(Criterion.COMPOSITE, Granularity.UNIT, 1), 1e-7, 1e-3);
        double[] first = new double[HIDDEN];
        double[] g1 = ref.grad(ref.w1);
        for (int n = 0; n < HIDDEN; n++) {
            double num = 0;
            double den = 0;
            for (int j = 0; j < IN; j++) {
                double w = Math.abs(ref.w1[n * IN + j]);
                num += w * Math.abs(g1[n * IN + j]);
                den += w;
            }
            first[n] = num / den; // network inputs count as always active
        }
        Check.close("composite, first layer", first, score(Criterion.COMPOSITE, Granularity.UNIT, 0), 1e-7, 1e-3);
    }

    @Test
    void randomIsSeededAndUniform() {
        float[] a = randomScores(1);
        float[] b = randomScores(1);
        float[] c = randomScores(2);
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
        for (float v : a) {
            assertTrue(v >= 0 && v < 1);
        }
        // Only the order of the scores decides what is pruned, so the order must be a fair draw: over
        // many seeds, each weight takes every rank equally often. One weight per seed, in turn, so
        // the rows of the table are independent multinomial samples and Pearson's statistic is χ²
        // with n·(n − 1) degrees of freedom.
        int n = a.length;
        int perWeight = 1000;
        long[][] rankCounts = new long[n][n];
        // and the values themselves: each is a uniform draw from [0, 1), ten bins
        long[] valueCounts = new long[10];
        for (int d = 0; d < n * perWeight; d++) {
            float[] s = randomScores(1000 + d);
            int w = d % n;
            int rank = 0;
            for (float v : s) {
                rank += v < s[w] ? 1 : 0;
            }
            rankCounts[w][rank]++;
            for (float v : s) {
                valueCounts[(int) (v * 10)]++;
            }
        }
        double ranks = 0;
        for (long[] row : rankCounts) {
            ranks += pearson(row);
        }
        double ranksBar = chiSquareQuantile(n * (n - 1), Z_1E4);
        assertTrue(ranks < ranksBar, "ranks are not uniform: χ² = " + ranks + " ≥ " + ranksBar);
        double values = pearson(valueCounts);
        double valuesBar = chiSquareQuantile(valueCounts.length - 1, Z_1E4);
        System.out.printf("random scores: ranks χ² %.1f (bar %.1f), values χ² %.1f (bar %.1f)%n", ranks, ranksBar, values, valuesBar);
        assertTrue(values < valuesBar, "values are not uniform on [0, 1): χ² = " + values + " ≥ " + valuesBar);
    }

    /** Standard normal quantile at 1 − 10⁻⁴: a uniform scorer fails one of the χ² checks with probability about 10⁻⁴ per set of seeds. */
    private static final double Z_1E4 = 3.719016;

    private float[] randomScores(long seed) {
        List<Tensor> s = Calibration.score(Criterion.RANDOM, seed, net, List.of(net.nodes().get(0).name()), Granularity.WEIGHT, data, 0, 0,
                null);
        float[] out = s.get(0).toFloatArray();
        s.forEach(Tensor::close);
        return out;
    }

    /** Pearson's χ² statistic of counts against equal expected counts. */
    private static double pearson(long[] counts) {
        long total = java.util.Arrays.stream(counts).sum();
        double expected = (double) total / counts.length;
        double chi2 = 0;
        for (long c : counts) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        return chi2;
    }

    /**
     * The χ² quantile with {@code df} degrees of freedom at the standard normal quantile {@code z},
     * by Wilson and Hilferty's cube-root approximation (at most 1.3 % above the exact quantile here, far
     * closer than the gap between a fair and a biased scorer).
     */
    private static double chiSquareQuantile(int df, double z) {
        double v = 2.0 / (9.0 * df);
        return df * Math.pow(1 - v + z * Math.sqrt(v), 3);
    }

    @Test
    void scorersLeaveNoHooksBehind() {
        for (Criterion c : Criterion.values()) {
            if (c.scoresUnits() && c.scores(net.layers().get(0))) { // not BatchNorm scale or LAMP: no such units here
                score(c, Granularity.UNIT, 0);
            }
        }
        assertEquals(0, net.hookCount());
    }

    @Test
    void nullArgumentsAreRefusedAtTheCall() {
        assertEquals("criterion", assertThrows(NullPointerException.class,
                () -> Calibration.score(null, 1, net, List.of(), Granularity.UNIT, data, 1, 1, null)).getMessage());
        assertEquals("data", assertThrows(NullPointerException.class,
                () -> Calibration.score(Criterion.TAYLOR, 1, net, List.of(), Granularity.UNIT, null, 1, 1, null)).getMessage());
        assertEquals("granularity", assertThrows(NullPointerException.class,
                () -> Calibration.score(Criterion.MAGNITUDE, 1, net, List.of(), null, null, 0, 1, null)).getMessage());
        assertEquals("data", assertThrows(NullPointerException.class, () -> BatchNormRecalibration.run(net, null, 1, 1)).getMessage());
        assertEquals("net", assertThrows(NullPointerException.class, () -> BatchNormRecalibration.applies(null)).getMessage());
        try (Scorer s = Criterion.MAGNITUDE.create(1)) {
            assertEquals("nodes", assertThrows(NullPointerException.class, () -> s.begin(net, null, Granularity.UNIT)).getMessage());
        }
    }
}
