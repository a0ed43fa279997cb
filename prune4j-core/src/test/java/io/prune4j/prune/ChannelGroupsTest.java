package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.AvgPool2d;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.UnaryLayer;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dependency groups {@link ChannelGroups} derives from the layers' channel rules equal the groups
 * written out by hand, for every kind of coupling a graph network has: residual adds with a
 * projection and with an identity shortcut, a concatenation of two branches, a depthwise-separable
 * block, an inverted residual block, a grouped convolution, a flatten in front of a Dense layer, the
 * activations, products and the gates they multiply (a squeeze-and-excitation block, SiLU), and what
 * must not be pruned (kept nodes, a layer with an opaque rule, a gate read by anything but a product,
 * the network's input and output). Each group is compared in full: its name, unit count, whether it
 * is prunable and why not, and every member (node, input or output, and the unit of each of the
 * tensor's channels). No forward pass runs, so nothing here needs the backend's graph operations.
 */
class ChannelGroupsTest {
    private static final int OUT = -1;
    private static final String INPUT_REASON = "it is the network's input";
    private static final String OUTPUT_REASON = "it is the network's output";

    private final Backend cpu = new CpuBackend(1);

    // ---- the expected groups, written by hand ------------------------------------------------

    /** A group as the test writes it down: members as {@code node out [units]} / {@code node in0 [units]} strings. */
    private record Expected(String name, int units, boolean prunable, String reason, List<String> members) {}

    private static Expected group(String name, int units, List<String> members) {
        return new Expected(name, units, true, null, members);
    }

    private static Expected kept(String name, int units, String reason, List<String> members) {
        return new Expected(name, units, false, reason, members);
    }

    /** One member: node {@code node}'s output ({@code input == OUT}) or input {@code input}, with the unit of each channel. */
    private static String m(String node, int input, int... unitOf) {
        return node + (input == OUT ? " out " : " in" + input + " ") + Arrays.toString(unitOf);
    }

    /** A one-input pass-through node (BatchNorm, ReLU, pooling, flatten of a 1×1 map): its input and its output, both {@code unitOf}. */
    private static List<String> through(String node, int... unitOf) {
        return List.of(m(node, 0, unitOf), m(node, OUT, unitOf));
    }

    /** Channel {@code c} is unit {@code c}: the {@code n} channels of a group that has them all, one unit each. */
    private static int[] all(int n) {
        return IntStream.range(0, n).toArray();
    }

    /** {@code blocks} units of {@code size} channels each: {@code [0, 0, 1, 1, …]}. */
    private static int[] blocks(int blocks, int size) {
        return IntStream.range(0, blocks * size).map(c -> c / size).toArray();
    }

    /** The units {@code unitOf} preceded by {@code before} and followed by {@code after} channels of other groups (−1). */
    private static int[] padded(int before, int[] unitOf, int after) {
        int[] u = new int[before + unitOf.length + after];
        Arrays.fill(u, -1);
        System.arraycopy(unitOf, 0, u, before, unitOf.length);
        return u;
    }

    @SafeVarargs
    private static List<String> members(List<String>... parts) {
        List<String> out = new ArrayList<>();
        for (List<String> p : parts) {
            out.addAll(p);
        }
        return out;
    }

    private static String describe(ChannelGroups.Member mb) {
        return m(mb.node(), mb.input(), mb.unitOf());
    }

    /**
     * Compares every group: names in the documented order (that of their first channel), and per
     * group its units, prunability, reason and members (as sets: their order is not part of the contract).
     */
    private static void assertGroups(List<Expected> expected, ChannelGroups actual) {
        List<String> names = actual.all().stream().map(ChannelGroups.Group::name).toList();
        assertEquals(expected.stream().map(Expected::name).toList(), names, "group names");
        for (int i = 0; i < expected.size(); i++) {
            Expected e = expected.get(i);
            ChannelGroups.Group g = actual.all().get(i);
            assertEquals(i, g.id(), "id of group " + e.name());
            assertEquals(e.units(), g.units(), "units of group " + e.name());
            assertEquals(e.prunable(), g.prunable(), "prunable: group " + e.name() + " (reason: " + g.reason() + ")");
            assertEquals(e.reason(), g.reason(), "reason of group " + e.name());
            List<String> want = new ArrayList<>(e.members());
            List<String> got = new ArrayList<>(g.members().stream().map(ChannelGroupsTest::describe).toList());
            assertEquals(want.size(), new java.util.HashSet<>(want).size(), "the test lists a member of " + e.name() + " twice");
            want.sort(null);
            got.sort(null);
            assertEquals(String.join("\n", want), String.join("\n", got), "members of group " + e.name());
            for (ChannelGroups.Member mb : g.members()) {
                assertEquals(mb.unitOf().length - (int) Arrays.stream(mb.unitOf()).filter(u -> u < 0).count(), mb.channels());
            }
        }
        // the per-value views agree with the members
        for (ChannelGroups.Group g : actual.all()) {
            for (ChannelGroups.Member mb : g.members()) {
                if (!mb.isOutput()) {
                    continue;
                }
                int[] gs = actual.groupsOf(mb.node());
                int[] us = actual.unitsOf(mb.node());
                for (int c = 0; c < gs.length; c++) {
                    if (mb.unitOf()[c] >= 0) {
                        assertEquals(g.id(), gs[c], "group of channel " + c + " of " + mb.node());
                        assertEquals(mb.unitOf()[c], us[c], "unit of channel " + c + " of " + mb.node());
                    }
                }
            }
        }
    }

    private static List<String> inputMember(String reader, int channels) {
        return List.of(m(reader, 0, all(channels)));
    }

    // ---- (a) residual block, 1×1 projection shortcut ----------------------------------------

    /**
     * {@code c0 → bn0 → r0 ⟶ c1 → bn1 → r1 → c2 → bn2 ⊕ (r0 → down → dbn) → r → gap → flatten → fc}:
     * the add ties the block's second convolution to the projection, so their filters, both BatchNorms,
     * the add and everything behind it up to the classifier's columns are one group; the stem and the
     * block's first convolution are groups of their own.
     */
    @Test
    void residualBlockWithAProjectionShortcut() {
        GraphBuilder g = Graph.builder(cpu, 1, 2, 6, 5);
        String r0 = g.relu("r0", g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1)));
        String y = g.relu("r1", g.batchNorm("bn1", g.conv("c1", r0, 4, 3, 1, 1)));
        y = g.batchNorm("bn2", g.conv("c2", y, 5, 3, 1, 1));
        String s = g.batchNorm("dbn", g.conv("down", r0, 5, 1, 1, 0));
        String x = g.relu("r", g.add("add", y, s));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", x)), 3);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 2, INPUT_REASON, inputMember("c0", 2)),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("bn0", all(3)), through("r0", all(3)),
                        List.of(m("c1", 0, all(3)), m("down", 0, all(3))))),
                group("c1", 4, members(List.of(m("c1", OUT, all(4))), through("bn1", all(4)), through("r1", all(4)),
                        List.of(m("c2", 0, all(4))))),
                group("c2", 5, members(List.of(m("c2", OUT, all(5))), through("bn2", all(5)), List.of(m("down", OUT, all(5))),
                        through("dbn", all(5)), List.of(m("add", 0, all(5)), m("add", 1, all(5)), m("add", OUT, all(5))),
                        through("r", all(5)), through("gap", all(5)), through("flatten", all(5)), List.of(m("fc", 0, all(5))))),
                kept("fc", 3, OUTPUT_REASON, List.of(m("fc", OUT, all(3))))),
                ChannelGroups.of(net));
    }

    // ---- (b) residual block, identity shortcut ----------------------------------------------

    /**
     * The identity shortcut ties the block's output convolution to the stem: one group from the stem's
     * filters through the add to the classifier, named after the stem (its first producer); the block's
     * inner convolution stays a group of its own.
     */
    @Test
    void residualBlockWithAnIdentityShortcut() {
        GraphBuilder g = Graph.builder(cpu, 2, 1, 5, 5);
        String r0 = g.relu("r0", g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 4, 3, 1, 1)));
        String y = g.relu("r1", g.batchNorm("bn1", g.conv("c1", r0, 3, 3, 1, 1)));
        y = g.batchNorm("bn2", g.conv("c2", y, 4, 3, 1, 1));
        String x = g.relu("r", g.add("add", y, r0));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", x)), 2);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 4, members(List.of(m("c0", OUT, all(4))), through("bn0", all(4)), through("r0", all(4)),
                        List.of(m("c1", 0, all(4)), m("c2", OUT, all(4))), through("bn2", all(4)),
                        List.of(m("add", 0, all(4)), m("add", 1, all(4)), m("add", OUT, all(4))),
                        through("r", all(4)), through("gap", all(4)), through("flatten", all(4)), List.of(m("fc", 0, all(4))))),
                group("c1", 3, members(List.of(m("c1", OUT, all(3))), through("bn1", all(3)), through("r1", all(3)),
                        List.of(m("c2", 0, all(3))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    // ---- (c) concatenation ------------------------------------------------------------------

    /**
     * {@code c0 → r0 → (a → bnA → rA) ‖ (b → rB) → cat → c3 → gap → flatten → fc}: each branch is a group
     * of its own; the concatenation's channels split between them by offset (the first two are branch
     * a's, the next three branch b's), and so do the input channels of the convolution that reads it.
     */
    @Test
    void concatenationOfTwoBranches() {
        GraphBuilder g = Graph.builder(cpu, 3, 2, 5, 6);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1));
        String a = g.relu("rA", g.batchNorm("bnA", g.conv("a", r0, 2, 3, 1, 1)));
        String b = g.relu("rB", g.conv("b", r0, 3, 1, 1, 0));
        String cat = g.concat("cat", a, b);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.conv("c3", cat, 4, 3, 1, 1))), 2);
        Graph net = g.build();
        int[] inA = padded(0, all(2), 3);
        int[] inB = padded(2, all(3), 0);
        assertGroups(List.of(
                kept("input", 2, INPUT_REASON, inputMember("c0", 2)),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("r0", all(3)), List.of(m("a", 0, all(3)), m("b", 0, all(3))))),
                group("a", 2, members(List.of(m("a", OUT, all(2))), through("bnA", all(2)), through("rA", all(2)),
                        List.of(m("cat", 0, all(2)), m("cat", OUT, inA), m("c3", 0, inA)))),
                group("b", 3, members(List.of(m("b", OUT, all(3))), through("rB", all(3)),
                        List.of(m("cat", 1, all(3)), m("cat", OUT, inB), m("c3", 0, inB)))),
                group("c3", 4, members(List.of(m("c3", OUT, all(4))), through("gap", all(4)), through("flatten", all(4)),
                        List.of(m("fc", 0, all(4))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    // ---- (c′) ShuffleNet's unit: a channel split, a concat and a shuffle ----------------------

    /**
     * {@code c0 → r0 → (a = r0[0:2]) ‖ (b = r0[2:4] → cb) → cat → shuffle(2) → gap → flatten → fc}:
     * the slices split the stem's channels into two groups (the half passed on, tied through the
     * shuffle to the classifier, and the half the branch reads, consumed there); the branch's filters
     * are a third group. The shuffle puts channel {@code (c mod 2)·2 + ⌊c/2⌋} of the concat at output
     * {@code c}: the passed-on half lands on outputs 0 and 2, the branch on 1 and 3.
     */
    @Test
    void channelSplitAndShuffle() {
        GraphBuilder g = Graph.builder(cpu, 3, 1, 4, 4);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 4, 1, 1, 0));
        String a = g.slice("a", r0, 0, 2);
        String cb = g.conv("cb", g.slice("b", r0, 2, 2), 2, 1, 1, 0);
        String sh = g.shuffle("sh", g.concat("cat", a, cb), 2);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", sh)), 3);
        Graph net = g.build();
        int[] low = padded(0, all(2), 2);
        int[] high = padded(2, all(2), 0);
        int[] even = {0, -1, 1, -1};
        int[] odd = {-1, 0, -1, 1};
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 2, members(List.of(m("c0", OUT, low)), through("r0", low),
                        List.of(m("a", 0, low), m("a", OUT, all(2)), m("b", 0, low), m("cat", 0, all(2)), m("cat", OUT, low),
                                m("sh", 0, low), m("sh", OUT, even)),
                        through("gap", even), through("flatten", even), List.of(m("fc", 0, even)))),
                group("c0#2", 2, members(List.of(m("c0", OUT, high)), through("r0", high),
                        List.of(m("a", 0, high), m("b", 0, high), m("b", OUT, all(2)), m("cb", 0, all(2))))),
                group("cb", 2, members(List.of(m("cb", OUT, all(2)), m("cat", 1, all(2)), m("cat", OUT, high), m("sh", 0, high),
                        m("sh", OUT, odd)), through("gap", odd), through("flatten", odd), List.of(m("fc", 0, odd)))),
                kept("fc", 3, OUTPUT_REASON, List.of(m("fc", OUT, all(3))))),
                ChannelGroups.of(net));
    }

    /**
     * SENet's gate reaches the map it scales through a view ({@code y.view(b, c, 1, 1)}, an
     * {@link io.prune4j.nn.Unflatten}): the gate is still read by a product only, so the scaled
     * convolution's channels stay prunable, tied to the excitation's outputs. Read by anything else
     * through the view (an add), the gate keeps them.
     */
    @Test
    void aGateSeenThroughAViewStaysPrunable() {
        for (boolean product : new boolean[] {true, false}) {
            GraphBuilder g = Graph.builder(cpu, 3, 2, 4, 4);
            String y = g.conv("c0", Graph.INPUT, 4, 3, 1, 1);
            String e = g.dense("ex", g.relu("sr", g.dense("sq", g.flatten("sf", g.globalAvgPool("sp", y)), 2)), 4);
            String view = g.add(new io.prune4j.nn.Unflatten("view", cpu), g.sigmoid("gate", e));
            String z = product ? g.mul("scale", y, view) : g.add("scale", g.globalAvgPool("yp", y), view);
            g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", z)), 3);
            Graph net = g.build();
            ChannelGroups.Group c0 = ChannelGroups.of(net).all().get(ChannelGroups.of(net).groupsOf("c0")[0]);
            assertEquals(product, c0.prunable(), "product " + product + ": " + c0.reason());
            assertTrue(c0.output("ex") != null && c0.output("view") != null, "the excitation and the view are in c0's group");
            if (!product) {
                assertEquals("gate: Sigmoid gate maps 0 to 0.5 and Add scale reads it, so a removed channel would not read as zero", c0.reason());
            }
        }
    }

    /** A branch read twice by one concatenation: each of its channels appears at both offsets, one unit for both. */
    @Test
    void concatenationOfOneValueWithItself() {
        GraphBuilder g = Graph.builder(cpu, 3, 1, 4, 4);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 2, 3, 1, 1));
        String cat = g.concat("cat", r0, r0);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", cat)), 2);
        ChannelGroups groups = ChannelGroups.of(g.build());
        ChannelGroups.Group c0 = groups.named("c0");
        assertEquals(2, c0.units());
        assertEquals("[0, 1, 0, 1]", Arrays.toString(c0.output("cat").unitOf()));
        assertEquals("[0, 1, 0, 1]", Arrays.toString(groups.unitsOf("flatten")));
    }

    // ---- (d) depthwise-separable block ------------------------------------------------------

    /**
     * {@code c0 → bn0 → r0 → dw (depthwise) → bnd → rd → pw (1×1) → bnp → rp → …}: the depthwise
     * convolution ties its input channel {@code k} to its output channel {@code k}, so the stem's
     * filters, the depthwise filters and the pointwise convolution's input columns are one group.
     */
    @Test
    void depthwiseSeparableBlock() {
        GraphBuilder g = Graph.builder(cpu, 4, 3, 6, 6);
        String r0 = g.relu("r0", g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 4, 3, 1, 1)));
        String d = g.relu("rd", g.batchNorm("bnd", g.depthwise("dw", r0, 3, 1, 1)));
        String p = g.relu("rp", g.batchNorm("bnp", g.conv("pw", d, 5, 1, 1, 0)));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", p)), 3);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 3, INPUT_REASON, inputMember("c0", 3)),
                group("c0", 4, members(List.of(m("c0", OUT, all(4))), through("bn0", all(4)), through("r0", all(4)), through("dw", all(4)),
                        through("bnd", all(4)), through("rd", all(4)), List.of(m("pw", 0, all(4))))),
                group("pw", 5, members(List.of(m("pw", OUT, all(5))), through("bnp", all(5)), through("rp", all(5)), through("gap", all(5)),
                        through("flatten", all(5)), List.of(m("fc", 0, all(5))))),
                kept("fc", 3, OUTPUT_REASON, List.of(m("fc", OUT, all(3))))),
                ChannelGroups.of(net));
    }

    // ---- (e) inverted residual block --------------------------------------------------------

    /**
     * MobileNetV2's block, {@code expand 1×1 → BN → ReLU6 → depthwise → BN → ReLU6 → project 1×1 → BN}
     * added to its input: the expansion's channels (through the depthwise convolution) are one group,
     * and the projection is tied by the add to the stem that feeds the block.
     */
    @Test
    void invertedResidualBlock() {
        GraphBuilder g = Graph.builder(cpu, 5, 2, 5, 7);
        String x = g.relu6("r0", g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 4, 3, 1, 1)));
        String y = g.relu6("er", g.batchNorm("ebn", g.conv("expand", x, 8, 1, 1, 0)));
        y = g.relu6("dr", g.batchNorm("dbn", g.depthwise("dw", y, 3, 1, 1)));
        y = g.batchNorm("pbn", g.conv("project", y, 4, 1, 1, 0));
        String sum = g.add("add", y, x);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", sum)), 3);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 2, INPUT_REASON, inputMember("c0", 2)),
                group("c0", 4, members(List.of(m("c0", OUT, all(4))), through("bn0", all(4)), through("r0", all(4)),
                        List.of(m("expand", 0, all(4)), m("project", OUT, all(4))), through("pbn", all(4)),
                        List.of(m("add", 0, all(4)), m("add", 1, all(4)), m("add", OUT, all(4))),
                        through("gap", all(4)), through("flatten", all(4)), List.of(m("fc", 0, all(4))))),
                group("expand", 8, members(List.of(m("expand", OUT, all(8))), through("ebn", all(8)), through("er", all(8)),
                        through("dw", all(8)), through("dbn", all(8)), through("dr", all(8)), List.of(m("project", 0, all(8))))),
                kept("fc", 3, OUTPUT_REASON, List.of(m("fc", OUT, all(3))))),
                ChannelGroups.of(net));
    }

    // ---- grouped convolution ----------------------------------------------------------------

    /**
     * A convolution of 3 groups, 6 → 9 channels: a unit is one whole group, 2 input channels (2 of the
     * stem's filters) and 3 output channels together, so the stem's group has 3 units, not 6, and the
     * grouped convolution's filters belong to it.
     */
    @Test
    void groupedConvolutionUnitsAreWholeGroups() {
        GraphBuilder g = Graph.builder(cpu, 6, 1, 5, 5);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 6, 3, 1, 1));
        String y = g.relu("rg", g.conv("grouped", r0, 9, 3, 1, 1, 3, true));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        Graph net = g.build();
        int[] in = blocks(3, 2);
        int[] out = blocks(3, 3);
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 3, members(List.of(m("c0", OUT, in)), through("r0", in), List.of(m("grouped", 0, in), m("grouped", OUT, out)), through("rg", out), through("gap", out), through("flatten", out),
                        List.of(m("fc", 0, out)))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    /**
     * A GroupNorm of 3 groups over 6 channels normalises each pair together: a unit is one pair, so
     * the stem's group has 3 units; an instance norm (a group per channel) after the next convolution
     * leaves its 4 channels a unit each; a GroupNorm of one group ties all its channels into one unit.
     */
    @Test
    void groupNormUnitsAreWholeGroups() {
        GraphBuilder g = Graph.builder(cpu, 6, 1, 5, 5);
        String y = g.relu("r0", g.groupNorm("gn", g.conv("c0", Graph.INPUT, 6, 3, 1, 1), 3, 1e-5f));
        y = g.groupNorm("in", g.conv("c1", y, 4, 3, 1, 1), 4, 1e-5f);
        y = g.groupNorm("ln", g.conv("c2", y, 2, 1, 1, 0), 1, 1e-5f);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", y)), 2);
        Graph net = g.build();
        int[] pairs = blocks(3, 2);
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 3, members(List.of(m("c0", OUT, pairs)), through("gn", pairs), through("r0", pairs), List.of(m("c1", 0, pairs)))),
                group("c1", 4, members(List.of(m("c1", OUT, all(4))), through("in", all(4)), List.of(m("c2", 0, all(4))))),
                group("c2", 1, members(List.of(m("c2", OUT, blocks(1, 2))), through("ln", blocks(1, 2)), through("gap", blocks(1, 2)),
                        through("flatten", blocks(1, 2)), List.of(m("fc", 0, blocks(1, 2))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    // ---- flatten → dense --------------------------------------------------------------------

    /**
     * {@code conv (3 channels, 4×4) → pool 2 → flatten (12 features) → fc}: a unit is one channel
     * together with its 2·2 = 4 features behind the flatten, which are the Dense layer's input columns
     * {@code 4c … 4c + 3}.
     */
    @Test
    void flattenIntoDenseTiesAChannelToItsFeatures() {
        GraphBuilder g = Graph.builder(cpu, 7, 1, 4, 4);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1));
        String f = g.flatten("flatten", g.maxPool("pool", r0, 2, 2, 0));
        g.dense("fc", g.denseRelu("hidden", f, 5), 2);
        Graph net = g.build();
        int[] features = blocks(3, 4);
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("r0", all(3)), through("pool", all(3)),
                        List.of(m("flatten", 0, all(3)), m("flatten", OUT, features), m("hidden", 0, features)))),
                group("hidden", 5, List.of(m("hidden", OUT, all(5)), m("fc", 0, all(5)))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    // ---- products ---------------------------------------------------------------------------

    /**
     * {@code c0 → r0 → (a ⊙ bn(b)) → gap → flatten → fc}: a product ties channel {@code c} of both
     * operands to its own, so the two convolutions' filters are one group, as an add's would be.
     */
    @Test
    void aProductTiesTheChannelsOfItsInputs() {
        GraphBuilder g = Graph.builder(cpu, 12, 2, 5, 5);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1));
        String prod = g.mul("prod", g.conv("a", r0, 4, 3, 1, 1), g.batchNorm("bn", g.conv("b", r0, 4, 1, 1, 0)));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", prod)), 2);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 2, INPUT_REASON, inputMember("c0", 2)),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("r0", all(3)), List.of(m("a", 0, all(3)), m("b", 0, all(3))))),
                group("a", 4, members(List.of(m("a", OUT, all(4)), m("b", OUT, all(4))), through("bn", all(4)),
                        List.of(m("prod", 0, all(4)), m("prod", 1, all(4)), m("prod", OUT, all(4))), through("gap", all(4)),
                        through("flatten", all(4)), List.of(m("fc", 0, all(4))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    /**
     * A squeeze-and-excitation block in a small network, {@code h = r0(bn0(c0(x)))}, then
     * {@code HardSigmoid(excite(relu(squeeze(gap(h))))) ⊙ h → c1 → …}: the gate's removed channel is
     * multiplied by the same unit's zero channel of {@code h}, so the excitation's filters join
     * {@code h}'s group (with the squeeze's input columns and the next convolution's), which stays
     * prunable; the squeeze's filters are a group of their own.
     */
    @Test
    void aSqueezeAndExcitationBlockJoinsTheExcitationToTheMapItGates() {
        GraphBuilder g = Graph.builder(cpu, 13, 2, 5, 5);
        String h = g.relu("r0", g.batchNorm("bn0", g.conv("c0", Graph.INPUT, 4, 3, 1, 1)));
        String e = g.relu("sr", g.conv("squeeze", g.globalAvgPool("gap", h), 2, 1, 1, 0, 1, true));
        String s = g.hardSigmoid("gate", g.conv("excite", e, 4, 1, 1, 0, 1, true));
        String y = g.conv("c1", g.mul("se", s, h), 3, 3, 1, 1);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("pool", y)), 2);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 2, INPUT_REASON, inputMember("c0", 2)),
                group("c0", 4, members(List.of(m("c0", OUT, all(4))), through("bn0", all(4)), through("r0", all(4)), through("gap", all(4)),
                        List.of(m("squeeze", 0, all(4)), m("excite", OUT, all(4))), through("gate", all(4)),
                        List.of(m("se", 0, all(4)), m("se", 1, all(4)), m("se", OUT, all(4)), m("c1", 0, all(4))))),
                group("squeeze", 2, members(List.of(m("squeeze", OUT, all(2))), through("sr", all(2)), List.of(m("excite", 0, all(2))))),
                group("c1", 3, members(List.of(m("c1", OUT, all(3))), through("pool", all(3)), through("flatten", all(3)),
                        List.of(m("fc", 0, all(3))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    /**
     * SiLU, {@code x ⊙ sigmoid(x)}, hardswish as PyTorch writes it before opset 14, {@code x ⊙ HardSigmoid(x)},
     * and a clamp to {@code [1, 6]} (which maps 0 to 1) as the gate: prunable.
     */
    @ParameterizedTest(name = "gate {0}")
    @ValueSource(strings = {"sigmoid", "hardSigmoid", "clamp"})
    void siluAndHardswishAsProductsArePrunable(String gate) {
        GraphBuilder g = Graph.builder(cpu, 14, 1, 5, 5);
        String x = g.conv("c0", Graph.INPUT, 3, 3, 1, 1);
        String s = switch (gate) {
            case "sigmoid" -> g.sigmoid("gate", x);
            case "hardSigmoid" -> g.hardSigmoid("gate", x);
            default -> g.add(new io.prune4j.nn.Clamp("gate", cpu, 1f, 6f), x);
        };
        String y = g.mul("silu", x, s);
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.conv("c1", y, 4, 3, 1, 1))), 2);
        Graph net = g.build();
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("gate", all(3)),
                        List.of(m("silu", 0, all(3)), m("silu", 1, all(3)), m("silu", OUT, all(3)), m("c1", 0, all(3))))),
                group("c1", 4, members(List.of(m("c1", OUT, all(4))), through("gap", all(4)), through("flatten", all(4)),
                        List.of(m("fc", 0, all(4))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    /**
     * A gate read by anything but a product with a value that is no gate keeps its group, the reason
     * naming the gate and the reader: {@code r0 + sigmoid(c1(r0))} (fire_mean's gate: the add would
     * keep the constant), in full; then a product of two gates, and a gate that a product and a
     * convolution both read.
     */
    @Test
    void aGateReadByAnythingButAProductKeepsItsGroup() {
        GraphBuilder g = Graph.builder(cpu, 15, 2, 5, 5);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1));
        String sum = g.add("add", r0, g.sigmoid("sig", g.conv("c1", r0, 3, 1, 1, 0)));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", sum)), 2);
        Graph net = g.build();
        String why = "sig: Sigmoid sig maps 0 to 0.5 and Add add reads it, so a removed channel would not read as zero";
        assertGroups(List.of(
                kept("input", 2, INPUT_REASON, inputMember("c0", 2)),
                kept("c0", 3, why, members(List.of(m("c0", OUT, all(3))), through("r0", all(3)), List.of(m("c1", 0, all(3)),
                        m("c1", OUT, all(3))), through("sig", all(3)), List.of(m("add", 0, all(3)), m("add", 1, all(3)), m("add", OUT, all(3))),
                        through("gap", all(3)), through("flatten", all(3)), List.of(m("fc", 0, all(3))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));

        GraphBuilder two = Graph.builder(cpu, 16, 2, 5, 5);
        String x = two.conv("c0", Graph.INPUT, 3, 3, 1, 1);
        String both = two.mul("both", two.sigmoid("s1", x), two.hardSigmoid("s2", x));
        two.dense("fc", two.flatten("flatten", two.globalAvgPool("gap", two.conv("c1", both, 4, 1, 1, 0))), 2);
        assertEquals("s1: Sigmoid s1 maps 0 to 0.5 and Mul both multiplies it by gates only, so a removed channel would not read as zero",
                ChannelGroups.of(two.build()).named("c0").reason());

        GraphBuilder shared = Graph.builder(cpu, 17, 2, 5, 5);
        x = shared.conv("c0", Graph.INPUT, 3, 3, 1, 1);
        String s = shared.sigmoid("s", x);
        String y = shared.add("add", shared.mul("silu", x, s), shared.conv("c1", s, 3, 1, 1, 0));
        shared.dense("fc", shared.flatten("flatten", shared.globalAvgPool("gap", y)), 2);
        assertEquals("s: Sigmoid s maps 0 to 0.5 and Conv2d c1 reads it, so a removed channel would not read as zero",
                ChannelGroups.of(shared.build()).named("c0").reason());
    }

    // ---- what is never pruned ---------------------------------------------------------------

    /**
     * A kept node blocks the whole group its output belongs to, also when it is a pass-through node in
     * the middle of the group, and the reason names it; other groups stay prunable. An unknown node
     * name is refused with the list of names.
     */
    @Test
    void keptNodesAreNotPrunableAndTheReasonNamesThem() {
        GraphBuilder g = Graph.builder(cpu, 8, 1, 5, 5);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1));
        String r1 = g.relu("r1", g.conv("c1", r0, 4, 3, 1, 1));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", r1)), 2);
        Graph net = g.build();

        ChannelGroups byConv = ChannelGroups.of(net, Set.of("c1"));
        assertEquals(false, byConv.named("c1").prunable());
        assertEquals("c1 is to be kept", byConv.named("c1").reason());
        assertEquals(true, byConv.named("c0").prunable());
        assertEquals(List.of("c0"), byConv.prunable().stream().map(ChannelGroups.Group::name).toList());

        ChannelGroups byRelu = ChannelGroups.of(net, Set.of("r0"));
        assertEquals(false, byRelu.named("c0").prunable());
        assertEquals("r0 is to be kept", byRelu.named("c0").reason());
        assertEquals(List.of("c1"), byRelu.prunable().stream().map(ChannelGroups.Group::name).toList());

        // keeping the node changes nothing else: same groups, same members
        ChannelGroups free = ChannelGroups.of(net);
        assertEquals(free.all().size(), byRelu.all().size());
        for (int i = 0; i < free.all().size(); i++) {
            assertEquals(free.all().get(i).name(), byRelu.all().get(i).name());
            assertEquals(free.all().get(i).members().size(), byRelu.all().get(i).members().size());
        }

        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> ChannelGroups.of(net, Set.of("nowhere")));
        assertTrue(e.getMessage().contains("nowhere") && e.getMessage().contains("c0, r0, c1"), e.getMessage());
    }

    /**
     * A layer written without a channel rule ({@link io.prune4j.nn.ChannelRule.Opaque}, the default): every channel
     * it reads or writes is kept, with the reason naming the node and what its rule says, and the
     * channel groups on either side that do not touch it stay prunable.
     */
    @Test
    void anOpaqueLayerKeepsEverythingItTouches() {
        GraphBuilder g = Graph.builder(cpu, 9, 1, 5, 5);
        String r0 = g.relu("r0", g.conv("c0", Graph.INPUT, 3, 3, 1, 1));
        String sq = g.add(new Square("sq", cpu), g.conv("c1", r0, 4, 3, 1, 1));
        String r2 = g.relu("r2", g.conv("c2", sq, 5, 3, 1, 1));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", r2)), 2);
        Graph net = g.build();
        String why = "sq: Square sq does not say how its channels couple";
        assertGroups(List.of(
                kept("input", 1, INPUT_REASON, inputMember("c0", 1)),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("r0", all(3)), List.of(m("c1", 0, all(3))))),
                kept("c1", 4, why, List.of(m("c1", OUT, all(4)), m("sq", 0, all(4)))),
                // no weight layer writes the opaque layer's output: the group is named after the node that does
                kept("sq", 4, why, List.of(m("sq", OUT, all(4)), m("c2", 0, all(4)))),
                group("c2", 5, members(List.of(m("c2", OUT, all(5))), through("r2", all(5)), through("gap", all(5)),
                        through("flatten", all(5)), List.of(m("fc", 0, all(5))))),
                kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2))))),
                ChannelGroups.of(net));
    }

    /**
     * An activation that maps 0 to 0 (LeakyReLU, tanh, HardSwish, ELU, a HardSigmoid of β ≤ 0) passes
     * its channels through like a ReLU; sigmoid and a HardSigmoid of β > 0 are gates, which tie their
     * channels the same way but would turn a removed (zero) channel into a value, and a convolution
     * reads this one: the group is kept, the reason naming the gate, the value it maps 0 to and the
     * reader.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("io.prune4j.testing.Activations#all")
    void activationsPassChannelsThroughOnlyWhereTheyMapZeroToZero(Activations.Case c) {
        GraphBuilder g = Graph.builder(cpu, 11, 1, 5, 5);
        String a = g.activation("act", g.conv("c0", Graph.INPUT, 3, 3, 1, 1), c.kind(), c.alpha(), c.beta());
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.conv("c1", a, 4, 3, 1, 1))), 2);
        Graph net = g.build();
        float atZero = c.kind() == ActivationKind.SIGMOID ? 0.5f
                : c.kind() == ActivationKind.HARD_SIGMOID ? Math.min(Math.max(c.beta(), 0f), 1f)
                : c.kind() == ActivationKind.SOFTPLUS ? (float) Math.log(2) : 0f;
        String why = "act: " + net.layer("act").describe() + " maps 0 to " + atZero
                + " and Conv2d c1 reads it, so a removed channel would not read as zero";
        List<String> members = members(List.of(m("c0", OUT, all(3))), through("act", all(3)), List.of(m("c1", 0, all(3))));
        List<Expected> around = List.of(atZero == 0f ? group("c0", 3, members) : kept("c0", 3, why, members));
        List<Expected> expected = new ArrayList<>();
        expected.add(kept("input", 1, INPUT_REASON, inputMember("c0", 1)));
        expected.addAll(around);
        expected.add(group("c1", 4, members(List.of(m("c1", OUT, all(4))), through("gap", all(4)), through("flatten", all(4)),
                List.of(m("fc", 0, all(4))))));
        expected.add(kept("fc", 2, OUTPUT_REASON, List.of(m("fc", OUT, all(2)))));
        assertGroups(expected, ChannelGroups.of(net));
        if (c.kind() == ActivationKind.SIGMOID) {
            assertEquals("act: Sigmoid act maps 0 to 0.5 and Conv2d c1 reads it, so a removed channel would not read as zero",
                    ChannelGroups.of(net).named("c0").reason());
        }
    }

    /**
     * The network's input and output are never pruned, also where pass-through layers carry them on:
     * a BatchNorm on the input keeps the input's reason (the group is named after that BatchNorm, the
     * first node that writes its channels), and an add of two classifiers that is the network's output
     * keeps both classifiers' units.
     */
    @Test
    void theInputAndTheOutputAreNeverPrunableThroughPassThroughLayers() {
        GraphBuilder g = Graph.builder(cpu, 10, 2, 4, 4);
        String bn = g.batchNorm("bn", Graph.INPUT);
        String r0 = g.relu("r0", g.conv("c0", bn, 3, 3, 1, 1));
        // average pooling that does not count the padding, 4×4 → 2×2 (the builder's counts it)
        String f = g.flatten("flatten", g.add(new AvgPool2d("pool", cpu, 3, 2, 1, false), r0));
        String a = g.dense("fcA", f, 2);
        String b = g.dense("fcB", f, 2);
        g.add("out", a, b);
        Graph net = g.build();
        int[] features = blocks(3, 4);
        assertGroups(List.of(
                kept("bn", 2, INPUT_REASON, members(through("bn", all(2)), List.of(m("c0", 0, all(2))))),
                group("c0", 3, members(List.of(m("c0", OUT, all(3))), through("r0", all(3)), through("pool", all(3)),
                        List.of(m("flatten", 0, all(3)), m("flatten", OUT, features), m("fcA", 0, features), m("fcB", 0, features)))),
                kept("fcA", 2, OUTPUT_REASON, List.of(m("fcA", OUT, all(2)), m("fcB", OUT, all(2)), m("out", 0, all(2)), m("out", 1, all(2)),
                        m("out", OUT, all(2))))),
                ChannelGroups.of(net));
        assertEquals(List.of("c0"), ChannelGroups.of(net).prunable().stream().map(ChannelGroups.Group::name).toList());
    }

    /** {@code y = x²} element-wise, written without a channel rule, as a layer from outside the library might be. */
    private static final class Square implements UnaryLayer {
        private final String name;
        private final Backend backend;
        private Tensor out;

        Square(String name, Backend backend) {
            this.name = name;
            this.backend = backend;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String describe() {
            return "Square " + name;
        }

        @Override
        public int[] outputShape(int[] inputShape) {
            return inputShape.clone();
        }

        @Override
        public Tensor forward(Tensor x, boolean training) {
            if (out != null) {
                out.close();
            }
            out = backend.zeros(DType.FLOAT32, x.shape());
            backend.copy(out, x);
            backend.mul(out, x);
            return out;
        }

        @Override
        public Tensor backward(Tensor dy, boolean needInputGrad) {
            throw new UnsupportedOperationException("not needed here");
        }

        @Override
        public List<Parameter> parameters() {
            return List.of();
        }

        @Override
        public long flopsPerExample(int[] inputShape) {
            return 0;
        }

        @Override
        public Square copy() {
            return new Square(name, backend);
        }

        @Override
        public void close() {
            if (out != null) {
                out.close();
            }
        }
    }

    @Test
    void membersAndGroupsRefuseWhatTheFinderNeverBuilds() {
        assertEquals("node", assertThrows(NullPointerException.class, () -> new ChannelGroups.Member(null, -1, new int[] {0}))
                .getMessage());
        assertEquals("unitOf", assertThrows(NullPointerException.class, () -> new ChannelGroups.Member("a", -1, null)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChannelGroups.Member("a", -2, new int[] {0}));
        ChannelGroups.Member m = new ChannelGroups.Member("a", -1, new int[] {0, -1});
        assertEquals("members", assertThrows(NullPointerException.class, () -> new ChannelGroups.Group(0, "a", 1, null, true, null))
                .getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChannelGroups.Group(0, "a", -1, List.of(m), true, null));
        assertThrows(IllegalArgumentException.class, () -> new ChannelGroups.Group(-1, "a", 1, List.of(m), true, null));
        List<ChannelGroups.Member> members = new ArrayList<>(List.of(m));
        ChannelGroups.Group g = new ChannelGroups.Group(0, "a", 1, members, true, null);
        members.clear();
        assertEquals(List.of(m), g.members(), "the group keeps its own copy");
        Graph net = io.prune4j.nn.Models.mlp(cpu, 4, new int[] {3}, 2, 1);
        assertEquals("net", assertThrows(NullPointerException.class, () -> ChannelGroups.of(null)).getMessage());
        assertEquals("keep", assertThrows(NullPointerException.class, () -> ChannelGroups.of(net, null)).getMessage());
        ChannelGroups groups = ChannelGroups.of(net);
        assertEquals("name", assertThrows(NullPointerException.class, () -> groups.named(null)).getMessage());
        assertEquals("name", assertThrows(NullPointerException.class, () -> groups.groupsOf(null)).getMessage());
        assertEquals("net", assertThrows(NullPointerException.class, () -> groups.all().get(0).producers(null)).getMessage());
        assertEquals("node", assertThrows(NullPointerException.class, () -> ChannelGroups.activationPoint(net, null)).getMessage());
    }
}
