package io.prune4j.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFormatException;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Parameter;
import io.prune4j.onnx.proto.AttributeProto;
import io.prune4j.onnx.proto.GraphProto;
import io.prune4j.onnx.proto.ModelProto;
import io.prune4j.onnx.proto.NodeProto;
import io.prune4j.onnx.proto.StringStringEntryProto;
import io.prune4j.onnx.proto.TensorProto;
import io.prune4j.onnx.proto.TensorShapeProto;
import io.prune4j.onnx.proto.ValueInfoProto;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.FuzzSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzz tests of {@link OnnxReader}: for any input the reader must either return a network
 * whose weights are finite and which runs (one forward pass gives {@code [1, outputs]}), or throw an
 * {@link OnnxFormatException} (a {@link ModelFormatException}) with a one-line message naming the
 * input. Anything else (another exception, an out-of-memory under the fuzz heap of 512 MiB, a hang)
 * is a finding.
 *
 * <p>Two targets. {@link #onnxBytes} takes the file's bytes as they are, from seeds that are valid
 * models: it reaches the protobuf parsing and the size checks, but most of its mutations break a
 * length prefix, so few of its inputs get past parsing. {@link #onnxMutations} reads its bytes as
 * choices: which seed model, then edits of the parsed {@code ModelProto} (dims, attribute values and
 * types, data types, data lengths and values, op types, input and output names, node order, opset,
 * the graph input's shape, initializers turned into Constant nodes). Every execution is a well-formed
 * protobuf, so it spends its time in what the reader does with a model, where the reader's own
 * checks are.
 *
 * <p>Seeds and findings: {@code src/test/resources/io/prune4j/onnx/OnnxReaderFuzzTestInputs/<method>/}
 * (written by {@link FuzzSeeds}); see {@link io.prune4j.data.IdxReaderFuzzTest} for the two modes.
 */
class OnnxReaderFuzzTest {
    private static final Backend CPU = new CpuBackend(1);
    private static final String SOURCE = "fuzz.onnx";
    /** The seed models, parsed: the bases {@link #onnxMutations} edits. */
    private static final List<ModelProto> BASES = bases();

    private static List<ModelProto> bases() {
        try {
            List<ModelProto> out = new ArrayList<>();
            for (Path p : FuzzSeeds.committed(OnnxReaderFuzzTest.class, "onnxBytes")) {
                out.add(ModelProto.parseFrom(Files.readAllBytes(p)));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file's bytes as they are. */
    @DictionaryEntries({"Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool", "Add", "Sum",
        "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Identity", "Dropout", "Constant", "kernel_shape", "pads", "strides",
        "dilations", "group", "auto_pad", "SAME_UPPER", "VALID", "axis", "transB", "alpha", "beta", "epsilon", "training_mode",
        "ceil_mode", "value_floats", "ai.onnx", "input", "output"})
    @FuzzTest(maxDuration = "60s")
    void onnxBytes(byte[] input) {
        check(input);
    }

    /** The bytes choose a seed model and edits of it (see {@link Edits}); the edited model is serialized and read. */
    @FuzzTest(maxDuration = "60s")
    void onnxMutations(byte[] input) {
        check(Edits.apply(BASES, input).toByteArray());
    }

    private static void check(byte[] bytes) {
        OnnxModel m;
        try {
            m = OnnxReader.read(bytes, SOURCE, CPU, null);
        } catch (ModelFormatException e) {
            String msg = e.getMessage();
            assertTrue(msg.startsWith(SOURCE + ": ") && !msg.contains("\n") && msg.length() <= 2000,
                    "not a one-line message naming the input: " + msg);
            return;
        }
        try (m) {
            Graph net = m.graph();
            for (Layer l : net.layers()) {
                for (Parameter p : l.parameters()) {
                    finite(l.name() + "." + p.name(), p.value());
                }
                l.buffers().forEach((name, t) -> finite(l.name() + "." + name, t));
            }
            // a network the file allows may be too large to run here (a 10000x10000 input is not a reader's fault)
            if (net.inputSize() <= 1 << 16 && net.flopsPerExample() <= 50_000_000L) {
                int[] shape = new int[net.inputShape().length + 1];
                shape[0] = 1;
                System.arraycopy(net.inputShape(), 0, shape, 1, shape.length - 1);
                try (Tensor x = CPU.zeros(DType.FLOAT32, shape)) {
                    int[] out = new int[net.outputShape().length + 1]; // a vector of scores, or a map
                    out[0] = 1;
                    System.arraycopy(net.outputShape(), 0, out, 1, out.length - 1);
                    assertArrayEquals(out, net.forward(x, false).shape()); // the graph owns the output
                }
            }
        }
    }

    private static void finite(String what, Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new AssertionError("the reader accepted a non-finite weight: " + what + "[" + i + "] = " + v[i]);
            }
        }
    }

    /**
     * Edits of a parsed model, driven by bytes: the first picks the base model, each further group
     * one edit and its arguments. Bytes run out into zeros, so a prefix of an input is an input too,
     * and one byte ({@code [i]}) is base {@code i} unchanged.
     */
    static final class Edits {
        private static final long[] INTS = {0, 1, -1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 64, 255, 256, 4096, 46341, 65535, 65536,
            Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, Integer.MIN_VALUE, 1L << 32, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, -2, 10};
        private static final float[] FLOATS = {0f, 1f, -1f, 0.5f, 6f, 2f, -0f, 1e-5f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        private static final String[] OPS = {"Conv", "BatchNormalization", "Relu", "Clip", "MaxPool", "AveragePool", "GlobalAveragePool",
            "Add", "Sum", "Concat", "Flatten", "Reshape", "Gemm", "MatMul", "Identity", "Dropout", "Constant", "Mul", "", "Softmax"};
        private static final String[] ATTRIBUTES = {"kernel_shape", "pads", "strides", "dilations", "group", "auto_pad", "axis", "transA",
            "transB", "alpha", "beta", "epsilon", "momentum", "training_mode", "spatial", "ceil_mode", "count_include_pad", "storage_order",
            "min", "max", "ratio", "allowzero", "value", "value_float", "value_floats", "value_int", "value_ints", "foo"};
        private static final String[] STRINGS = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "", "bogus"};
        private static final String[] DOMAINS = {"", "ai.onnx", "com.microsoft", "ai.onnx.ml"};

        private final byte[] b;
        private int pos;

        private Edits(byte[] b) {
            this.b = b;
        }

        static ModelProto apply(List<ModelProto> bases, byte[] input) {
            Edits e = new Edits(input);
            ModelProto.Builder m = bases.get(e.pick(bases.size())).toBuilder();
            while (e.pos < e.b.length) {
                e.edit(m);
            }
            return m.build();
        }

        private int pick(int n) {
            return n <= 1 || pos >= b.length ? 0 : (b[pos++] & 0xff) % n;
        }

        private long anInt() {
            return INTS[pick(INTS.length)];
        }

        private float aFloat() {
            return FLOATS[pick(FLOATS.length)];
        }

        /** A value name in the graph (input, initializer, node output), the empty name, or a new one. */
        private String aName(GraphProto.Builder g) {
            List<String> names = new ArrayList<>();
            g.getInputList().forEach(v -> names.add(v.getName()));
            g.getInitializerList().forEach(t -> names.add(t.getName()));
            g.getNodeList().forEach(n -> names.addAll(n.getOutputList()));
            names.add("");
            names.add("fuzz_new");
            return names.get(pick(names.size()));
        }

        private void edit(ModelProto.Builder m) {
            GraphProto.Builder g = m.getGraphBuilder();
            int nodes = g.getNodeCount();
            int inits = g.getInitializerCount();
            switch (pick(18)) {
                case 0 -> {
                    if (nodes > 0) {
                        g.getNodeBuilder(pick(nodes)).setOpType(OPS[pick(OPS.length)]);
                    }
                }
                case 1 -> {
                    if (nodes > 0) {
                        NodeProto.Builder n = g.getNodeBuilder(pick(nodes));
                        AttributeProto a = attribute(ATTRIBUTES[pick(ATTRIBUTES.length)], g);
                        if (pick(4) != 0) { // else a second attribute of that name
                            for (int i = n.getAttributeCount() - 1; i >= 0; i--) {
                                if (n.getAttribute(i).getName().equals(a.getName())) {
                                    n.removeAttribute(i);
                                }
                            }
                        }
                        n.addAttribute(a);
                    }
                }
                case 2 -> {
                    if (nodes > 0) {
                        NodeProto.Builder n = g.getNodeBuilder(pick(nodes));
                        if (n.getAttributeCount() > 0) {
                            n.removeAttribute(pick(n.getAttributeCount()));
                        }
                    }
                }
                case 3 -> {
                    if (inits > 0) {
                        dims(g.getInitializerBuilder(pick(inits)));
                    }
                }
                case 4 -> {
                    if (inits > 0) {
                        g.getInitializerBuilder(pick(inits)).setDataType(pick(18));
                    }
                }
                case 5 -> {
                    if (inits > 0) {
                        data(g.getInitializerBuilder(pick(inits)));
                    }
                }
                case 6 -> {
                    if (inits > 0) {
                        value(g.getInitializerBuilder(pick(inits)));
                    }
                }
                case 7 -> {
                    if (nodes > 0) {
                        NodeProto.Builder n = g.getNodeBuilder(pick(nodes));
                        if (n.getInputCount() > 0) {
                            n.setInput(pick(n.getInputCount()), aName(g));
                        }
                    }
                }
                case 8 -> {
                    if (nodes > 0) {
                        NodeProto.Builder n = g.getNodeBuilder(pick(nodes));
                        if (pick(2) == 0) {
                            n.addInput(aName(g));
                        } else if (n.getInputCount() > 0) {
                            List<String> in = new ArrayList<>(n.getInputList());
                            in.remove(pick(in.size()));
                            n.clearInput().addAllInput(in);
                        }
                    }
                }
                case 9 -> {
                    if (nodes > 0) {
                        order(g);
                    }
                }
                case 10 -> input(g);
                case 11 -> m.getOpsetImportBuilderList().forEach(o -> o.setVersion(pick(2) == 0 ? pick(24) : anInt()));
                case 12 -> {
                    if (nodes > 0) {
                        NodeProto.Builder n = g.getNodeBuilder(pick(nodes));
                        if (pick(3) == 0) {
                            n.addOutput(aName(g));
                        } else if (n.getOutputCount() > 0) {
                            n.setOutput(pick(n.getOutputCount()), aName(g));
                        }
                    }
                }
                case 13 -> {
                    switch (pick(3)) {
                        case 0 -> {
                            if (g.getOutputCount() > 0) {
                                g.getOutputBuilder(0).setName(aName(g));
                            }
                        }
                        case 1 -> g.addOutput(ValueInfoProto.newBuilder().setName(aName(g)));
                        default -> {
                            if (g.getInputCount() > 0) {
                                g.addInput(g.getInput(0).toBuilder().setName(aName(g)));
                            }
                        }
                    }
                }
                case 14 -> {
                    if (nodes > 0) {
                        g.getNodeBuilder(pick(nodes)).setDomain(DOMAINS[pick(DOMAINS.length)]);
                    }
                }
                case 15 -> {
                    if (inits > 0) {
                        TensorProto.Builder t = g.getInitializerBuilder(pick(inits));
                        switch (pick(3)) {
                            case 0 -> t.setDataLocation(TensorProto.DataLocation.EXTERNAL);
                            case 1 -> t.addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("w.bin"));
                            default -> t.setSegment(TensorProto.Segment.newBuilder().setBegin(0).setEnd(anInt()));
                        }
                    }
                }
                case 16 -> {
                    if (inits > 0) {
                        toConstantNode(g, pick(inits));
                    }
                }
                default -> {
                    if (nodes > 0) { // a node of another kind reading what an existing one reads
                        NodeProto src = g.getNode(pick(nodes));
                        NodeProto.Builder n = NodeProto.newBuilder().setOpType(OPS[pick(OPS.length)]).setName("fuzz_" + pos)
                                .addAllInput(src.getInputList()).addOutput("fuzz_" + pos);
                        g.addNode(pick(nodes + 1), n);
                    }
                }
            }
        }

        private AttributeProto attribute(String name, GraphProto.Builder g) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
            switch (pick(8)) {
                case 0 -> a.setType(AttributeProto.AttributeType.INT).setI(anInt());
                case 1 -> {
                    a.setType(AttributeProto.AttributeType.INTS);
                    int n = pick(6);
                    long v = anInt();
                    for (int i = 0; i < n; i++) {
                        a.addInts(pick(3) == 0 ? anInt() : v);
                    }
                }
                case 2 -> a.setType(AttributeProto.AttributeType.FLOAT).setF(aFloat());
                case 3 -> {
                    a.setType(AttributeProto.AttributeType.FLOATS);
                    int n = pick(6);
                    for (int i = 0; i < n; i++) {
                        a.addFloats(aFloat());
                    }
                }
                case 4 -> a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(STRINGS[pick(STRINGS.length)]));
                case 5 -> {
                    a.setType(AttributeProto.AttributeType.TENSOR);
                    if (g.getInitializerCount() > 0) {
                        a.setT(g.getInitializer(pick(g.getInitializerCount())));
                    }
                }
                case 6 -> a.setI(anInt()); // UNDEFINED type, as old exporters write
                default -> a.setType(AttributeProto.AttributeType.GRAPH);
            }
            return a.build();
        }

        private void dims(TensorProto.Builder t) {
            List<Long> d = new ArrayList<>(t.getDimsList());
            switch (pick(4)) {
                case 0 -> {
                    if (!d.isEmpty()) {
                        d.set(pick(d.size()), anInt());
                    }
                }
                case 1 -> d.add(pick(d.size() + 1), anInt());
                case 2 -> {
                    if (!d.isEmpty()) {
                        d.remove(pick(d.size()));
                    }
                }
                default -> { // two extents swapped: same count, another shape
                    if (d.size() > 1) {
                        int i = pick(d.size());
                        int j = pick(d.size());
                        Long x = d.get(i);
                        d.set(i, d.get(j));
                        d.set(j, x);
                    }
                }
            }
            t.clearDims().addAllDims(d);
        }

        private void data(TensorProto.Builder t) {
            ByteString raw = t.getRawData();
            switch (pick(5)) {
                case 0 -> t.setRawData(raw.substring(0, raw.size() - Math.min(raw.size(), 1 + pick(8))));
                case 1 -> t.setRawData(raw.concat(ByteString.copyFrom(new byte[1 + pick(8)])));
                case 2 -> t.setRawData(raw.substring(0, raw.size() / 2));
                case 3 -> { // raw data as float_data (or back), one value more or fewer at times
                    if (t.hasRawData()) {
                        ByteBuffer f = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                        t.clearRawData();
                        while (f.remaining() >= 4) {
                            t.addFloatData(f.getFloat());
                        }
                    }
                    switch (pick(3)) {
                        case 0 -> t.addFloatData(1f);
                        case 1 -> {
                            if (t.getFloatDataCount() > 0) {
                                List<Float> v = new ArrayList<>(t.getFloatDataList());
                                v.remove(v.size() - 1);
                                t.clearFloatData().addAllFloatData(v);
                            }
                        }
                        default -> { }
                    }
                }
                default -> t.clearRawData().addInt64Data(anInt()).addInt32Data((int) anInt());
            }
        }

        private void value(TensorProto.Builder t) {
            float v = aFloat();
            if (t.hasRawData() && t.getRawData().size() >= 4) {
                byte[] raw = t.getRawData().toByteArray();
                int i = pick(raw.length / 4);
                ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).putFloat(4 * i, v);
                t.setRawData(ByteString.copyFrom(raw));
            } else if (t.getFloatDataCount() > 0) {
                t.setFloatData(pick(t.getFloatDataCount()), v);
            }
        }

        private void order(GraphProto.Builder g) {
            List<NodeProto> n = new ArrayList<>(g.getNodeList());
            int i = pick(n.size());
            switch (pick(3)) {
                case 0 -> {
                    int j = pick(n.size());
                    NodeProto x = n.get(i);
                    n.set(i, n.get(j));
                    n.set(j, x);
                }
                case 1 -> n.remove(i);
                default -> n.add(pick(n.size() + 1), n.get(i));
            }
            g.clearNode().addAllNode(n);
        }

        private void input(GraphProto.Builder g) {
            if (g.getInputCount() == 0) {
                return;
            }
            ValueInfoProto.Builder v = g.getInputBuilder(0);
            if (pick(4) == 0) {
                v.getTypeBuilder().getTensorTypeBuilder().setElemType(pick(18));
                return;
            }
            TensorShapeProto.Builder s = v.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
            switch (pick(4)) {
                case 0 -> {
                    if (s.getDimCount() > 0) {
                        s.getDimBuilder(pick(s.getDimCount())).setDimValue(anInt());
                    }
                }
                case 1 -> {
                    if (s.getDimCount() > 0) {
                        s.getDimBuilder(pick(s.getDimCount())).clearDimValue().setDimParam("N");
                    }
                }
                case 2 -> s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(anInt()));
                default -> {
                    if (s.getDimCount() > 0) {
                        s.removeDim(pick(s.getDimCount()));
                    }
                }
            }
        }

        /** Initializer {@code k} becomes a Constant node (value, or value_floats of its floats) at the graph's start. */
        private void toConstantNode(GraphProto.Builder g, int k) {
            TensorProto t = g.getInitializer(k);
            g.removeInitializer(k);
            for (int i = g.getInputCount() - 1; i >= 0; i--) {
                if (g.getInput(i).getName().equals(t.getName())) {
                    g.removeInput(i);
                }
            }
            AttributeProto.Builder a = AttributeProto.newBuilder();
            if (pick(2) == 0 && t.getDataType() == TensorProto.DataType.FLOAT_VALUE && t.hasRawData()) {
                a.setName("value_floats").setType(AttributeProto.AttributeType.FLOATS);
                ByteBuffer f = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (f.remaining() >= 4) {
                    a.addFloats(f.getFloat());
                }
            } else {
                a.setName("value").setType(AttributeProto.AttributeType.TENSOR).setT(t.toBuilder().clearName());
            }
            g.addNode(0, NodeProto.newBuilder().setOpType("Constant").setName("const_" + t.getName()).addOutput(t.getName())
                    .addAttribute(a));
        }
    }

    /** The committed seeds read, so fuzzing starts from models that get through every check. */
    @Test
    void seedsAreValidModels() throws IOException {
        List<Path> seeds = FuzzSeeds.committed(OnnxReaderFuzzTest.class, "onnxBytes");
        assertTrue(seeds.size() >= 5, "seeds " + seeds);
        for (Path p : seeds) {
            try (OnnxModel m = OnnxReader.read(p, CPU, null)) {
                assertTrue(m.graph().parameterCount() > 0, p.toString());
            }
        }
        List<Path> choices = FuzzSeeds.committed(OnnxReaderFuzzTest.class, "onnxMutations");
        assertEquals(seeds.size(), choices.size(), "one onnxMutations seed per model");
        for (int i = 0; i < choices.size(); i++) {
            byte[] c = Files.readAllBytes(choices.get(i));
            assertEquals(BASES.get(i), Edits.apply(BASES, c), choices.get(i) + " is base " + i + " unchanged");
            assertEquals(seeds.get(i).getFileName(), choices.get(i).getFileName(), "same names, same order");
        }
    }

    /** The edits are what they say: a byte string that edits gives a valid protobuf with the edit in it. */
    @Test
    void editsChangeTheModel() throws InvalidProtocolBufferException {
        // base 0, edit 0 (op type) of node 0 to OPS[19]
        ModelProto m = Edits.apply(BASES, new byte[] {0, 0, 0, 19});
        assertEquals("Softmax", ModelProto.parseFrom(m.toByteArray()).getGraph().getNode(0).getOpType());
    }
}
