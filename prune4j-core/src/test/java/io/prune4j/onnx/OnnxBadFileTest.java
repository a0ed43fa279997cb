package io.prune4j.onnx;

import static io.prune4j.onnx.OnnxBuild.f;
import static io.prune4j.onnx.OnnxBuild.i;
import static io.prune4j.onnx.OnnxBuild.in;
import static io.prune4j.onnx.OnnxBuild.ints;
import static io.prune4j.onnx.OnnxBuild.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.onnx.proto.AttributeProto;
import io.prune4j.onnx.proto.NodeProto;
import io.prune4j.onnx.proto.StringStringEntryProto;
import io.prune4j.onnx.proto.TensorProto;
import io.prune4j.onnx.proto.TensorShapeProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files the reader refuses: each is one {@link OnnxFormatException} whose one-line message names
 * the file, the node and its operator where there is one, and the problem (its key words are
 * checked, not the whole text). Nothing else escapes: a half-read network's layers are closed by the
 * reader, so a bad file leaves no native memory behind on a device backend.
 */
class OnnxBadFileTest {
    static final CpuBackend CPU = new CpuBackend(1);

    @TempDir
    Path dir;

    @AfterAll
    static void close() {
        CPU.close();
    }

    /** input [N, 3, 8, 8] → Conv c (4, 3x3, pad 1) → Relu → GlobalAveragePool → Flatten → Gemm fc (transB) → output [N, 2]. */
    static OnnxBuild net() {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3), b.weight("c.bias", 0.1, 4)), ints("pads", 1, 1, 1, 1));
        x = b.node("Flatten", in(b.node("GlobalAveragePool", in(b.node("Relu", in(x))))));
        b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        return b.output("output", 2);
    }

    /** The classifier head (GlobalAveragePool → Flatten → Gemm fc on 4 channels → output) on value {@code last}, to append to a graph. */
    static OnnxBuild withHead(String last) {
        OnnxBuild b = new OnnxBuild(1);
        String x = b.node("Flatten", in(b.node("GlobalAveragePool", in(last))));
        b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        return b.output("output", 2);
    }

    /** Reads {@code bytes} as a file; returns the message after checking it is one line that names the file. */
    private String refused(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name + ".onnx");
        Files.write(file, bytes);
        OnnxFormatException e = assertThrows(OnnxFormatException.class, () -> {
            try (OnnxModel m = OnnxReader.read(file, CPU, null)) {
                fail(name + ": read as " + m.graph().describe());
            }
        }, name);
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file + ": "), name + ": the message names the file: " + msg);
        assertTrue(!msg.contains("\n") && !msg.contains("\r"), name + ": one line: " + msg);
        return msg;
    }

    private static void says(String msg, String... words) {
        for (String w : words) {
            assertTrue(msg.contains(w), "'" + w + "' missing from: " + msg);
        }
    }

    /** The name a node of {@link OnnxBuild} got, as messages quote it: {@code node 'Conv_3' (Conv)}. */
    private static String node(NodeProto.Builder n) {
        return "node '" + n.getName() + "' (" + n.getOpType() + ")";
    }

    private static TensorProto.Builder initializer(OnnxBuild b, String name) {
        for (TensorProto.Builder t : b.graph.getInitializerBuilderList()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no initializer " + name);
    }

    @Test
    void theBaseNetReads() {
        try (OnnxModel m = OnnxReader.read(net().bytes(), "net", CPU, null)) {
            assertArrayEquals(new int[] {3, 8, 8}, m.graph().inputShape());
        }
    }

    @Test
    void truncatedProtobuf() throws IOException {
        byte[] whole = net().bytes();
        for (int cut : new int[] {1, 3, whole.length / 4, whole.length / 2, 3 * whole.length / 4, whole.length - 1}) {
            String msg = refused("cut-" + cut, Arrays.copyOf(whole, cut));
            says(msg, "not a valid ONNX protobuf", "truncated");
        }
        // cut where a field ends (after ir_version) the rest is a valid, empty model
        says(refused("cut-2", Arrays.copyOf(whole, 2)), "no graph");
    }

    @Test
    void rawDataShorterOrLongerThanTheShape() throws IOException {
        for (int delta : new int[] {-4, -1, 1, 4}) {
            OnnxBuild b = net();
            TensorProto.Builder t = initializer(b, "c.weight");
            ByteString raw = t.getRawData();
            t.setRawData(delta < 0 ? raw.substring(0, raw.size() + delta) : raw.concat(ByteString.copyFrom(new byte[delta])));
            String msg = refused("raw" + delta, b.bytes());
            says(msg, "initializer 'c.weight'", (432 + delta) + " bytes of data but shape [4, 3, 3, 3] needs 432");
        }
    }

    @Test
    void floatDataShorterOrLongerThanTheShape() throws IOException {
        for (int delta : new int[] {-1, 1}) {
            OnnxBuild b = net();
            TensorProto.Builder t = initializer(b, "c.bias").clearRawData();
            for (int k = 0; k < 4 + delta; k++) {
                t.addFloatData(0.1f * k);
            }
            String msg = refused("floats" + delta, b.bytes());
            says(msg, "initializer 'c.bias'", (4 + delta) + " values but shape [4] needs 4");
        }
    }

    @Test
    void anInputNothingProduces() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        NodeProto.Builder add = b.node("Add", "sum", in(x, "nowhere"));
        String name = node(add);
        OnnxBuild h = withHead("sum");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        String msg = refused("missing", b.bytes());
        says(msg, name, "input 'nowhere' is produced by no earlier node, initializer or graph input");
    }

    @Test
    void aNodeThatOverwritesTheGraphInput() throws IOException {
        OnnxBuild b = net();
        b.graph.getNodeBuilder(1).setOutput(0, "input"); // the Relu writes 'input', which later nodes would read instead
        says(refused("overwrite", b.bytes()), "value 'input' is written twice");
    }

    @Test
    void aWeightWithAnEmptyExtent() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Flatten", in(b.node("GlobalAveragePool", in("input"))));
        b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 0)));
        b.output("output", 0);
        says(refused("empty-extent", b.bytes()), "no outputs");
        OnnxBuild c = net();
        initializer(c, "c.weight").setDims(0, 0).setRawData(com.google.protobuf.ByteString.EMPTY);
        says(refused("empty-conv", c.bytes()), "empty extent");
    }

    @Test
    void aCycle() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        NodeProto.Builder first = b.node("Add", "a", in(x, "b")); // a = conv + b, b = relu(a)
        String name = node(first);
        b.node("Relu", "b", in("a"));
        OnnxBuild h = withHead("b");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        String msg = refused("cycle", b.bytes());
        says(msg, name, "input 'b'", "cycle");
    }

    @Test
    void anUnknownOperatorListsTheSupportedOnes() throws IOException {
        OnnxBuild b = net();
        NodeProto.Builder relu = b.graph.getNodeBuilder(1).setOpType("ConvTranspose"); // a learnt upsampling, as decoders have
        String msg = refused("convtranspose", b.bytes());
        says(msg, node(relu), "operator ConvTranspose is not supported", OnnxReader.SUPPORTED);
    }

    @Test
    void mismatchedChannelsAtAdd() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String p = b.node("Conv", in("input", b.weight("p.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String q = b.node("Conv", in("input", b.weight("q.weight", 0.3, 6, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String name = node(b.node("Add", "sum", in(p, q)));
        OnnxBuild h = withHead("sum");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        String msg = refused("add", b.bytes());
        says(msg, name, "[4, 8, 8]", "[6, 8, 8]", "cannot be added");
    }

    @Test
    void aMulOfShapesThatDoNotBroadcastOrByAConstant() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String p = b.node("Conv", in("input", b.weight("p.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String q = b.node("GlobalAveragePool", in(b.node("Conv", in("input", b.weight("q.weight", 0.3, 6, 3, 3, 3)))));
        String name = node(b.node("Mul", "sum", in(q, p)));
        OnnxBuild h = withHead("sum");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        String msg = refused("mul", b.bytes());
        says(msg, name, "[6, 1, 1]", "[4, 8, 8]", "cannot be multiplied", "[C, 1, 1] by [C, H, W]");

        OnnxBuild c = new OnnxBuild(1).input("input", 3, 8, 8);
        p = c.node("Conv", in("input", c.weight("p.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        name = node(c.node("Mul", "sum", in(p, c.constant("grid", new float[64], 8, 8))));
        OnnxBuild hc = withHead("sum");
        c.graph.addAllNode(hc.graph.getNodeList()).addAllInitializer(hc.graph.getInitializerList()).addAllOutput(hc.graph.getOutputList());
        says(refused("mul-constant", c.bytes()), name, "a constant of shape [8, 8] against [4, 8, 8] per example is not supported",
                "only one value or one per channel (e.g. [4, 1, 1])");
        says(refused("constant-minus", convThen((bb, x) -> bb.node("Sub", in(bb.constant("one", new float[] {1f}), x)))), "(Sub)",
                "a constant minus a computed value is not supported");
        says(refused("sub-shapes", convThen((bb, x) -> bb.node("Sub", in(x, bb.node("MaxPool", in(x), ints("kernel_shape", 2, 2),
                ints("strides", 2, 2)))))), "(Sub)", "subtracts [4, 4, 4] from [4, 8, 8] per example; only values of one shape");
        says(refused("divide-by-zero", convThen((bb, x) -> bb.node("Div", in(x, bb.constant("zero", new float[] {0f}))))), "(Div)",
                "divides by 0.0, whose reciprocal is not a finite float");
    }

    /** {@code input → Conv (4 channels) → [what the test adds] → value {@code last}} with {@link #withHead}: the graph to refuse. */
    private static byte[] convThen(java.util.function.BiFunction<OnnxBuild, String, String> middle) {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("p.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String last = middle.apply(b, x);
        b.node("Identity", "last", in(last));
        OnnxBuild h = withHead("last");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        return b.bytes();
    }

    /**
     * What a channel shuffle is read as, and nothing else: a Transpose elsewhere, a rank-5 Reshape
     * that does not split the channels, a rank-5 view read by another operator, a Transpose of the
     * wrong axes, a Reshape back to another shape. Each is one line naming the node and the one
     * form that is supported.
     */
    @Test
    void whatIsNotAChannelShuffle() throws IOException {
        String form = "Reshape to [batch, g, C/g, H, W], Transpose with perm [0, 2, 1, 3, 4], Reshape to [batch, C, H, W]";
        says(refused("transpose", convThen((b, x) -> b.node("Transpose", in(x), ints("perm", 0, 1, 3, 2)))),
                "(Transpose)", "a Transpose is supported only in a channel shuffle", form);
        says(refused("rank5", convThen((b, x) -> b.node("Reshape", in(x, b.ints("s", new long[] {0, 2, 2, 4, 16}, 5))))),
                "(Reshape)", "shape [0, 2, 2, 4, 16] of a [batch, 4, 8, 8] map is not supported", form);
        says(refused("rank5-read", convThen((b, x) -> {
            String r = b.node("Reshape", in(x, b.ints("s", new long[] {0, 2, 2, 8, 8}, 5)));
            return b.node("Relu", in(r));
        })), "(Relu)", "a rank-5 view of a feature map", form);
        says(refused("rank5-perm", convThen((b, x) -> {
            String r = b.node("Reshape", in(x, b.ints("s", new long[] {0, 2, 2, 8, 8}, 5)));
            return b.node("Transpose", in(r), ints("perm", 0, 1, 2, 4, 3));
        })), "(Transpose)", "a Transpose is supported only in a channel shuffle");
        says(refused("rank5-back", convThen((b, x) -> {
            String r = b.node("Reshape", in(x, b.ints("s", new long[] {0, 2, 2, 8, 8}, 5)));
            String t = b.node("Transpose", in(r), ints("perm", 0, 2, 1, 3, 4));
            return b.node("Reshape", in(t, b.ints("back", new long[] {0, 4, 4, 16}, 4)));
        })), "(Reshape)", "shape [0, 4, 4, 16] is not supported after a rank-5 reshape", form);
    }

    /**
     * What a channels-last map (after a Transpose [0, 2, 3, 1]) may be read by, and what not: a
     * Flatten of it, a Transpose back by another perm, an Add of it and a channels-first map, a
     * constant that is not per channel on the last axis, a MatMul of a constant by it (the product must
     * be the map times the weight); and, without
     * the Transpose, a LayerNormalization over a map's last axis (its width), a lone Erf, a ReduceMean
     * without an input, GELU's tanh approximation. Each is one line naming the node.
     */
    @Test
    void whatAChannelsLastMapAndTheLayerNormsAndGelusReadAre() throws IOException {
        says(refused("cl-flatten", convThen((b, x) -> b.node("Flatten", in(b.node("Transpose", in(x), ints("perm", 0, 2, 3, 1)))))),
                "(Flatten)", "a map seen channels-last (after a Transpose [0, 2, 3, 1])", "LayerNormalization over the last axis");
        says(refused("cl-back", convThen((b, x) -> b.node("Transpose", in(b.node("Transpose", in(x), ints("perm", 0, 2, 3, 1))),
                ints("perm", 0, 3, 2, 1)))), "(Transpose)", "only the Transpose back to [batch, C, H, W], perm [0, 3, 1, 2]");
        says(refused("cl-mix", convThen((b, x) -> b.node("Add", in(b.node("Transpose", in(x), ints("perm", 0, 2, 3, 1)), x)))),
                "(Add)", "mixes the channels-last", "which is not channels-last");
        says(refused("cl-constant", convThen((b, x) -> b.node("Mul", in(b.node("Transpose", in(x), ints("perm", 0, 2, 3, 1)),
                b.weight("k", 0.5, 4, 1, 1))))), "(Mul)", "a constant of shape [4, 1, 1] against a channels-last [8, 8, 4]");
        says(refused("cl-matmul", convThen((b, x) -> b.node("MatMul", in(b.weight("w", 0.5, 8, 8), b.node("Transpose", in(x),
                ints("perm", 0, 2, 3, 1)))))), "(MatMul)", "is a constant; it must be computed from the network's input");
        says(refused("ln-width", convThen((b, x) -> b.node("LayerNormalization", in(x, b.weight("g", 0.5, 8)), i("axis", -1)))),
                "(LayerNormalization)", "normalises [4, 8, 8] per example from axis -1", "only the channels are supported");
        says(refused("erf", convThen((b, x) -> b.node("Erf", in(x)))), "(Erf)", "Erf is supported only inside GELU");
        // the fuzzer's first find in the LayerNorm pattern: a ReduceMean without its input (crash-reducemean-without-inputs)
        says(refused("mean-no-input", convThen((b, x) -> b.node("Add", in(x, b.node("ReduceMean", in(), ints("axes", -1)))))),
                "(ReduceMean)", "has 0 inputs, expected 1");
        says(refused("gelu-sigmoid", convThen((b, x) -> {
            b.opset = 20;
            return b.node("Gelu", in(x), s("approximate", "sigmoid"));
        })), "(Gelu)", "approximate 'sigmoid' is not supported; only 'none' (the exact GELU) and 'tanh' are");
    }

    /**
     * What the group and instance norms read are, and what not: a view in groups that do not divide
     * the channels, a view in groups read by anything but an InstanceNormalization, a Reshape after it
     * to another shape than the map's, an InstanceNormalization of a vector or with a scale of the wrong
     * length, a GroupNormalization whose group count does not divide the channels.
     */
    @Test
    void groupAndInstanceNormsThatAreNotSupported() throws IOException {
        says(refused("gn-groups", convThen((b, x) -> b.node("Relu", in(b.node("Reshape", in(x, b.ints("s", new long[] {0, 8, 32}, 3))))))),
                "(Reshape)", "shape [0, 8, 32] of a [4, 8, 8] map is not supported", "for a G dividing the 4 channels");
        says(refused("gn-view-relu", convThen((b, x) -> b.node("Relu", in(b.node("Reshape", in(x, b.ints("s", new long[] {0, 2, -1}, 3))))))),
                "(Relu)", "a [batch, 2, …] view of the channels in 2 groups", "only an InstanceNormalization then a Reshape back");
        says(refused("gn-back", convThen((b, x) -> {
            String v = b.node("Reshape", in(x, b.ints("s", new long[] {0, 2, -1}, 3)));
            String n = b.node("InstanceNormalization", in(v, b.weight("one", 1, 2), b.weight("zero", 1, 2)));
            return b.node("Reshape", in(n, b.ints("back", new long[] {0, 4, 64}, 3)));
        })), "(Reshape)", "with shape [0, 4, 64]; only a Reshape back to [batch, 4, 8, 8]");
        says(refused("in-vector", convThen((b, x) -> b.node("InstanceNormalization", in(b.node("Reshape", in(x, b.ints("s", new long[] {0, -1}, 2))), b.weight("g", 1, 256),
                b.weight("h", 1, 256))))), "(InstanceNormalization)", "normalises [256] per example; only [batch, C, H, W] maps");
        says(refused("in-scale", convThen((b, x) -> b.node("InstanceNormalization", in(x, b.weight("g", 1, 3), b.weight("h", 1, 4))))),
                "(InstanceNormalization)", "scale 'g' has shape [3]; expected FLOAT [4]");
        says(refused("gn-num-groups", convThen((b, x) -> {
            b.opset = 18;
            return b.node("GroupNormalization", in(x, b.weight("g", 1, 4), b.weight("h", 1, 4)), i("num_groups", 3));
        })), "(GroupNormalization)", "num_groups 3 is not supported; it must divide the 4 channels");
    }

    /** An Expand read by anything but a Mul, one that changes the channels, and a vector reshaped to anything but [C, 1, 1]. */
    @Test
    void expandsAndUnflattensThatAreNotSupported() throws IOException {
        says(refused("expand-conv", convThen((b, x) -> {
            String gate = b.node("GlobalAveragePool", in(x));
            String e = b.node("Expand", in(gate, b.ints("to", new long[] {1, 4, 8, 8}, 4)));
            return b.node("Conv", in(e, b.weight("q.weight", 0.3, 4, 4, 1, 1)));
        })), "(Conv)", "the output of an Expand; an Expand is supported only as an input of a Mul");
        says(refused("expand-channels", convThen((b, x) -> {
            String gate = b.node("GlobalAveragePool", in(x));
            return b.node("Mul", in(x, b.node("Expand", in(gate, b.ints("to", new long[] {1, 8, 8, 8}, 4)))));
        })), "(Expand)", "only the spatial extents of a [C, 1, 1] value may grow");
        says(refused("unflatten-2x2", convThen((b, x) -> {
            String v = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
            String m = b.node("Reshape", in(v, b.ints("s", new long[] {0, 1, 2, 2}, 4)));
            return b.node("Mul", in(x, m));
        })), "(Reshape)", "shape [0, 1, 2, 2] of a [batch, 4] vector is not supported; only [batch, 4, 1, 1]");
    }

    /** A global max pool of a vector (a map that is not square reads: OnnxOpsTest). */
    @Test
    void aGlobalMaxPoolOfAVector() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 6);
        String x = b.node("Conv", in("input", b.weight("p.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String name = node(b.node("GlobalMaxPool", "pooled", in(b.node("Flatten", in(x)))));
        b.node("Gemm", "output", in(b.node("Flatten", in("pooled")), b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        says(refused("gmp", b.output("output", 2).bytes()), name, "a global max pool of [192] per example is not supported",
                "only of [C, H, W] maps");
    }

    /** Slices and splits of activations along anything but the channels, empty ones, uneven equal splits, and Div of an activation. */
    @Test
    void slicesAndSplitsThatAreNotOfChannels() throws IOException {
        says(refused("slice-h", convThen((b, x) -> b.node("Slice", in(x, b.ints("a", new long[] {0}, 1), b.ints("e", new long[] {4}, 1),
                b.ints("ax", new long[] {2}, 1))))), "(Slice)", "only along the channels (axes [1], step 1), got axes [2]");
        says(refused("slice-step", convThen((b, x) -> b.node("Slice", in(x, b.ints("a", new long[] {0}, 1), b.ints("e", new long[] {4}, 1),
                b.ints("ax", new long[] {1}, 1), b.ints("st", new long[] {2}, 1))))), "(Slice)", "steps [2]");
        says(refused("slice-empty", convThen((b, x) -> b.node("Slice", in(x, b.ints("a", new long[] {3}, 1), b.ints("e", new long[] {1}, 1),
                b.ints("ax", new long[] {1}, 1))))), "(Slice)", "slices no channel (3 to 1 of 4)");
        says(refused("split-h", convThen((b, x) -> {
            b.node("Split", "q0", in(x), i("axis", 2)).addOutput("q1");
            return b.node("Add", in("q0", "q1"));
        })), "(Split)", "axis 2 is not supported; only a split along the channels (axis 1) is");
        says(refused("split-3", convThen((b, x) -> {
            b.node("Split", "q0", in(x), i("axis", 1)).addOutput("q1").addOutput("q2");
            return b.node("Concat", in("q0", "q1", "q2"), i("axis", 1));
        })), "(Split)", "splits 4 channels into 3 equal parts");
        says(refused("split-sizes", convThen((b, x) -> {
            b.node("Split", "q0", in(x, b.ints("sz", new long[] {1, 2}, 2)), i("axis", 1)).addOutput("q1");
            return b.node("Concat", in("q0", "q1"), i("axis", 1));
        })), "(Split)", "split [1, 2] does not cut 4 channels into 2 parts");
        String gather = "a Gather of an activation is supported only along the channels (axis 1) by one-dimensional indices that name"
                + " each of its 4 channels once (a channel permutation)";
        says(refused("gather-twice", convThen((b, x) -> b.node("Gather", in(x, b.ints("ix", new long[] {0, 1, 1, 3}, 4)), i("axis", 1)))),
                "(Gather)", gather);
        says(refused("gather-out", convThen((b, x) -> b.node("Gather", in(x, b.ints("ix", new long[] {0, 1, 2, 4}, 4)), i("axis", 1)))),
                "(Gather)", gather);
        says(refused("gather-h", convThen((b, x) -> b.node("Gather", in(x, b.ints("ix", new long[] {3, 2, 1, 0}, 4)), i("axis", 2)))),
                "(Gather)", gather);
        says(refused("div", convThen((b, x) -> b.node("Div", in(x, b.node("Relu", in(x)))))), "(Div)",
                "Div is supported on shapes (integer constants and Shape outputs) and as a computed value divided by a constant");
    }

    @Test
    void mismatchedExtentsAtConcat() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String p = b.node("Conv", in("input", b.weight("p.weight", 0.3, 2, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String q = b.node("Conv", in("input", b.weight("q.weight", 0.3, 2, 3, 3, 3))); // no padding: 6x6
        String name = node(b.node("Concat", "cat", in(p, q), i("axis", 1)));
        OnnxBuild h = withHead("cat");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        String msg = refused("concat", b.bytes());
        says(msg, name, "[2, 8, 8]", "[2, 6, 6]", "differ in more than their channels");
    }

    @Test
    void concatenatedChannelsTheNextConvolutionDoesNotTake() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String p = b.node("Conv", in("input", b.weight("p.weight", 0.3, 2, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String q = b.node("Conv", in("input", b.weight("q.weight", 0.3, 3, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String cat = b.node("Concat", in(p, q), i("axis", 1));
        String name = node(b.node("Conv", "after", in(cat, b.weight("after.weight", 0.3, 4, 4, 1, 1))));
        OnnxBuild h = withHead("after");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        String msg = refused("concat-channels", b.bytes());
        says(msg, name, "weight [4, 4, 1, 1] do not fit 5 input channels");
    }

    @Test
    void nanAndInfiniteWeights() throws IOException {
        for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            OnnxBuild b = net();
            TensorProto.Builder t = initializer(b, "c.weight");
            byte[] raw = t.getRawData().toByteArray();
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * 5, v);
            t.setRawData(ByteString.copyFrom(raw));
            says(refused("raw-" + v, b.bytes()), "initializer 'c.weight'", "non-finite value (" + v + ") at element 5");

            OnnxBuild c = net();
            initializer(c, "c.bias").clearRawData().addAllFloatData(java.util.List.of(0f, 0f, v, 0f));
            says(refused("floats-" + v, c.bytes()), "initializer 'c.bias'", "non-finite value (" + v + ") at element 2");
        }
    }

    /** Found by fuzzing (onnxMutations/crash-gemm-alpha-minus-infinity): finite tensors, scaled into infinite weights. */
    @Test
    void gemmAlphaOrBetaThatMakesAWeightInfinite() throws IOException {
        OnnxBuild b = net();
        NodeProto.Builder gemm = b.graph.getNodeBuilder(4).addAttribute(f("alpha", Float.NEGATIVE_INFINITY));
        says(refused("alpha", b.bytes()), node(gemm), "alpha -Infinity times B 'fc.weight' gives a non-finite value");

        OnnxBuild c = net();
        gemm = c.graph.getNodeBuilder(4).addInput(c.constant("fc.bias", new float[] {2f, -2f}, 2))
                .addAttribute(f("beta", Float.MAX_VALUE)); // finite, but beta · 2 overflows
        says(refused("beta", c.bytes()), node(gemm), "beta " + Float.MAX_VALUE + " times C 'fc.bias' gives a non-finite value (Infinity)");
    }

    /**
     * Found by fuzzing (onnxMutations/crash-oom-int64-shape-before-data-check): an integer tensor
     * declaring 2^31 - 1 elements is refused for its 16 bytes of data before anything the size of
     * the declaration is allocated (16 GiB of longs; an OutOfMemoryError before the fix).
     */
    @Test
    void anIntegerTensorMuchLargerThanItsData() throws IOException {
        OnnxBuild b = net();
        b.ints("shape", new long[] {0, -1}, Integer.MAX_VALUE);
        says(refused("int64-raw", b.bytes()), "initializer 'shape'", "16 bytes of data but shape [2147483647] needs 17179869176");

        OnnxBuild c = net();
        c.graph.addInitializer(TensorProto.newBuilder().setName("shape").setDataType(TensorProto.DataType.INT32_VALUE)
                .addDims(Integer.MAX_VALUE).addInt32Data(0).addInt32Data(-1));
        says(refused("int32-values", c.bytes()), "initializer 'shape'", "2 values but shape [2147483647] needs 2147483647");
    }

    /** A Constant node's value_float(s) are weights like an initializer's and as checked. */
    @Test
    void aNonFiniteConstantNodeValue() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        NodeProto.Builder scale = b.node("Constant", "bn.weight", in(), AttributeProto.newBuilder().setName("value_floats")
                .setType(AttributeProto.AttributeType.FLOATS).addFloats(1f).addFloats(Float.NaN).addFloats(1f).addFloats(1f).build());
        String name = node(scale);
        b.node("BatchNormalization", "bn", in(x, "bn.weight", b.weight("bn.bias", 0.2, 4), b.weight("bn.mean", 0.2, 4),
                b.positive("bn.var", 0.5, 1.5, 4)));
        OnnxBuild h = withHead("bn");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        says(refused("constant-nan", b.bytes()), name, "value_floats gives a non-finite value (NaN)");
    }

    /** Resizes other than nearest upsampling by whole factors: each one line naming the node and what is read. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "linear        | linear  | asymmetric    | floor              | 1,1,2,2   | mode 'linear' is not supported",
        "half-factor   | nearest | asymmetric    | floor              | 1,1,1.5,2 | are not supported; 1 for the batch",
        "downsample    | nearest | asymmetric    | floor              | 1,1,0.5,1 | whole factors of at least 1",
        "channels      | nearest | asymmetric    | floor              | 1,2,2,2   | 1 for the batch and the channels",
        "align-corners | nearest | align_corners | floor              | 1,1,2,2   | coordinate_transformation_mode 'align_corners'",
        "half-floor    | nearest | half_pixel    | floor              | 1,1,2,2   | with nearest_mode 'floor' is not supported",
        "asym-round    | nearest | asymmetric    | round_prefer_floor | 1,1,2,2   | with nearest_mode 'round_prefer_floor'"})
    void resizesThatAreNotWholeNearestUpsampling(String name, String mode, String ctm, String nearest, String scales, String expected)
            throws IOException {
        float[] sc = new float[4];
        String[] parts = scales.split(",");
        for (int k = 0; k < 4; k++) {
            sc[k] = Float.parseFloat(parts[k]);
        }
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 4, 4);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        NodeProto.Builder resize = b.node("Resize", "up", in(x, "", b.constant("up.scales", sc, 4)), s("mode", mode),
                s("coordinate_transformation_mode", ctm), s("nearest_mode", nearest));
        b.node("Gemm", "output", in(b.node("Flatten", in(b.node("GlobalAveragePool", in("up")))), b.weight("fc.weight", 0.3, 2, 4)),
                i("transB", 1));
        b.output("output", 2);
        says(refused(name, b.bytes()), node(resize), expected);
    }

    /** MaxPool's Indices may be left unread (PyTorch 2's exporter writes them); read, they are refused. */
    @Test
    void maxPoolIndicesRead() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        NodeProto.Builder pool = b.node("MaxPool", "pool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2)).addOutput("pool.indices");
        String name = node(pool);
        String y = b.node("Add", in("pool", b.node("Cast", in("pool.indices"), i("to", TensorProto.DataType.FLOAT_VALUE))));
        b.node("Gemm", "output", in(b.node("Flatten", in(b.node("GlobalAveragePool", in(y)))), b.weight("fc.weight", 0.3, 2, 4)),
                i("transB", 1));
        b.output("output", 2);
        says(refused("indices", b.bytes()), name, "its Indices output is read");
    }

    /**
     * {@link #net()} with c.weight (432 bytes) kept outside: {@code weights.bin} in the test's folder holds
     * 16 other bytes and then the weight, and the tensor lists {@code entries} (key, value, key, value, …).
     */
    private byte[] external(String... entries) throws IOException {
        OnnxBuild b = net();
        TensorProto.Builder t = initializer(b, "c.weight");
        byte[] raw = t.getRawData().toByteArray();
        byte[] data = new byte[16 + raw.length];
        System.arraycopy(raw, 0, data, 16, raw.length);
        Files.write(dir.resolve("weights.bin"), data);
        Files.createDirectories(dir.resolve("folder.bin"));
        t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL);
        for (int k = 0; k < entries.length; k += 2) {
            t.addExternalData(StringStringEntryProto.newBuilder().setKey(entries[k]).setValue(entries[k + 1]));
        }
        return b.bytes();
    }

    /** The layout {@link #external} writes, read as it should be: the same network as with the weight inside. */
    @Test
    void externalDataThatIsRightReads() throws IOException {
        byte[] inside = net().bytes();
        Path file = dir.resolve("outside.onnx");
        Files.write(file, external("location", "weights.bin", "offset", "16", "length", "432", "checksum", "ignored"));
        try (OnnxModel a = OnnxReader.read(inside, "inside", CPU, null); OnnxModel b = OnnxReader.read(file, CPU, null)) {
            float[] x = OnnxRoundTripTest.input(a.graph(), 3, 5);
            assertArrayEquals(OnnxRoundTripTest.forward(a.graph(), x, 3), OnnxRoundTripTest.forward(b.graph(), x, 3));
            assertEquals(16 + 432, b.dataBytes(), "the data file's bytes");
            assertEquals(0, a.dataBytes());
        }
    }

    /** External data read from bytes (no folder to find it in), and every way its entries or its file can be wrong. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "from-bytes      | location=weights.bin,offset=16                 | keeps its data in the external file 'weights.bin'; not from bytes",
        "missing-file    | location=nothing.bin                           | keeps its data in 'nothing.bin'; not in the model's folder",
        "parent          | location=../weights.bin,offset=16              | '../weights.bin' leaves the model's folder",
        "deep-parent     | location=a/../../weights.bin,offset=16         | leaves the model's folder",
        "absolute        | location=/etc/hostname                         | '/etc/hostname' is absolute",
        "drive           | location=C:\\weights.bin                       | is absolute",
        "the-folder      | location=.                                     | leaves the model's folder",
        "a-folder        | location=folder.bin                            | 'folder.bin' is a folder",
        "no-location     | offset=16                                      | names no location",
        "empty-location  | location=                                      | names no location",
        "offset-past-end | location=weights.bin,offset=449                | offset 449 is past the end of 'weights.bin' (448 bytes)",
        "length-past-end | location=weights.bin,offset=16,length=500      | bytes 16 to 516 are past the end",
        "too-short       | location=weights.bin,offset=20                 | has 428 bytes of data in 'weights.bin' but its shape [4, 3, 3, 3] needs 432",
        "wrong-length    | location=weights.bin,offset=16,length=400      | has 400 bytes of data",
        "bad-offset      | location=weights.bin,offset=sixteen            | offset 'sixteen' is not a byte count",
        "negative-length | location=weights.bin,length=-4                 | length '-4' is not a byte count",
        "unknown-key     | location=weights.bin,offset=16,basepath=/tmp   | unknown external data key 'basepath'",
        "twice           | location=weights.bin,location=other.bin        | external data key 'location' is given twice",
        "not-external    | location=weights.bin,offset=16                 | lists external data but its data_location is DEFAULT"})
    void externalDataThatIsWrong(String name, String entries, String expected) throws IOException {
        String[] kv = Arrays.stream(entries.split(",")).flatMap(e -> Arrays.stream(e.split("=", -1))).toArray(String[]::new);
        byte[] bytes = external(kv);
        if (name.equals("not-external")) {
            io.prune4j.onnx.proto.ModelProto.Builder m = io.prune4j.onnx.proto.ModelProto.parseFrom(bytes).toBuilder();
            for (TensorProto.Builder t : m.getGraphBuilder().getInitializerBuilderList()) {
                if (t.getName().equals("c.weight")) {
                    t.setDataLocation(TensorProto.DataLocation.DEFAULT);
                }
            }
            bytes = m.build().toByteArray();
        }
        String msg;
        if (name.equals("from-bytes")) {
            byte[] b = bytes;
            msg = assertThrows(OnnxFormatException.class, () -> OnnxReader.read(b, "model.onnx", CPU, null).close()).getMessage();
        } else {
            msg = refused(name, bytes);
        }
        says(msg, "initializer 'c.weight'");
        says(msg, expected.split("; "));
    }

    @Test
    void unsupportedOpsets() throws IOException {
        for (int opset : new int[] {7, 8, 23, 25}) {
            OnnxBuild b = net();
            b.opset = opset;
            says(refused("opset" + opset, b.bytes()), "opset " + opset + " is not supported", "opsets 9 to 22");
        }
    }

    @Test
    void twoGraphInputs() throws IOException {
        OnnxBuild b = net().input("mask", 3, 8, 8);
        says(refused("two-inputs", b.bytes()), "2 inputs [input, mask]", "one input");
    }

    @Test
    void aSymbolicChannelExtentNeedsAnInputShape() throws IOException {
        OnnxBuild b = net();
        TensorShapeProto.Builder s = b.graph.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        s.getDimBuilder(1).clearDimValue().setDimParam("C");
        String msg = refused("symbolic", b.bytes());
        says(msg, "input 'input'", "[N, C, 8, 8]", "give the input shape");
        assertFalse(msg.contains("--"), "a library message names no command-line flag: " + msg);
        try (OnnxModel m = OnnxReader.read(b.bytes(), "symbolic", CPU, new int[] {3, 8, 8})) {
            assertArrayEquals(new int[] {3, 8, 8}, m.graph().inputShape(), "with the shape given it reads");
        }
    }

    @Test
    void anInputWithoutShapeNeedsAnInputShape() throws IOException {
        OnnxBuild b = net();
        b.graph.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().clearShape();
        String msg = refused("shapeless", b.bytes());
        says(msg, "input 'input' has no shape", "give the input shape");
        assertFalse(msg.contains("--"), "a library message names no command-line flag: " + msg);
        try (OnnxModel m = OnnxReader.read(b.bytes(), "shapeless", CPU, new int[] {3, 8, 8})) {
            assertArrayEquals(new int[] {3, 8, 8}, m.graph().inputShape(), "with the shape given it reads");
        }
    }

    /** Shape operators without their inputs are refused in one line (found by the fuzzer: Squeeze read input 0 before counting). */
    @ParameterizedTest
    @ValueSource(strings = {"Squeeze", "Unsqueeze", "Slice", "Gather", "Shape", "Cast"})
    void aShapeOperatorWithoutInputs(String op) throws IOException {
        for (int opset : new int[] {11, 13}) {
            OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
            b.opset = opset;
            String x = b.node("GlobalAveragePool", in(b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 1, 1)))));
            NodeProto.Builder n = b.node(op, "target", in());
            x = b.node("Reshape", in(x, "target"));
            b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
            says(refused(op + opset, b.output("output", 2).bytes()), node(n), "has 0 inputs");
        }
    }

    /** Shape operands that are FLOAT are refused in one line (found by the fuzzer: a Slice read null axes). */
    @ParameterizedTest
    @ValueSource(strings = {"Slice", "Squeeze", "Unsqueeze"})
    void floatShapeOperands(String op) throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        b.opset = 13;
        String x = b.node("GlobalAveragePool", in(b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 1, 1)))));
        String size = b.node("Shape", in(x));
        String zero = b.ints("zero", new long[] {0}, 1);
        String one = b.ints("one", new long[] {1}, 1);
        String f = b.constant("f", new float[] {0f}, 1);
        NodeProto.Builder n = b.node(op, "target", op.equals("Slice") ? in(size, zero, one, f) : in(size, f));
        x = b.node("Reshape", in(x, "target"));
        b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        says(refused(op, b.output("output", 2).bytes()), node(n), "axes 'f' must be integers");
    }

    /** An input each of whose extents is valid, but whose example no tensor holds (found by the fuzzer). */
    @Test
    void anInputTooLargeForATensor() throws IOException {
        OnnxBuild b = net();
        TensorShapeProto.Builder s = b.graph.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
        s.getDimBuilder(3).setDimValue(Integer.MAX_VALUE);
        says(refused("huge", b.bytes()), "input 'input'", "[3, 8, 2147483647] per example", "2^31 − 1 elements");
    }

    @Test
    void batchNormalizationInTrainingMode() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        String name = node(b.node("BatchNormalization", "bn", in(x, b.positive("bn.weight", 0.5, 1.5, 4), b.weight("bn.bias", 0.2, 4),
                b.weight("bn.mean", 0.2, 4), b.positive("bn.var", 0.5, 1.5, 4)), i("training_mode", 1)));
        OnnxBuild h = withHead("bn");
        b.graph.addAllNode(h.graph.getNodeList()).addAllInitializer(h.graph.getInitializerList()).addAllOutput(h.graph.getOutputList());
        says(refused("bn-training", b.bytes()), name, "training_mode 1 is not supported");
    }

    /** {@link #net()} with the convolution's attributes replaced by {@code attributes}; returns the message. */
    private String convWith(String name, AttributeProto... attributes) throws IOException {
        OnnxBuild b = net();
        NodeProto.Builder conv = b.graph.getNodeBuilder(0).clearAttribute();
        for (AttributeProto a : attributes) {
            conv.addAttribute(a);
        }
        String msg = refused(name, b.bytes());
        says(msg, node(conv));
        return msg;
    }

    @Test
    void negativePads() throws IOException {
        says(convWith("pads", ints("pads", 0, -1, 1, 1)), "pads [0, -1, 1, 1] are not supported", "a negative pad (a crop) is not");
    }

    /** Uneven padding of a max pooling (−∞, not zeros) or of an average pooling that does not count it has no layer. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"MaxPool", "AveragePool"})
    void unevenPoolingPads(String op) throws IOException {
        OnnxBuild b = net();
        NodeProto.Builder pool = b.graph.getNodeBuilder(2).setOpType(op).addAttribute(ints("kernel_shape", 3, 3))
                .addAttribute(ints("pads", 0, 0, 1, 1));
        says(refused("uneven-" + op, b.bytes()), node(pool), "pads [0, 0, 1, 1] (top, left, bottom, right) are not supported for a 3x3 "
                + (op.equals("MaxPool") ? "MaxPool;" : "AveragePool without count_include_pad;"), "the same padding on every side");
    }

    /** A Pad the reader has no layer for: another mode, a value other than 0, padded channels or batch, a crop. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "reflect; 0, 0, 1, 1, 0, 0, 1, 1; 0; mode 'reflect' is not supported; only a constant Pad of zeros is",
        "constant; 0, 0, 1, 1, 0, 0, 1, 1; 1; pads with the value 1.0; only a Pad of zeros is supported",
        "constant; 0, 1, 0, 0, 0, 0, 0, 0; 0; pads [0, 1, 0, 0, 0, 0, 0, 0] are not supported; only the rows and columns",
        "constant; 0, 0, -1, 0, 0, 0, 0, 0; 0; pads [0, 0, -1, 0, 0, 0, 0, 0] are not supported; a negative pad (a crop) is not",
        "constant; 0, 0, 1, 1; 0; pads [0, 0, 1, 1] are not 2 × 4 values for a rank-4 input",
    })
    void padsThatAreRefused(String mode, String pads, float value, String message) throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        long[] p = java.util.Arrays.stream(pads.split(",")).mapToLong(v -> Long.parseLong(v.trim())).toArray();
        NodeProto.Builder pad = b.node("Pad", "padded", in("input", b.ints("p.pads", p, p.length), b.constant("v", new float[] {value})),
                OnnxBuild.s("mode", mode));
        String x = b.node("Conv", in("padded", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
        x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
        b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        says(refused("pad-" + mode + value, b.output("output", 2).bytes()), node(pad), message);
    }

    @Test
    void dilation2() throws IOException {
        says(convWith("dilation", ints("pads", 1, 1, 1, 1), ints("dilations", 2, 2)), "dilations [2, 2] are not supported", "only 1");
    }

    @Test
    void aSoftmaxThatIsNotTheLastNode() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 6);
        String x = b.node("Gemm", in("input", b.weight("fc1.weight", 0.3, 4, 6)), i("transB", 1));
        NodeProto.Builder soft = b.node("Softmax", "probs", in(x));
        b.node("Gemm", "output", in("probs", b.weight("fc2.weight", 0.3, 2, 4)), i("transB", 1));
        says(refused("softmax", b.output("output", 2).bytes()), node(soft), "supported only as the last node");
    }

    /**
     * The half-way values of a global pooling written by hand ({@code x.view(b, c, -1)}, {@code x.mean(3)}, a pooled map
     * squeezed once) read by anything but what finishes the pooling, or finished the wrong way, and a Squeeze without
     * axes of a computed value: one line each, naming the value and what may read it.
     */
    @Test
    void halfWayPoolingsReadByOtherNodes() throws IOException {
        OnnxBuild b = new OnnxBuild(1).input("input", 3, 8, 8);
        String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)));
        b.node("Reshape", "view", in(x, b.ints("shape", new long[] {0, 4, -1}, 3)));
        NodeProto.Builder relu = b.node("Relu", "r", in("view"));
        b.node("Gemm", "output", in(b.node("ReduceMean", in("r"), ints("axes", 2), i("keepdims", 0)), b.weight("fc.weight", 0.3, 2, 4)),
                i("transB", 1));
        says(refused("view-relu", b.output("output", 2).bytes()), node(relu), "reads 'view', a [batch, C, H·W] view of a feature map;"
                + " only a ReduceMean or ReduceMax over its last axis without keepdims (a global pool), or an"
                + " InstanceNormalization then a Reshape back (an instance norm) may read it");

        b = new OnnxBuild(1).input("input", 3, 8, 8);
        x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)));
        b.node("ReduceMean", "cols", in(x), ints("axes", 3), i("keepdims", 0));
        NodeProto.Builder max = b.node("ReduceMax", "pooled", in("cols"), ints("axes", 2), i("keepdims", 0));
        b.node("Gemm", "output", in("pooled", b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        says(refused("mean-then-max", b.output("output", 2).bytes()), node(max), "reads 'cols', a mean over axis 3 of a feature map,"
                + " with axes [2] and keepdims 0; only a ReduceMean over the other spatial axis, keepdims 0 as before (a global pool) may"
                + " read it");

        b = new OnnxBuild(1).input("input", 3, 8, 8);
        x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)));
        NodeProto.Builder squeeze = b.node("Squeeze", "flat", in(b.node("GlobalAveragePool", in(x))));
        b.node("Gemm", "output", in("flat", b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
        says(refused("squeeze-all", b.output("output", 2).bytes()), node(squeeze), "a Squeeze without axes of a computed value is not"
                + " supported (it would also take a batch of 1); give the axes");
    }

    @Test
    void anInt8Weight() throws IOException {
        OnnxBuild b = net();
        initializer(b, "c.weight").setDataType(TensorProto.DataType.INT8_VALUE).setRawData(ByteString.copyFrom(new byte[108]));
        says(refused("int8", b.bytes()), "initializer 'c.weight'", "data type INT8", "only FLOAT weights");
    }

    @Test
    void anAttributeTheOperatorDoesNotTake() throws IOException {
        OnnxBuild b = net();
        NodeProto.Builder relu = b.graph.getNodeBuilder(1).addAttribute(f("alpha", 0.1f));
        says(refused("relu-alpha", b.bytes()), node(relu), "attribute 'alpha' is not supported (this operator takes none)");
        says(convWith("conv-foo", ints("pads", 1, 1, 1, 1), i("foo", 1)), "attribute 'foo' is not supported",
                "supported: auto_pad, dilations, group, kernel_shape, pads, strides");
    }

    @Test
    void anEmptyFile() throws IOException {
        says(refused("empty", new byte[0]), "no graph", "is this an ONNX model file?");
    }

    @Test
    void aPngFile() throws IOException {
        // the start of a 1x1 PNG: signature, IHDR
        byte[] png = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6,
            0, 0, 0, 0x1f, 0x15, (byte) 0xc4, (byte) 0x89};
        says(refused("png", png), "not a valid ONNX protobuf");
    }

    @Test
    void aSafetensorsFile() throws IOException {
        Path st = dir.resolve("mlp.safetensors");
        try (Graph mlp = Models.mlp(CPU, 3, new int[] {4}, 2, 1)) {
            ModelFile.save(mlp, st, Map.of());
        }
        says(refused("safetensors", Files.readAllBytes(st)), "not a valid ONNX protobuf");
    }
}
