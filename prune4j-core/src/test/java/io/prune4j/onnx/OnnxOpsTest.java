package io.prune4j.onnx;

import static io.prune4j.onnx.OnnxBuild.f;
import static io.prune4j.onnx.OnnxBuild.i;
import static io.prune4j.onnx.OnnxBuild.in;
import static io.prune4j.onnx.OnnxBuild.ints;
import static io.prune4j.onnx.OnnxBuild.s;
import static io.prune4j.onnx.OnnxBuild.tensor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Clamp;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Relu;
import io.prune4j.testing.Check;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each operator and attribute form the reader takes, in small models built here: prune4j's import
 * computes what ONNX Runtime computes on the same file (1e-5 relative to the output's scale).
 */
class OnnxOpsTest {
    static final CpuBackend CPU = new CpuBackend(1);

    @AfterAll
    static void close() {
        CPU.close();
    }

    record Case(String name, Function<OnnxBuild, OnnxBuild> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("conv with bias, pads and strides, relu, gap, gemm transB", b -> {
                    b.input("input", 3, 9, 9);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 6, 3, 3, 3), b.weight("c.bias", 0.1, 6)),
                            ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2), ints("dilations", 1, 1), i("group", 1));
                    x = b.node("Relu", in(x));
                    x = b.node("GlobalAveragePool", in(x));
                    x = b.node("Flatten", in(x), i("axis", 1));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 4, 6), b.weight("fc.bias", 0.1, 4)), i("transB", 1));
                    return b.output("output", 4);
                }),
                new Case("auto_pad SAME_UPPER, depthwise, MatMul + Add", b -> {
                    b.input("input", 4, 7, 7);
                    String x = b.node("Conv", in("input", b.weight("c1.weight", 0.3, 4, 4, 3, 3)), s("auto_pad", "SAME_UPPER"));
                    x = b.node("Conv", in(x, b.weight("dw.weight", 0.3, 4, 1, 3, 3)), i("group", 4), ints("pads", 1, 1, 1, 1));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    x = b.node("MatMul", in(x, b.weight("m", 0.3, 4, 5)));
                    b.node("Add", "output", in(b.weight("m.bias", 0.1, 5), x)); // the constant first
                    return b.output("output", 5);
                }),
                new Case("grouped VALID conv, BatchNormalization opset 9, MaxPool and AveragePool with pads, Reshape, Gemm alpha beta", b -> {
                    b.opset = 9;
                    b.input("input", 4, 10, 10);
                    String x = b.node("Conv", in("input", b.weight("g.weight", 0.3, 6, 2, 3, 3)), i("group", 2), s("auto_pad", "VALID"));
                    x = b.node("BatchNormalization", in(x, b.positive("bn.weight", 0.5, 1.5, 6), b.weight("bn.bias", 0.2, 6),
                            b.weight("bn.running_mean", 0.2, 6), b.positive("bn.running_var", 0.5, 1.5, 6)), f("epsilon", 1e-3f),
                            f("momentum", 0.8f));
                    x = b.node("MaxPool", in(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1));
                    x = b.node("AveragePool", in(x), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), i("count_include_pad", 1));
                    x = b.node("Reshape", in(x, b.ints("shape", new long[] {0, -1}, 2)));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 96, 3), b.weight("fc.bias", 0.1, 1, 3)), f("alpha", 0.5f),
                            f("beta", 2f));
                    return b.output("output", 3);
                }),
                new Case("Clip from inputs (ReLU6, min only, Constant bounds), AveragePool without pads counted, Reshape [-1, F], scalar bias",
                        b -> {
                    b.opset = 13;
                    b.input("input", 2, 6, 6);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 1.5, 4, 2, 3, 3)), ints("pads", 1, 1, 1, 1));
                    x = b.node("Clip", in(x, b.constant("zero", new float[] {0}), b.constant("six", new float[] {6})));
                    String lo = b.node("Constant", in(), tensor("value", OnnxBuild.floats("", new float[] {-1f})));
                    String hi = b.node("Constant", in(), f("value_float", 0.75f));
                    String y = b.node("Clip", in(b.node("Conv", in(x, b.weight("c2.weight", 0.5, 4, 4, 1, 1))), lo, hi));
                    x = b.node("Clip", in(b.node("Add", in(x, y)), "zero")); // min only: a ReLU
                    x = b.node("AveragePool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                            i("count_include_pad", 0));
                    x = b.node("Reshape", in(x, b.ints("shape", new long[] {-1, 64}, 2)));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 64, 3), b.constant("c", new float[] {0.25f})));
                    return b.output("output", 3);
                }),
                new Case("Clip and Dropout with attributes (opset 10)", b -> {
                    b.opset = 10;
                    b.input("input", 12);
                    String x = b.node("Gemm", in("input", b.weight("fc1.weight", 0.5, 8, 12), b.weight("fc1.bias", 0.2, 8)), i("transB", 1));
                    x = b.node("Clip", in(x), f("min", 0f), f("max", 6f));
                    x = b.node("Dropout", in(x), f("ratio", 0.3f));
                    x = b.node("Clip", in(x), f("min", -0.5f));
                    b.node("Gemm", "output", in(x, b.weight("fc2.weight", 0.5, 8, 3), b.weight("fc2.bias", 0.1, 3))); // C is required before opset 11
                    return b.output("output", 3);
                }),
                new Case("Dropout with ratio and training_mode inputs, Identity, Sum of three, Concat axis -3", b -> {
                    b.opset = 13;
                    b.input("input", 3, 5, 5);
                    String a = b.node("Conv", in("input", b.weight("a.weight", 0.3, 4, 3, 1, 1)));
                    String c = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
                    String d = b.node("Identity", in(a));
                    String sum = b.node("Sum", in(a, c, d));
                    String cat = b.node("Concat", in(sum, "input"), i("axis", -3));
                    String keep = b.node("Dropout", in(cat, b.constant("ratio", new float[] {0.5f}),
                            boolConstant(b, "train", false)));
                    String x = b.node("Flatten", in(b.node("GlobalAveragePool", in(keep))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 7)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("x.view(x.size(0), -1): Shape, Gather, Unsqueeze, Concat, Reshape (opset 13)", b -> {
                    b.opset = 13;
                    b.input("input", 2, 4, 4);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 3, 2, 3, 3)), ints("pads", 1, 1, 1, 1));
                    String size = b.node("Shape", in(x));
                    String n = b.node("Gather", in(size, b.ints("zero", new long[] {0}, new long[0])), i("axis", 0));
                    String n1 = b.node("Unsqueeze", in(n, b.ints("axes", new long[] {0}, 1)));
                    String target = b.node("Concat", in(n1, b.ints("minus1", new long[] {-1}, 1)), i("axis", 0));
                    x = b.node("Reshape", in(x, target));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 48), b.weight("fc.bias", 0.1, 2)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("x.view(x.shape[0], C*H*W) through Slice, Squeeze, Cast, Unsqueeze axes attribute (opset 11)", b -> {
                    b.opset = 11;
                    b.input("input", 2, 3, 3);
                    String size = b.node("Shape", in("input"));
                    String first = b.node("Slice", in(size, b.ints("s0", new long[] {0}, 1), b.ints("s1", new long[] {1}, 1)));
                    String n = b.node("Cast", in(b.node("Squeeze", in(first), ints("axes", 0))), i("to", 7));
                    String n1 = b.node("Unsqueeze", in(n), ints("axes", 0));
                    String target = b.node("Concat", in(n1, b.ints("features", new long[] {18}, 1)), i("axis", 0));
                    String x = b.node("Reshape", in("input", target));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 18, 3)));
                    return b.output("output", 3);
                }),
                new Case("MaxPool ceil_mode (a partial window kept, and the last-window rule), AveragePool ceil_mode that changes nothing,"
                        + " ReduceMean over [2, 3] without keepdims", b -> {
                    b.opset = 13;
                    b.input("input", 3, 11, 10);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3)));          // 9x8
                    x = b.node("MaxPool", in(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2), i("ceil_mode", 1)); // 4x4 (floor: 4x3)
                    x = b.node("MaxPool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                            i("ceil_mode", 1));                                                                    // 3x3 (ceil alone: 4x4)
                    x = b.node("AveragePool", in(x), ints("kernel_shape", 3, 3), ints("strides", 1, 1), ints("pads", 1, 1, 1, 1),
                            i("ceil_mode", 1), i("count_include_pad", 0));                                         // 3x3 either way
                    x = b.node("ReduceMean", in(x), ints("axes", 2, 3), i("keepdims", 0));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("ReduceMean with axes as an input, kept dims (opset 18), then Flatten", b -> {
                    b.opset = 18;
                    b.input("input", 3, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 1, 1)));
                    x = b.node("ReduceMean", in(x, b.ints("axes", new long[] {-1, -2}, 2)), i("keepdims", 1));
                    x = b.node("Flatten", in(x));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("activations with ONNX's default attributes: LeakyRelu, HardSigmoid, Elu; Sigmoid, Tanh, HardSwish (opset 14)", b -> {
                    b.opset = 14;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 2.0, 6, 2, 3, 3)), ints("pads", 1, 1, 1, 1));
                    String a = b.node("LeakyRelu", in(x));
                    String h = b.node("HardSigmoid", in(x));
                    String e = b.node("Elu", in(x));
                    String s = b.node("Sigmoid", in(x));
                    String t = b.node("Tanh", in(x));
                    String w = b.node("HardSwish", in(x));
                    x = b.node("Sum", in(a, h, e, s, t, w));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("activations with attributes: LeakyRelu alpha 0.2, HardSigmoid 0.1 / 0.4, Elu 0.7", b -> {
                    b.input("input", 8);
                    String x = b.node("Gemm", in("input", b.weight("fc1.weight", 2.0, 8, 8)), i("transB", 1));
                    x = b.node("LeakyRelu", in(x), f("alpha", 0.2f));
                    x = b.node("Elu", in(x), f("alpha", 0.7f));
                    x = b.node("HardSigmoid", in(x), f("alpha", 0.1f), f("beta", 0.4f));
                    b.node("Gemm", "output", in(x, b.weight("fc2.weight", 0.5, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("SiLU as PyTorch writes it: Sigmoid, then Mul(x, sigmoid) (opset 13)", b -> {
                    b.opset = 13;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 1.5, 4, 2, 3, 3)), ints("pads", 1, 1, 1, 1));
                    x = b.node("Mul", in(x, b.node("Sigmoid", in(x))));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("squeeze-and-excitation, torchvision's: GlobalAveragePool, Conv, Relu, Conv, HardSigmoid, Mul(gate, x)", b -> {
                    b.opset = 13;
                    b.input("input", 3, 6, 6);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 8, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
                    return squeezeExcitation(b, x, b.node("HardSigmoid", in(excitation(b, x)), f("alpha", 1f / 6), f("beta", 0.5f)), true);
                }),
                new Case("squeeze-and-excitation with a Sigmoid gate, Mul(x, gate) (opset 17)", b -> {
                    b.input("input", 3, 6, 6);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 8, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
                    return squeezeExcitation(b, x, b.node("Sigmoid", in(excitation(b, x))), false);
                }),
                new Case("Mul of two different tensors of one shape, feature maps and vectors", b -> {
                    b.input("input", 3, 5, 5);
                    String p = b.node("Conv", in("input", b.weight("p.weight", 0.5, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1));
                    String q = b.node("Conv", in("input", b.weight("q.weight", 0.5, 4, 3, 1, 1)));
                    String x = b.node("Flatten", in(b.node("GlobalAveragePool", in(b.node("Mul", in(p, q))))));
                    String h = b.node("Gemm", in(x, b.weight("h.weight", 0.5, 6, 4)), i("transB", 1));
                    String k = b.node("Gemm", in(x, b.weight("k.weight", 0.5, 6, 4)), i("transB", 1));
                    b.node("Gemm", "output", in(b.node("Mul", in(h, k)), b.weight("fc.weight", 0.3, 2, 6)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("a final Softmax (opset 13, axis -1 by default)", b -> {
                    b.opset = 13;
                    b.input("input", 6);
                    String x = b.node("Gemm", in("input", b.weight("fc.weight", 1.0, 4, 6)), i("transB", 1));
                    b.node("Softmax", "output", in(x));
                    return b.output("output", 4);
                }),
                new Case("a final LogSoftmax (opset 11, axis 1)", b -> {
                    b.opset = 11;
                    b.input("input", 6);
                    String x = b.node("Gemm", in("input", b.weight("fc.weight", 1.0, 4, 6)), i("transB", 1));
                    b.node("LogSoftmax", "output", in(x), i("axis", 1));
                    return b.output("output", 4);
                }),
                new Case("Split by attribute (opset 11), a channel shuffle through [0, 2, -1, H, W] and [-1, C, H, W], a Slice from -6 to the end",
                        b -> {
                    b.opset = 11;
                    b.input("input", 3, 6, 6);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 8, 3, 1, 1)));
                    b.node("Split", "s0", in(x), i("axis", 1), ints("split", 3, 5)).addOutput("s1");
                    String y = b.node("Relu", in(b.node("Conv", in("s1", b.weight("b.weight", 0.3, 5, 5, 3, 3)), ints("pads", 1, 1, 1, 1))));
                    String z = b.node("Reshape", in(b.node("Concat", in(y, "s0"), i("axis", 1)), b.ints("to5", new long[] {0, 2, -1, 6, 6}, 5)));
                    z = b.node("Transpose", in(z), ints("perm", 0, 2, 1, 3, 4));
                    z = b.node("Reshape", in(z, b.ints("to4", new long[] {-1, 8, 6, 6}, 4)));
                    z = b.node("Slice", in(z, b.ints("from", new long[] {-6}, 1), b.ints("end", new long[] {Long.MAX_VALUE}, 1),
                            b.ints("axes", new long[] {1}, 1)));
                    z = b.node("Flatten", in(b.node("GlobalAveragePool", in(z))));
                    b.node("Gemm", "output", in(z, b.weight("fc.weight", 0.5, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("an even Split without sizes (opset 13), a Slice on axis -3, shape arithmetic (Shape, Gather, Div, Mul, Sub)", b -> {
                    b.opset = 13;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 8, 2, 3, 3)), ints("pads", 1, 1, 1, 1));
                    b.node("Split", "h0", in(x), i("axis", 1)).addOutput("h1");
                    String c = b.node("Gather", in(b.node("Shape", in("h1")), b.ints("one", new long[] {1}, 1)), i("axis", 0));
                    String half = b.node("Div", in(c, b.ints("two", new long[] {2}, 1)));
                    String end = b.node("Sub", in(b.node("Mul", in(half, b.ints("three", new long[] {3}, 1))), b.ints("uno", new long[] {1}, 1)));
                    String y = b.node("Slice", in("h1", half, end, b.ints("ax", new long[] {-3}, 1)));  // channels [2, 5) of 4: [2, 4)
                    y = b.node("Conv", in(y, b.weight("y.weight", 0.5, 4, 2, 1, 1)));
                    String z = b.node("Concat", in("h0", y), i("axis", 1));
                    z = b.node("Flatten", in(b.node("GlobalAveragePool", in(z))));
                    b.node("Gemm", "output", in(z, b.weight("fc.weight", 0.5, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Split into num_outputs 3 of 7 channels (opset 18: 3, 3, 1), the middle part read by nothing, a shuffle in 2 groups", b -> {
                    b.opset = 18;
                    b.input("input", 3, 4, 4);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 7, 3, 1, 1)));
                    b.node("Split", "p0", in(x), i("axis", 1), i("num_outputs", 3)).addOutput("p1").addOutput("p2");
                    String z = b.node("Reshape", in(b.node("Concat", in("p2", "p0"), i("axis", 1)), b.ints("to5", new long[] {0, 2, 2, 4, 4}, 5)));
                    z = b.node("Transpose", in(z), ints("perm", 0, 2, 1, 3, 4));
                    z = b.node("Reshape", in(z, b.ints("to4", new long[] {0, -1, 4, 4}, 4)));
                    z = b.node("Flatten", in(b.node("GlobalAveragePool", in(z))));
                    b.node("Gemm", "output", in(z, b.weight("fc.weight", 0.5, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("opset 21: AveragePool-19 with dilations 1, a shuffle of Reshape-21 and Transpose-21, Flatten-21", b -> {
                    b.opset = 21;
                    b.input("input", 2, 6, 6);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 6, 2, 3, 3)), ints("pads", 1, 1, 1, 1));
                    x = b.node("AveragePool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2), ints("dilations", 1, 1));
                    String z = b.node("Reshape", in(x, b.ints("to5", new long[] {0, 3, 2, 3, 3}, 5)));
                    z = b.node("Transpose", in(z), ints("perm", 0, 2, 1, 3, 4));
                    z = b.node("Reshape", in(z, b.ints("to4", new long[] {0, 6, 3, 3}, 4)));
                    z = b.node("Flatten", in(z), i("axis", 1));
                    b.node("Gemm", "output", in(z, b.weight("fc.weight", 0.3, 3, 54)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("opset 22: Conv-22 with bias and group 2, MaxPool-22 ceil mode, GlobalAveragePool-22, HardSwish-22", b -> {
                    b.opset = 22;
                    b.input("input", 4, 7, 7);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 6, 2, 3, 3), b.weight("c.bias", 0.2, 6)), i("group", 2));
                    x = b.node("MaxPool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2), i("ceil_mode", 1));
                    x = b.node("HardSwish", in(x));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("GlobalMaxPool on one branch, ReduceMax over [2, 3] without kept dims (opset 13) and with axes as an input (18)", b -> {
                    b.opset = 18;
                    b.input("input", 3, 6, 6);
                    String x = b.node("Relu", in(b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 3, 3, 3)), ints("pads", 1, 1, 1, 1))));
                    String p = b.node("Flatten", in(b.node("GlobalMaxPool", in(x))));
                    String q = b.node("ReduceMax", in(x, b.ints("axes", new long[] {2, 3}, 2)), i("keepdims", 0));
                    String y = b.node("Concat", in(p, q), i("axis", 1));
                    b.node("Gemm", "output", in(y, b.weight("fc.weight", 0.3, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("ReduceMax with the axes attribute and kept dims (opset 13), then Flatten", b -> {
                    b.opset = 13;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 1, 1)));
                    x = b.node("Flatten", in(b.node("ReduceMax", in(x), ints("axes", -2, -1), i("keepdims", 1))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 4)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("an initializer shared through Identity, BatchNormalization opset 15 with training_mode 0, a dead branch", b -> {
                    b.opset = 15;
                    b.input("input", 3, 6, 6);
                    String w = b.weight("shared.weight", 0.3, 3, 3, 3, 3);
                    String w2 = b.node("Identity", in(w));
                    String a = b.node("Conv", in("input", w), ints("pads", 1, 1, 1, 1));
                    String c = b.node("Conv", in(a, w2), ints("pads", 1, 1, 1, 1));
                    String x = b.node("BatchNormalization", in(c, b.positive("bn.weight", 0.5, 1.5, 3), b.weight("bn.bias", 0.2, 3),
                            b.weight("bn.mean", 0.2, 3), b.positive("bn.var", 0.5, 1.5, 3)), i("training_mode", 0));
                    b.node("Relu", in(a)); // read by nothing the output needs
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("MatMul", "output", in(x, b.weight("m", 0.3, 3, 2)));
                    return b.output("output", 2);
                }),
                new Case("ConvNeXt's channels-last block (opset 17): Transpose to channels-last, LayerNormalization, MatMul with its bias"
                        + " Add first, GELU as Div-Erf-Add-Mul-Mul, MatMul-Add-Relu, Mul by a per-channel constant, Transpose back, Add", b -> {
                    b.opset = 17;
                    b.input("input", 3, 5, 4);
                    String x = b.node("Conv", in("input", b.weight("stem.weight", 0.5, 6, 3, 3, 3), b.weight("stem.bias", 0.2, 6)),
                            ints("pads", 1, 1, 1, 1));
                    String t = b.node("Transpose", in(x), ints("perm", 0, 2, 3, 1));
                    t = b.node("LayerNormalization", in(t, b.positive("ln.weight", 0.5, 1.5, 6), b.weight("ln.bias", 0.2, 6)),
                            i("axis", -1), f("epsilon", 1e-6f));
                    t = b.node("Add", in(b.weight("pw1.bias", 0.2, 12), b.node("MatMul", in(t, b.weight("pw1", 0.4, 6, 12)))));
                    String d = b.node("Div", in(t, b.constant("sqrt2", new float[] {(float) Math.sqrt(2)})));
                    String e = b.node("Add", in(b.node("Erf", in(d)), b.constant("one", new float[] {1f})));
                    t = b.node("Mul", in(b.node("Mul", in(t, e)), b.constant("half", new float[] {0.5f})));
                    t = b.node("Relu", in(b.node("Add", in(b.node("MatMul", in(t, b.weight("pw2", 0.4, 12, 6))), b.weight("pw2.bias", 0.2, 6)))));
                    t = b.node("Mul", in(t, b.positive("scale", 0.5, 1.5, 6)));
                    x = b.node("Add", in(x, b.node("Transpose", in(t), ints("perm", 0, 3, 1, 2))));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("LayerNorm on a vector as opset 13 writes it (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div; no affine), GELU"
                        + " written by hand with the Mul by 0.5 first and a Mul by 1/sqrt(2)", b -> {
                    b.opset = 13;
                    b.input("input", 7);
                    String x = b.node("Gemm", in("input", b.weight("fc1.weight", 0.5, 9, 7), b.weight("fc1.bias", 0.3, 9)), i("transB", 1));
                    String m = b.node("ReduceMean", in(x), ints("axes", -1));
                    String dv = b.node("Sub", in(x, m));
                    String v = b.node("ReduceMean", in(b.node("Pow", in(dv, b.constant("two", new float[] {2f})))), ints("axes", -1));
                    String n = b.node("Div", in(dv, b.node("Sqrt", in(b.node("Add", in(v, b.constant("eps", new float[] {1e-5f})))))));
                    String h = b.node("Mul", in(n, b.constant("half", new float[] {0.5f})));
                    String e = b.node("Erf", in(b.node("Mul", in(n, b.constant("rsqrt2", new float[] {(float) (1 / Math.sqrt(2))})))));
                    String g = b.node("Mul", in(h, b.node("Add", in(b.constant("one", new float[] {1f}), e))));
                    b.node("Gemm", "output", in(g, b.weight("fc2.weight", 0.3, 3, 9)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("a channels-first LayerNorm written out as the original ConvNeXt code does, at opset 18 (the axes of"
                        + " ReduceMean an input): mean over axis 1, Sub, Pow, mean, Add, Sqrt, Div, Mul by [C, 1, 1] first, Add", b -> {
                    b.opset = 18;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 6, 2, 3, 3), b.weight("c.bias", 0.5, 6)));
                    String axes = b.ints("axes", new long[] {1}, 1);
                    String dv = b.node("Sub", in(x, b.node("ReduceMean", in(x, axes))));
                    String v = b.node("ReduceMean", in(b.node("Pow", in(dv, b.constant("two", new float[] {2f}))), axes));
                    String n = b.node("Div", in(dv, b.node("Sqrt", in(b.node("Add", in(v, b.constant("eps", new float[] {1e-6f})))))));
                    n = b.node("Add", in(b.node("Mul", in(b.positive("onnx::Mul_7", 0.5, 1.5, 6, 1, 1), n)), b.weight("onnx::Add_8", 0.2, 6, 1, 1)));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(n))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("opset 20: Gelu on a map (approximate none), LayerNormalization on a vector without a bias", b -> {
                    b.opset = 20;
                    b.input("input", 2, 4, 4);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 5, 2, 3, 3), b.weight("c.bias", 0.5, 5)));
                    x = b.node("Gelu", in(x), s("approximate", "none"));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    x = b.node("LayerNormalization", in(x, b.positive("ln.weight", 0.5, 1.5, 5)), i("axis", 1));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 5)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Inception's uneven padding (opset 13): Conv 1x7 pads [0, 3, 0, 3] and 7x1 [3, 0, 3, 0], a Pad of zeros"
                        + " before AveragePool, AveragePool pads [0, 0, 1, 1] counted, auto_pad SAME_UPPER and SAME_LOWER with stride 2", b -> {
                    b.opset = 13;
                    b.input("input", 3, 10, 9);
                    String x = b.node("Conv", in("input", b.weight("a.weight", 0.3, 4, 3, 1, 7), b.weight("a.bias", 0.1, 4)),
                            ints("kernel_shape", 1, 7), ints("pads", 0, 3, 0, 3));
                    x = b.node("Relu", in(b.node("Conv", in(x, b.weight("b.weight", 0.3, 4, 4, 7, 1)), ints("pads", 3, 0, 3, 0))));
                    String p = b.node("Pad", in(x, b.ints("p.pads", new long[] {0, 0, 1, 1, 0, 0, 1, 1}, 8), b.constant("zero", new float[] {0})),
                            s("mode", "constant"));
                    String y = b.node("AveragePool", in(p), ints("kernel_shape", 3, 3), ints("strides", 1, 1));
                    String z = b.node("AveragePool", in(x), ints("kernel_shape", 2, 2), ints("pads", 0, 0, 1, 1), i("count_include_pad", 1));
                    z = b.node("Conv", in(z, b.weight("c.weight", 0.3, 4, 4, 3, 3)), s("auto_pad", "SAME_UPPER"), ints("strides", 2, 2));
                    y = b.node("Conv", in(y, b.weight("d.weight", 0.3, 4, 4, 2, 2)), s("auto_pad", "SAME_LOWER"), ints("strides", 2, 2));
                    x = b.node("Concat", in(y, z), i("axis", 1));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Pad-18 over axes [2, 3] without a value, before a Conv with pads of more than half its kernel", b -> {
                    b.opset = 18;
                    b.input("input", 2, 5, 6);
                    String x = b.node("Pad", in("input", b.ints("p.pads", new long[] {2, 0, 1, 3}, 4), "", b.ints("p.axes", new long[] {2, 3}, 2)));
                    x = b.node("Conv", in(x, b.weight("c.weight", 0.3, 4, 2, 3, 3)), ints("pads", 2, 2, 2, 2));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Pad-2 with its pads and value as attributes (opset 9)", b -> {
                    b.opset = 9;
                    b.input("input", 2, 4, 4);
                    String x = b.node("Pad", in("input"), ints("pads", 0, 0, 0, 1, 0, 0, 2, 0), f("value", 0f));
                    x = b.node("Conv", in(x, b.weight("c.weight", 0.3, 3, 2, 3, 3), b.weight("c.bias", 0.1, 3)));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 3), b.weight("fc.bias", 0.1, 3)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("nn.ZeroPad2d((1, 0, 2, 1)) as torch 1.13 writes its pads: ConstantOfShape, Concat, Reshape [-1, 2], Slice of"
                        + " step -1, Transpose, Reshape [-1], Cast (opset 13)", b -> {
                    b.opset = 13;
                    b.input("input", 2, 5, 6);
                    io.prune4j.onnx.proto.TensorProto zero = io.prune4j.onnx.proto.TensorProto.newBuilder().addDims(1)
                            .setDataType(io.prune4j.onnx.proto.TensorProto.DataType.INT64_VALUE).addInt64Data(0).build();
                    String t = b.node("ConstantOfShape", in(b.ints("z.count", new long[] {4}, 1)), tensor("value", zero));
                    t = b.node("Concat", in(b.ints("z.pads", new long[] {1, 0, 2, 1}, 4), t), i("axis", 0));
                    t = b.node("Reshape", in(t, b.ints("z.rows", new long[] {-1, 2}, 2)));
                    t = b.node("Slice", in(t, b.ints("z.start", new long[] {-1}, 1), b.ints("z.end", new long[] {-Long.MAX_VALUE}, 1),
                            b.ints("z.axes", new long[] {0}, 1), b.ints("z.step", new long[] {-1}, 1)));
                    t = b.node("Transpose", in(t), ints("perm", 1, 0));
                    t = b.node("Cast", in(b.node("Reshape", in(t, b.ints("z.flat", new long[] {-1}, 1)))), i("to", 7));
                    String x = b.node("Pad", in("input", t, b.constant("z.value", new float[] {0})), s("mode", "constant"));
                    x = b.node("Conv", in(x, b.weight("c.weight", 0.3, 4, 2, 3, 3), b.weight("c.bias", 0.1, 4)), ints("strides", 2, 2));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("An export without constant folding (opset 17): a channels-last MatMul by Transpose(W), a Mul by"
                        + " Unsqueeze(gamma) over axes [1, 2], a Reshape of a bias to [1, C, 1, 1]", b -> {
                    b.opset = 17;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 2, 3, 3)));
                    x = b.node("Transpose", in(x), ints("perm", 0, 2, 3, 1));
                    x = b.node("MatMul", in(x, b.node("Transpose", in(b.weight("pw.weight", 0.4, 6, 4)), ints("perm", 1, 0))));
                    x = b.node("Transpose", in(x), ints("perm", 0, 3, 1, 2));
                    x = b.node("Mul", in(x, b.node("Unsqueeze", in(b.weight("gamma", 0.5, 6), b.ints("g.axes", new long[] {1, 2}, 2)))));
                    x = b.node("Add", in(x, b.node("Reshape", in(b.weight("shift", 0.5, 6), b.ints("s.shape", new long[] {1, -1, 1, 1}, 4)))));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Selu (ONNX's defaults, and alpha 0.5 gamma 2), Celu alpha 0.7, Softplus, and Mish as PyTorch writes it below"
                        + " opset 18 (Softplus, Tanh, Mul by x) (opset 13)", b -> {
                    b.opset = 13;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.8, 4, 2, 3, 3), b.weight("c.bias", 0.3, 4)));
                    String m = b.node("Mul", in(x, b.node("Tanh", in(b.node("Softplus", in(x))))));
                    String y = b.node("Sum", in(b.node("Selu", in(x)), b.node("Selu", in(x), f("alpha", 0.5f), f("gamma", 2f)),
                            b.node("Celu", in(x), f("alpha", 0.7f)), b.node("Softplus", in(x)), m));
                    y = b.node("Flatten", in(b.node("GlobalAveragePool", in(y))));
                    b.node("Gemm", "output", in(y, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Mish (opset 18), and a Softplus read twice, by a Tanh and an Add: no Mish", b -> {
                    b.opset = 18;
                    b.input("input", 2, 4, 4);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.8, 4, 2, 3, 3)));
                    String sp = b.node("Softplus", in(x));
                    String y = b.node("Add", in(b.node("Mish", in(x)), b.node("Add", in(sp, b.node("Tanh", in(sp))))));
                    y = b.node("Flatten", in(b.node("GlobalAveragePool", in(y))));
                    b.node("Gemm", "output", in(y, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("AveragePool ceil_mode keeping partial windows: 3x3 stride 2 pads 1 counted and not, 2x2 stride 2 on odd maps"
                        + " not counted (timm's ResNet-D shortcut) and counted", b -> {
                    b.opset = 13;
                    b.input("input", 3, 10, 11);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.3, 4, 3, 3, 3), b.weight("c.bias", 0.5, 4)));   // 8x9
                    String[] pooled = {
                        b.node("AveragePool", in(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                                i("ceil_mode", 1), i("count_include_pad", 1)),                                     // 5x5 (floor: 4x5)
                        b.node("AveragePool", in(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2), ints("pads", 1, 1, 1, 1),
                                i("ceil_mode", 1)),
                        b.node("AveragePool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2), i("ceil_mode", 1)), // 4x5 (4x4)
                        b.node("AveragePool", in(x), ints("kernel_shape", 2, 2), ints("strides", 2, 2), i("ceil_mode", 1),
                                i("count_include_pad", 1))};
                    for (int k = 0; k < pooled.length; k++) {
                        pooled[k] = b.node("Conv", in(pooled[k], b.weight("p" + k + ".weight", 0.5, 3, 4, 2, 2)));     // every position counts
                        pooled[k] = b.node("GlobalAveragePool", in(pooled[k]));
                    }
                    x = b.node("Flatten", in(b.node("Sum", in(pooled))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 2, 3)), i("transB", 1));
                    return b.output("output", 2);
                }),
                new Case("Global pools written by hand (opset 13): x.view(b, c, -1).mean(-1), x.mean(3).mean(2), x.max(2)[0].max(2)[0],"
                        + " x.mean(3, keepdim=True).mean(2, keepdim=True), x.sum((2, 3)) / 16, a pooled map squeezed twice and at once",
                        b -> {
                    b.opset = 13;
                    b.input("input", 2, 6, 6);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.3, 4)));   // 4x4
                    String v = b.node("ReduceMean", in(b.node("Reshape", in(x, b.ints("v.shape", new long[] {0, 4, -1}, 3)))),
                            ints("axes", -1), i("keepdims", 0));
                    String r = b.node("ReduceMean", in(b.node("ReduceMean", in(x), ints("axes", 3), i("keepdims", 0))), ints("axes", 2),
                            i("keepdims", 0));
                    String m = b.node("ReduceMax", in(b.node("ReduceMax", in(x), ints("axes", 2), i("keepdims", 0))), ints("axes", -1),
                            i("keepdims", 0));
                    String k = b.node("ReduceMean", in(b.node("ReduceMean", in(x), ints("axes", 3), i("keepdims", 1))), ints("axes", -2),
                            i("keepdims", 1));
                    k = b.node("Squeeze", in(b.node("Squeeze", in(k, b.ints("k.a1", new long[] {-1}, 1))), b.ints("k.a2", new long[] {2}, 1)));
                    String q = b.node("Squeeze", in(b.node("GlobalAveragePool", in(x)), b.ints("q.axes", new long[] {2, 3}, 2)));
                    String t = b.node("Div", in(b.node("ReduceSum", in(x, b.ints("t.axes", new long[] {2, 3}, 2)), i("keepdims", 0)),
                            b.constant("t.n", new float[] {16f})));
                    x = b.node("Sum", in(v, r, m, k, q, t));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("A squeeze-and-excitation gate unsqueezed back: y[:, :, None, None] as one Unsqueeze over [2, 3], and"
                        + " y.unsqueeze(-1).unsqueeze(-1) (opset 13), and an Unsqueeze with the axes attribute (opset 11)", b -> {
                    b.opset = 13;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.3, 4)));
                    String y = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    y = b.node("Sigmoid", in(b.node("Gemm", in(y, b.weight("se.weight", 0.5, 4, 4)), i("transB", 1))));
                    String g1 = b.node("Unsqueeze", in(y, b.ints("g1.axes", new long[] {2, 3}, 2)));
                    String g2 = b.node("Unsqueeze", in(b.node("Unsqueeze", in(y, b.ints("g2.a", new long[] {-1}, 1))),
                            b.ints("g2.b", new long[] {-1}, 1)));
                    x = b.node("Add", in(b.node("Mul", in(x, g1)), b.node("Mul", in(g2, x))));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Unsqueeze and Squeeze of computed values with their axes as attributes (opset 11)", b -> {
                    b.opset = 11;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3)));
                    String y = b.node("Squeeze", in(b.node("GlobalAveragePool", in(x))), ints("axes", 3, 2));
                    y = b.node("Sigmoid", in(y));
                    x = b.node("Mul", in(x, b.node("Unsqueeze", in(y), ints("axes", 2, 3))));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("GELU's tanh approximation as PyTorch writes it below opset 20 (nine nodes, opset 13), and opset 20's Gelu"
                        + " with approximate \"tanh\" and \"none\"", b -> {
                    b.opset = 20;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.8, 4, 2, 3, 3), b.weight("c.bias", 0.3, 4)));
                    String cube = b.node("Mul", in(x, b.node("Mul", in(x, x))));
                    String arg = b.node("Mul", in(b.constant("k", new float[] {(float) Math.sqrt(2 / Math.PI)}),
                            b.node("Add", in(x, b.node("Mul", in(b.constant("cubic", new float[] {0.044715f}), cube))))));
                    String t = b.node("Add", in(b.constant("one", new float[] {1f}), b.node("Tanh", in(arg))));
                    String gt = b.node("Mul", in(b.constant("half", new float[] {0.5f}), b.node("Mul", in(x, t))));
                    String y = b.node("Sum", in(gt, b.node("Gelu", in(x), s("approximate", "tanh")), b.node("Gelu", in(x))));
                    y = b.node("Flatten", in(b.node("GlobalAveragePool", in(y))));
                    b.node("Gemm", "output", in(y, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("GroupNorm as PyTorch exports it (opset 13): Reshape [0, G, -1], InstanceNormalization of ones and zeros,"
                        + " Reshape to the Shape of x, Mul and Add per channel; InstanceNorm2d; a GroupNorm of a vector; a GroupNorm"
                        + " without affine parameters", b -> {
                    b.opset = 13;
                    b.input("input", 2, 6, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 6, 2, 3, 3), b.weight("c.bias", 0.5, 6)));
                    x = groupNormPattern(b, x, 3, 6, true, new long[] {6, 1, 1});
                    x = b.node("Relu", in(x));
                    x = b.node("InstanceNormalization", in(x, b.weight("in.weight", 1.0, 6), b.weight("in.bias", 0.5, 6)), f("epsilon", 1e-3f));
                    x = groupNormPattern(b, x, 2, 6, false, null);
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    x = groupNormPattern(b, x, 2, 6, true, new long[] {6});
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 6)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("GroupNormalization at opset 18 (scale and bias per group) and at opset 21 (per channel)", b -> {
                    b.opset = 18;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 8, 2, 3, 3), b.weight("c.bias", 0.5, 8)));
                    x = b.node("GroupNormalization", in(x, b.weight("gn.weight", 1.0, 4), b.weight("gn.bias", 0.5, 4)), i("num_groups", 4),
                            f("epsilon", 1e-4f));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("GroupNormalization at opset 21: scale and bias per channel, two groups of a map", b -> {
                    b.opset = 21;
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 8, 2, 3, 3), b.weight("c.bias", 0.5, 8)));
                    x = b.node("GroupNormalization", in(x, b.weight("gn.weight", 1.0, 8), b.weight("gn.bias", 0.5, 8)), i("num_groups", 2));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Sub of two computed values: of two maps (a residual difference) and of two vectors", b -> {
                    b.input("input", 2, 5, 5);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.5, 4)));
                    String y = b.node("Conv", in(x, b.weight("d.weight", 0.5, 4, 4, 3, 3)), ints("pads", 1, 1, 1, 1));
                    x = b.node("Sub", in(x, b.node("Relu", in(y))));
                    String v = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    String w = b.node("Gemm", in(v, b.weight("e.weight", 0.5, 4, 4)), i("transB", 1));
                    v = b.node("Sub", in(b.node("Tanh", in(w)), v));
                    b.node("Gemm", "output", in(v, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("GlobalMaxPool and ReduceMax over [2, 3] of a map that is not square (5x9)", b -> {
                    b.input("input", 2, 7, 11);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.5, 4)));
                    String p = b.node("Flatten", in(b.node("GlobalMaxPool", in(x))));
                    String q = b.node("ReduceMax", in(b.node("Tanh", in(x))), ints("axes", 2, 3), i("keepdims", 0));
                    b.node("Gemm", "output", in(b.node("Add", in(p, q)), b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("An output nothing reads (opset 18): MaxPool's Indices, with dilations and ceil_mode written out, after a"
                        + " BatchNormalization with training_mode 0 and momentum", b -> {
                    b.opset = 18;
                    b.input("input", 2, 8, 8);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3)), ints("pads", 1, 1, 1, 1),
                            ints("dilations", 1, 1), i("group", 1), ints("strides", 1, 1));
                    b.node("BatchNormalization", "bn", in(x, b.weight("bn.weight", 1.0, 4), b.weight("bn.bias", 0.5, 4),
                            b.weight("bn.mean", 0.2, 4), b.positive("bn.var", 0.5, 1.5, 4)), f("epsilon", 1e-5f), f("momentum", 0.9f),
                            i("training_mode", 0));
                    b.node("MaxPool", "pool", in(b.node("Relu", in("bn"))), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                            ints("pads", 1, 1, 1, 1), ints("dilations", 1, 1), i("ceil_mode", 0)).addOutput("pool.indices");
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in("pool"))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Resize as nn.Upsample(scale_factor=2) exports it (opset 13: no roi, scales [1, 1, 2, 2], asymmetric, floor)"
                        + " and as F.interpolate(size=…) does (sizes from Shape, Slice and Concat); a decoder's skip concatenated", b -> {
                    b.input("input", 2, 6, 6);
                    String skip = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.5, 4)),
                            ints("pads", 1, 1, 1, 1));
                    String x = b.node("Conv", in(skip, b.weight("d.weight", 0.5, 4, 4, 3, 3)), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2));
                    String up = b.node("Resize", in(x, "", b.constant("up.scales", new float[] {1, 1, 2, 2}, 4)), s("mode", "nearest"),
                            s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor"), f("cubic_coeff_a", -0.75f));
                    x = b.node("Concat", in(skip, up), i("axis", 1));
                    String sizes = b.node("Concat", in(b.node("Slice", in(b.node("Shape", in(x)), b.ints("z.starts", new long[] {0}, 1),
                            b.ints("z.ends", new long[] {2}, 1))), b.ints("z.hw", new long[] {12, 18}, 2)), i("axis", 0));
                    x = b.node("Resize", in(x, "", "", sizes), s("mode", "nearest"), s("coordinate_transformation_mode", "asymmetric"),
                            s("nearest_mode", "floor"));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(b.node("Relu", in(x))))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 8)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Resize at opset 18 as nearest-exact exports it (half_pixel, round_prefer_floor, axes [2, 3], scales [2, 3])", b -> {
                    b.opset = 18;
                    b.input("input", 2, 3, 4);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.5, 4)),
                            ints("pads", 1, 1, 1, 1));
                    x = b.node("Resize", in(x, "", b.constant("up.scales", new float[] {2, 3}, 2)), s("mode", "nearest"),
                            s("coordinate_transformation_mode", "half_pixel"), s("nearest_mode", "round_prefer_floor"), ints("axes", 2, 3));
                    x = b.node("Conv", in(x, b.weight("d.weight", 0.5, 4, 4, 3, 3)), ints("strides", 2, 2));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Upsample (opset 9, scales as an input) and Resize (opset 10, X and scales), nearest", b -> {
                    b.opset = 9;
                    b.input("input", 2, 3, 3);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.5, 4)),
                            ints("pads", 1, 1, 1, 1));
                    x = b.node("Upsample", in(x, b.constant("up.scales", new float[] {1, 1, 3, 2}, 4)), s("mode", "nearest"));
                    x = b.node("Flatten", in(b.node("GlobalMaxPool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4), b.weight("fc.bias", 0.3, 3)), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("As PyTorch 2.9's exporter writes (opset 20): every default attribute spelt out (auto_pad NOTSET, dilations,"
                        + " storage_order, alpha, beta, transA, noop_with_empty_axes), no kernel_shape on Conv, MaxPool's second output"
                        + " emptied, Clip by rank-0 initializers, ReduceMean over axes [-1, -2] kept, Reshape [-1, C] with allowzero,"
                        + " Add of a rank-0 val_N initializer, Gelu", b -> {
                    b.opset = 20;
                    b.input("input", 2, 7, 7);
                    String x = b.node("Conv", in("input", b.weight("conv1.weight", 0.5, 8, 2, 3, 3), b.weight("conv1.weight_bias", 0.3, 8)),
                            s("auto_pad", "NOTSET"), ints("dilations", 1, 1), i("group", 1), ints("pads", 1, 1, 1, 1), ints("strides", 1, 1));
                    x = b.node("Clip", in(x, b.constant("val_0", new float[] {0f}), b.constant("val_1", new float[] {6f})));
                    b.node("MaxPool", "pool", in(x), s("auto_pad", "NOTSET"), i("ceil_mode", 1), ints("dilations", 1, 1),
                            ints("kernel_shape", 3, 3), ints("pads", 0, 0, 0, 0), i("storage_order", 0), ints("strides", 2, 2)).addOutput("");
                    x = b.node("HardSigmoid", in("pool"), f("alpha", 1f / 6), f("beta", 0.5f));
                    x = b.node("Gelu", in(b.node("Add", in(x, b.constant("val_2", new float[] {0.25f})))), s("approximate", "none"));
                    x = b.node("ReduceMean", in(x, b.ints("val_3", new long[] {-1, -2}, 2)), i("keepdims", 1), i("noop_with_empty_axes", 0));
                    x = b.node("Reshape", in(x, b.ints("val_4", new long[] {-1, 8}, 2)), i("allowzero", 1));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 8), b.weight("fc.bias", 0.3, 3)), f("alpha", 1f), f("beta", 1f),
                            i("transA", 0), i("transB", 1));
                    return b.output("output", 3);
                }),
                new Case("Resize at opset 10 (X and scales, nearest)", b -> {
                    b.opset = 10;
                    b.input("input", 2, 3, 3);
                    String x = b.node("Conv", in("input", b.weight("c.weight", 0.5, 4, 2, 3, 3), b.weight("c.bias", 0.5, 4)));
                    x = b.node("Resize", in(x, b.constant("up.scales", new float[] {1, 1, 2, 2}, 4)), s("mode", "nearest"));
                    x = b.node("Conv", in(x, b.weight("d.weight", 0.5, 4, 4, 1, 1)));
                    x = b.node("Flatten", in(b.node("GlobalAveragePool", in(x))));
                    b.node("Gemm", "output", in(x, b.weight("fc.weight", 0.3, 3, 4), b.weight("fc.bias", 0.3, 3)), i("transB", 1));
                    return b.output("output", 3);
                }));
    }

    /**
     * {@code GroupNorm(groups, c)} of {@code x} as PyTorch writes it: Reshape to {@code [0, groups, -1]},
     * InstanceNormalization with scale 1 and shift 0 (Constant nodes), Reshape to {@code Shape(x)},
     * and with {@code affine} a Mul by γ and an Add of β of extents {@code dims} (initializers named
     * {@code onnx::Mul_…}, as PyTorch's constant folding names them).
     */
    static String groupNormPattern(OnnxBuild b, String x, int groups, int c, boolean affine, long[] dims) {
        String v = b.node("Reshape", in(x, b.ints("gn" + x + ".shape", new long[] {0, groups, -1}, 3)));
        float[] ones = new float[groups];
        Arrays.fill(ones, 1f);
        String n = b.node("InstanceNormalization", in(v, b.constant("gn" + x + ".ones", ones, groups),
                b.constant("gn" + x + ".zeros", new float[groups], groups)), f("epsilon", 1e-5f));
        String y = b.node("Reshape", in(n, b.node("Shape", in(x))));
        if (!affine) {
            return y;
        }
        y = b.node("Mul", in(y, b.weight("onnx::Mul_" + x, 1.0, dims)));
        return b.node("Add", in(y, b.weight("onnx::Add_" + x, 0.5, dims)));
    }

    /** The nine nodes of PyTorch's tanh approximation read as one node, as opset 20's Gelu does. */
    @Test
    void geluTanhReadsAsOneNode() {
        OnnxBuild b = cases().filter(c -> c.name().startsWith("GELU's tanh approximation")).findFirst().orElseThrow().build()
                .apply(new OnnxBuild(1));
        try (OnnxModel m = OnnxReader.read(b.bytes(), "gelu-tanh", CPU, null)) {
            Map<io.prune4j.backend.ActivationKind, Long> kinds = m.graph().layers().stream().filter(l -> l instanceof io.prune4j.nn.Activation)
                    .collect(java.util.stream.Collectors.groupingBy(l -> ((io.prune4j.nn.Activation) l).kind(), java.util.stream.Collectors.counting()));
            assertEquals(Map.of(io.prune4j.backend.ActivationKind.GELU_TANH, 2L, io.prune4j.backend.ActivationKind.GELU, 1L), kinds);
            assertTrue(m.graph().layers().stream().noneMatch(l -> l instanceof io.prune4j.nn.Mul), m.graph().layers().toString());
        }
    }

    /** Softplus, Tanh and Mul by x read as one Mish node; a Softplus that another node also reads stays a Softplus. */
    @Test
    void mishReadsAsOneNode() {
        for (String start : new String[] {"Selu (ONNX", "Mish (opset 18)"}) {
            OnnxBuild b = cases().filter(c -> c.name().startsWith(start)).findFirst().orElseThrow().build().apply(new OnnxBuild(1));
            try (OnnxModel m = OnnxReader.read(b.bytes(), "mish", CPU, null)) {
                Map<io.prune4j.backend.ActivationKind, Long> kinds = m.graph().layers().stream().filter(l -> l instanceof io.prune4j.nn.Activation)
                        .collect(java.util.stream.Collectors.groupingBy(l -> ((io.prune4j.nn.Activation) l).kind(), java.util.stream.Collectors.counting()));
                assertEquals(1L, kinds.get(io.prune4j.backend.ActivationKind.MISH), start + ": " + kinds);
                assertEquals(1L, kinds.get(io.prune4j.backend.ActivationKind.SOFTPLUS), start + ": " + kinds);
                assertEquals(start.startsWith("Mish") ? 1L : null, kinds.get(io.prune4j.backend.ActivationKind.TANH), start + ": " + kinds);
            }
        }
    }

    /**
     * PyTorch's GroupNorm nodes read as one GroupNorm each (the Mul and Add of its γ and β taken in),
     * InstanceNormalization of a map as a GroupNorm with a group per channel, GroupNormalization as
     * one with its group count; nothing of the patterns is left as another node.
     */
    @Test
    void groupNormsReadAsOneNodeEach() {
        Map<String, List<Integer>> expected = Map.of("GroupNorm as PyTorch", List.of(3, 6, 2, 2), "GroupNormalization at opset 18",
                List.of(4), "GroupNormalization at opset 21", List.of(2));
        expected.forEach((start, groups) -> {
            OnnxBuild b = cases().filter(c -> c.name().startsWith(start)).findFirst().orElseThrow().build().apply(new OnnxBuild(1));
            try (OnnxModel m = OnnxReader.read(b.bytes(), "groupnorm", CPU, null)) {
                List<Layer> layers = m.graph().layers();
                assertEquals(groups, layers.stream().filter(l -> l instanceof io.prune4j.nn.GroupNorm).map(l -> ((io.prune4j.nn.GroupNorm) l)
                        .groups()).toList(), start + ": " + layers);
                assertTrue(layers.stream().noneMatch(l -> l instanceof io.prune4j.nn.ChannelAffine || l instanceof io.prune4j.nn.LayerScale),
                        start + ": " + layers);
            }
        });
    }

    /**
     * A Sub of two computed values reads as an Add of the first and the second negated (a fixed
     * per-channel scale of −1), and couples as an Add: the two convolutions it subtracts are one
     * prunable group; the export, read back, computes the same.
     */
    @Test
    void aSubOfComputedValuesIsAnAddOfTheNegatedValue() {
        OnnxBuild b = cases().filter(c -> c.name().startsWith("Sub of two computed")).findFirst().orElseThrow().build().apply(new OnnxBuild(1));
        try (OnnxModel m = OnnxReader.read(b.bytes(), "sub", CPU, null)) {
            Graph net = m.graph();
            assertEquals(2L, net.layers().stream().filter(l -> l instanceof io.prune4j.nn.ChannelAffine a && a.scale()[0] == -1f).count(),
                    net.describe());
            io.prune4j.prune.ChannelGroups groups = io.prune4j.prune.ChannelGroups.of(net);
            io.prune4j.prune.ChannelGroups.Group c = groups.named("c");
            assertTrue(c.prunable() && c.members().toString().contains("d"), groups.toString());
            try (OnnxModel back = OnnxReader.read(OnnxWriter.toModel(net, m.names(), Map.of()).toByteArray(), "sub export", CPU, null)) {
                float[] x = Check.gaussian(new SplittableRandom(9), 3 * net.inputSize(), 1.0);
                assertEquals(Arrays.toString(OnnxRoundTripTest.forward(net, x, 3)), Arrays.toString(OnnxRoundTripTest.forward(back.graph(), x, 3)));
            }
        }
    }

    /** A view of a parameter (Unsqueeze of gamma, as an export without constant folding writes it) is still a parameter: the Mul by it trains. */
    @Test
    void aViewedParameterStaysAParameter() {
        OnnxBuild b = cases().filter(c -> c.name().startsWith("An export without constant folding")).findFirst().orElseThrow().build()
                .apply(new OnnxBuild(1));
        try (OnnxModel m = OnnxReader.read(b.bytes(), "nofold", CPU, null)) {
            List<Layer> layers = m.graph().layers();
            assertTrue(layers.stream().anyMatch(l -> l instanceof io.prune4j.nn.LayerScale), layers.toString());
            assertTrue(layers.stream().anyMatch(l -> l instanceof Conv2d c && c.kernelHeight() == 1 && c.outChannels() == 6), layers.toString());
        }
    }

    /** The excitation of {@code x} (8 channels): GlobalAveragePool, a 1×1 Conv to 3 with bias, Relu, a 1×1 Conv back to 8 with bias. */
    static String excitation(OnnxBuild b, String x) {
        String s = b.node("Conv", in(b.node("GlobalAveragePool", in(x)), b.weight("fc1.weight", 0.5, 3, 8, 1, 1), b.weight("fc1.bias", 0.2, 3)));
        s = b.node("Relu", in(s));
        return b.node("Conv", in(s, b.weight("fc2.weight", 1.0, 8, 3, 1, 1), b.weight("fc2.bias", 0.5, 8)));
    }

    /** {@code gate ⊙ x} (or {@code x ⊙ gate}), then a classifier head. */
    static OnnxBuild squeezeExcitation(OnnxBuild b, String x, String gate, boolean gateFirst) {
        String y = b.node("Mul", gateFirst ? in(gate, x) : in(x, gate));
        y = b.node("Flatten", in(b.node("GlobalAveragePool", in(y))));
        b.node("Gemm", "output", in(y, b.weight("fc.weight", 0.3, 3, 8)), i("transB", 1));
        return b.output("output", 3);
    }

    static String boolConstant(OnnxBuild b, String name, boolean v) {
        b.graph.addInitializer(io.prune4j.onnx.proto.TensorProto.newBuilder().setName(name)
                .setDataType(io.prune4j.onnx.proto.TensorProto.DataType.BOOL_VALUE).addInt32Data(v ? 1 : 0));
        return name;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void importComputesWhatOnnxRuntimeComputes(Case c) {
        io.prune4j.testing.OrtAvailable.assume();
        byte[] bytes = c.build().apply(new OnnxBuild(c.name().hashCode())).bytes();
        try (OnnxModel m = OnnxReader.read(bytes, c.name(), CPU, null); OnnxRuntime ort = OnnxRuntime.open(bytes, 1)) {
            Graph net = m.graph();
            int batch = 3;
            float[] x = Check.gaussian(new SplittableRandom(5), batch * net.inputSize(), 1.0);
            float[] ours = m.names().outputFunction().apply(OnnxRoundTripTest.forward(net, x, batch), batch);
            Agreement a = Agreement.of(batch, ort.run(x, batch, net.inputShape()), ours);
            assertTrue(a.maxRelative() <= 1e-5, c.name() + ": prune4j differs from ONNX Runtime by " + a);
        }
    }

    @Test
    void reluAfterConvAndGemmIsFusedAndClipsMapToTheirLayers() {
        OnnxBuild b = cases().filter(c -> c.name().startsWith("Clip from inputs")).findFirst().orElseThrow().build().apply(new OnnxBuild(1));
        try (OnnxModel m = OnnxReader.read(b.bytes(), "clip", CPU, null)) {
            List<Layer> layers = m.graph().layers();
            assertTrue(layers.get(1) instanceof Clamp c && c.lo() == 0 && c.hi() == 6, "Clip(0, 6) is ReLU6: " + layers.get(1).describe());
            assertTrue(layers.stream().anyMatch(l -> l instanceof Relu), "Clip with a lower bound of 0 only is a ReLU");
            assertTrue(layers.stream().anyMatch(l -> l instanceof Clamp c && c.lo() == -1f && c.hi() == 0.75f), "Constant bounds");
        }
        OnnxBuild first = cases().findFirst().orElseThrow().build().apply(new OnnxBuild(1));
        try (OnnxModel m = OnnxReader.read(first.bytes(), "first", CPU, null)) {
            Graph net = m.graph();
            assertEquals(List.of("c", "GlobalAveragePool_5", "Flatten_7", "fc"), net.nodes().stream().map(Graph.Node::name).toList(),
                    "the Relu is fused into the convolution; nodes named from their weights (c.weight → c) or by their ONNX names");
            assertTrue(net.layer("c") instanceof Conv2d c && c.hasRelu());
            assertTrue(net.layer("fc") instanceof Dense d && d.bias() != null);
            assertEquals("Relu_3", m.names().nodeName("c" + OnnxNames.RELU), "the fused Relu's ONNX name is kept for export");
            assertEquals(Map.of(), m.metadata());
        }
    }
}
