package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RankingTest {
    private final Backend cpu = new CpuBackend(1);

    private List<Tensor> scores(float[]... layers) {
        List<Tensor> out = new ArrayList<>();
        for (float[] l : layers) {
            out.add(cpu.fromArray(l, l.length));
        }
        return out;
    }

    private static float[][] arrays(List<Tensor> masks) {
        float[][] a = new float[masks.size()][];
        for (int i = 0; i < a.length; i++) {
            a[i] = masks.get(i).toFloatArray();
        }
        return a;
    }

    /** Reference top-k by a full stable sort: descending score, ascending index; NaN lowest. */
    private static float[] sortedTopK(float[] s, int k) {
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < s.length; i++) {
            idx[i] = i;
        }
        Comparator<Integer> bySore = Comparator.comparingDouble(i -> Float.isNaN(s[i]) ? Double.NEGATIVE_INFINITY : s[i]);
        Arrays.sort(idx, bySore.reversed().thenComparing(i -> i));
        float[] m = new float[s.length];
        for (int i = 0; i < k; i++) {
            m[idx[i]] = 1;
        }
        return m;
    }

    @Test
    void selectTopKMatchesAFullSortIncludingTiesAndNaN() {
        SplittableRandom rng = new SplittableRandom(11);
        for (int n : new int[] {0, 1, 2, 31, 32, 33, 1023, 4097}) {
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                // few distinct values: many ties; some NaN
                s[i] = rng.nextInt(10) == 0 ? Float.NaN : rng.nextInt(7) - 3;
            }
            for (int k : new int[] {0, 1, n / 3, n / 2, n - 1, n}) {
                if (k < 0 || k > n) {
                    continue;
                }
                Tensor mask = cpu.zeros(DType.FLOAT32, n);
                cpu.selectTopK(mask, cpu.fromArray(s, n), k);
                assertArrayEquals(sortedTopK(s, k), mask.toFloatArray(), "n=" + n + " k=" + k);
            }
        }
    }

    @Test
    void layerScopeKeepsTheSameRatioInEachLayer() {
        List<Tensor> s = scores(new float[] {5, 1, 4, 2, 3, 0}, new float[] {0.1f, 0.4f, 0.3f, 0.2f});
        List<Tensor> m = Ranking.select(s, null, new int[] {6, 4}, Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.NONE, 0.5));
        float[][] a = arrays(m);
        assertArrayEquals(new float[] {1, 0, 1, 0, 1, 0}, a[0]);
        assertArrayEquals(new float[] {0, 1, 1, 0}, a[1]);
    }

    @Test
    void globalScopeRanksAcrossLayersAfterNormalisation() {
        // layer 0 has large raw scores; without normalisation it would win everything
        List<Tensor> raw = scores(new float[] {100, 90, 80}, new float[] {3, 2, 1});
        float[][] none = arrays(Ranking.select(raw, null, new int[] {3, 3},
                new Ranking.Config(Ranking.Scope.GLOBAL, Normalization.NONE, Ranking.Mode.COUNT, 3, 1, 1.0)));
        assertArrayEquals(new float[] {1, 1, 1}, none[0]);
        assertArrayEquals(new float[] {1, 0, 0}, none[1], "min-keep guard gives layer 1 its best unit back");

        List<Tensor> s = scores(new float[] {100, 90, 80}, new float[] {3, 2, 1});
        float[][] max = arrays(Ranking.select(s, null, new int[] {3, 3},
                new Ranking.Config(Ranking.Scope.GLOBAL, Normalization.MAX, Ranking.Mode.COUNT, 4, 1, 1.0)));
        // normalised: {1, .9, .8} and {1, .667, .333}: top 4 = 1, 1 (tie: lower index = layer 0 first), .9, .8
        assertArrayEquals(new float[] {1, 1, 1}, max[0]);
        assertArrayEquals(new float[] {1, 0, 0}, max[1]);
    }

    @Test
    void thresholdRatioAndCountAgreeOnTheSameSet() {
        float[] s = {0.9f, 0.1f, 0.5f, 0.7f, 0.3f};
        float[][] byRatio = arrays(Ranking.select(scores(s), null, new int[] {5},
                Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.NONE, 0.4)));
        float[][] byCount = arrays(Ranking.select(scores(s), null, new int[] {5},
                new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.COUNT, 3, 1, 1.0)));
        float[][] byThreshold = arrays(Ranking.select(scores(s), null, new int[] {5},
                new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.THRESHOLD, 0.5, 1, 1.0)));
        float[] expected = {1, 0, 1, 1, 0};
        assertArrayEquals(expected, byRatio[0]);
        assertArrayEquals(expected, byCount[0]);
        assertArrayEquals(expected, byThreshold[0]);
    }

    @Test
    void tiesKeepTheLowerIndex() {
        float[][] m = arrays(Ranking.select(scores(new float[] {1, 1, 1, 1, 1}), null, new int[] {5},
                new Ranking.Config(Ranking.Scope.LAYER, Normalization.L2, Ranking.Mode.COUNT, 2, 1, 1.0)));
        assertArrayEquals(new float[] {1, 1, 0, 0, 0}, m[0]);
        float[][] g = arrays(Ranking.select(scores(new float[] {2, 2}, new float[] {2, 2}), null, new int[] {2, 2},
                new Ranking.Config(Ranking.Scope.GLOBAL, Normalization.NONE, Ranking.Mode.COUNT, 3, 1, 1.0)));
        assertArrayEquals(new float[] {1, 1}, g[0]);
        assertArrayEquals(new float[] {1, 0}, g[1]);
    }

    @Test
    void guardsKeepLayersFromBeingEmptiedOrOverPruned() {
        float[][] m = arrays(Ranking.select(scores(new float[] {1, 2, 3, 4}), null, new int[] {4},
                new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.THRESHOLD, 100, 1, 1.0)));
        assertArrayEquals(new float[] {0, 0, 0, 1}, m[0], "threshold above everything still keeps min-keep = 1");
        float[][] g = arrays(Ranking.select(scores(new float[] {9, 8, 7, 6}, new float[] {1, 2, 3, 4}), null, new int[] {4, 4},
                new Ranking.Config(Ranking.Scope.GLOBAL, Normalization.NONE, Ranking.Mode.RATIO, 0.5, 1, 0.5)));
        assertArrayEquals(new float[] {1, 1, 1, 1}, g[0]);
        assertArrayEquals(new float[] {0, 0, 1, 1}, g[1], "max-prune-ratio 0.5 keeps half of layer 1");
        float[][] k = arrays(Ranking.select(scores(new float[] {1, 2, 3, 4}), null, new int[] {4},
                new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.RATIO, 0.9, 3, 1.0)));
        assertArrayEquals(new float[] {0, 1, 1, 1}, k[0], "min-keep 3");
    }

    /**
     * Global ranking with the per-layer guards on random layers with many ties, against the rule
     * written out plainly: one sorted global choice, then every layer left below its floor gets its
     * own best floor units instead.
     */
    @Test
    void globalGuardsMatchTheRuleWrittenOut() {
        SplittableRandom rng = new SplittableRandom(29);
        for (int trial = 0; trial < 200; trial++) {
            int layers = 1 + rng.nextInt(4);
            float[][] s = new float[layers][];
            int[] ref = new int[layers];
            int total = 0;
            for (int l = 0; l < layers; l++) {
                s[l] = new float[1 + rng.nextInt(40)];
                for (int j = 0; j < s[l].length; j++) {
                    s[l][j] = rng.nextInt(6) / 4f * (l + 1);   // few distinct values: ties within and across layers
                }
                ref[l] = s[l].length;
                total += s[l].length;
            }
            double ratio = rng.nextDouble();
            int minKeep = 1 + rng.nextInt(4);
            double maxPrune = rng.nextBoolean() ? 1.0 : 0.3 + 0.7 * rng.nextDouble();
            float[][] got = arrays(Ranking.select(scores(s), null, ref,
                    new Ranking.Config(Ranking.Scope.GLOBAL, Normalization.NONE, Ranking.Mode.RATIO, ratio, minKeep, maxPrune)));
            // the rule: global top K over the concatenation (descending score, lower global index first) ...
            float[] all = new float[total];
            int off = 0;
            for (float[] l : s) {
                System.arraycopy(l, 0, all, off, l.length);
                off += l.length;
            }
            float[] globalMask = sortedTopK(all, total - (int) Math.round(ratio * total));
            off = 0;
            for (int l = 0; l < layers; l++) {
                float[] m = Arrays.copyOfRange(globalMask, off, off + s[l].length);
                off += s[l].length;
                // ... then a layer below its floor keeps its own best floor units
                int guard = (int) Math.ceil(ref[l] * (1 - maxPrune) - 1e-9);
                int floor = Math.min(s[l].length, Math.max(minKeep, guard));
                int kept = 0;
                for (float v : m) kept += (int) v;
                float[] want = kept < floor ? sortedTopK(s[l], floor) : m;
                assertArrayEquals(want, got[l], "trial " + trial + " layer " + l + " ratio " + ratio + " minKeep " + minKeep
                        + " maxPrune " + maxPrune);
            }
        }
    }

    /** A float holds every integer only up to 2^24: longer masks are counted in pieces, exactly. */
    @Test
    void countsOfMasksLongerThanAFloatCountsAreExact() {
        int n = Ranking.EXACT_FLOAT_COUNT + 4;
        float[] ones = new float[n];
        Arrays.fill(ones, 1f);
        ones[7] = 0f;
        try (Tensor big = cpu.fromArray(ones, n); Tensor small = cpu.fromArray(new float[] {1, 0, 1}, 3)) {
            assertEquals(n - 1, Ranking.count(cpu, big), "2^24 + 3 ones: as one float sum it would read 2^24 + 4");
            assertArrayEquals(new int[] {2, 0, n - 1}, Ranking.counts(cpu, Arrays.asList(small, null, big)));
        }
    }

    @Test
    void alreadyPrunedEntriesAreNeverKeptAgain() {
        Tensor prior = cpu.fromArray(new float[] {0, 1, 1, 0, 1, 1}, 6);
        float[][] m = arrays(Ranking.select(scores(new float[] {9, 1, 2, 8, 3, 4}), List.of(prior), new int[] {6},
                Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.NONE, 0.5)));
        assertArrayEquals(new float[] {0, 0, 1, 0, 1, 1}, m[0]);
    }

    @Test
    void badSettingsAreRejectedWithTheirName() {
        assertTrue(assertThrows(InvalidSettingException.class, () -> Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.NONE, 1.0))
                .getMessage().contains("sparsity"));
        assertTrue(assertThrows(InvalidSettingException.class,
                () -> new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.THRESHOLD, Double.NaN, 1, 1))
                .getMessage().contains("threshold"));
        assertTrue(assertThrows(InvalidSettingException.class,
                () -> Ranking.select(scores(new float[] {1, 2}), null, new int[] {2},
                        new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.COUNT, 3, 1, 1)))
                .getMessage().contains("larger than"));
        assertThrows(InvalidSettingException.class,
                () -> new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.RATIO, 0.5, 0, 1));
        assertThrows(InvalidSettingException.class,
                () -> new Ranking.Config(Ranking.Scope.LAYER, Normalization.NONE, Ranking.Mode.RATIO, 0.5, 1, 0));
    }

    @Test
    void normalisationsScaleEachLayer() {
        Tensor a = cpu.fromArray(new float[] {3, -4}, 2);
        cpu.normalize(a, Normalization.L2);
        Check.close("l2", new float[] {0.6f, -0.8f}, a.toFloatArray(), 1e-7, 1e-6);
        Tensor b = cpu.fromArray(new float[] {1, -4, 2}, 3);
        cpu.normalize(b, Normalization.MAX);
        Check.close("max", new float[] {0.25f, -1f, 0.5f}, b.toFloatArray(), 1e-7, 1e-6);
        Tensor c = cpu.fromArray(new float[] {1, -1, 2}, 3);
        cpu.normalize(c, Normalization.L1);
        Check.close("l1", new float[] {0.25f, -0.25f, 0.5f}, c.toFloatArray(), 1e-7, 1e-6);
        Tensor z = cpu.zeros(DType.FLOAT32, 3);
        cpu.normalize(z, Normalization.L2);
        assertArrayEquals(new float[3], z.toFloatArray());
        assertEquals(2, cpu.countAtLeast(cpu.fromArray(new float[] {1, 2, 3}, 3), 2f));
    }

    @Test
    void nullArgumentsAreRefusedAtTheCall() {
        Ranking.Config cfg = Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5);
        assertEquals("cfg", assertThrows(NullPointerException.class, () -> Ranking.select(List.of(), null, new int[0], null)).getMessage());
        assertEquals("scores", assertThrows(NullPointerException.class, () -> Ranking.select(null, null, new int[0], cfg)).getMessage());
        assertThrows(NullPointerException.class, () -> Ranking.Scope.parse(null));
    }
}
