package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.ChannelRule;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Relu;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import io.prune4j.testing.Check;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Compaction never changes what the network computes: compacted and masked networks agree. */
class CompactionTest {
    private final Backend cpu = new CpuBackend(1);

    private List<Tensor> randomMasks(Graph net, List<String> layers, String kind, SplittableRandom rng) {
        List<Tensor> masks = new ArrayList<>();
        for (String li : layers) {
            int units = Compaction.weightLayer(net, li).units();
            float[] m = new float[units];
            int keep = switch (kind) {
                case "none" -> units;
                case "half" -> units / 2;
                default -> 1;
            };
            // a random subset of `keep` units
            int[] order = new int[units];
            for (int i = 0; i < units; i++) {
                order[i] = i;
            }
            for (int i = units - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i = 0; i < keep; i++) {
                m[order[i]] = 1;
            }
            masks.add(cpu.fromArray(m, units));
        }
        return masks;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "half", "all-but-one"})
    void compactedAndMaskedNetworksGiveTheSameOutputs(String kind) {
        SplittableRandom rng = new SplittableRandom(kind.hashCode());
        Graph masked = Models.mlp(cpu, 37, new int[] {31, 17, 9}, 10, 3);
        Graph compacted = masked.copy();
        List<String> layers = Plans.unitLayers(masked);
        assertEquals(List.of("fc1", "fc2", "fc3"), layers);
        List<Tensor> masks = randomMasks(masked, layers, kind, rng);
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        for (int s = 0; s < layers.size(); s++) {
            assertEquals(Ranking.count(cpu, masks.get(s)), Compaction.weightLayer(compacted, layers.get(s)).units());
        }
        int batch = 13;
        Tensor x = cpu.fromArray(Check.randn(rng, batch * 37, 2), batch, 37);
        float[] a = masked.forward(x, false).toFloatArray();
        float[] b = compacted.forward(x, false).toFloatArray();
        Check.close("compacted vs masked (" + kind + ")", a, b, 1e-5, 1e-5);
        if (!kind.equals("none")) {
            assertEquals(true, compacted.parameterCount() < masked.parameterCount());
        }
    }

    /**
     * Conv → pool → conv → pool → flatten → dense → dense on an odd-sized two-channel input: pruned
     * filters take the next conv's input channels and, behind the flatten, the dense layer's column
     * blocks with them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"none", "half", "all-but-one"})
    void compactedAndMaskedConvolutionalNetworksGiveTheSameOutputs(String kind) {
        SplittableRandom rng = new SplittableRandom(kind.hashCode() + 1);
        Graph masked = Models.cnn(cpu, new int[] {2, 11, 9}, new int[] {5, 7}, 6, 3, 4);
        // biases are zero at initialisation; random ones make a wrongly kept bias visible
        for (io.prune4j.nn.Parameter p : masked.parameters()) {
            if (p.name().equals("bias")) {
                cpu.upload(p.value(), Check.randn(rng, p.size(), 0.5));
            }
        }
        Graph compacted = masked.copy();
        List<String> layers = Plans.unitLayers(masked);
        assertEquals(List.of("conv1", "conv2", "fc1"), layers);
        List<Tensor> masks = randomMasks(masked, layers, kind, rng);
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        for (int s = 0; s < layers.size(); s++) {
            assertEquals(Ranking.count(cpu, masks.get(s)), Compaction.weightLayer(compacted, layers.get(s)).units());
        }
        int batch = 5;
        Tensor x = cpu.fromArray(Check.randn(rng, batch * 2 * 11 * 9, 1), batch, 2 * 11 * 9);
        Check.close("compacted vs masked CNN (" + kind + ")", masked.forward(x, false).toFloatArray(),
                compacted.forward(x, false).toFloatArray(), 1e-5, 1e-5);
        if (!kind.equals("none")) {
            assertEquals(true, compacted.flopsPerExample() < masked.flopsPerExample());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void convolutionFollowedDirectlyByConvolutionAndStride(int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        io.prune4j.nn.Conv2d c1 = io.prune4j.nn.Conv2d.create(cpu, "c1", 3, 6, 3, 2, 1, true, rng);
        io.prune4j.nn.Conv2d c2 = io.prune4j.nn.Conv2d.create(cpu, "c2", 6, 4, 2, 1, 0, false, rng);
        Graph masked = Graph.chain(cpu, new int[] {3, 8, 7},
                List.of(c1, c2, new Relu("r", cpu), new io.prune4j.nn.Flatten("f", cpu), Dense.create(cpu, "fc", 4 * 3 * 3, 2, false, rng)));
        Graph compacted = masked.copy();
        List<String> layers = Plans.unitLayers(masked);
        assertEquals(List.of("c1", "c2"), layers);
        List<Tensor> masks = List.of(cpu.fromArray(new float[] {0, 1, 1, 0, 0, 1}, 6), cpu.fromArray(new float[] {1, 0, 1, 1}, 4));
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        Tensor x = cpu.fromArray(Check.randn(rng, 3 * 3 * 8 * 7, 1), 3, 3 * 8 * 7);
        Check.close("conv → conv", masked.forward(x, false).toFloatArray(), compacted.forward(x, false).toFloatArray(), 1e-5, 1e-5);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void compactionSeesThroughSeparateReluLayers(int seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Dense d1 = Dense.create(cpu, "a", 5, 7, false, rng);
        Dense d2 = Dense.create(cpu, "b", 7, 3, false, rng);
        Graph masked = Graph.chain(cpu, 5, List.of(d1, new Relu("r", cpu), d2));
        Graph compacted = masked.copy();
        List<String> layers = Plans.unitLayers(masked);
        assertEquals(List.of("a"), layers);
        List<Tensor> masks = List.of(cpu.fromArray(new float[] {1, 0, 1, 1, 0, 0, 1}, 7));
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        Tensor x = cpu.fromArray(Check.randn(rng, 4 * 5, 1), 4, 5);
        Check.close("through ReLU", masked.forward(x, false).toFloatArray(), compacted.forward(x, false).toFloatArray(), 1e-5, 1e-5);
    }

    /**
     * {@code x → c0 → act → c1 → act → GAP → fc} for every activation: where the activation maps 0 to
     * 0 both convolutions' filters are prunable groups through it, and the compacted network computes
     * what the masked one does (inference and training mode); Taylor scores (a backward pass through
     * the layers) prune it to half. Where it does not (sigmoid, a HardSigmoid of β > 0) it is a gate
     * that a convolution and a pooling read, so neither convolution is prunable.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.prune4j.testing.Activations#all")
    void activationsBetweenConvolutions(Activations.Case c) {
        SplittableRandom rng = new SplittableRandom(c.kind().ordinal() + 40L);
        GraphBuilder g = Graph.builder(cpu, 5, 2, 7, 6);
        String y = g.activation("act0", g.conv("c0", Graph.INPUT, 6, 3, 1, 1, 1, true), c.kind(), c.alpha(), c.beta());
        y = g.activation("act1", g.conv("c1", y, 5, 3, 1, 1, 1, true), c.kind(), c.alpha(), c.beta());
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 3);
        Graph masked = g.build();
        List<String> layers = Plans.unitLayers(masked);
        if (masked.layer("act0").channelRule() instanceof ChannelRule.Gate) {
            assertEquals(List.of(), layers, c + " keeps every channel it touches");
            return;
        }
        assertEquals(List.of("c0", "c1"), layers);
        for (io.prune4j.nn.Parameter p : masked.parameters()) {
            if (p.name().equals("bias")) {
                cpu.upload(p.value(), Check.uniform(rng, p.size(), 0.5));   // a wrongly kept bias shows
            }
        }
        Graph compacted = masked.copy();
        List<Tensor> masks = List.of(cpu.fromArray(new float[] {1, 0, 0, 1, 1, 0}, 6), cpu.fromArray(new float[] {0, 1, 1, 0, 1}, 5));
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        Tensor x = cpu.fromArray(Check.uniform(rng, 4 * 2 * 7 * 6, 2), 4, 2 * 7 * 6);
        for (boolean training : new boolean[] {false, true}) {
            Check.close(c + " compacted vs masked, training " + training, masked.forward(x, training).toFloatArray(),
                    compacted.forward(x, training).toFloatArray(), 1e-5, 1e-5);
        }

        Graph pruned = masked.copy();
        long before = pruned.parameterCount();
        Dataset data = new Dataset("random", Check.uniform(rng, 16 * 84, 1), Check.randint(rng, 16, 3), 16, 84, 3, new int[] {2, 7, 6});
        new Pruner(PruneConfig.builder().setCriterion(Criterion.TAYLOR).optFinetune(TrainConfig.builder().optEpochs(0).build())
                .optBnRecalibration(false).build(), null).run(pruned, null, DeviceData.upload(cpu, data), null);
        assertTrue(pruned.parameterCount() < before, c + ": Taylor pruned nothing (" + before + " parameters)");
        assertEquals(3, ((io.prune4j.nn.Conv2d) pruned.layer("c0")).outChannels(), c + ": half of c0's filters stay");
    }

    /**
     * Products between convolutions: {@code c1 ⊙ bn(c2)} of two branches, then a squeeze-and-excitation
     * block whose gate maps 0 to 0, {@code tanh(excite(relu(squeeze(gap(y))))) ⊙ y}: the branches and
     * the excitation are one group, the squeeze another, and the compacted network computes what the
     * masked one does, in inference and in training mode.
     */
    @ParameterizedTest
    @ValueSource(strings = {"half", "all-but-one"})
    void productsBetweenConvolutions(String kind) {
        SplittableRandom rng = new SplittableRandom(kind.hashCode() + 7);
        GraphBuilder g = Graph.builder(cpu, 6, 2, 6, 7);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 5, 3, 1, 1, 1, true));
        String y = g.mul("prod", g.conv("c1", r0, 6, 3, 1, 1, 1, true), g.batchNorm("bn2", g.conv("c2", r0, 6, 1, 1, 0, 1, true)));
        String e = g.relu("se.relu", g.conv("squeeze", g.globalAvgPool("se.gap", y), 3, 1, 1, 0, 1, true));
        String s = g.tanh("se.gate", g.conv("excite", e, 6, 1, 1, 0, 1, true));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.mul("se", s, y))), 3);
        Graph masked = g.build();
        RandomGraphs.randomize(masked, 7);
        List<String> layers = Plans.unitLayers(masked);
        assertEquals(List.of("c0", "c1", "squeeze"), layers);
        Graph compacted = masked.copy();
        List<Tensor> masks = randomMasks(masked, layers, kind, rng);
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        assertTrue(compacted.parameterCount() < masked.parameterCount());
        Tensor x = cpu.fromArray(Check.uniform(rng, 4 * 2 * 6 * 7, 1.5), 4, 2 * 6 * 7);
        for (boolean training : new boolean[] {false, true}) {
            Check.close("products " + kind + ", training " + training, masked.forward(x, training).toFloatArray(),
                    compacted.forward(x, training).toFloatArray(), 1e-5, 1e-5);
        }
    }

    /**
     * A MobileNetV3 / EfficientNet block: {@code c0 → BN → SiLU (x ⊙ sigmoid(x)) → depthwise → BN →
     * hardswish as PyTorch writes it before opset 14 (x ⊙ HardSigmoid(x))}, a squeeze-and-excitation
     * gate on that ({@code gate(excite(relu(squeeze(gap(h))))) ⊙ h}, the gate a sigmoid or a HardSigmoid,
     * first or second), then a projection. Every gate is multiplied by its unit's zero channel: the
     * stem (with the depthwise and excitation filters), the squeeze and the projection are prunable,
     * the compacted network computes what the masked one does (the gates' removed channels hold their
     * constants there), and Taylor scores prune it.
     */
    @ParameterizedTest(name = "gate {0}")
    @ValueSource(strings = {"sigmoid first", "hardSigmoid second"})
    void gatesMultipliedByTheirUnitArePruned(String gate) {
        SplittableRandom rng = new SplittableRandom(gate.hashCode());
        GraphBuilder g = Graph.builder(cpu, 8, 2, 7, 6);
        String x = g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 6, 3, 1, 1, 1, true));
        x = g.mul("silu", x, g.sigmoid("silu.gate", x));
        x = g.batchNorm("bn1", g.depthwise("dw", x, 3, 1, 1));
        x = g.mul("hswish", x, g.hardSigmoid("hswish.gate", x));
        String e = g.relu("se.relu", g.conv("squeeze", g.globalAvgPool("se.gap", x), 3, 1, 1, 0, 1, true));
        e = g.conv("excite", e, 6, 1, 1, 0, 1, true);
        String s = gate.startsWith("sigmoid") ? g.sigmoid("se.gate", e) : g.hardSigmoid("se.gate", e);
        x = gate.endsWith("first") ? g.mul("se", s, x) : g.mul("se", x, s);
        x = g.batchNorm("bn2", g.conv("project", x, 5, 1, 1, 0, 1, false));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", x)), 3);
        Graph masked = g.build();
        RandomGraphs.randomize(masked, 8);
        Graph pruned = masked.copy();
        List<String> layers = Plans.unitLayers(masked);
        assertEquals(List.of("c0", "squeeze", "project"), layers);
        Graph compacted = masked.copy();
        List<Tensor> masks = randomMasks(masked, layers, "half", rng);
        Plans.maskUnits(masked, layers, masks);
        Plans.compact(compacted, layers, masks);
        assertEquals(3, ((io.prune4j.nn.Conv2d) compacted.layer("excite")).outChannels(), "the excitation's filters go with the stem's");
        Tensor x0 = cpu.fromArray(Check.uniform(rng, 4 * 2 * 7 * 6, 2), 4, 2 * 7 * 6);
        for (boolean training : new boolean[] {false, true}) {
            Check.close(gate + " compacted vs masked, training " + training, masked.forward(x0, training).toFloatArray(),
                    compacted.forward(x0, training).toFloatArray(), 1e-5, 1e-5);
        }

        long before = pruned.parameterCount();
        Dataset data = new Dataset("random", Check.uniform(rng, 16 * 84, 1), Check.randint(rng, 16, 3), 16, 84, 3, new int[] {2, 7, 6});
        new Pruner(PruneConfig.builder().setCriterion(Criterion.TAYLOR).optFinetune(TrainConfig.builder().optEpochs(0).build())
                .optBnRecalibration(false).build(), null).run(pruned, null, DeviceData.upload(cpu, data), null);
        assertTrue(pruned.parameterCount() < before, gate + ": Taylor pruned nothing (" + before + " parameters)");
        assertEquals(3, ((io.prune4j.nn.Conv2d) pruned.layer("c0")).outChannels(), gate + ": half of c0's filters stay");
    }

    /**
     * A mask that empties one layer is refused whichever layer it is, naming that layer, and before
     * anything changes: the layers ahead of it, though their masks are fine, are not compacted
     * either, so the caller is not left with half a plan applied.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void removingEveryUnitIsRefused(int emptied) {
        Graph net = Models.mlp(cpu, 4, new int[] {3, 5, 4}, 2, 1);
        List<String> layers = Plans.unitLayers(net);
        List<Tensor> masks = new ArrayList<>();
        for (int s = 0; s < layers.size(); s++) {
            int units = Compaction.weightLayer(net, layers.get(s)).units();
            float[] m = new float[units];
            if (s != emptied) {
                m[units - 1] = 1; // every other layer keeps one unit: it would be compacted
            }
            masks.add(cpu.fromArray(m, units));
        }
        String layer = Compaction.weightLayer(net, layers.get(emptied)).describe();
        List<float[]> before = net.parameters().stream().map(p -> p.value().toFloatArray()).toList();
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> Plans.compact(net, layers, masks));
        assertEquals("pruning would remove every unit of " + layer, e.getMessage());
        List<float[]> after = net.parameters().stream().map(p -> p.value().toFloatArray()).toList();
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), after.get(i), "parameter " + i + " changed though the plan was refused");
        }
    }

    @org.junit.jupiter.api.Test
    void nullArgumentsAreRefusedAtTheCall() {
        Graph net = Models.mlp(cpu, 4, new int[] {3}, 2, 1);
        ChannelGroups groups = ChannelGroups.of(net);
        assertEquals("targets", assertThrows(NullPointerException.class, () -> Compaction.channelMasks(groups, null, List.of()))
                .getMessage());
        assertEquals("channelMasks", assertThrows(NullPointerException.class, () -> Compaction.compact(net, null)).getMessage());
        assertEquals("channelMasks", assertThrows(NullPointerException.class, () -> Compaction.maskUnits(net, null)).getMessage());
        assertEquals("weightMasks", assertThrows(NullPointerException.class, () -> Compaction.maskWeights(net, List.of(), null))
                .getMessage());
        assertEquals("keep", assertThrows(NullPointerException.class, () -> Compaction.prunableWeightLayers(net, null)).getMessage());
    }
    /**
     * The compaction hands every layer its selections with the kept indices on the host too (read in
     * the one copy it makes for the counts), equal to those on the device: a recording pass-through
     * layer between two Dense layers sees them.
     */
    @org.junit.jupiter.api.Test
    void selectionsCarryTheirIndicesOnTheHost() {
        List<int[][]> seen = new ArrayList<>();
        try (Backend cpu = new CpuBackend(1)) {
            GraphBuilder g = Graph.builder(cpu, 3, 5);
            String h = g.dense("fc1", Graph.INPUT, 6);
            h = g.add(new Recording("rec", seen), h);
            g.dense("fc2", h, 2);
            try (Graph net = g.build(); Tensor mask = cpu.fromArray(new float[] {1, 0, 1, 1, 0, 1}, 6)) {
                Compaction.compact(net, java.util.Map.of("fc1", mask, "rec", mask));
            }
        }
        assertEquals(1, seen.size(), "the recording layer was pruned once");
        assertArrayEquals(new int[] {0, 2, 3, 5}, seen.get(0)[0], "host indices of its input");
        assertArrayEquals(seen.get(0)[0], seen.get(0)[1], "the device's, read back");
    }

    /** A pass-through layer that records, when pruned, its input selection's host indices and the device's. */
    private static final class Recording implements io.prune4j.nn.UnaryLayer {
        private final String name;
        private final List<int[][]> seen;

        Recording(String name, List<int[][]> seen) {
            this.name = name;
            this.seen = seen;
        }

        @Override public String name() { return name; }
        @Override public String describe() { return "Recording " + name; }
        @Override public int[] outputShape(int[] in) { return in.clone(); }
        @Override public Tensor forward(Tensor x, boolean training) { return x; }
        @Override public Tensor backward(Tensor dy, boolean need) { return need ? dy : null; }
        @Override public List<io.prune4j.nn.Parameter> parameters() { return List.of(); }
        @Override public long flopsPerExample(int[] in) { return 0; }
        @Override public Recording copy() { return new Recording(name, seen); }
        @Override public ChannelRule channelRule() { return new ChannelRule.PassThrough(); }
        @Override public void close() {}

        @Override
        public Recording pruned(io.prune4j.nn.ChannelSelection[] in, io.prune4j.nn.ChannelSelection out) {
            assertTrue(in[0].onHost() != null, "the selection has its host indices");
            seen.add(new int[][] {in[0].keptIndices(), in[0].indices().toIntArray()});
            return copy();
        }
    }
}
