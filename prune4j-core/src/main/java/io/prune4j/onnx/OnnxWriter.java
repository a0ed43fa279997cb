package io.prune4j.onnx;

import com.google.protobuf.ByteString;
import io.prune4j.Version;
import io.prune4j.backend.ActivationKind;
import io.prune4j.io.AtomicFiles;
import io.prune4j.nn.Activation;
import io.prune4j.nn.Add;
import io.prune4j.nn.AvgPool2d;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Clamp;
import io.prune4j.nn.ChannelAffine;
import io.prune4j.nn.ChannelSlice;
import io.prune4j.nn.Concat;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Dense;
import io.prune4j.nn.Flatten;
import io.prune4j.nn.GlobalAvgPool;
import io.prune4j.nn.GlobalMaxPool;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Identity;
import io.prune4j.nn.Layer;
import io.prune4j.nn.GroupNorm;
import io.prune4j.nn.LayerNorm;
import io.prune4j.nn.LayerScale;
import io.prune4j.nn.MaxPool2d;
import io.prune4j.nn.Mul;
import io.prune4j.nn.PRelu;
import io.prune4j.nn.Unflatten;
import io.prune4j.nn.ZeroPad2d;
import io.prune4j.nn.PermuteChannels;
import io.prune4j.nn.Relu;
import io.prune4j.onnx.proto.AttributeProto;
import io.prune4j.onnx.proto.GraphProto;
import io.prune4j.onnx.proto.ModelProto;
import io.prune4j.onnx.proto.NodeProto;
import io.prune4j.onnx.proto.OperatorSetIdProto;
import io.prune4j.onnx.proto.StringStringEntryProto;
import io.prune4j.onnx.proto.TensorProto;
import io.prune4j.onnx.proto.TensorShapeProto;
import io.prune4j.onnx.proto.TypeProto;
import io.prune4j.onnx.proto.ValueInfoProto;
import io.prune4j.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a prune4j {@link Graph} as an ONNX model (opset {@value #OPSET}, IR version 8): Dense as
 * Gemm ({@code transB = 1}), Conv2d as Conv, BatchNorm as BatchNormalization (inference form, its
 * running statistics as initializers), Relu, Clamp as Clip (bounds as inputs), Activation as
 * LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish or Elu (α and β as attributes), MaxPool2d, AvgPool2d,
 * ZeroPad2d as a constant Pad of zeros,
 * GlobalAvgPool, GlobalMaxPool, Upsample as a nearest Resize (scales {@code [1, 1, sh, sw]}, asymmetric, floor), Flatten, Add (Sum for more than two inputs), Mul, Concat, Identity, ChannelSlice as
 * Slice along axis 1, PermuteChannels (a channel shuffle) as a Gather of its channels, ChannelAffine as a
 * Mul by its scale and an Add of its shift (per channel, each left out when it changes nothing; the two
 * as Constant nodes, not initializers, since nothing trains them), Unflatten
 * as a Reshape to {@code [0, -1, 1, 1]}, LayerNorm as LayerNormalization (between Transposes to
 * channels-last and back, for maps), GroupNorm as InstanceNormalization (an instance norm of a map) or as
 * PyTorch writes it (Reshape, InstanceNormalization, Shape, Reshape, Mul, Add), LayerScale as a Mul by its γ ({@code [C, 1, 1]} or {@code [C]}), the
 * exact GELU as Div, Erf, Add, Mul and Mul; a fused ReLU is a
 * Relu node after its layer; PRelu as PRelu (its slope {@code [1]}, {@code [C, 1, 1]} or {@code [C]}). The batch extent is symbolic ({@code batch}), so one file runs any
 * batch. Names come from {@link OnnxNames}: an imported model keeps its input, output, node,
 * tensor and initializer names where the node survives; other nodes are written under their prune4j
 * names. Masked (unstructured) weights are written dense, zeros included: ONNX Runtime runs sparse
 * weights no faster. The write is atomic ({@link AtomicFiles}).
 */
public final class OnnxWriter {
    /** The opset of the default ONNX domain that written files import. */
    public static final int OPSET = 17;
    private static final int IR_VERSION = 8;

    private final OnnxNames names;
    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> tensorNames = new HashSet<>();
    private final Set<String> nodeNames = new HashSet<>();

    private OnnxWriter(OnnxNames names) {
        this.names = names == null ? OnnxNames.defaults() : names;
    }

    /**
     * Writes {@code net} to {@code file}; {@code names} (null: defaults) says what to call things,
     * {@code metadata} goes into {@code metadata_props} next to {@code prune4j.version}. A layer ONNX
     * export does not know is refused before anything is written. The write is atomic: {@code file}
     * holds either what it held before or the whole model. The network is only read. A model is one
     * file up to 2,000,000,000 bytes of weights; a larger one (protobuf holds no message of 2 GiB) keeps
     * its weights in {@code <file>.data} beside it, as ONNX's external data, written before the model.
     *
     * @param net      the network (not null)
     * @param file     the file to write (not null); its folder must exist
     * @param names    what to call things, or null for {@link OnnxNames#defaults()}
     * @param metadata string keys and values for {@code metadata_props} (not null; may be empty); a
     *                 {@code prune4j.version} key is left out, the writer's own is kept
     * @throws io.prune4j.Prune4jException when a layer has no ONNX form (a layer of one's own), before
     *     anything is written
     * @throws io.prune4j.Prune4jException when the file cannot be written
     */
    public static void write(Graph net, Path file, OnnxNames names, Map<String, String> metadata) {
        write(net, file, names, metadata, MAX_INLINE_BYTES);
    }

    /**
     * Tensor bytes up to which a model is written as one file; above, its weights go to a data file
     * beside it: protobuf cannot hold a message of 2 GiB or more.
     */
    static final long MAX_INLINE_BYTES = 2_000_000_000L;
    /** Initializers of fewer bytes stay in the model when the others go to a data file. */
    static final int MIN_EXTERNAL_BYTES = 1024;
    /** Tensors of at least 1 MiB start at a multiple of 64 KiB in a data file, so that a reader can map them. */
    private static final int ALIGN = 1 << 16;

    /**
     * As {@link #write(Graph, Path, OnnxNames, Map)}, with the weights written to {@code <file>.data}
     * beside the file (ONNX's external data: every initializer of at least 1 KiB, at the offsets the
     * model records) when the initializers hold more than {@code inlineLimit} bytes. The data file is
     * written first and the model last, each atomically, so the model never names data it lacks.
     */
    static void write(Graph net, Path file, OnnxNames names, Map<String, String> metadata, long inlineLimit) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(metadata, "metadata");
        ModelProto model = toModel(net, names, metadata);
        long tensorBytes = model.getGraph().getInitializerList().stream().mapToLong(t -> t.getRawData().size()).sum();
        if (tensorBytes <= inlineLimit) {
            writeModel(file, model);
            return;
        }
        String location = file.toAbsolutePath().getFileName() + ".data";
        ModelProto.Builder outside = model.toBuilder();
        List<TensorProto> moved = new java.util.ArrayList<>();
        List<Long> offsets = new java.util.ArrayList<>();
        long offset = 0;
        for (TensorProto.Builder t : outside.getGraphBuilder().getInitializerBuilderList()) {
            int size = t.getRawData().size();
            if (size < MIN_EXTERNAL_BYTES) {
                continue;
            }
            if (size >= 1 << 20) {
                offset = (offset + ALIGN - 1) / ALIGN * ALIGN;
            }
            moved.add(t.build());
            offsets.add(offset);
            t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL)
                    .addExternalData(entry("location", location))
                    .addExternalData(entry("offset", Long.toString(offset)))
                    .addExternalData(entry("length", Integer.toString(size)));
            offset += size;
        }
        if (moved.isEmpty()) { // only small tensors: nothing to put outside
            writeModel(file, model);
            return;
        }
        AtomicFiles.write(file.resolveSibling(location), out -> {
            long at = 0;
            byte[] zeros = new byte[ALIGN];
            for (int k = 0; k < moved.size(); k++) {
                out.write(zeros, 0, (int) (offsets.get(k) - at));   // up to the offset the model records
                moved.get(k).getRawData().writeTo(out);
                at = offsets.get(k) + moved.get(k).getRawData().size();
            }
        });
        writeModel(file, outside.build());
    }

    private static void writeModel(Path file, ModelProto model) {
        byte[] bytes = model.toByteArray();
        AtomicFiles.write(file, out -> out.write(bytes));
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /**
     * The ONNX model of {@code net}, as {@link #write} would write it.
     *
     * @param net      the network (not null); only read
     * @param names    what to call things, or null for {@link OnnxNames#defaults()}
     * @param metadata string keys and values for {@code metadata_props} (not null; may be empty)
     * @return the model, with the weights copied into it
     * @throws io.prune4j.Prune4jException when a layer has no ONNX form
     */
    public static ModelProto toModel(Graph net, OnnxNames names, Map<String, String> metadata) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(metadata, "metadata");
        return new OnnxWriter(names).model(net, metadata);
    }

    private ModelProto model(Graph net, Map<String, String> metadata) {
        graph.setName(names.graphName().isEmpty() ? "prune4j" : names.graphName());
        String input = unique(names.input());
        graph.addInput(valueInfo(input, net.inputShape()));
        Map<String, String> values = new java.util.HashMap<>();
        values.put(Graph.INPUT, input);
        List<Graph.Node> nodes = net.nodes();
        OutputFunction function = names.outputFunction();
        for (int i = 0; i < nodes.size(); i++) {
            Graph.Node node = nodes.get(i);
            boolean last = i == nodes.size() - 1 && function == OutputFunction.NONE;
            String out = last ? unique(names.output()) : unique(names.outputOf(node.name()));
            String[] in = node.inputs().stream().map(values::get).toArray(String[]::new);
            write(node.layer(), in, out, net.shapeOf(node.name()).length == 3);
            values.put(node.name(), out);
        }
        String output = values.get(net.outputName());
        if (function != OutputFunction.NONE) {
            String scores = output;
            output = unique(names.output());
            String name = names.outputFunctionNode().isEmpty() ? function.operator() : names.outputFunctionNode();
            graph.addNode(node(function.operator(), name, output, scores).addAttribute(intAttr("axis", 1)));
        }
        graph.addOutput(valueInfo(output, net.outputShape()));
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("prune4j")
                .setProducerVersion(Version.get())
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph);
        m.addMetadataProps(StringStringEntryProto.newBuilder().setKey("prune4j.version").setValue(Version.get()));
        metadata.forEach((k, v) -> {
            if (!k.equals("prune4j.version")) {
                m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v));
            }
        });
        return m.build();
    }

    /** Writes one node; {@code maps}: whether its output is a map {@code [C, H, W]} (else a vector). */
    private void write(Layer layer, String[] in, String out, boolean maps) {
        String name = layer.name();
        if (layer instanceof Dense d) {
            String w = initializer(name, "weight", d.weight().value());
            NodeProto.Builder n = node("Gemm", name, d.hasRelu() ? linear(name, out) : out, in[0], w);
            if (d.bias() != null) {
                n.addInput(initializer(name, "bias", d.bias().value()));
            }
            n.addAttribute(intAttr("transB", 1));
            graph.addNode(n);
            if (d.hasRelu()) {
                graph.addNode(node("Relu", name + OnnxNames.RELU, out, n.getOutput(0)));
            }
        } else if (layer instanceof Conv2d c) {
            String w = initializer(name, "weight", c.weight().value());
            NodeProto.Builder n = node("Conv", name, c.hasRelu() ? linear(name, out) : out, in[0], w);
            if (c.bias() != null) {
                n.addInput(initializer(name, "bias", c.bias().value()));
            }
            n.addAttribute(intsAttr("kernel_shape", c.kernelHeight(), c.kernelWidth()))
                    .addAttribute(intsAttr("strides", c.stride(), c.stride()))
                    .addAttribute(intsAttr("pads", c.padding(), c.padding(), c.padding(), c.padding()))
                    .addAttribute(intsAttr("dilations", 1, 1))
                    .addAttribute(intAttr("group", c.groups()));
            graph.addNode(n);
            if (c.hasRelu()) {
                graph.addNode(node("Relu", name + OnnxNames.RELU, out, n.getOutput(0)));
            }
        } else if (layer instanceof BatchNorm bn) {
            graph.addNode(node("BatchNormalization", name, out, in[0], initializer(name, "weight", bn.gamma().value()),
                    initializer(name, "bias", bn.beta().value()), initializer(name, "running_mean", bn.runningMean()),
                    initializer(name, "running_var", bn.runningVar()))
                    .addAttribute(floatAttr("epsilon", bn.eps()))
                    .addAttribute(floatAttr("momentum", 1 - bn.momentum())));
        } else if (layer instanceof LayerScale ls) {
            float[] g = ls.gamma().value().toFloatArray();
            int[] dims = ls.maps() ? new int[] {g.length, 1, 1} : new int[] {g.length};
            graph.addNode(node("Mul", name, out, in[0], floats(names.initializer(name, "weight"), g, dims)));
        } else if (layer instanceof LayerNorm ln) {
            layerNorm(ln, in[0], out, maps);
        } else if (layer instanceof GroupNorm gn) {
            groupNorm(gn, in[0], out, maps);
        } else if (layer instanceof Relu) {
            graph.addNode(node("Relu", name, out, in[0]));
        } else if (layer instanceof Clamp c) {
            String lo = scalar(name + ".min", c.lo());
            String hi = scalar(name + ".max", c.hi());
            graph.addNode(node("Clip", name, out, in[0], lo, hi));
        } else if (layer instanceof Activation a && a.kind() == ActivationKind.GELU) {
            gelu(a, in[0], out);
        } else if (layer instanceof Activation a && a.kind() == ActivationKind.GELU_TANH) {
            geluTanh(a, in[0], out);
        } else if (layer instanceof Activation a && a.kind() == ActivationKind.MISH) {
            // opset 17 has no Mish: x · tanh(softplus(x)), as PyTorch writes it
            String soft = unique(out + "_softplus");
            String tanh = unique(out + "_tanh");
            graph.addNode(node("Softplus", name, soft, in[0]));
            graph.addNode(node("Tanh", name + "_tanh", tanh, soft));
            graph.addNode(node("Mul", name + "_mul", out, in[0], tanh));
        } else if (layer instanceof Activation a) {
            graph.addNode(activation(a, out, in[0]));
        } else if (layer instanceof MaxPool2d p) {
            NodeProto.Builder n = pooling(node("MaxPool", name, out, in[0]), p.window(), p.stride(), p.padding());
            graph.addNode(p.ceilMode() ? n.addAttribute(intAttr("ceil_mode", 1)) : n);
        } else if (layer instanceof AvgPool2d p) {
            NodeProto.Builder n = pooling(node("AveragePool", name, out, in[0]), p.window(), p.stride(), p.padding())
                    .addAttribute(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
            graph.addNode(p.ceilMode() ? n.addAttribute(intAttr("ceil_mode", 1)) : n);
        } else if (layer instanceof ZeroPad2d z) {
            graph.addNode(node("Pad", name, out, in[0], ints(name + ".pads", 0, 0, z.top(), z.left(), 0, 0, z.bottom(), z.right())));
        } else if (layer instanceof GlobalAvgPool) {
            graph.addNode(node("GlobalAveragePool", name, out, in[0]));
        } else if (layer instanceof GlobalMaxPool) {
            graph.addNode(node("GlobalMaxPool", name, out, in[0]));
        } else if (layer instanceof io.prune4j.nn.Upsample u) {
            String scales = floats(name + ".scales", new float[] {1, 1, u.scaleH(), u.scaleW()}, new int[] {4});
            graph.addNode(node("Resize", name, out, in[0], "", scales).addAttribute(stringAttr("mode", "nearest"))
                    .addAttribute(stringAttr("coordinate_transformation_mode", "asymmetric")).addAttribute(stringAttr("nearest_mode", "floor")));
        } else if (layer instanceof Flatten) {
            graph.addNode(node("Flatten", name, out, in[0]).addAttribute(intAttr("axis", 1)));
        } else if (layer instanceof Add) {
            graph.addNode(node(in.length == 2 ? "Add" : "Sum", name, out, in));
        } else if (layer instanceof Mul) {
            graph.addNode(node("Mul", name, out, in));   // ONNX broadcasts a gate [N, C, 1, 1] over [N, C, H, W] itself
        } else if (layer instanceof Concat) {
            graph.addNode(node("Concat", name, out, in).addAttribute(intAttr("axis", 1)));
        } else if (layer instanceof Identity) {
            graph.addNode(node("Identity", name, out, in[0]));
        } else if (layer instanceof Unflatten) {
            graph.addNode(node("Reshape", name, out, in[0], ints(name + ".shape", 0, -1, 1, 1)));
        } else if (layer instanceof PRelu pr) {
            float[] a = pr.slope().value().toFloatArray();
            int[] dims = a.length == 1 ? new int[] {1} : pr.maps() ? new int[] {a.length, 1, 1} : new int[] {a.length};
            graph.addNode(node("PRelu", name, out, in[0], floats(names.initializer(name, "weight"), a, dims)));
        } else if (layer instanceof ChannelAffine a) {
            affine(a, in[0], out);
        } else if (layer instanceof ChannelSlice sl) {
            graph.addNode(node("Slice", name, out, in[0], ints(name + ".starts", sl.start()), ints(name + ".ends", sl.start() + sl.count()),
                    ints(name + ".axes", 1)));
        } else if (layer instanceof PermuteChannels p) {
            // a Gather of the channels writes any permutation, a shuffle or what is left of one after pruning
            long[] source = java.util.Arrays.stream(p.source()).asLongStream().toArray();
            graph.addNode(node("Gather", name, out, in[0], ints(name + ".indices", source)).addAttribute(intAttr("axis", 1)));
        } else {
            throw new io.prune4j.Prune4jException("cannot export node " + name + " (" + layer.describe() + ") to ONNX: the writer knows no "
                    + layer.getClass().getName() + " layers (nothing was written)");
        }
    }

    /** A Mul by the scale (left out when it is all ones), then an Add of the shift (left out when all zeros), per channel. */
    private void affine(ChannelAffine a, String in, String out) {
        String name = a.name();
        float[] scale = a.scale();
        boolean mul = false;
        for (float f : scale) {
            mul |= f != 1f;
        }
        boolean add = a.hasShift();
        if (!mul && !add) {
            graph.addNode(node("Identity", name, out, in));
            return;
        }
        int[] dims = a.maps() ? new int[] {scale.length, 1, 1} : new int[] {scale.length};
        String x = in;
        if (mul) {
            String scaled = add ? unique(names.outputOf(name + OnnxNames.LINEAR, out + "_scaled")) : out;
            graph.addNode(node("Mul", name, scaled, x, constant(name + ".scale", scale, dims)));
            x = scaled;
        }
        if (add) {
            graph.addNode(node("Add", mul ? name + "_shift" : name, out, x, constant(name + ".shift", a.shift(), dims)));
        }
    }

    /**
     * LayerNormalization over the channels: of a map, between Transposes to channels-last and back
     * (LayerNormalization normalises trailing axes; ONNX Runtime fuses this form), of a vector directly.
     */
    private void layerNorm(LayerNorm ln, String in, String out, boolean maps) {
        String name = ln.name();
        String g = initializer(name, "weight", ln.gamma().value());
        String b = initializer(name, "bias", ln.beta().value());
        if (!maps) {
            graph.addNode(node("LayerNormalization", name, out, in, g, b).addAttribute(intAttr("axis", -1))
                    .addAttribute(floatAttr("epsilon", ln.eps())));
            return;
        }
        String last = unique(out + "_channels_last");
        String normed = unique(out + "_normalized");
        graph.addNode(node("Transpose", name + "_to_channels_last", last, in).addAttribute(intsAttr("perm", 0, 2, 3, 1)));
        graph.addNode(node("LayerNormalization", name, normed, last, g, b).addAttribute(intAttr("axis", -1))
                .addAttribute(floatAttr("epsilon", ln.eps())));
        graph.addNode(node("Transpose", name + "_to_channels_first", out, normed).addAttribute(intsAttr("perm", 0, 3, 1, 2)));
    }

    /**
     * A group normalisation: an instance norm of a map as InstanceNormalization; otherwise as PyTorch
     * writes {@code GroupNorm} (opset 17 has no GroupNormalization): a Reshape to {@code [0, G, -1]},
     * an InstanceNormalization with scales 1 and shifts 0, a Reshape back to the input's Shape, a Mul
     * by γ and an Add of β per channel.
     */
    private void groupNorm(GroupNorm gn, String in, String out, boolean maps) {
        String name = gn.name();
        int c = gn.channels();
        int groups = gn.groups();
        if (maps && groups == c) {
            graph.addNode(node("InstanceNormalization", name, out, in, initializer(name, "weight", gn.gamma().value()),
                    initializer(name, "bias", gn.beta().value())).addAttribute(floatAttr("epsilon", gn.eps())));
            return;
        }
        String grouped = unique(out + "_groups");
        String normed = unique(out + "_normalized");
        String shape = unique(out + "_shape");
        String back = unique(out + "_ungrouped");
        String scaled = unique(out + "_scaled");
        float[] ones = new float[groups];
        java.util.Arrays.fill(ones, 1f);
        graph.addNode(node("Reshape", name, grouped, in, ints(name + ".groups", 0, groups, -1)));
        graph.addNode(node("InstanceNormalization", name + "_normalize", normed, grouped, floats(name + ".ones", ones, new int[] {groups}),
                floats(name + ".zeros", new float[groups], new int[] {groups})).addAttribute(floatAttr("epsilon", gn.eps())));
        graph.addNode(node("Shape", name + "_shape", shape, in));
        graph.addNode(node("Reshape", name + "_ungroup", back, normed, shape));
        int[] dims = maps ? new int[] {c, 1, 1} : new int[] {c};
        graph.addNode(node("Mul", name + "_scale", scaled, back, floats(names.initializer(name, "weight"), gn.gamma().value().toFloatArray(),
                dims)));
        graph.addNode(node("Add", name + "_shift", out, scaled, floats(names.initializer(name, "bias"), gn.beta().value().toFloatArray(),
                dims)));
    }

    /** The exact GELU as opset 17 writes it (there is no Gelu operator before opset 20): x · 0.5 · (1 + erf(x / √2)), PyTorch's order. */
    private void gelu(Activation a, String in, String out) {
        String name = a.name();
        String scaled = unique(out + "_scaled");
        String erf = unique(out + "_erf");
        String plus = unique(out + "_plus_one");
        String product = unique(out + "_times_x");
        graph.addNode(node("Div", name + "_div", scaled, in, scalar(name + ".sqrt2", (float) Math.sqrt(2))));
        graph.addNode(node(operator(ActivationKind.GELU), name, erf, scaled));
        graph.addNode(node("Add", name + "_add", plus, erf, scalar(name + ".one", 1f)));
        graph.addNode(node("Mul", name + "_mul", product, in, plus));
        graph.addNode(node("Mul", name + "_half", out, product, scalar(name + ".half", 0.5f)));
    }

    /**
     * GELU's tanh approximation as PyTorch writes it below opset 20 (opset 17 has no Gelu):
     * {@code 0.5 · (x · (1 + tanh(√(2/π) · (x + 0.044715 · x · (x · x)))))}, the Tanh under the layer's name.
     */
    private void geluTanh(Activation a, String in, String out) {
        String name = a.name();
        String square = unique(out + "_square");
        String cube = unique(out + "_cube");
        String cubic = unique(out + "_cubic");
        String sum = unique(out + "_sum");
        String arg = unique(out + "_arg");
        String tanh = unique(out + "_tanh");
        String plus = unique(out + "_plus_one");
        String product = unique(out + "_times_x");
        graph.addNode(node("Mul", name + "_square", square, in, in));
        graph.addNode(node("Mul", name + "_cube", cube, in, square));
        graph.addNode(node("Mul", name + "_cubic", cubic, scalar(name + ".cubic", 0.044715f), cube));
        graph.addNode(node("Add", name + "_sum", sum, in, cubic));
        graph.addNode(node("Mul", name + "_arg", arg, scalar(name + ".sqrt_2_over_pi", (float) Math.sqrt(2 / Math.PI)), sum));
        graph.addNode(node("Tanh", name, tanh, arg));
        graph.addNode(node("Add", name + "_add", plus, scalar(name + ".one", 1f), tanh));
        graph.addNode(node("Mul", name + "_mul", product, in, plus));
        graph.addNode(node("Mul", name + "_half", out, scalar(name + ".half", 0.5f), product));
    }

    /**
     * A Constant node holding {@code values} with extents {@code dims}: a fixed tensor (a
     * {@link ChannelAffine}'s), which a reader must not take for a trained parameter as it would an
     * initializer (prune4j's own reader makes a Mul by a named initializer a {@link LayerScale}).
     */
    private String constant(String base, float[] values, int[] dims) {
        String name = unique(base);
        graph.addNode(node("Constant", name, name).addAttribute(AttributeProto.newBuilder().setName("value")
                .setType(AttributeProto.AttributeType.TENSOR).setT(floatTensor(name, values, dims))));
        return name;
    }

    /** A FLOAT initializer of {@code values} with extents {@code dims}. */
    private String floats(String base, float[] values, int[] dims) {
        String name = unique(base);
        graph.addInitializer(floatTensor(name, values, dims));
        return name;
    }

    /** A FLOAT tensor {@code name} of {@code values} (little-endian raw data) with extents {@code dims}. */
    private static TensorProto.Builder floatTensor(String name, float[] values, int[] dims) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (int d : dims) {
            t.addDims(d);
        }
        return t;
    }

    /** An activation's node, with its α (and HardSigmoid's β) as attributes. */
    private NodeProto.Builder activation(Activation a, String out, String in) {
        NodeProto.Builder n = node(operator(a.kind()), a.name(), out, in);
        if (a.kind().hasAlpha()) {
            n.addAttribute(floatAttr("alpha", a.alpha()));
        }
        if (a.kind().hasBeta()) {
            n.addAttribute(floatAttr(a.kind() == ActivationKind.SELU ? "gamma" : "beta", a.beta()));
        }
        return n;
    }

    /**
     * The ONNX operator of an activation kind (each takes the kind's α and β under those names, but
     * Selu's β, its gamma); for GELU, written as five nodes ({@link #gelu}), and Mish, three, the one
     * that carries the layer's name.
     */
    static String operator(ActivationKind kind) {
        return switch (kind) {
            case LEAKY_RELU -> "LeakyRelu";
            case SIGMOID -> "Sigmoid";
            case TANH -> "Tanh";
            case HARD_SIGMOID -> "HardSigmoid";
            case HARD_SWISH -> "HardSwish";
            case ELU -> "Elu";
            case GELU -> "Erf"; // the node under the layer's name in GELU's Div, Erf, Add, Mul, Mul (opset 17 has no Gelu)
            case SELU -> "Selu"; // β is its gamma
            case CELU -> "Celu";
            case SOFTPLUS -> "Softplus";
            case MISH -> "Softplus"; // the node under the layer's name in Mish's Softplus, Tanh, Mul (opset 17 has no Mish)
            case GELU_TANH -> "Tanh"; // the node under the layer's name in the approximation's nine nodes (geluTanh)
        };
    }

    /** The tensor between a layer and its fused Relu. */
    private String linear(String node, String out) {
        return unique(names.outputOf(node + OnnxNames.LINEAR, out + "_linear"));
    }

    private static NodeProto.Builder pooling(NodeProto.Builder n, int window, int stride, int pad) {
        return n.addAttribute(intsAttr("kernel_shape", window, window))
                .addAttribute(intsAttr("strides", stride, stride))
                .addAttribute(intsAttr("pads", pad, pad, pad, pad));
    }

    private NodeProto.Builder node(String op, String prune4jName, String out, String... in) {
        String base = names.nodeName(prune4jName);
        String name = base;
        for (int k = 2; !nodeNames.add(name); k++) {
            name = base + "_" + k;
        }
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(out);
        for (String i : in) {
            n.addInput(i);
        }
        return n;
    }

    private String initializer(String node, String parameter, Tensor value) {
        return floats(names.initializer(node, parameter), value.toFloatArray(), value.shape());
    }

    private String scalar(String base, float value) {
        String name = unique(base);
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE).addFloatData(value));
        return name;
    }

    /** A one-dimensional INT64 initializer. */
    private String ints(String base, long... values) {
        String name = unique(base);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        graph.addInitializer(t);
        return name;
    }

    /** {@code base}, or {@code base_2}, {@code base_3}… when a tensor of that name exists already. */
    private String unique(String base) {
        String name = base;
        for (int k = 2; !tensorNames.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    private static ValueInfoProto valueInfo(String name, int[] perExample) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (int d : perExample) {
            shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
    }

    private static AttributeProto stringAttr(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v)).build();
    }

    private static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    private static AttributeProto floatAttr(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(v).build();
    }

    private static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }
}
