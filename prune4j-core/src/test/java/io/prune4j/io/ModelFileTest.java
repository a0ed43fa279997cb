package io.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Activation;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.testing.Activations;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
    private final Backend cpu = new CpuBackend(1);

    @TempDir
    Path dir;

    private Path saved() {
        Graph net = Models.mlp(cpu, 7, new int[] {5, 3}, 4, 11);
        Path p = dir.resolve("m.safetensors");
        ModelFile.save(net, p, Map.of("note", "test"));
        return p;
    }

    @Test
    void convolutionalNetworkRoundTripsWithItsInputShapeAndLayers() {
        Graph net = Models.cnn(cpu, new int[] {3, 10, 9}, new int[] {4, 5}, 6, 7, 2);
        Path p = dir.resolve("cnn.safetensors");
        ModelFile.save(net, p, Map.of());
        Graph back = ModelFile.load(p, cpu);
        assertEquals(net.describe(), back.describe());
        assertArrayEquals(new int[] {3, 10, 9}, back.inputShape());
        assertEquals(net.flopsPerExample(), back.flopsPerExample());
        float[] x = io.prune4j.testing.Check.randn(new java.util.SplittableRandom(1), 2 * 270, 1);
        assertArrayEquals(net.forward(cpu.fromArray(x, 2, 270), false).toFloatArray(),
                back.forward(cpu.fromArray(x, 2, 270), false).toFloatArray());
    }

    @Test
    void convolutionWhoseChannelsDisagreeWithTheTensorsIsRejected() throws IOException {
        Graph net = Models.cnn(cpu, new int[] {1, 8, 8}, new int[] {3}, 4, 2, 2);
        Path p = dir.resolve("c.safetensors");
        ModelFile.save(net, p, Map.of());
        // rewrite the architecture so conv1 claims 2 input channels; the header length must stay the same
        byte[] bytes = Files.readAllBytes(p);
        String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
        String bad = text.replace("\\\"type\\\":\\\"conv2d\\\",\\\"name\\\":\\\"conv1\\\",\\\"in\\\":1",
                "\\\"type\\\":\\\"conv2d\\\",\\\"name\\\":\\\"conv1\\\",\\\"in\\\":2");
        assertTrue(!bad.equals(text), "the test's edit must hit the header: " + text.substring(0, 300));
        Files.write(p, bad.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.load(p, cpu));
        assertTrue(e.getMessage().contains("conv1"), e.getMessage());
    }

    @Test
    void roundTripIsBitExact() {
        Graph net = Models.mlp(cpu, 7, new int[] {5, 3}, 4, 11);
        Path p = dir.resolve("net.safetensors");
        ModelFile.save(net, p, Map.of("note", "hello"));
        Graph back = ModelFile.load(p, cpu);
        assertEquals(net.describe(), back.describe());
        List<Parameter> a = net.parameters();
        List<Parameter> b = back.parameters();
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            float[] x = a.get(i).value().toFloatArray();
            float[] y = b.get(i).value().toFloatArray();
            assertArrayEquals(a.get(i).value().shape(), b.get(i).value().shape());
            for (int j = 0; j < x.length; j++) {
                assertEquals(Float.floatToRawIntBits(x[j]), Float.floatToRawIntBits(y[j]), "parameter " + i + " element " + j);
            }
        }
        assertEquals("hello", ModelFile.metadata(p).get("note"));
        assertTrue(Files.exists(p));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left behind");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void headerFollowsTheSafetensorsLayout() throws IOException {
        byte[] bytes = Files.readAllBytes(saved());
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, (8 + n) % 8, "data starts 8-byte aligned");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"fc1.weight\":{\"dtype\":\"F32\",\"shape\":[5,7],\"data_offsets\":[0,140]}"), header);
        assertEquals(8 + n + 4L * (5 * 7 + 5 + 3 * 5 + 3 + 4 * 3 + 4), bytes.length);
    }

    private String loadError(byte[] bytes) throws IOException {
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, bytes);
        String msg = assertThrows(ModelFormatException.class, () -> ModelFile.load(p, cpu)).getMessage();
        assertTrue(msg.startsWith(p.toString()), msg);
        return msg;
    }

    /** Rebuilds a file with the header text replaced. */
    static byte[] withHeader(byte[] file, String header) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(file, (int) (8 + n), file.length);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data);
        return out.array();
    }

    /** The JSON header text of a model file's bytes. */
    static String header(byte[] file) {
        long n = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return new String(file, 8, (int) n, StandardCharsets.UTF_8);
    }

    @Test
    void truncatedFilesAreRejected() throws IOException {
        byte[] good = Files.readAllBytes(saved());
        assertTrue(loadError(Arrays.copyOf(good, 5)).contains("truncated"));
        long n = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertTrue(loadError(Arrays.copyOf(good, (int) n)).contains("header length"));
        assertTrue(loadError(Arrays.copyOf(good, good.length - 4)).contains("lie outside"));
    }

    @Test
    void inconsistentHeadersAreRejected() throws IOException {
        byte[] good = Files.readAllBytes(saved());
        String h = header(good);
        assertTrue(loadError(withHeader(good, "{not json")).contains("not valid JSON"));
        assertTrue(loadError(withHeader(good, "[1,2]")).contains("not a JSON object"));
        assertTrue(loadError(withHeader(good, h.replace("\"F32\"", "\"F16\""))).contains("only F32"));
        assertTrue(loadError(withHeader(good, h.replace("[5,7]", "[5,6]"))).contains("needs"));
        assertTrue(loadError(withHeader(good, h.replace("\"data_offsets\":[0,140]", "\"data_offsets\":[4,144]"))).contains("overlap"));
        assertTrue(loadError(withHeader(good, h.replace("\\\"out\\\":5", "\\\"out\\\":6"))).contains("fc1"));
        assertTrue(loadError(withHeader(good, h.replace("prune4j.architecture", "other"))).contains("not a prune4j model"));
        assertTrue(loadError(withHeader(good, h.replace("\\\"dense\\\"", "\\\"conv9\\\""))).contains("not a known layer type"));
    }

    /**
     * Found by ModelFileFuzzTest#modelHeader: a tensor name with a newline in it (JSON "\n") made
     * the error two lines; a 40 000-character name made a 40 000-character message. Names are escaped and long messages cut.
     */
    @Test
    void errorsStayOneShortLineWhateverTheNames() throws IOException {
        byte[] good = Files.readAllBytes(saved());
        String h = header(good);
        assertTrue(h.startsWith("{\"__metadata__\""), h);
        String msg = loadError(withHeader(good, "{\"fc1\\nbias\\u0000\":{\"dtype\":\"F16\"}," + h.substring(1)));
        assertTrue(msg.contains("tensor fc1\\nbias\\u0000 has dtype") && !msg.contains("\n"), msg);
        msg = loadError(withHeader(good, "{\"" + "x".repeat(40_000) + "\":{\"dtype\":\"F16\"}," + h.substring(1)));
        assertTrue(msg.length() <= 2000 && msg.endsWith("only F32 is supported"), msg);
        assertTrue(loadError(withHeader(good, h.replace("\"data_offsets\":[0,140]", "\"data_offsets\":[18446744073709551616,"
                + "18446744073709551756]"))).contains("below 2^63"));
        assertTrue(loadError(withHeader(good, h.replace("[5,7]", "[5,18446744073709551623]"))).contains("invalid shape"));
    }

    @Test
    void nonFiniteWeightsAreRejected() throws IOException {
        byte[] good = Files.readAllBytes(saved());
        long n = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) (8 + n + 12), Float.NaN);
        String msg = loadError(good);
        assertTrue(msg.contains("fc1.weight") && msg.contains("non-finite") && msg.contains("element 3"), msg);
    }

    @Test
    void missingFileAndMissingFolder() {
        String msg = assertThrows(io.prune4j.MissingFileException.class, () -> ModelFile.load(dir.resolve("none"), cpu)).getMessage();
        assertTrue(msg.contains("file not found"), msg);
        Graph net = Models.mlp(cpu, 3, new int[] {2}, 2, 1);
        msg = assertThrows(io.prune4j.Prune4jException.class,
                () -> ModelFile.save(net, dir.resolve("no/such/folder/m.safetensors"), Map.of())).getMessage();
        assertTrue(msg.contains("does not exist"), msg);
    }

    /**
     * Graphs round-trip: a ResNet and a MobileNet with trained-looking BatchNorm statistics, a graph
     * with a concat, average pooling, a clamp, an identity, bias-free Dense and grouped convolutions,
     * and a pruned (compacted) ResNet: the same nodes, inputs and outputs, bit for bit.
     */
    @Test
    void graphsRoundTripBitForBit() {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 7, 6, 9, 9);
        String a = g.relu6("a.act", g.batchNorm("a.bn", g.conv("a", Graph.INPUT, 6, 3, 1, 1, 3, true)));
        String b = g.avgPool("b", g.identity("id", Graph.INPUT), 3, 1, 1);
        String c = g.concat("cat", a, b);
        c = g.maxPool("mp", c, 3, 2, 1);
        c = g.add(new io.prune4j.nn.MaxPool2d("mp.ceil", cpu, 2, 2, 0, true), c); // 5x5 → 3x3: ceil mode kept
        c = g.add(new io.prune4j.nn.Clamp("clip", cpu, -1f, 2f), c);
        String f = g.flatten("flat", g.globalAvgPool("gap", c));
        g.add(io.prune4j.nn.Dense.create(cpu, "fc", 12, 4, false, false, rng), f);
        java.util.List<Graph> nets = new java.util.ArrayList<>(java.util.List.of(Models.resnet(cpu, new int[] {1, 12, 12}, 2, 4, 3, 5),
                Models.mobilenet(cpu, new int[] {3, 16, 16}, 8, 3, new int[][] {{8, 1}, {12, 2}}, 5, 6), g.build()));
        Graph pruned = Models.resnet(cpu, new int[] {1, 12, 12}, 1, 8, 3, 9);
        new io.prune4j.prune.Pruner(io.prune4j.prune.PruneConfig.builder().setCriterion(io.prune4j.prune.Criterion.MAGNITUDE)
                .optFinetune(io.prune4j.train.TrainConfig.builder().optEpochs(0).build()).optBnRecalibration(false).build(), null)
                .run(pruned, null, io.prune4j.train.DeviceData.upload(cpu, new io.prune4j.data.Dataset("z",
                        new float[4 * 144], new int[4], 4, 144, 3, new int[] {1, 12, 12})), null);
        nets.add(pruned);
        for (Graph net : nets) {
            for (Parameter par : net.parameters()) {
                cpu.upload(par.value(), io.prune4j.testing.Check.uniform(rng, par.size(), 1));
            }
            for (io.prune4j.nn.Layer l : net.layers()) {
                for (io.prune4j.tensor.Tensor t : l.buffers().values()) {
                    float[] v = io.prune4j.testing.Check.uniform(rng, t.size(), 1);
                    for (int i = 0; i < v.length; i++) {
                        v[i] = Math.abs(v[i]) + 0.1f; // a variance must be positive; a mean may be anything
                    }
                    cpu.upload(t, v);
                }
            }
            Path p = dir.resolve("graph.safetensors");
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                assertSameNetwork(net, back, io.prune4j.testing.Check.uniform(rng, 3 * net.inputSize(), 1));
            }
        }
    }

    /** Every activation kind, in a row, saves and loads with its α and β to the bit: the same nodes and outputs. */
    @Test
    void activationsRoundTripWithTheirParameters() {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 3, 2, 5, 5);
        String x = g.conv("c0", Graph.INPUT, 3, 3, 1, 1);
        List<Activations.Case> cases = Activations.all();
        for (int i = 0; i < cases.size(); i++) {
            Activations.Case c = cases.get(i);
            x = g.activation("act" + i, x, c.kind(), c.alpha(), c.beta());
        }
        g.dense("fc", g.flatten("flat", g.globalAvgPool("gap", x)), 2);
        Path p = dir.resolve("activations.safetensors");
        try (Graph net = g.build()) {
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                for (int i = 0; i < cases.size(); i++) {
                    Activation a = (Activation) back.layer("act" + i);
                    assertEquals(cases.get(i).kind(), a.kind());
                    assertEquals(Float.floatToRawIntBits(cases.get(i).alpha()), Float.floatToRawIntBits(a.alpha()), a.describe());
                    assertEquals(Float.floatToRawIntBits(cases.get(i).beta()), Float.floatToRawIntBits(a.beta()), a.describe());
                }
                assertEquals(net.describe(), back.describe());
                float[] in = io.prune4j.testing.Check.uniform(new java.util.SplittableRandom(4), 3 * 50, 3);
                assertArrayEquals(net.forward(cpu.fromArray(in, 3, 50), false).toFloatArray(),
                        back.forward(cpu.fromArray(in, 3, 50), false).toFloatArray());
            }
        }
        String h = header(readAll(p));
        assertTrue(h.contains("\\\"kind\\\":\\\"hard_sigmoid\\\""), h);
        assertTrue(h.contains("\\\"kind\\\":\\\"gelu\\\""), h);
    }

    /** An activation of a kind this version does not know, or without its α, is one line naming the file, the entry and the kinds. */
    @Test
    void anUnknownActivationKindIsRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 3, 4);
        g.dense("fc", g.leakyRelu("act", g.dense("hidden", Graph.INPUT, 3), 0.25f), 2);
        Path p = dir.resolve("leaky.safetensors");
        try (Graph net = g.build()) {
            ModelFile.save(net, p, Map.of());
        }
        byte[] good = Files.readAllBytes(p);
        String h = header(good);
        String kind = "\\\"kind\\\":\\\"leaky_relu\\\"";
        assertTrue(h.contains(kind), h);
        String msg = loadError(withHeader(good, h.replace(kind, "\\\"kind\\\":\\\"swish\\\"")));
        assertEquals(dir.resolve("bad.safetensors") + ": prune4j.architecture.layers[1].kind 'swish' is not a known activation (node act);"
                + " supported: leaky_relu, sigmoid, tanh, hard_sigmoid, hard_swish, elu, gelu, selu, celu, softplus, mish, gelu_tanh", msg);
        msg = loadError(withHeader(good, h.replace(kind, "\\\"kind\\\":7")));
        assertTrue(msg.endsWith("layers[1].kind 7 is not a known activation (node act); supported: leaky_relu, sigmoid, tanh, hard_sigmoid,"
                + " hard_swish, elu, gelu, selu, celu, softplus, mish, gelu_tanh"), msg);
        msg = loadError(withHeader(good, h.replace("\\\"alpha\\\":0.25", "\\\"alpha\\\":\\\"x\\\"")));
        assertTrue(msg.endsWith("layers[1].alpha must be a finite number, got \"x\""), msg);
        msg = loadError(withHeader(good, h.replace(kind, "\\\"kind\\\":\\\"celu\\\"").replace("\\\"alpha\\\":0.25", "\\\"alpha\\\":0")));
        assertTrue(msg.endsWith("layers[1]: CELU act: alpha must not be 0 (the formula divides by it)"), msg);
    }

    /** A clamp whose bounds cross is a format error naming the file and the entry, not an internal one. */
    @Test
    void aClampWithCrossedBoundsIsRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 3, 4);
        g.dense("fc", g.add(new io.prune4j.nn.Clamp("clip", cpu, -1f, 2f), g.dense("hidden", Graph.INPUT, 3)), 2);
        Path p = dir.resolve("clamp.safetensors");
        try (Graph net = g.build()) {
            ModelFile.save(net, p, Map.of());
        }
        byte[] good = Files.readAllBytes(p);
        String h = header(good);
        String max = "\\\"max\\\":2.0";
        assertTrue(h.contains(max), h);
        String msg = loadError(withHeader(good, h.replace(max, "\\\"max\\\":-3.0")));
        assertEquals(dir.resolve("bad.safetensors") + ": prune4j.architecture.layers[1] (clip): min -1.0 is above max -3.0", msg);
    }

    /**
     * Products save and load as {@code "mul"} entries: a squeeze-and-excitation gate (the gate first),
     * SiLU and a value times itself, the same nodes, inputs and outputs, bit for bit. A product whose
     * inputs no longer fit (the file's inputs edited) is one line naming the file, the entry, the node
     * and both shapes.
     */
    @Test
    void productsRoundTripAndOneOfShapesThatDoNotFitIsRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 5, 2, 5, 5);
        String h = g.conv("c0", Graph.INPUT, 4, 3, 1, 1);
        String e = g.relu("sr", g.conv("squeeze", g.globalAvgPool("gap", h), 2, 1, 1, 0));
        String y = g.mul("se", g.hardSigmoid("gate", g.conv("excite", e, 4, 1, 1, 0)), h);
        y = g.mul("silu", y, g.sigmoid("sig", y));
        g.dense("fc", g.flatten("flat", g.globalAvgPool("pool", g.mul("square", y, y))), 3);
        Path p = dir.resolve("products.safetensors");
        try (Graph net = g.build()) {
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                assertSameNetwork(net, back, io.prune4j.testing.Check.uniform(new java.util.SplittableRandom(6), 3 * 50, 2));
            }
        }
        byte[] good = Files.readAllBytes(p);
        String head = header(good);
        String square = "\\\"inputs\\\":[\\\"silu\\\",\\\"silu\\\"]";
        assertTrue(head.contains("\\\"type\\\":\\\"mul\\\"") && head.contains(square), head);
        String msg = loadError(withHeader(good, head.replace(square, "\\\"inputs\\\":[\\\"squeeze\\\",\\\"silu\\\"]")));
        assertEquals(dir.resolve("bad.safetensors") + ": prune4j.architecture.layers[9]: Mul square: inputs of shapes [2, 1, 1] and"
                + " [4, 5, 5] cannot be multiplied (one shape, or [C, 1, 1] by [C, H, W], can)", msg);
    }

    /**
     * Input normalisations, slices and channel shuffles save and load as {@code "affine"} (its scale and
     * shift as tensors), {@code "slice"} and {@code "permute"} entries (a
     * shuffle pruned to an arbitrary permutation included), with the same outputs bit for bit. A slice
     * past its input's channels, or a permutation that repeats a channel, is one line naming the
     * file and the entry.
     */
    @Test
    void slicesAndPermutationsRoundTripAndBrokenOnesAreRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 7, 2, 4, 4);
        String norm = g.add(new io.prune4j.nn.ChannelAffine("norm", cpu, new float[] {0.5f, -2f}, new float[] {0.25f, 1f}, true),
                Graph.INPUT);
        String x = g.add(new io.prune4j.nn.PRelu("pr", cpu, 6, new float[] {0.1f, -0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, true),
                g.conv("c0", norm, 6, 3, 1, 1));
        String b = g.conv("cb", g.slice("b", x, 2, 4), 2, 1, 1, 0);
        String y = g.shuffle("sh", g.concat("cat", g.slice("a", x, 0, 2), b), 2);
        y = g.add(new io.prune4j.nn.PermuteChannels("perm", cpu, new int[] {3, 0, 2, 1}), y);
        g.dense("fc", g.flatten("flat", g.globalAvgPool("pool", y)), 3);
        Path p = dir.resolve("shuffle.safetensors");
        try (Graph net = g.build()) {
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                assertSameNetwork(net, back, io.prune4j.testing.Check.uniform(new java.util.SplittableRandom(8), 3 * 32, 2));
            }
        }
        byte[] good = Files.readAllBytes(p);
        String head = header(good);
        String slice = "\\\"start\\\":2,\\\"count\\\":4";
        String perm = "\\\"source\\\":[3,0,2,1]";
        assertTrue(head.contains(slice) && head.contains(perm), head);
        String msg = loadError(withHeader(good, head.replace(slice, "\\\"start\\\":3,\\\"count\\\":4")));
        assertEquals(dir.resolve("bad.safetensors") + ": prune4j.architecture.layers[3] (b) slices channels [3, 7) but its input pr"
                + " has 6", msg);
        msg = loadError(withHeader(good, head.replace(perm, "\\\"source\\\":[3,0,3,1]")));
        assertEquals(dir.resolve("bad.safetensors") + ": prune4j.architecture.layers[8]: PermuteChannels perm: [3, 0, 3, 1] is not a"
                + " permutation of 0 … 3", msg);
        msg = loadError(withHeader(good, head.replace(perm, "\\\"source\\\":[3,0,-2,1]")));
        assertTrue(msg.endsWith("prune4j.architecture.layers[8].source[2] must be a non-negative integer, got -2"), msg);
    }

    /**
     * Uneven zero paddings save and load as {@code "zeropad2d"} entries with the same outputs bit for
     * bit; a negative amount is one line naming the file and the field.
     */
    @Test
    void zeroPaddingsRoundTripAndANegativeOneIsRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 12, 2, 5, 4);
        String x = g.conv("c0", g.zeroPad("pad0", Graph.INPUT, 0, 3, 0, 3), 4, 3, 1, 0);
        x = g.avgPool("pool", g.zeroPad("pad1", x, 1, 0, 2, 1), 3, 1, 0);
        g.dense("fc", g.flatten("flat", x), 3);
        Path p = dir.resolve("zeropad.safetensors");
        try (Graph net = g.build()) {
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                assertSameNetwork(net, back, io.prune4j.testing.Check.uniform(new java.util.SplittableRandom(13), 3 * 40, 2));
                io.prune4j.nn.ZeroPad2d z = (io.prune4j.nn.ZeroPad2d) back.layer("pad1");
                assertArrayEquals(new int[] {1, 0, 2, 1}, new int[] {z.top(), z.bottom(), z.left(), z.right()});
            }
        }
        byte[] good = Files.readAllBytes(p);
        String head = header(good);
        String pad = "\\\"type\\\":\\\"zeropad2d\\\",\\\"name\\\":\\\"pad1\\\",\\\"top\\\":1";
        assertTrue(head.contains(pad), head);
        String msg = loadError(withHeader(good, head.replace(pad, pad.substring(0, pad.length() - 1) + "-1")));
        assertTrue(msg.endsWith(".top must be a non-negative integer, got -1"), msg);
    }

    /**
     * Layer normalisations (on maps with ConvNeXt's eps, and on a vector with PyTorch's default) and a
     * layer scale save and load as {@code "layernorm"} and {@code "layerscale"} entries, γ and β as
     * tensors, with the same outputs bit for bit; an eps
     * that is not above 0 is one line naming the file.
     */
    @Test
    void layerNormsRoundTripAndABadEpsIsRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 9, 2, 4, 4);
        String x = g.add(io.prune4j.nn.LayerNorm.create(cpu, "ln", 5, 1e-6f), g.conv("c0", Graph.INPUT, 5, 3, 1, 1));
        x = g.add(new io.prune4j.nn.LayerScale("ls", cpu, new float[] {0.5f, -1f, 2f, 0.25f, 1.5f}, true), x);
        String f = g.add(io.prune4j.nn.LayerNorm.create(cpu, "ln2", 5, io.prune4j.nn.LayerNorm.DEFAULT_EPS),
                g.flatten("flat", g.globalAvgPool("pool", x)));
        g.dense("fc", f, 3);
        Path p = dir.resolve("layernorm.safetensors");
        try (Graph net = g.build()) {
            java.util.SplittableRandom rng = new java.util.SplittableRandom(10);
            for (String n : List.of("ln", "ln2")) {
                for (io.prune4j.nn.Parameter q : net.layer(n).parameters()) {
                    cpu.copy(q.value(), cpu.fromArray(io.prune4j.testing.Check.uniform(rng, 5, 1), 5));
                }
            }
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                assertSameNetwork(net, back, io.prune4j.testing.Check.uniform(new java.util.SplittableRandom(11), 3 * 32, 2));
            }
        }
        byte[] good = Files.readAllBytes(p);
        String head = header(good);
        String eps = "\\\"type\\\":\\\"layernorm\\\",\\\"name\\\":\\\"ln\\\",\\\"channels\\\":5,\\\"eps\\\":";
        assertTrue(head.contains(eps), head);
        String msg = loadError(withHeader(good, head.replace(eps + "1.0E-6", eps + "0.0").replace(eps + "9.999999974752427E-7", eps + "0.0")));
        assertTrue(msg.startsWith(dir.resolve("bad.safetensors") + ": ") && msg.contains("eps must be finite and > 0"), msg);
    }

    /**
     * Group normalisations (two groups of a map, an instance norm, one group of a vector) save and load
     * as {@code "groupnorm"} entries (and a global max pool as {@code "globalmaxpool"}) with the same
     * outputs bit for bit; a group count that does not
     * divide the channels is one line naming the file.
     */
    @Test
    void groupNormsRoundTripAndABadGroupCountIsRefused() throws IOException {
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 9, 2, 4, 4);
        String x = g.groupNorm("gn", g.conv("c0", Graph.INPUT, 6, 3, 1, 1), 2, 1e-5f);
        x = g.groupNorm("in", g.relu("r", x), 6, 1e-3f);
        x = g.conv("down", g.upsample("up", x, 2, 3), 6, 3, 2, 1, 1, true);   // an upsample saves as "upsample"
        String f = g.groupNorm("gn2", g.flatten("flat", g.add("pools", g.globalAvgPool("pool", x), g.globalMaxPool("maxpool", x))), 1, 1e-5f);
        g.dense("fc", f, 3);
        Path p = dir.resolve("groupnorm.safetensors");
        try (Graph net = g.build()) {
            java.util.SplittableRandom rng = new java.util.SplittableRandom(12);
            for (String n : List.of("gn", "in", "gn2")) {
                for (io.prune4j.nn.Parameter q : net.layer(n).parameters()) {
                    cpu.copy(q.value(), cpu.fromArray(io.prune4j.testing.Check.uniform(rng, 6, 1), 6));
                }
            }
            ModelFile.save(net, p, Map.of());
            try (Graph back = ModelFile.load(p, cpu)) {
                assertSameNetwork(net, back, io.prune4j.testing.Check.uniform(new java.util.SplittableRandom(13), 3 * 32, 2));
                assertEquals(2, ((io.prune4j.nn.GroupNorm) back.layer("gn")).groups());
                assertEquals(1e-3f, ((io.prune4j.nn.GroupNorm) back.layer("in")).eps());
            }
        }
        byte[] good = Files.readAllBytes(p);
        String head = header(good);
        String groups = "\\\"type\\\":\\\"groupnorm\\\",\\\"name\\\":\\\"gn\\\",\\\"channels\\\":6,\\\"groups\\\":";
        assertTrue(head.contains(groups + "2"), head);
        String msg = loadError(withHeader(good, head.replace(groups + "2", groups + "4")));
        assertTrue(msg.startsWith(dir.resolve("bad.safetensors") + ": ") && msg.contains("groups must be at least 1 and divide the 6 channels,"
                + " got 4"), msg);
    }

    /**
     * {@code back}, loaded from {@code net}'s file, has the same nodes (inputs and layers, as described)
     * and computes the same outputs, bit for bit, on the examples {@code x}.
     */
    private void assertSameNetwork(Graph net, Graph back, float[] x) {
        assertEquals(net.nodes().size(), back.nodes().size());
        for (int i = 0; i < net.nodes().size(); i++) {
            assertEquals(net.nodes().get(i).inputs(), back.nodes().get(i).inputs());
            assertEquals(net.nodes().get(i).layer().describe(), back.nodes().get(i).layer().describe());
        }
        int batch = x.length / net.inputSize();
        assertArrayEquals(net.forward(cpu.fromArray(x, batch, net.inputSize()), false).toFloatArray(),
                back.forward(cpu.fromArray(x, batch, net.inputSize()), false).toFloatArray(), net.describe());
    }

    private static byte[] readAll(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A layer the format does not know is refused at save time, before anything is written, naming the node. */
    @Test
    void anUnknownLayerIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path p = dir.resolve("kept.safetensors");
        Files.writeString(p, "previous");
        io.prune4j.nn.GraphBuilder g = Graph.builder(cpu, 7, 4);
        g.add(new io.prune4j.nn.UnaryLayer() {
            public String name() { return "mine"; }
            public String describe() { return "Mine mine"; }
            public int[] outputShape(int[] in) { return in.clone(); }
            public io.prune4j.tensor.Tensor forward(io.prune4j.tensor.Tensor x, boolean training) { return x; }
            public io.prune4j.tensor.Tensor backward(io.prune4j.tensor.Tensor dy, boolean need) { return need ? dy : null; }
            public List<Parameter> parameters() { return List.of(); }
            public long flopsPerExample(int[] in) { return 0; }
            public io.prune4j.nn.Layer copy() { return this; }
            public void close() {}
        }, Graph.INPUT);
        g.dense("fc", "mine", 2);
        Graph net = g.build();
        io.prune4j.Prune4jException e = assertThrows(io.prune4j.Prune4jException.class, () -> ModelFile.save(net, p, Map.of()));
        assertTrue(e.getMessage().startsWith("cannot save node mine (Mine mine)"), e.getMessage());
        assertTrue(e.getMessage().contains("register a LayerCodec"), e.getMessage());
        assertEquals("previous", Files.readString(p));
    }
}
