package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.nn.ChannelAffine;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.LayerScale;
import io.prune4j.nn.PRelu;
import io.prune4j.nn.Parameter;
import io.prune4j.prune.ChannelGroups;
import io.prune4j.prune.Compaction;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The graph layers written from backend operations alone — channel slices, channel shuffles and
 * permutations, the fixed per-channel affine map, PReLU with a shared and a per-channel slope — on
 * CUDA against the CPU: a training-mode forward pass, the backward pass (every parameter's gradient
 * and the input's), and the network compacted by the same channel masks (a slice, a shuffle, a
 * PReLU and an affine map pruned), at an awkward batch and map size.
 */
@Tag("gpu")
class GraphLayersCudaTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("GraphLayersCudaTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) {
            gpu.close();
        }
    }

    /**
     * A ShuffleNet unit with the affine map in front and PReLUs inside, then a ConvNeXt-like residual
     * (depthwise, LayerNorm over the channels, 1×1, a learnt layer scale), a GroupNorm of 3 groups and
     * an instance norm after it, on {@code [3, 7, 5]} inputs.
     */
    private static Graph net(Backend b) {
        GraphBuilder g = Graph.builder(b, 11, 3, 7, 5);
        String x = g.add(new ChannelAffine("norm", b, new float[] {2f, -0.5f, 1.25f}, new float[] {-0.3f, 0.1f, 0.7f}, true), Graph.INPUT);
        x = g.add(new PRelu("p0", b, 6, new float[] {0.2f}, true), g.batchNorm("bn0", g.conv("c0", x, 6, 3, 1, 1, 1, true)));
        String a = g.slice("a", x, 0, 2);
        String y = g.conv("cb", g.slice("b", x, 2, 4), 4, 1, 1, 0, 1, true);
        y = g.add(new PRelu("p1", b, 4, new float[] {0.1f, -0.3f, 0.5f, 0.9f}, true), y);
        x = g.shuffle("sh", g.concat("cat", a, y), 3);
        String pw = g.conv("pw", g.layerNorm("ln", g.depthwise("dw", x, 3, 1, 1), 1e-6f), 6, 1, 1, 0, 1, true);
        x = g.add("res", g.add(new LayerScale("ls", b, new float[] {0.5f, -1f, 1.5f, 2f, 0.25f, -0.75f}, true), pw), x);
        x = g.groupNorm("in", g.groupNorm("gn", x, 3, 1e-5f), 6, 1e-5f);
        String f = g.flatten("flatten", g.globalAvgPool("gap", x));
        f = g.add(new ChannelAffine("temp", b, new float[] {0.5f, 1f, 2f, -1f, 1.5f, 0.25f}, new float[6], false), f);
        g.dense("fc", f, 4);
        return g.build();
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 5, 33})
    void trainingPassesAgreeWithTheCpu(int batch) {
        try (Graph cpu = net(Gpu.CPU); Graph dev = net(gpu)) {
            SplittableRandom rng = new SplittableRandom(batch);
            float[] x = Check.gaussian(rng, batch * cpu.inputSize(), 1);
            float[] r = Check.gaussian(rng, batch * 4, 1);
            Map<String, float[]> expected = pass(cpu, Gpu.CPU, x, r, batch);
            Map<String, float[]> actual = pass(dev, gpu, x, r, batch);
            assertEquals(expected.keySet(), actual.keySet());
            for (String k : expected.keySet()) {
                Check.close("batch " + batch + ": " + k + ", CUDA against the CPU", expected.get(k), actual.get(k), 1e-4, 1e-4);
            }
        }
    }

    /** Logits, every parameter's gradient (by node and name), for {@code dL/dlogits = r}. */
    private static Map<String, float[]> pass(Graph net, Backend b, float[] x, float[] r, int batch) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Tensor in = b.fromArray(x, batch, net.inputSize()); Tensor dy = b.fromArray(r, batch, 4)) {
            out.put("logits", net.forward(in, true).toFloatArray());
            net.backward(dy);
            for (Graph.Node n : net.nodes()) {
                for (Parameter p : n.layer().parameters()) {
                    out.put(n.name() + "." + p.name(), p.grad().toFloatArray());
                }
            }
        }
        return out;
    }

    /** The same channel masks compact the network alike on both backends, and the compacted networks compute the same. */
    @ParameterizedTest(name = "keep every {0}th channel")
    @ValueSource(ints = {2, 3})
    void compactionAgreesWithTheCpu(int every) {
        try (Graph cpu = net(Gpu.CPU); Graph dev = net(gpu)) {
            long before = cpu.parameterCount();
            compact(cpu, Gpu.CPU, every);
            compact(dev, gpu, every);
            assertEquals(cpu.parameterCount(), dev.parameterCount(), "parameters after compaction");
            assertTrue(cpu.parameterCount() < before, "nothing was removed");
            float[] x = Check.gaussian(new SplittableRandom(every), 6 * cpu.inputSize(), 1);
            try (Tensor a = Gpu.CPU.fromArray(x, 6, cpu.inputSize()); Tensor b = gpu.fromArray(x, 6, dev.inputSize())) {
                Check.close("compacted, keep every " + every + "th", cpu.forward(a, false).toFloatArray(), dev.forward(b, false).toFloatArray(),
                        1e-4, 1e-4);
            }
        }
    }

    /** Keeps channels 0, every, 2·every, … of every prunable group, removing the rest. */
    private static void compact(Graph net, Backend b, int every) {
        ChannelGroups groups = ChannelGroups.of(net);
        Map<String, Tensor> masks = new LinkedHashMap<>();
        try {
            for (Graph.Node n : net.nodes()) {
                int[] gs = groups.groupsOf(n.name());
                int[] us = groups.unitsOf(n.name());
                float[] m = new float[gs.length];
                for (int c = 0; c < m.length; c++) {
                    m[c] = !groups.all().get(gs[c]).prunable() || us[c] % every == 0 ? 1f : 0f;
                }
                masks.put(n.name(), b.fromArray(m, m.length));
            }
            Compaction.compact(net, masks);
        } finally {
            masks.values().forEach(Tensor::close);
        }
    }
}
