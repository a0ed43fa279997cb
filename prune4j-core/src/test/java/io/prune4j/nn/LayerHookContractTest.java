package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link ForwardHook}'s contract, which {@code TaylorScorer} relies on: the tensor a forward hook gets
 * is unchanged when the backward pass of the same batch reaches that node's backward hook (and after
 * the whole backward pass), for every layer type, at two batch sizes (the second reallocates the
 * buffers). A layer that wrote into its forward output in its backward pass would break Taylor
 * scores silently; {@link #theCheckCatchesALayerThatWritesIntoItsForwardOutput} shows that this test
 * notices one.
 */
class LayerHookContractTest {
    private final Backend cpu = new CpuBackend(1);

    /** conv (ReLU) → pool → conv → ReLU layer → flatten → dense (ReLU) → dense: every layer type. */
    private Graph everyLayerType(List<Layer> extra) {
        SplittableRandom rng = new SplittableRandom(4);
        List<Layer> layers = new ArrayList<>(List.of(
                Conv2d.create(cpu, "conv1", 2, 4, 3, 1, 1, true, rng),
                new MaxPool2d("pool1", cpu, 2, 2),
                Conv2d.create(cpu, "conv2", 4, 3, 3, 1, 0, false, rng),
                new Relu("relu", cpu)));
        layers.addAll(extra);
        layers.add(new Flatten("flatten", cpu));
        layers.add(Dense.create(cpu, "fc1", 3 * 2 * 2, 5, true, rng));
        layers.add(Dense.create(cpu, "fc2", 5, 3, false, rng));
        return Graph.chain(cpu, new int[] {2, 8, 8}, layers);
    }

    /** One forward and backward pass per batch size; returns every place where a kept forward tensor had changed. */
    private List<String> changedForwardTensors(Graph net) {
        List<String> changed = new ArrayList<>();
        Map<String, Tensor> kept = new HashMap<>();
        Map<String, float[]> values = new HashMap<>();
        ForwardHook forward = (i, layer, inputs, a) -> {
            kept.put(i, a);
            values.put(i, a.toFloatArray());
        };
        BackwardHook backward = (i, layer, g) -> {
            if (!java.util.Arrays.equals(values.get(i), kept.get(i).toFloatArray())) {
                changed.add(layer.describe() + "'s output changed before its backward hook");
            }
        };
        net.addForwardHook(forward);
        net.addBackwardHook(backward);
        SplittableRandom rng = new SplittableRandom(8);
        for (int batch : new int[] {6, 5}) {
            float[] x = new float[batch * 2 * 8 * 8];
            for (int j = 0; j < x.length; j++) x[j] = (float) rng.nextGaussian();
            int[] y = new int[batch];
            for (int j = 0; j < batch; j++) y[j] = j % 3;
            Tensor logits = net.forward(cpu.fromArray(x, batch, 2 * 8 * 8), true);
            Tensor grad = cpu.zeros(DType.FLOAT32, logits.shape());
            cpu.softmaxCrossEntropy(grad, cpu.zeros(DType.FLOAT32, 2), logits, cpu.fromArray(y, batch), 1f / batch);
            net.backward(grad);
            assertEquals(net.layers().size(), kept.size(), "every layer's forward hook ran");
            for (Map.Entry<String, Tensor> e : kept.entrySet()) {
                if (!java.util.Arrays.equals(values.get(e.getKey()), e.getValue().toFloatArray())) {
                    changed.add(net.layer(e.getKey()).describe() + "'s output changed during the backward pass (batch " + batch + ")");
                }
            }
            kept.clear();
        }
        net.removeHook(forward);
        net.removeHook(backward);
        return changed;
    }

    @Test
    void aForwardHooksTensorIsUnchangedWhenTheBackwardPassComes() {
        try (Graph net = everyLayerType(List.of())) {
            assertEquals(List.of(), changedForwardTensors(net));
        }
    }

    /** The same with every activation kind in a row (each keeps its input for the backward pass, or its output, or both). */
    @Test
    void activationOutputsAreUnchangedWhenTheBackwardPassComes() {
        List<Layer> acts = new ArrayList<>();
        for (Activations.Case c : Activations.all()) {
            acts.add(new Activation("act" + acts.size(), cpu, c.kind(), c.alpha(), c.beta()));
        }
        try (Graph net = everyLayerType(acts)) {
            assertEquals(List.of(), changedForwardTensors(net));
        }
    }

    /**
     * The same for products, each of which keeps both inputs for the backward pass: SiLU's
     * {@code x ⊙ sigmoid(x)}, a squeeze-and-excitation gate on it, and a value times itself.
     */
    @Test
    void productOutputsAreUnchangedWhenTheBackwardPassComes() {
        SplittableRandom rng = new SplittableRandom(4);
        GraphBuilder g = Graph.builder(cpu, 4, 2, 8, 8);
        String x = g.add(Conv2d.create(cpu, "conv1", 2, 4, 3, 1, 1, true, rng), Graph.INPUT);
        x = g.add(Conv2d.create(cpu, "conv2", 4, 3, 3, 1, 0, false, rng), g.add(new MaxPool2d("pool1", cpu, 2, 2), x));
        String silu = g.mul("silu", x, g.sigmoid("sig", x));
        String se = g.mul("se", g.sigmoid("gate", g.globalAvgPool("gap", silu)), silu);
        String y = g.flatten("flatten", g.mul("square", se, se));
        g.dense("fc2", g.denseRelu("fc1", y, 5), 3);
        try (Graph net = g.build()) {
            assertEquals(List.of(), changedForwardTensors(net));
        }
    }

    /** A ReLU that reuses its output buffer for the input gradient: legal for a backend, a breach of the contract for a layer. */
    private static final class OutputClobberingRelu implements UnaryLayer {
        private final Backend backend;
        private Tensor out;

        OutputClobberingRelu(Backend backend) {
            this.backend = backend;
        }

        @Override
        public String name() {
            return "clobber";
        }

        @Override
        public String describe() {
            return "OutputClobberingRelu";
        }

        @Override
        public int[] outputShape(int[] inputShape) {
            return inputShape.clone();
        }

        @Override
        public Tensor forward(Tensor x, boolean training) {
            out = Workspace.ensureShape(backend, out, x.shape());
            backend.relu(out, x);
            return out;
        }

        @Override
        public Tensor backward(Tensor dy, boolean needInputGrad) {
            backend.reluBackward(out, dy, out);   // in place: the forward output is gone
            return out;
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
        public Layer copy() {
            return new OutputClobberingRelu(backend);
        }

        @Override
        public void close() {
            out = Workspace.free(out);
        }
    }

    @Test
    void theCheckCatchesALayerThatWritesIntoItsForwardOutput() {
        try (Graph net = everyLayerType(List.of(new OutputClobberingRelu(cpu)))) {
            List<String> changed = changedForwardTensors(net);
            assertFalse(changed.isEmpty(), "the breach went unnoticed");
            // it, and the Flatten behind it (a view of its output)
            assertTrue(changed.stream().anyMatch(s -> s.startsWith("OutputClobberingRelu")), changed.toString());
            assertTrue(changed.stream().allMatch(s -> s.startsWith("OutputClobberingRelu") || s.startsWith("Flatten")), changed.toString());
        }
    }

    @Test
    void taylorScoresFromTheKeptTensorsEqualScoresFromCopies() {
        // TaylorScorer keeps each forward tensor until its backward hook; scores computed from copies
        // taken at the hooks are the same numbers, so what it kept was still what the forward pass wrote
        int n = 256;
        SplittableRandom rng = new SplittableRandom(6);
        float[] x = new float[n * 128];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(3);
            for (int j = 0; j < 128; j++) x[i * 128 + j] = (float) rng.nextGaussian() + (j % 3 == y[i] ? 1f : 0f);
        }
        List<String> targets = List.of("conv1", "conv2", "fc1");
        try (Graph net = everyLayerType(List.of());
             io.prune4j.train.DeviceData data = io.prune4j.train.DeviceData.upload(cpu,
                     new io.prune4j.data.Dataset("blobs", x, y, n, 128, 3, new int[] {2, 8, 8}))) {
            Map<String, float[]> a = new HashMap<>();
            Map<String, int[]> shapes = new HashMap<>();
            Map<String, double[]> expected = new HashMap<>();
            ForwardHook copyForward = (i, layer, inputs, t) -> {
                a.put(i, t.toFloatArray());
                shapes.put(i, t.shape());
            };
            BackwardHook copyBackward = (i, layer, g) -> {
                if (!targets.contains(i)) return;
                int[] sh = shapes.get(i);
                int batch = sh[0];
                int units = sh[1];
                int spatial = g.size() / (batch * units);
                float[] av = a.get(i);
                float[] gv = g.toFloatArray();
                double[] acc = expected.computeIfAbsent(i, k -> new double[units]);
                for (int u = 0; u < units; u++) {
                    double sum = 0;
                    for (int b = 0; b < batch; b++) {
                        float t = 0f;
                        for (int q = 0; q < spatial; q++) {
                            int at = (b * units + u) * spatial + q;
                            t += av[at] * gv[at];
                        }
                        sum += t * (1f / spatial);
                    }
                    acc[u] += Math.abs(sum);
                }
            };
            net.addForwardHook(copyForward);   // before the scorer's hooks, so they see the same tensors first
            net.addBackwardHook(copyBackward);
            List<Tensor> scores;
            scores = io.prune4j.prune.Calibration.score(io.prune4j.prune.Criterion.TAYLOR, 1, net, targets, io.prune4j.prune.Granularity.UNIT,
                    data, 2, 3, null);
            for (int s = 0; s < targets.size(); s++) {
                float[] got = scores.get(s).toFloatArray();
                double[] want = expected.get(targets.get(s));
                assertEquals(want.length, got.length);
                for (int u = 0; u < got.length; u++) {
                    assertEquals(want[u] / 2, got[u], 1e-5 * (Math.abs(want[u]) + 1e-6),
                            "node " + targets.get(s) + " unit " + u + ": the Taylor score from the kept tensors");
                }
            }
            scores.forEach(Tensor::close);
        }
    }
}
