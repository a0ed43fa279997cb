package io.prune4j.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.AvgPool2d;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.Layer;
import io.prune4j.onnx.proto.AttributeProto;
import io.prune4j.onnx.proto.ModelProto;
import io.prune4j.onnx.proto.NodeProto;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Activations;
import io.prune4j.testing.Check;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every layer prune4j writes, exported and run in ONNX Runtime (outputs within 1e-5 of prune4j's,
 * relative to the logits' scale), and read back (the same network, bit for bit, under the same
 * names); the activations and the products are exported and run on graphs of their own too.
 */
class OnnxRoundTripTest {
    static final CpuBackend CPU = new CpuBackend(1);

    @AfterAll
    static void close() {
        CPU.close();
    }

    /** A graph with one node of every kind the writer knows, BatchNorm statistics far from the identity. */
    static Graph zoo(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(CPU, seed, 3, 12, 12);
        String x = g.add(Conv2d.create(CPU, "stem", 3, 8, 3, 1, 1, 1, true, true, rng), Graph.INPUT); // bias, fused ReLU
        x = g.add(bn("stem.bn", 8, rng), x);
        String a = g.relu6("a.relu6", g.depthwise("a.dw", x, 3, 1, 1));
        String b = g.relu("b.relu", g.add(bn("b.bn", 8, rng), g.conv("b.conv", x, 8, 1, 1, 0, 2, false)));
        x = g.add("sum", a, b, x);
        x = g.zeroPad("pad", x, 1, 0, 2, 1);
        String c = g.conv("c.conv", x, 4, 3, 1, 1);
        x = g.concat("cat", x, c);
        x = g.identity("id", x);
        String p1 = g.maxPool("maxpool", x, 3, 2, 1);
        String p2 = g.add(new AvgPool2d("avgpool", CPU, 3, 2, 1, false), x);
        String p3 = g.add(new AvgPool2d("avgpool.incl", CPU, 3, 2, 1, true), x);
        String p4 = g.add(new AvgPool2d("avgpool.ceil", CPU, 2, 2, 0, false, true), x); // 13x15: 7x8 with the partial windows
        x = g.add("pools", p1, p2, p3, p4);
        x = g.mul("gmp.se", g.sigmoid("gmp.gate", g.globalMaxPool("gmp", x)), x); // 7x8 maps: a GlobalMaxPool node
        x = g.add(new io.prune4j.nn.MaxPool2d("unpool.down", CPU, 2, 2, 0, false), g.upsample("unpool", x, 2, 2)); // a nearest Resize 2x2, pooled back
        x = g.add(new io.prune4j.nn.Clamp("clamp", CPU, -0.5f, 2.5f), x);
        x = g.mul("se", g.hardSigmoid("se.gate", g.conv("se.fc", g.globalAvgPool("se.pool", x), 12, 1, 1, 0, 1, true)), x);
        x = g.mul("silu", x, g.sigmoid("silu.gate", x));
        x = g.add(gn("gn", 12, 3, rng), x);
        x = g.add(gn("instancenorm", 12, 12, rng), x);
        x = g.flatten("flatten", g.globalAvgPool("gap", x));
        x = g.add(Dense.create(CPU, "fc1", 12, 16, true, true, rng), x);
        x = g.add(bn("fc1.bn", 16, rng), x);
        x = g.add(gn("fc1.gn", 16, 4, rng), x);
        g.add(Dense.create(CPU, "fc2", 16, 5, false, false, rng), x);
        return g.build();
    }

    /** A GroupNorm with scales of either sign and shifts, and PyTorch's eps. */
    static io.prune4j.nn.GroupNorm gn(String name, int c, int groups, SplittableRandom rng) {
        return new io.prune4j.nn.GroupNorm(name, CPU.fromArray(Check.uniform(rng, c, 1.5), c), CPU.fromArray(Check.uniform(rng, c, 0.5), c),
                groups, io.prune4j.nn.GroupNorm.DEFAULT_EPS);
    }

    static BatchNorm bn(String name, int c, SplittableRandom rng) {
        float[] gamma = new float[c];
        float[] beta = new float[c];
        float[] mean = new float[c];
        float[] var = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = (float) (0.5 + rng.nextDouble());
            beta[i] = (float) (rng.nextDouble() - 0.5);
            mean[i] = (float) (0.2 * (rng.nextDouble() - 0.5));
            var[i] = (float) (0.5 + rng.nextDouble());
        }
        return new BatchNorm(name, CPU.fromArray(gamma, c), CPU.fromArray(beta, c), CPU.fromArray(mean, c), CPU.fromArray(var, c), 0.1f,
                1e-5f);
    }

    static float[] forward(Graph net, float[] x, int batch) {
        int[] shape = new int[net.inputShape().length + 1];
        shape[0] = batch;
        System.arraycopy(net.inputShape(), 0, shape, 1, net.inputShape().length);
        try (Tensor in = CPU.fromArray(x, shape)) {
            return net.forward(in, false).toFloatArray();
        }
    }

    static float[] input(Graph net, int batch, long seed) {
        return Check.gaussian(new SplittableRandom(seed), batch * net.inputSize(), 1.0);
    }

    @Test
    void exportRunsInOnnxRuntimeAsInPrune4j() {
        io.prune4j.testing.OrtAvailable.assume();
        try (Graph net = zoo(7)) {
            byte[] bytes = OnnxWriter.toModel(net, null, Map.of()).toByteArray();
            float[] x = input(net, 5, 1);
            try (OnnxRuntime ort = OnnxRuntime.open(bytes, 1)) {
                Agreement a = Agreement.of(5, forward(net, x, 5), ort.run(x, 5, net.inputShape()));
                assertTrue(a.maxRelative() <= 1e-5, "ONNX Runtime differs from prune4j by " + a);
                // a batch of another size runs too: the batch extent is symbolic
                float[] x1 = input(net, 1, 2);
                Agreement b = Agreement.of(1, forward(net, x1, 1), ort.run(x1, 1, net.inputShape()));
                assertTrue(b.maxRelative() <= 1e-5, "batch 1: " + b);
            }
        }
    }

    @Test
    void importOfAnExportIsTheSameNetwork(@TempDir Path dir) {
        Path file = dir.resolve("zoo.onnx");
        try (Graph net = zoo(8)) {
            OnnxWriter.write(net, file, null, Map.of("prune4j.criterion", "magnitude"));
            try (OnnxModel back = OnnxReader.read(file, CPU, null)) {
                assertEquals(net.nodes().size(), back.graph().nodes().size(), "node count");
                for (int i = 0; i < net.nodes().size(); i++) {
                    Graph.Node n = net.nodes().get(i);
                    Graph.Node m = back.graph().nodes().get(i);
                    assertEquals(n.name(), m.name(), "node " + i + " keeps its name");
                    assertEquals(n.inputs(), m.inputs(), n.name() + " reads the same values");
                    assertEquals(n.layer().getClass(), m.layer().getClass(), n.name() + " is the same kind of layer");
                    assertSameParameters(n.layer(), m.layer());
                }
                float[] x = input(net, 4, 3);
                assertArrayEquals(Check.bits(forward(net, x, 4)), Check.bits(forward(back.graph(), x, 4)), "outputs bit for bit");
                assertEquals("magnitude", back.metadata().get("prune4j.criterion"));
                assertEquals(OnnxWriter.OPSET, back.opset());
            }
        }
    }

    static void assertSameParameters(Layer a, Layer b) {
        assertEquals(a.parameters().size(), b.parameters().size(), a.name() + " parameters");
        for (int i = 0; i < a.parameters().size(); i++) {
            assertArrayEquals(Check.bits(a.parameters().get(i).value().toFloatArray()), Check.bits(b.parameters().get(i).value().toFloatArray()),
                    a.name() + "." + a.parameters().get(i).name());
        }
        for (Map.Entry<String, Tensor> e : a.buffers().entrySet()) {
            assertArrayEquals(Check.bits(e.getValue().toFloatArray()), Check.bits(b.buffers().get(e.getKey()).toFloatArray()),
                    a.name() + "." + e.getKey());
        }
        if (a instanceof BatchNorm x && b instanceof BatchNorm y) {
            assertEquals(x.eps(), y.eps(), a.name() + " eps");
            assertEquals(x.momentum(), y.momentum(), 1e-7, a.name() + " momentum");
        }
    }

    /**
     * A file that ends in Softmax reads as the network of its scores (what prune4j trains on) and
     * exports with the Softmax back, under its name; a safetensors file keeps it in its metadata.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Softmax", "LogSoftmax"})
    void aFinalSoftmaxIsTakenOffAndPutBack(String op, @TempDir Path dir) throws Exception {
        OnnxBuild b = new OnnxBuild(4).input("input", 6);
        String x = b.node("Gemm", OnnxBuild.in("input", b.weight("fc.weight", 1.0, 3, 6)), OnnxBuild.i("transB", 1));
        b.node(op, "probs", OnnxBuild.in(x)).setName("head");
        byte[] bytes = b.output("probs", 3).bytes();
        float[] in = Check.gaussian(new SplittableRandom(2), 4 * 6, 1.0);
        try (OnnxModel m = OnnxReader.read(bytes, op, CPU, null)) {
            assertEquals(op, m.names().outputFunction().operator());
            assertEquals(Dense.class, m.graph().nodes().get(m.graph().nodes().size() - 1).layer().getClass(), "the scores are the output");
            float[] scores = forward(m.graph(), in, 4);
            float[] expected = m.names().outputFunction().apply(scores, 4);
            for (int r = 0; r < 4; r++) {
                double sum = 0;
                for (int c = 0; c < 3; c++) {
                    double v = expected[r * 3 + c];
                    sum += op.equals("Softmax") ? v : Math.exp(v);
                }
                assertEquals(1.0, sum, 1e-6, "row " + r + " of the " + op + " is a distribution");
            }
            ModelProto back = OnnxWriter.toModel(m.graph(), m.names(), Map.of());
            NodeProto last = back.getGraph().getNode(back.getGraph().getNodeCount() - 1);
            assertEquals(op + ":head:probs", last.getOpType() + ":" + last.getName() + ":" + last.getOutput(0));
            assertEquals("probs", back.getGraph().getOutput(0).getName());
            if (OnnxRuntime.available()) {
                try (OnnxRuntime ort = OnnxRuntime.open(back.toByteArray(), 1)) {
                    Agreement a = Agreement.of(4, expected, ort.run(in, 4, m.graph().inputShape()));
                    assertTrue(a.maxRelative() <= 1e-5, "the export's " + op + " differs by " + a);
                }
            }
            Path st = dir.resolve("m.safetensors");
            ModelFormat.save(m.graph(), st, m.names(), Map.of());
            try (OnnxModel again = ModelFormat.load(st, CPU, null)) {
                assertEquals(m.names().outputFunction(), again.names().outputFunction(), "kept through a safetensors file");
            }
        }
    }

    @Test
    void aSecondExportKeepsEveryName(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("a.onnx");
        try (Graph net = zoo(9)) {
            OnnxWriter.write(net, first, null, Map.of());
        }
        ModelProto a = ModelProto.parseFrom(Files.readAllBytes(first));
        try (OnnxModel back = OnnxReader.read(first, CPU, null)) {
            ModelProto b = OnnxWriter.toModel(back.graph(), back.names(), Map.of());
            assertEquals(names(a.getGraph().getNodeList()), names(b.getGraph().getNodeList()), "node names");
            assertEquals(a.getGraph().getInitializerList().stream().map(t -> t.getName()).toList(),
                    b.getGraph().getInitializerList().stream().map(t -> t.getName()).toList(), "initializer names");
            assertEquals(a.getGraph().getNodeList().stream().map(n -> n.getOutputList()).toList(),
                    b.getGraph().getNodeList().stream().map(n -> n.getOutputList()).toList(), "tensor names");
        }
    }

    private static List<String> names(List<NodeProto> nodes) {
        return nodes.stream().map(n -> n.getOpType() + ":" + n.getName()).toList();
    }

    /** A branch of each activation kind on one convolution's output (spread over [−6, 6]), summed, pooled, classified. */
    static Graph activations(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(CPU, seed, 2, 6, 6);
        Conv2d stem = Conv2d.create(CPU, "stem", 2, 4, 3, 1, 1, 1, true, false, rng);
        CPU.upload(stem.weight().value(), Check.uniform(rng, stem.weight().size(), 1.5));
        String x = g.add(stem, Graph.INPUT);
        List<Activations.Case> cases = Activations.all();
        String[] branches = new String[cases.size()];
        for (int i = 0; i < branches.length; i++) {
            Activations.Case c = cases.get(i);
            branches[i] = g.activation("act" + i, x, c.kind(), c.alpha(), c.beta());
        }
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.add("sum", branches))), 3);
        return g.build();
    }

    /**
     * Each activation is written as its ONNX operator (LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish,
     * Elu, Selu with β as its gamma, Celu, Softplus; GELU as the Div-Erf-Add-Mul-Mul of opset 17, the Erf
     * under the layer's name, Mish as Softplus-Tanh-Mul, the Softplus under it) with its α and β as float
     * attributes and no others, and ONNX Runtime computes what prune4j does.
     */
    @Test
    void activationsExportAsTheirOnnxOperators() {
        try (Graph net = activations(11)) {
            ModelProto model = OnnxWriter.toModel(net, null, Map.of());
            List<Activations.Case> cases = Activations.all();
            for (int i = 0; i < cases.size(); i++) {
                Activations.Case c = cases.get(i);
                String name = "act" + i;
                NodeProto n = model.getGraph().getNodeList().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
                String op = switch (c.kind()) {
                    case LEAKY_RELU -> "LeakyRelu";
                    case SIGMOID -> "Sigmoid";
                    case TANH -> "Tanh";
                    case HARD_SIGMOID -> "HardSigmoid";
                    case HARD_SWISH -> "HardSwish";
                    case ELU -> "Elu";
                    case GELU -> "Erf"; // Div by √2, Erf, Add 1, Mul by x, Mul by 0.5: the Erf node carries the layer's name
                    case SELU -> "Selu";
                    case CELU -> "Celu";
                    case SOFTPLUS -> "Softplus";
                    case MISH -> "Softplus"; // Softplus, Tanh, Mul by x: the Softplus node carries the layer's name
                    case GELU_TANH -> "Tanh"; // nine nodes, as PyTorch writes the approximation: the Tanh carries the layer's name
                };
                assertEquals(op, n.getOpType(), c.toString());
                Map<String, Float> attributes = new java.util.TreeMap<>();
                n.getAttributeList().forEach(a -> {
                    assertEquals(AttributeProto.AttributeType.FLOAT, a.getType(), c + " " + a.getName());
                    attributes.put(a.getName(), a.getF());
                });
                Map<String, Float> expected = new java.util.TreeMap<>();
                if (c.kind().hasAlpha()) {
                    expected.put("alpha", c.alpha());
                }
                if (c.kind().hasBeta()) {
                    expected.put(c.kind() == ActivationKind.SELU ? "gamma" : "beta", c.beta());
                }
                assertEquals(expected, attributes, c.toString());
                assertEquals(1, n.getInputCount(), c.toString());
            }
            io.prune4j.testing.OrtAvailable.assume();
            float[] x = input(net, 6, 12);
            try (OnnxRuntime ort = OnnxRuntime.open(model.toByteArray(), 1)) {
                Agreement a = Agreement.of(6, forward(net, x, 6), ort.run(x, 6, net.inputShape()));
                assertTrue(a.maxRelative() <= 1e-5, "ONNX Runtime differs from prune4j by " + a);
            }
        }
    }

    /**
     * The products of MobileNetV3 and EfficientNet on one convolution's output: a squeeze-and-excitation
     * block with a HardSigmoid gate (the gate first) and one with a sigmoid gate (the gate second),
     * SiLU, and a value times itself.
     */
    static Graph products(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        GraphBuilder g = Graph.builder(CPU, seed, 2, 6, 6);
        Conv2d stem = Conv2d.create(CPU, "stem", 2, 4, 3, 1, 1, 1, true, false, rng);
        CPU.upload(stem.weight().value(), Check.uniform(rng, stem.weight().size(), 1.5));
        String x = g.add(stem, Graph.INPUT);
        String e = g.relu("se1.relu", g.conv("se1.fc1", g.globalAvgPool("se1.pool", x), 2, 1, 1, 0, 1, true));
        x = g.mul("se1", g.hardSigmoid("se1.gate", g.conv("se1.fc2", e, 4, 1, 1, 0, 1, true)), x);
        x = g.mul("silu", x, g.sigmoid("silu.gate", x));
        e = g.relu("se2.relu", g.conv("se2.fc1", g.globalAvgPool("se2.pool", x), 3, 1, 1, 0, 1, true));
        x = g.mul("se2", x, g.sigmoid("se2.gate", g.conv("se2.fc2", e, 4, 1, 1, 0, 1, true)));
        g.dense("fc", g.flatten("flatten", g.globalAvgPool("gap", g.mul("square", x, x))), 3);
        return g.build();
    }

    /** Each product is written as a Mul of its two inputs in their order, without attributes, and ONNX Runtime computes what prune4j does. */
    @Test
    void productsExportAsMul() {
        try (Graph net = products(13)) {
            ModelProto model = OnnxWriter.toModel(net, null, Map.of());
            Map<String, NodeProto> byName = new java.util.HashMap<>();
            model.getGraph().getNodeList().forEach(n -> byName.put(n.getName(), n));
            for (String name : List.of("se1", "silu", "se2", "square")) {
                NodeProto n = byName.get(name);
                assertEquals("Mul", n.getOpType(), name);
                assertEquals(0, n.getAttributeCount(), name);
                List<String> inputs = net.node(name).inputs();
                assertEquals(List.of(byName.get(inputs.get(0)).getOutput(0), byName.get(inputs.get(1)).getOutput(0)), n.getInputList(), name);
            }
            io.prune4j.testing.OrtAvailable.assume();
            float[] x = input(net, 6, 14);
            try (OnnxRuntime ort = OnnxRuntime.open(model.toByteArray(), 1)) {
                Agreement a = Agreement.of(6, forward(net, x, 6), ort.run(x, 6, net.inputShape()));
                assertTrue(a.maxRelative() <= 1e-5, "ONNX Runtime differs from prune4j by " + a);
            }
        }
    }

    @Test
    void aLayerOnnxDoesNotKnowIsRefusedBeforeWriting(@TempDir Path dir) {
        Path file = dir.resolve("custom.onnx");
        GraphBuilder g = Graph.builder(CPU, 1, 4);
        g.add(new org.example.prune4j.Scale("scale", CPU.fromArray(new float[] {1, 2, 3, 4}, 4)), g.dense("fc", Graph.INPUT, 4));
        try (Graph net = g.build()) {
            io.prune4j.Prune4jException e = assertThrows(io.prune4j.Prune4jException.class, () -> OnnxWriter.write(net, file, null, Map.of()));
            assertTrue(e.getMessage().contains("cannot export node scale"), e.getMessage());
        }
        assertTrue(!Files.exists(file), "nothing written");
    }

    /**
     * A model written with its weights outside ({@code <file>.data}, as one over 2 GB is): the small
     * tensors stay inside, a tensor of 1 MiB or more starts at a multiple of 64 KiB, the data file
     * holds exactly the bytes the model names, and the file reads back (prune4j and ONNX Runtime) to
     * what was written.
     */
    @Test
    void weightsOverTheLimitGoToADataFile(@TempDir Path dir) throws Exception {
        GraphBuilder g = Graph.builder(CPU, 5, 700);
        g.dense("small", g.relu("r", g.dense("big", Graph.INPUT, 400)), 3); // big: 700·400·4 = 1,120,000 bytes
        try (Graph net = g.build()) {
            Path file = dir.resolve("m.onnx");
            OnnxWriter.write(net, file, null, Map.of(), 1_000_000);
            ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
            long end = 0;
            for (io.prune4j.onnx.proto.TensorProto t : m.getGraph().getInitializerList()) {
                int bytes = 4 * t.getDimsList().stream().mapToInt(Long::intValue).reduce(1, (a, b) -> a * b);
                assertEquals(bytes >= OnnxWriter.MIN_EXTERNAL_BYTES, ExternalData.isExternal(t), t.getName() + " outside or in");
                if (ExternalData.isExternal(t)) {
                    Map<String, String> e = new java.util.HashMap<>();
                    t.getExternalDataList().forEach(kv -> e.put(kv.getKey(), kv.getValue()));
                    assertEquals("m.onnx.data", e.get("location"));
                    long offset = Long.parseLong(e.get("offset"));
                    assertEquals(bytes, Long.parseLong(e.get("length")), t.getName());
                    if (bytes >= 1 << 20) {
                        assertEquals(0, offset % 65536, t.getName() + " aligned");
                    }
                    end = Math.max(end, offset + bytes);
                }
            }
            assertEquals(end, Files.size(dir.resolve("m.onnx.data")), "the data file holds what the model names");
            float[] x = input(net, 3, 2);
            float[] want = forward(net, x, 3);
            try (OnnxModel back = OnnxReader.read(file, CPU, null)) {
                assertArrayEquals(want, forward(back.graph(), x, 3));
            }
            if (OnnxRuntime.available()) {
                try (OnnxRuntime ort = OnnxRuntime.open(file, 1)) {
                    Agreement a = Agreement.of(3, want, ort.run(x, 3, net.inputShape()));
                    assertTrue(a.maxRelative() <= 1e-5, "ONNX Runtime differs by " + a);
                }
            }
        }
    }
}
