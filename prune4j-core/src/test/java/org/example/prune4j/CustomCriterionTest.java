package org.example.prune4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Schedule;
import io.prune4j.testing.Check;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A criterion written outside the library ({@link PreferHigherIndices}: a {@link io.prune4j.prune.ScorerFactory}
 * and an {@link io.prune4j.prune.AbstractScorer} subclass) runs through the {@link Pruner} like a built-in
 * one: scored nodes chosen per dependency group, group reduction over a residual group's two
 * convolutions, ranking, compaction, an iterative schedule of two rounds. Since it prefers the
 * highest-numbered channels, the survivors are known exactly: the top half of each group's original
 * channels, reached through a first round that keeps 6 of 8 (and 4 of 6) and renumbers them. The
 * surviving weights are compared with the original weights' rows and columns.
 */
class CustomCriterionTest {
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void closeBackend() {
        cpu.close();
    }

    @Test
    void anIterativeScheduleKeepsTheChannelsTheCustomScoreRanksHighest() {
        SplittableRandom rng = new SplittableRandom(31);
        // c1 → r1 → c2 ⊕ r1 → r → c3 → r3 → gap → flatten → fc: group c1 (c1, c2 and the add, 8 units), group c3 (6 units)
        GraphBuilder g = Graph.builder(cpu, 31, 1, 5, 5);
        String r1 = g.relu("r1", g.conv("c1", Graph.INPUT, 8, 3, 1, 1, 1, true));
        String y = g.relu("r", g.add("add", g.conv("c2", r1, 8, 3, 1, 1, 1, true), r1));
        y = g.relu("r3", g.conv("c3", y, 6, 3, 1, 1, 1, true));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        int[] labels = new int[40];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(2);
        }
        try (Graph net = g.build();
             DeviceData train = DeviceData.upload(cpu, new Dataset("toy", Check.uniform(rng, 40 * 25, 1), labels, 40, 25, 2,
                     new int[] {1, 5, 5}))) {
            float[] w1 = weight(net, "c1");
            float[] w2 = weight(net, "c2");
            float[] w3 = weight(net, "c3");
            float[] wf = ((Dense) net.layer("fc")).weight().value().toFloatArray();

            PreferHigherIndices criterion = new PreferHigherIndices();
            PruneConfig cfg = PruneConfig.builder().setCriterion(criterion).optSchedule(Schedule.ITERATIVE, 2)
                    .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
            List<Long> params = new ArrayList<>();
            Pruner.Outcome o = new Pruner(cfg, new Pruner.Listener() {
                @Override
                public void pruned(Pruner.Round round) {
                    params.add(round.params());
                }
            }).run(net, null, train, null);

            assertEquals(2, o.rounds().size());
            assertEquals(List.of("UNIT [c1, c2, c3]", "UNIT [c1, c2, c3]"), criterion.calls, "what the scorers were asked");
            // round 1 (target 1 − √0.5 ≈ 29 %): group c1 keeps 6 of 8 (channels 2…7), c3 keeps 4 of 6 (2…5):
            //   c1 6·9 + 6, c2 6·6·9 + 6, c3 4·6·9 + 4, fc 2·4 + 2
            // round 2 (50 % of the original): c1 keeps 4 (4…7), c3 keeps 3 (3…5)
            assertEquals(List.of(60L + 330 + 220 + 10, 40L + 148 + 111 + 8), params, "parameters after each round");

            int[] keep1 = {4, 5, 6, 7};
            int[] keep3 = {3, 4, 5};
            Check.close("c1 filters", block(w1, 8, 1, 9, keep1, new int[] {0}), weight(net, "c1"), 0, 0);
            Check.close("c2 filters (its rows and input channels are both group c1's)", block(w2, 8, 8, 9, keep1, keep1),
                    weight(net, "c2"), 0, 0);
            Check.close("c3 filters", block(w3, 6, 8, 9, keep3, keep1), weight(net, "c3"), 0, 0);
            Check.close("fc columns", block(wf, 2, 6, 1, new int[] {0, 1}, keep3), ((Dense) net.layer("fc")).weight().value().toFloatArray(),
                    0, 0);
        }
    }

    private static float[] weight(Graph net, String node) {
        return ((Conv2d) net.layer(node)).weight().value().toFloatArray();
    }

    /** Rows {@code rows} and input channels {@code cols} (of {@code k} weights each) of a {@code [out, in, k]} weight. */
    private static float[] block(float[] w, int out, int in, int k, int[] rows, int[] cols) {
        float[] b = new float[rows.length * cols.length * k];
        int at = 0;
        for (int r : rows) {
            for (int c : cols) {
                for (int j = 0; j < k; j++) {
                    b[at++] = w[(r * in + c) * k + j];
                }
            }
        }
        return b;
    }
}
