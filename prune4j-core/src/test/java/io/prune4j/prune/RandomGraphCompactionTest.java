package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.ForwardHook;
import io.prune4j.nn.Graph;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Compaction never changes what a graph network computes, whatever its shape: on a thousand random
 * valid graphs ({@link RandomGraphs}: residual adds over two or three branches, concatenations,
 * BatchNorm, depthwise and grouped convolutions, ReLU, ReLU6 and the activations that map 0 to 0
 * (LeakyReLU, tanh, HardSwish, ELU), SiLU and squeeze-and-excitation gates (products of a sigmoid or
 * HardSigmoid), max, average and global pooling, flatten → Dense) with random keep masks per
 * dependency group, the masked network
 * ({@link Compaction#maskUnits}) and the compacted one ({@link Compaction#compact}) give the same
 * outputs on random inputs (within {@code 1e-5 + 1e-5·|ref|}), in inference mode and in training
 * mode (BatchNorm on the batch's statistics; within {@code 1e-4}, because every training-mode
 * BatchNorm multiplies the rounding difference between the two by its {@code 1/σ}). In the masked
 * network a removed channel reads as exactly zero everywhere (a BatchNorm of an all-zero channel
 * gives its β, which the mask holds at zero) but at a gate's output, which holds the gate's constant
 * for the product behind it to multiply by zero. The compacted network has fewer
 * parameters whenever a mask removed a unit, and the same number otherwise.
 *
 * <p>{@code -Dprune4j.randomGraphs=N} runs seeds 1 to N instead of 1 to 1000 (20 000 take about 15 s).
 * Each case is one seed (the display name and every message carry it): it fixes the graph, its
 * parameters, the masks and the inputs, so {@code RandomGraphs.generate(cpu, seed)} replays a failure.
 */
class RandomGraphCompactionTest {
    /** Cases per run; {@code -Dprune4j.randomGraphs=20000} sweeps further. */
    private static final int CASES = Integer.getInteger("prune4j.randomGraphs", 1000);
    private static final Backend CPU = new CpuBackend(1);
    private static final double TOLERANCE = 1e-5;
    private static final double TRAINING_TOLERANCE = 1e-4;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, CASES);
    }

    @AfterAll
    static void close() {
        CPU.close();
    }

    /** A random keep mask per prunable group: all kept (1 in 5), or a random non-empty subset; a group left out of the plan now and then. */
    private record Plan(List<ChannelGroups.Group> targets, List<Tensor> masks, boolean removesSomething) {}

    private static Plan randomPlan(ChannelGroups groups, SplittableRandom rng) {
        List<ChannelGroups.Group> targets = new ArrayList<>();
        List<Tensor> masks = new ArrayList<>();
        boolean removes = false;
        for (ChannelGroups.Group gr : groups.prunable()) {
            if (rng.nextInt(8) == 0) {
                continue; // not in the plan at all: its channels must stay as they are
            }
            int units = gr.units();
            float[] m = new float[units];
            int keep = rng.nextInt(5) == 0 ? units : 1 + rng.nextInt(units);
            int[] order = shuffled(units, rng);
            for (int i = 0; i < keep; i++) {
                m[order[i]] = 1f;
            }
            removes |= keep < units;
            targets.add(gr);
            masks.add(CPU.fromArray(m, units));
        }
        return new Plan(targets, masks, removes);
    }

    private static int[] shuffled(int n, SplittableRandom rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void compactedAndMaskedRandomGraphsGiveTheSameOutputs(long seed) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1);
        try (Graph net = RandomGraphs.generate(CPU, seed)) {
            RandomGraphs.randomize(net, seed);
            String what = "seed " + seed + " (replay: RandomGraphs.generate(cpu, " + seed + ")): " + net.describe();
            ChannelGroups groups = ChannelGroups.of(net);
            Plan plan = randomPlan(groups, rng);
            Map<String, Tensor> channels = Compaction.channelMasks(groups, plan.targets(), plan.masks());
            try (Graph masked = net.copy(); Graph compacted = net.copy()) {
                Compaction.maskUnits(masked, channels);
                Compaction.compact(compacted, channels);
                compacted.checkShapes(); // compact checks too; called here so a failure says so plainly

                if (plan.removesSomething()) {
                    assertTrue(compacted.parameterCount() < net.parameterCount(),
                            what + ": a unit was removed but the parameters went from " + net.parameterCount() + " to "
                                    + compacted.parameterCount());
                } else {
                    assertEquals(net.parameterCount(), compacted.parameterCount(), what + ": nothing was removed");
                }
                for (Map.Entry<String, Tensor> e : channels.entrySet()) {
                    if (!e.getKey().equals(Graph.INPUT)) {
                        assertEquals(Ranking.count(CPU, e.getValue()), compacted.shapeOf(e.getKey())[0],
                                what + ": channels of " + e.getKey() + " after compaction");
                    }
                }

                int batch = 4 + rng.nextInt(4); // BatchNorm1d statistics over a batch of 2 or 3 are degenerate

                Tensor x = CPU.fromArray(Check.uniform(rng, batch * net.inputSize(), 1.5), batch, net.inputSize());
                Map<String, float[]> maskOf = new HashMap<>();
                channels.forEach((k, v) -> maskOf.put(k, v.toFloatArray()));
                ZeroCheck zeros = new ZeroCheck(maskOf, masked);
                masked.addForwardHook(zeros);
                for (boolean training : new boolean[] {false, true}) {
                    String mode = training ? "training mode" : "inference";
                    float[] a = masked.forward(x, training).toFloatArray();
                    float[] b = compacted.forward(x, training).toFloatArray();
                    // Training mode: each BatchNorm scales by 1/σ of its batch, so the rounding difference of
                    // summing over more (zero) terms in the masked network grows by that factor at every BatchNorm;
                    // after half a dozen of them it can reach 5e-5 (seeds 9240 and 15568 of 20000). A wrongly kept or
                    // dropped entry changes the output by 1e-2 or more, so 1e-4 still catches every one.
                    double tol = training ? TRAINING_TOLERANCE : TOLERANCE;
                    Check.close(what + ", " + mode + ": compacted vs masked", a, b, tol, tol);
                    if (!zeros.problems.isEmpty()) {
                        fail(what + ", " + mode + ": removed channels of the masked network are not zero: " + zeros.problems);
                    }
                }
            } finally {
                channels.values().forEach(Tensor::close);
                plan.masks().forEach(Tensor::close);
            }
        }
    }

    /** Records every node output of the masked network whose removed channels hold anything but zero. */
    private static final class ZeroCheck implements ForwardHook {
        private final Map<String, float[]> masks;
        final List<String> problems = new ArrayList<>();

        private final java.util.Set<String> gates = new java.util.HashSet<>();

        /** Checks the outputs of {@code net}'s nodes against {@code masks}, except gates and the views of gates. */
        ZeroCheck(Map<String, float[]> masks, Graph net) {
            this.masks = masks;
            for (Graph.Node n : net.nodes()) {
                io.prune4j.nn.Layer l = n.layer();
                boolean view = (l instanceof io.prune4j.nn.Unflatten || l instanceof io.prune4j.nn.Identity) && gates.contains(n.inputs().get(0));
                if (l.channelRule() instanceof io.prune4j.nn.ChannelRule.Gate || view) {
                    gates.add(n.name());
                }
            }
        }

        @Override
        public void accept(String node, io.prune4j.nn.Layer layer, Tensor[] inputs, Tensor output) {
            float[] m = masks.get(node);
            if (m == null || gates.contains(node)) {
                return;   // a gate's removed channel (or a view's of it) holds its constant; the products that read it check the zero
            }
            float[] y = output.toFloatArray();
            int batch = output.dim(0);
            int c = output.dim(1);
            int spatial = y.length / (batch * c);
            for (int b = 0; b < batch; b++) {
                for (int ch = 0; ch < c; ch++) {
                    if (m[ch] != 0) {
                        continue;
                    }
                    for (int s = 0; s < spatial; s++) {
                        float v = y[(b * c + ch) * spatial + s];
                        if (v != 0f) {
                            problems.add(node + " channel " + ch + " holds " + v);
                            return;
                        }
                    }
                }
            }
        }
    }
}
