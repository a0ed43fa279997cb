package io.prune4j.onnx;

import com.google.protobuf.ByteString;
import io.prune4j.onnx.proto.AttributeProto;
import io.prune4j.onnx.proto.GraphProto;
import io.prune4j.onnx.proto.ModelProto;
import io.prune4j.onnx.proto.NodeProto;
import io.prune4j.onnx.proto.OperatorSetIdProto;
import io.prune4j.onnx.proto.TensorProto;
import io.prune4j.onnx.proto.TensorShapeProto;
import io.prune4j.onnx.proto.TypeProto;
import io.prune4j.onnx.proto.ValueInfoProto;
import io.prune4j.testing.Check;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Builds small ONNX models in tests with the generated protobuf classes: one node at a time. */
final class OnnxBuild {
    final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    final SplittableRandom rng;
    int opset = 17;
    private int counter;

    OnnxBuild(long seed) {
        rng = new SplittableRandom(seed);
    }

    /** The graph input {@code input}: a symbolic batch, then {@code shape}. */
    OnnxBuild input(String name, long... shape) {
        graph.addInput(value(name, true, shape));
        return this;
    }

    OnnxBuild output(String name, long... shape) {
        graph.addOutput(value(name, true, shape));
        return this;
    }

    static ValueInfoProto value(String name, boolean symbolicBatch, long... shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        if (symbolicBatch) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
        }
        for (long d : shape) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    /** A FLOAT initializer of random values (scale {@code scale}) and the given dims; returns its name. */
    String weight(String name, double scale, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        graph.addInitializer(floats(name, Check.gaussian(rng, (int) n, scale), dims));
        return name;
    }

    /** A FLOAT initializer of positive values in [lo, hi) (variances). */
    String positive(String name, double lo, double hi, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
        graph.addInitializer(floats(name, v, dims));
        return name;
    }

    String constant(String name, float[] values, long... dims) {
        graph.addInitializer(floats(name, values, dims));
        return name;
    }

    String ints(String name, long[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        graph.addInitializer(t);
        return name;
    }

    static TensorProto floats(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** Adds a node {@code op} reading {@code inputs} and writing one fresh value, which it returns. */
    String node(String op, String[] inputs, AttributeProto... attributes) {
        String out = op.toLowerCase() + "_" + (counter++);
        node(op, out, inputs, attributes);
        return out;
    }

    NodeProto.Builder node(String op, String out, String[] inputs, AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(op + "_" + (counter++)).addOutput(out);
        for (String i : inputs) {
            n.addInput(i);
        }
        for (AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        graph.addNode(n);
        return graph.getNodeBuilder(graph.getNodeCount() - 1);
    }

    static String[] in(String... names) {
        return names;
    }

    static AttributeProto i(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto f(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto s(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    static AttributeProto tensor(String name, TensorProto t) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.TENSOR).setT(t).build();
    }

    ModelProto model() {
        return ModelProto.newBuilder().setIrVersion(opset >= 15 ? 8 : 7).setProducerName("prune4j-test")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(graph).build();
    }

    byte[] bytes() {
        return model().toByteArray();
    }
}
