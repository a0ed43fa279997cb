package org.example.prune4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.Prune4jException;
import io.prune4j.data.Dataset;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.prune.ChannelGroups;
import io.prune4j.prune.Compaction;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer written outside the library ({@link Scale}, a learnable per-channel scale) takes part in
 * structured pruning through the public extension points alone, its channel rule and its pruned copy:
 * the dependency analysis puts it in the group of the convolution whose output it scales, and the
 * {@link Pruner} (magnitude, 50 % per group, no fine-tuning) removes its entries with that
 * convolution's filters. The pruned network computes exactly what the masked network computes (and
 * what {@link Compaction} called directly on the same plan gives), and the scale keeps the entries of
 * the surviving channels. Nothing here is in a library package, so anything package-private would not
 * compile.
 */
class CustomLayerTest {
    private static final long SEED = 21;
    private final Backend cpu = new CpuBackend(1);

    @AfterEach
    void closeBackend() {
        cpu.close();
    }

    /** {@code c1 → s1 (Scale) → relu → c2 → s2 (Scale) → relu → gap → flatten → fc}, with random biases and scales. */
    private Graph network(SplittableRandom rng) {
        GraphBuilder g = Graph.builder(cpu, SEED, 2, 6, 6);
        String y = g.conv("c1", Graph.INPUT, 6, 3, 1, 1, 1, true);
        y = g.relu("r1", g.add(new Scale("s1", cpu.fromArray(scales(rng, 6), 6)), y));
        y = g.conv("c2", y, 4, 3, 1, 1, 1, true);
        y = g.relu("r2", g.add(new Scale("s2", cpu.fromArray(scales(rng, 4), 4)), y));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 3);
        Graph net = g.build();
        for (String c : List.of("c1", "c2")) {
            Conv2d conv = (Conv2d) net.layer(c);
            cpu.upload(conv.bias().value(), Check.uniform(rng, conv.outChannels(), 0.5));
        }
        return net;
    }

    /** Scales of either sign, {@code 0.5 ≤ |s| ≤ 1.5}: a wrongly gathered entry changes the output. */
    private static float[] scales(SplittableRandom rng, int n) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) {
            s[i] = (float) ((0.5 + rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1));
        }
        return s;
    }

    private static Dataset images(int n, SplittableRandom rng) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(3);
        }
        return new Dataset("toy", Check.uniform(rng, n * 72, 1), labels, n, 72, 3, new int[] {2, 6, 6});
    }

    @Test
    void theCustomLayerJoinsTheGroupOfTheConvolutionItScales() {
        try (Graph net = network(new SplittableRandom(SEED))) {
            ChannelGroups groups = ChannelGroups.of(net);
            assertEquals(List.of("c1", "c2"), groups.prunable().stream().map(ChannelGroups.Group::name).toList());
            for (String[] pair : new String[][] {{"c1", "s1"}, {"c2", "s2"}}) {
                ChannelGroups.Group g = groups.named(pair[0]);
                ChannelGroups.Member out = g.output(pair[1]);
                assertNotNull(out, pair[1] + " is not in group " + pair[0]);
                int units = g.units();
                assertEquals(Arrays.toString(java.util.stream.IntStream.range(0, units).toArray()), Arrays.toString(out.unitOf()));
                assertTrue(g.members().stream().anyMatch(m -> m.node().equals(pair[1]) && m.input() == 0), pair[1] + "'s input");
            }
        }
    }

    /** The kept filters of {@code conv}: its {@code keep} largest row L2 norms (the magnitude criterion), in index order. */
    private static int[] largestRows(Conv2d conv, int keep) {
        float[] w = conv.weight().value().toFloatArray();
        int rows = conv.outChannels();
        int cols = w.length / rows;
        double[] norm = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                norm[r] += (double) w[r * cols + c] * w[r * cols + c];
            }
        }
        Integer[] order = new Integer[rows];
        for (int r = 0; r < rows; r++) {
            order[r] = r;
        }
        Arrays.sort(order, (a, b) -> Double.compare(norm[b], norm[a]));
        int[] kept = new int[keep];
        for (int i = 0; i < keep; i++) {
            kept[i] = order[i];
        }
        Arrays.sort(kept);
        return kept;
    }

    private Tensor unitMask(int units, int[] kept) {
        float[] m = new float[units];
        for (int k : kept) {
            m[k] = 1f;
        }
        return cpu.fromArray(m, units);
    }

    @Test
    void thePrunerCompactsTheCustomLayerAsTheMasksSay() {
        SplittableRandom rng = new SplittableRandom(SEED);
        try (Graph net = network(rng); DeviceData train = DeviceData.upload(cpu, images(64, rng))) {
            // the plan magnitude ranking gives (50 % of each group's filters), and the two references made from it
            int[] keep1 = largestRows((Conv2d) net.layer("c1"), 3);
            int[] keep2 = largestRows((Conv2d) net.layer("c2"), 2);
            float[] s1 = ((Scale) net.layer("s1")).scale().value().toFloatArray();
            float[] s2 = ((Scale) net.layer("s2")).scale().value().toFloatArray();
            long params = net.parameterCount();
            try (Graph masked = net.copy(); Graph direct = net.copy()) {
                ChannelGroups groups = ChannelGroups.of(masked);
                List<Tensor> masks = new ArrayList<>(List.of(unitMask(6, keep1), unitMask(4, keep2)));
                Map<String, Tensor> channels = Compaction.channelMasks(groups, List.of(groups.named("c1"), groups.named("c2")), masks);
                Compaction.maskUnits(masked, channels);
                Compaction.compact(direct, channels);
                channels.values().forEach(Tensor::close);
                masks.forEach(Tensor::close);

                PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE)
                        .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
                Pruner.Outcome o = new Pruner(cfg, null).run(net, null, train, null);
                assertEquals(1, o.rounds().size());

                assertEquals(3, ((Conv2d) net.layer("c1")).outChannels());
                assertEquals(2, ((Conv2d) net.layer("c2")).outChannels());
                Check.close("s1 after pruning: the entries of filters " + Arrays.toString(keep1), gather(s1, keep1),
                        ((Scale) net.layer("s1")).scale().value().toFloatArray(), 0, 0);
                Check.close("s2 after pruning: the entries of filters " + Arrays.toString(keep2), gather(s2, keep2),
                        ((Scale) net.layer("s2")).scale().value().toFloatArray(), 0, 0);
                Check.close("s1 compacted directly", gather(s1, keep1), ((Scale) direct.layer("s1")).scale().value().toFloatArray(), 0, 0);
                assertTrue(net.parameterCount() < params, "parameters " + params + " → " + net.parameterCount());
                assertEquals(direct.parameterCount(), net.parameterCount());

                Tensor x = cpu.fromArray(Check.uniform(rng, 5 * 72, 1), 5, 72);
                float[] want = masked.forward(x, false).toFloatArray();
                Check.close("pruned by the Pruner vs masked", want, net.forward(x, false).toFloatArray(), 1e-5, 1e-5);
                Check.close("compacted directly vs masked", want, direct.forward(x, false).toFloatArray(), 1e-5, 1e-5);
                Check.close("pruned, training mode", masked.forward(x, true).toFloatArray(), net.forward(x, true).toFloatArray(), 1e-5, 1e-5);
            }
        }
    }

    private static float[] gather(float[] v, int[] idx) {
        float[] out = new float[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = v[idx[i]];
        }
        return out;
    }

    /** The kept node list is passed to the dependency analysis from outside as well: a kept Scale keeps its group. */
    @Test
    void keepingTheCustomLayerKeepsItsGroup() {
        try (Graph net = network(new SplittableRandom(SEED))) {
            ChannelGroups groups = ChannelGroups.of(net, Set.of("s1"));
            assertEquals(List.of("c2"), groups.prunable().stream().map(ChannelGroups.Group::name).toList());
            assertEquals("s1 is to be kept", groups.named("c1").reason());
        }
    }

    /**
     * Saving refuses a layer of one's own until its codec is registered (before anything is written),
     * and with the codec the network, masks included, loads back computing the same outputs bit for bit.
     * (The refusal is checked only where no other test of this JVM has registered the codec already.)
     */
    @Test
    void theCustomLayerSavesAndLoadsThroughItsCodec(@TempDir Path dir) throws Exception {
        SplittableRandom rng = new SplittableRandom(SEED);
        try (Graph net = network(rng)) {
            Path file = dir.resolve("scaled.safetensors");
            Prune4jException refused = null;
            try {
                ModelFile.save(net, file, Map.of());
            } catch (Prune4jException e) {
                refused = e;
            }
            if (refused != null) {   // no codec registered yet in this JVM
                assertTrue(refused.getMessage().contains("s1") && refused.getMessage().contains("LayerCodec"), refused.getMessage());
                assertFalse(Files.exists(file), "nothing is written when a layer cannot be saved");
            }
            ModelFile.register(new ScaleCodec());
            ModelFile.register(new ScaleCodec());   // the same codec again: nothing happens
            assertThrows(IllegalArgumentException.class, () -> ModelFile.register(new ScaleCodec() {
                @Override
                public String type() {
                    return "dense";
                }
            }));
            Scale s1 = (Scale) net.layer("s1");
            s1.scale().setMask(cpu.fromArray(new float[] {1, 0, 1, 1, 0, 1}, 6));
            ModelFile.save(net, file, Map.of());
            Dataset data = images(5, rng);
            try (Graph back = ModelFile.load(file, cpu);
                 Tensor x = cpu.fromArray(data.features(), 5, 2, 6, 6)) {
                Scale loaded = (Scale) back.layer("s1");
                assertNotNull(loaded.scale().mask(), "the mask of the custom layer's parameter is saved");
                assertTrue(Arrays.equals(s1.scale().mask().toFloatArray(), loaded.scale().mask().toFloatArray()));
                float[] a = net.forward(x, false).toFloatArray();
                float[] b = back.forward(x, false).toFloatArray();
                assertTrue(Arrays.equals(a, b), "the loaded network computes the same outputs");
            }
        }
    }
}
