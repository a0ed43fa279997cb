package io.prune4j.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Graph;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.train.DeviceData;
import io.prune4j.train.Metrics;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The models PyTorch 1.13 exported ({@code scripts/onnx/make_fixtures.py}, committed with PyTorch's
 * outputs for fixed inputs): prune4j reads each and computes PyTorch's outputs (1e-5 of the logits'
 * scale); pruned, its ONNX export runs in ONNX Runtime as the pruned network does in prune4j (1e-4);
 * and the classifier trained in PyTorch has PyTorch's test accuracy in prune4j (0.1 pt).
 */
class PytorchExportTest {
    static final CpuBackend CPU = new CpuBackend(1);
    static final String DIR = "/io/prune4j/onnx/";

    @AfterAll
    static void close() {
        CPU.close();
    }

    static Stream<String> fixtures() {
        return Stream.of("residual_block", "inverted_residual", "concat_branches", "ops_mix", "folded_bn", "shared_init", "view_softmax",
                        "fire_mean", "se_silu", "shuffle_split", "normalized_input", "prelu_mix", "se_view",
                        "inception_mini", "activations_mix", "resnet_d_shortcut", "pool_idioms", "group_norms", "dense_head", "unet_mini")
                .flatMap(n -> Stream.of(n + ".op13.onnx", n + ".op17.onnx"))
                .collect(java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), l -> {
                    l.add("fmnist_small.op17.onnx");
                    l.add("convnext_mini.op13.onnx");
                    l.add("convnext_mini.op17.onnx");
                    l.add("gelu_layernorm.op17.onnx");
                    l.add("convnext_original.op13.onnx");
                    l.add("convnext_original.op17.onnx");
                    return l.stream();
                }));
    }

    static byte[] resource(String name) throws IOException {
        try (InputStream in = PytorchExportTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IOException("fixture " + name + " is missing");
            }
            return in.readAllBytes();
        }
    }

    static float[] floats(JsonNode array) {
        float[] f = new float[array.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) array.get(i).asDouble();
        }
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void prune4jComputesWhatPytorchComputed(String file) throws IOException {
        JsonNode ref = new ObjectMapper().readTree(resource(file + ".json"));
        try (OnnxModel m = OnnxReader.read(resource(file), file, CPU, null)) {
            int batch = ref.get("input_shape").get(0).asInt();
            float[] out = m.names().outputFunction().apply(OnnxRoundTripTest.forward(m.graph(), floats(ref.get("input")), batch), batch);
            Agreement a = Agreement.of(batch, floats(ref.get("output")), out);
            assertTrue(a.maxRelative() <= 1e-5, file + ": prune4j differs from PyTorch by " + a);
        }
    }

    /** Import, then export with no change: ONNX Runtime gives the original file's outputs (1e-5), names kept. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void roundTripRunsAsTheOriginalInOnnxRuntime(String file) throws IOException {
        io.prune4j.testing.OrtAvailable.assume();
        byte[] original = resource(file);
        try (OnnxModel m = OnnxReader.read(original, file, CPU, null)) {
            io.prune4j.onnx.proto.ModelProto back = OnnxWriter.toModel(m.graph(), m.names(), m.metadata());
            float[] x = OnnxRoundTripTest.input(m.graph(), 5, 13);
            try (OnnxRuntime a = OnnxRuntime.open(original, 1); OnnxRuntime b = OnnxRuntime.open(back.toByteArray(), 1)) {
                Agreement d = Agreement.of(5, a.run(x, 5, m.graph().inputShape()), b.run(x, 5, m.graph().inputShape()));
                assertTrue(d.maxRelative() <= 1e-5, file + ": the round trip differs from the original by " + d);
            }
            io.prune4j.onnx.proto.ModelProto orig = io.prune4j.onnx.proto.ModelProto.parseFrom(original);
            assertEquals(orig.getGraph().getInput(0).getName(), back.getGraph().getInput(0).getName(), "input name");
            assertEquals(orig.getGraph().getOutput(0).getName(), back.getGraph().getOutput(0).getName(), "output name");
            java.util.Set<String> names = new java.util.HashSet<>();
            orig.getGraph().getNodeList().forEach(n -> names.add(n.getName()));
            // Constant nodes are values, not operations: a fixed per-channel affine map writes its scale and shift as two
            // a node the reader split in two (ReduceSum: a pool and a scale) keeps the name for one, and one derived from it
            long kept = back.getGraph().getNodeList().stream().filter(n -> names.contains(n.getName()) || n.getOpType().equals("Constant")
                    || names.stream().anyMatch(o -> !o.isEmpty() && n.getName().startsWith(o + "_"))).count();
            // a LayerNorm of a map is written between two Transposes of its own (the file's may be elsewhere, or shared)
            long transposes = back.getGraph().getNodeList().stream().filter(n -> n.getName().endsWith("_to_channels_last")
                    || n.getName().endsWith("_to_channels_first")).count();
            assertTrue(kept >= back.getGraph().getNodeCount() - 2 - transposes, file + ": only " + kept + " of " + back.getGraph().getNodeCount()
                    + " nodes keep an ONNX name of the original");
        }
    }

    /** PyTorch's Mish (Softplus, Tanh, Mul) and tanh-approximated GELU (nine nodes) read as one node each, at both opsets. */
    @ParameterizedTest(name = "opset {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {13, 17})
    void activationsReadAsOneNodeEach(int opset) throws IOException {
        String file = "activations_mix.op" + opset + ".onnx";
        try (OnnxModel m = OnnxReader.read(resource(file), file, CPU, null)) {
            java.util.Map<io.prune4j.backend.ActivationKind, Long> kinds = m.graph().layers().stream()
                    .filter(l -> l instanceof io.prune4j.nn.Activation).collect(java.util.stream.Collectors.groupingBy(
                            l -> ((io.prune4j.nn.Activation) l).kind(), java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            assertEquals("{SELU=2, CELU=1, SOFTPLUS=1, MISH=1, GELU_TANH=1}", kinds.toString());
            assertTrue(m.graph().layers().stream().noneMatch(l -> l instanceof io.prune4j.nn.Mul), m.graph().layers().toString());
        }
    }

    /**
     * ConvNeXt's channels-last block reads as channels-first layers (the Transposes leave no node, the
     * channels-last Linear layers are 1×1 convolutions, GELU one node, and LayerNorm one node whether
     * it is a LayerNormalization, opset 17, or the nine nodes opset 13 writes), and its channels group as
     * Torch-Pruning groups them: each stage's residual stream is one group with every LayerNorm,
     * depthwise convolution and layer scale on it, and each block's 4× hidden layer is a group of its own.
     */
    @ParameterizedTest(name = "opset {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {13, 17})
    void convnextReadsAsChannelsFirstLayersAndGroupsItsResidualStreams(int opset) throws IOException {
        String file = "convnext_mini.op" + opset + ".onnx";
        try (OnnxModel m = OnnxReader.read(resource(file), file, CPU, null)) {
            Graph net = m.graph();
            java.util.Map<String, Long> kinds = net.nodes().stream().collect(java.util.stream.Collectors.groupingBy(
                    n -> n.layer().getClass().getSimpleName(), java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            assertEquals(5L, kinds.get("LayerNorm"), kinds.toString());
            assertEquals(2L, kinds.get("Activation"), kinds.toString());
            assertTrue(net.nodes().stream().noneMatch(n -> n.layer() instanceof io.prune4j.nn.Identity), kinds.toString());
            io.prune4j.nn.Conv2d pw = (io.prune4j.nn.Conv2d) net.layer("features.1.0.block.3");
            assertEquals(1, pw.kernelHeight());
            assertEquals(32, pw.weight().value().dim(0));
            assertTrue(net.layer("features.1.0.layer_scale") instanceof io.prune4j.nn.LayerScale, "the layer scale trains, as in PyTorch");
            io.prune4j.prune.ChannelGroups groups = io.prune4j.prune.ChannelGroups.of(net);
            java.util.List<String> sizes = groups.prunable().stream().map(gr -> gr.units() + "").sorted().toList();
            // stage 1 (8 channels) and stage 2 (16), each block's hidden 32 and 64
            assertEquals(java.util.List.of("16", "32", "64", "8"), sizes, groups.toString());
        }
    }

    /**
     * PyTorch's GroupNorm (six nodes) and InstanceNorm2d read as one {@link io.prune4j.nn.GroupNorm}
     * each, named after their modules, and group as their statistics allow: the residual stream's
     * channels in the stem's pairs (GroupNorm(4, 8), with the block's instance norm GroupNorm(8, 8) on
     * the same stream), the block's hidden channels in GroupNorm(2, 8)'s two halves, the instance norms'
     * channels one by one.
     */
    @ParameterizedTest(name = "opset {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {13, 17})
    void groupNormsReadAsOneNodeEachAndPruneWholeGroups(int opset) throws IOException {
        String file = "group_norms.op" + opset + ".onnx";
        try (OnnxModel m = OnnxReader.read(resource(file), file, CPU, null)) {
            Graph net = m.graph();
            java.util.Map<String, Integer> groupsOf = new java.util.TreeMap<>();
            for (Graph.Node n : net.nodes()) {
                if (n.layer() instanceof io.prune4j.nn.GroupNorm gn) {
                    groupsOf.put(n.name(), gn.groups());
                }
            }
            assertEquals(java.util.Map.of("stem.1", 4, "gn1", 2, "gn2", 8, "head.1", 12, "head.4", 12), groupsOf, net.describe());
            assertTrue(net.nodes().stream().noneMatch(n -> n.layer() instanceof io.prune4j.nn.ChannelAffine
                    || n.layer() instanceof io.prune4j.nn.LayerScale), net.describe());
            io.prune4j.prune.ChannelGroups groups = io.prune4j.prune.ChannelGroups.of(net);
            java.util.List<Integer> sizes = groups.prunable().stream().map(io.prune4j.prune.ChannelGroups.Group::units).sorted().toList();
            assertEquals(java.util.List.of(2, 4, 12, 12, 16), sizes, groups.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void prunedExportRunsInOnnxRuntimeAsInPrune4j(String file) throws IOException {
        io.prune4j.testing.OrtAvailable.assume();
        JsonNode ref = new ObjectMapper().readTree(resource(file + ".json"));
        try (OnnxModel m = OnnxReader.read(resource(file), file, CPU, null)) {
            Graph net = m.graph();
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(true)
                    .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, io.prune4j.backend.Normalization.L2, 0.5)).optFinetune(TrainConfig.builder().optEpochs(0).build())
                    .optBnRecalibration(false).build();
            long before = net.parameterCount();
            new Pruner(cfg, null).run(net, null, null, null);
            assertTrue(net.parameterCount() < before, file + ": pruning removed nothing");
            byte[] exported = OnnxWriter.toModel(net, m.names(), Map.of()).toByteArray();
            int batch = ref.get("input_shape").get(0).asInt();
            float[] real = floats(ref.get("input"));
            float[] random = OnnxRoundTripTest.input(net, 4, 11);
            try (OnnxRuntime ort = OnnxRuntime.open(exported, 1)) {
                OutputFunction f = m.names().outputFunction();
                Agreement a = Agreement.of(batch, f.apply(OnnxRoundTripTest.forward(net, real, batch), batch), ort.run(real, batch,
                        net.inputShape()));
                Agreement b = Agreement.of(4, f.apply(OnnxRoundTripTest.forward(net, random, 4), 4), ort.run(random, 4, net.inputShape()));
                assertTrue(a.worst(b).maxRelative() <= 1e-4, file + ": ONNX Runtime differs from prune4j by " + a + " / " + b);
            }
            // prune4j reads what it wrote (a channel shuffle comes back from its Gather) and computes the same
            try (OnnxModel again = OnnxReader.read(exported, file + " pruned", CPU, null)) {
                OutputFunction f = m.names().outputFunction();
                Agreement c = Agreement.of(batch, f.apply(OnnxRoundTripTest.forward(net, real, batch), batch),
                        again.names().outputFunction().apply(OnnxRoundTripTest.forward(again.graph(), real, batch), batch));
                assertTrue(c.maxRelative() <= 1e-5, file + ": the pruned export read back differs by " + c);
                assertEquals(net.parameterCount(), again.graph().parameterCount(), file + ": parameters of the export read back");
            }
        }
    }

    @Test
    void namesFromPytorchSurvive() throws IOException {
        try (OnnxModel m = OnnxReader.read(resource("residual_block.op17.onnx"), "residual_block", CPU, null)) {
            long bns = m.graph().layers().stream().filter(l -> l instanceof BatchNorm).count();
            assertEquals(3, bns, "BatchNorm kept as trainable nodes: " + m.graph().describe());
            assertTrue(m.graph().hasNode("conv1"), "a node named by its PyTorch module: " + m.graph().nodes().stream().map(Graph.Node::name)
                    .toList());
            assertEquals("input", m.names().input());
            assertEquals("output", m.names().output());
        }
    }

    /**
     * A model whose BatchNorm PyTorch folded into the convolutions (its default export) trains: on 64
     * random examples its training loss falls by more than 0.1 in 25 epochs (from 2.33 to 2.17: the gradients reach every layer).
     */
    @Test
    void aModelWithFoldedBatchNormFineTunes() throws IOException {
        try (OnnxModel m = OnnxReader.read(resource("folded_bn.op17.onnx"), "folded_bn", CPU, null)) {
            Graph net = m.graph();
            io.prune4j.data.Dataset data = io.prune4j.data.Dataset.random(net.inputShape(), net.outputSize(), 64, 3);
            try (DeviceData d = DeviceData.upload(CPU, data);
                 Trainer t = new Trainer(net, TrainConfig.builder().optEpochs(25).optBatchSize(16).optLearningRate(1e-2f).build())) {
                double before = Trainer.evaluate(net, d).loss();
                t.fit(d, null, io.prune4j.train.TrainListener.NONE);
                double after = Trainer.evaluate(net, d).loss();
                assertTrue(after < before - 0.1, "training loss " + before + " → " + after);
            }
        }
    }

    /** PyTorch's own test accuracy of the classifier it trained, reproduced by prune4j on the same images. */
    @Test
    void accuracyOfAModelTrainedInPytorch(@TempDir Path dir) throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(Mnist.FASHION_MNIST_DIR), "Fashion-MNIST is not installed");
        JsonNode ref = new ObjectMapper().readTree(resource("fmnist_small.op17.onnx.json"));
        Mnist.Splits data = Mnist.load(Mnist.FASHION_MNIST_DIR);
        try (OnnxModel m = OnnxReader.read(resource("fmnist_small.op17.onnx"), "fmnist_small", CPU, null);
             DeviceData test = DeviceData.upload(CPU, data.test())) {
            Metrics r = Trainer.evaluate(m.graph(), test);
            assertEquals(ref.get("test_accuracy").asDouble(), r.accuracy(), 0.001, "accuracy against PyTorch's");
            assertEquals(ref.get("test_loss").asDouble(), r.loss(), 1e-3, "loss against PyTorch's");
        }
    }

    /**
     * The fixtures {@code scripts/onnx/external_data.py} re-saved with onnx's external-data writer (a data
     * file beside the model, with some tensors inside; every tensor in a sub-folder's file) read to the
     * network their one-file originals read to, bit for bit; ONNX Runtime, given the file, finds the
     * data too; and the network writes back as one file, which ONNX Runtime runs as the original.
     */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource({
        "residual_block_ext.op17.onnx, residual_block.op17.onnx, residual_block_ext.op17.onnx.data",
        "se_silu_ext.op13.onnx, se_silu.op13.onnx, weights/se_silu_ext.bin"})
    void externalDataReadsAsTheOneFile(String file, String original, String data, @TempDir Path dir) throws Exception {
        Path path = Path.of(PytorchExportTest.class.getResource(DIR + file).toURI());
        try (OnnxModel one = OnnxReader.read(resource(original), original, CPU, null); OnnxModel ext = OnnxReader.read(path, CPU, null)) {
            assertEquals(Files.size(path.resolveSibling(data)), ext.dataBytes(), file + ": bytes of its data file");
            float[] x = OnnxRoundTripTest.input(one.graph(), 4, 11);
            float[] want = OnnxRoundTripTest.forward(one.graph(), x, 4);
            org.junit.jupiter.api.Assertions.assertArrayEquals(want, OnnxRoundTripTest.forward(ext.graph(), x, 4), file);
            Path saved = dir.resolve("back.onnx");
            OnnxWriter.write(ext.graph(), saved, ext.names(), Map.of());
            io.prune4j.onnx.proto.ModelProto back = io.prune4j.onnx.proto.ModelProto.parseFrom(Files.readAllBytes(saved));
            assertTrue(back.getGraph().getInitializerList().stream().noneMatch(ExternalData::isExternal), "written as one file");
            Path split = dir.resolve("split.onnx");   // as a model over 2 GB is written: the weights beside it
            OnnxWriter.write(ext.graph(), split, ext.names(), Map.of(), 0);
            io.prune4j.onnx.proto.ModelProto splitModel = io.prune4j.onnx.proto.ModelProto.parseFrom(Files.readAllBytes(split));
            long outside = splitModel.getGraph().getInitializerList().stream().filter(ExternalData::isExternal).count();
            long large = back.getGraph().getInitializerList().stream().filter(t -> t.getRawData().size() >= OnnxWriter.MIN_EXTERNAL_BYTES).count();
            assertEquals(large, outside, "the initializers of 1 KiB or more go outside, the others stay");
            Path splitData = dir.resolve("split.onnx.data");
            assertEquals(large > 0, Files.exists(splitData), "a data file when something went into it");
            try (OnnxModel again = OnnxReader.read(split, CPU, null)) {
                assertEquals(large > 0 ? Files.size(splitData) : 0, again.dataBytes());
                org.junit.jupiter.api.Assertions.assertArrayEquals(want, OnnxRoundTripTest.forward(again.graph(), x, 4), "split, read back");
            }
            if (OnnxRuntime.available()) {
                try (OnnxRuntime a = OnnxRuntime.open(path, 1); OnnxRuntime b = OnnxRuntime.open(resource(original), 1);
                     OnnxRuntime c = OnnxRuntime.open(saved, 1); OnnxRuntime e = OnnxRuntime.open(split, 1)) {
                    float[] ref = b.run(x, 4, one.graph().inputShape());
                    org.junit.jupiter.api.Assertions.assertArrayEquals(ref, a.run(x, 4, one.graph().inputShape()), file + " in ONNX Runtime");
                    Agreement d = Agreement.of(4, ref, c.run(x, 4, one.graph().inputShape()));
                    assertTrue(d.maxRelative() <= 1e-5, file + ": written back, ONNX Runtime differs by " + d);
                    Agreement f = Agreement.of(4, ref, e.run(x, 4, one.graph().inputShape()));
                    assertTrue(f.maxRelative() <= 1e-5, file + ": written with external data, ONNX Runtime differs by " + f);
                }
            } else {
                System.out.println("externalDataReadsAsTheOneFile: ONNX Runtime not on the class path; its half skipped");
            }
        }
    }

    /**
     * A network whose output is a map (dense_head: [batch, 4, 4, 4], as segmentation heads and feature
     * extractors end) reads and, with a data-free criterion, prunes (the fixture's parameterised tests),
     * its output channels kept; what needs class scores (training, accuracy, the criteria that score
     * with the loss's gradient) is one line naming the output's shape and what the network can do.
     */
    @org.junit.jupiter.params.provider.ValueSource(strings = {"dense_head.op13.onnx", "dense_head.op17.onnx"})
    @ParameterizedTest(name = "{0}")
    void aMapOutputPrunesWithoutDataAndRefusesWhatNeedsClassScores(String file) throws IOException {
        try (OnnxModel m = OnnxReader.read(resource(file), file, CPU, null);
             DeviceData data = DeviceData.upload(CPU, io.prune4j.data.Dataset.random(new int[] {3, 8, 8}, 4, 16, 3))) {
            Graph net = m.graph();
            assertEquals(false, net.classifies());
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {4, 4, 4}, net.outputShape());
            for (org.junit.jupiter.api.function.Executable needsScores : java.util.List.<org.junit.jupiter.api.function.Executable>of(
                    () -> new Trainer(net, TrainConfig.builder().optEpochs(1).build()).close(),
                    () -> Trainer.evaluate(net, data),
                    () -> new Pruner(PruneConfig.builder().setCriterion(Criterion.TAYLOR).optStructured(true)
                            .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, io.prune4j.backend.Normalization.L2, 0.5))
                            .optFinetune(TrainConfig.builder().optEpochs(0).build()).optBnRecalibration(false).build(), null)
                            .run(net, data, null))) {
                io.prune4j.InvalidSettingException e = org.junit.jupiter.api.Assertions.assertThrows(
                        io.prune4j.InvalidSettingException.class, needsScores);
                assertTrue(e.getMessage().contains("needs class scores") && e.getMessage().contains("[4, 4, 4] per example")
                        && e.getMessage().contains("data-free") && !e.getMessage().contains("\n"), e.getMessage());
            }
            long before = net.parameterCount();
            new Pruner(PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(true)
                    .optRanking(Ranking.Config.ratio(Ranking.Scope.GLOBAL, io.prune4j.backend.Normalization.L2, 0.5))
                    .optFinetune(TrainConfig.builder().optEpochs(0).build()).optBnRecalibration(false).build(), null).run(net, null, null);
            assertTrue(net.parameterCount() < before, "pruned");
            org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {4, 4, 4}, net.outputShape(), "the output is never pruned");
            io.prune4j.onnx.proto.ModelProto back = OnnxWriter.toModel(net, m.names(), Map.of());
            assertEquals(java.util.List.of(4L, 4L, 4L), back.getGraph().getOutput(0).getType().getTensorType().getShape().getDimList()
                    .stream().skip(1).map(d -> d.getDimValue()).toList(), "the export's output shape");
        }
    }
}
