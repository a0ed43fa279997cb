package io.prune4j.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.prune4j.InvalidSettingException;
import io.prune4j.MissingFileException;
import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.ArgChecks;
import io.prune4j.backend.Backend;
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
import io.prune4j.nn.GraphBuilder;
import io.prune4j.nn.GroupNorm;
import io.prune4j.nn.Identity;
import io.prune4j.nn.Layer;
import io.prune4j.nn.LayerNorm;
import io.prune4j.nn.LayerScale;
import io.prune4j.nn.MaxPool2d;
import io.prune4j.nn.Mul;
import io.prune4j.nn.PRelu;
import io.prune4j.nn.PermuteChannels;
import io.prune4j.nn.Relu;
import io.prune4j.nn.Unflatten;
import io.prune4j.nn.Upsample;
import io.prune4j.nn.ZeroPad2d;
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
import io.prune4j.tensor.Shapes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Reads an ONNX model ({@code ModelProto}) into a prune4j {@link Graph}, node by node, for the
 * operators PyTorch writes for convolutional networks (opsets {@value #MIN_OPSET} to
 * {@value #MAX_OPSET}; the exporter's opsets 13 and 17 are the tested ones):
 * Conv, BatchNormalization (inference form, kept as a trainable BatchNorm), Relu, Clip (ReLU6 and
 * other bounds, as inputs or attributes), LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu,
 * MaxPool (ceil_mode too), AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean and
 * ReduceMax over the spatial axes, Add,
 * Sum, Mul of two computed values (of one shape, or a {@code [C, 1, 1]} gate and a {@code [C, H, W]}
 * map: SiLU, hardswish before opset 14, squeeze-and-excitation; not by a constant), Concat
 * (channels), Slice and Split along the channels ({@link ChannelSlice}), a channel shuffle (Reshape to
 * {@code [batch, g, C/g, H, W]}, Transpose {@code [0, 2, 1, 3, 4]}, Reshape back, or a Gather of every
 * channel once along axis 1, as prune4j writes it: {@link PermuteChannels}),
 * Flatten, Reshape to {@code [batch, features]}, Gemm, MatMul (with a
 * following Add of a constant as its bias), a last Softmax or LogSoftmax ({@link OutputFunction}),
 * and Identity, Dropout (inference form), Pad (of zeros) and Constant, which become no node of
 * their own. The shape arithmetic before a Reshape or Slice (Shape, Gather, Unsqueeze, Squeeze, Slice,
 * Cast, Concat, Add, Sub, Mul and Div of shapes, as PyTorch writes for {@code x.view(x.size(0), -1)}
 * and {@code x.chunk(2, 1)}) is evaluated while reading ({@link ShapeFolding}).
 *
 * <p>The graph's one non-initializer input is the network's input: {@code [batch, C, H, W]} or
 * {@code [batch, features]}, the batch extent fixed or symbolic; symbolic extents after the batch
 * need an explicit shape. Its one output is {@code [batch, classes]} (or features) or a map
 * {@code [batch, C, H, W]} (see {@link Graph#classifies()}). Weights must be initializers or Constant outputs (FLOAT); one initializer
 * read by several nodes gives each its own copy (PyTorch shares identical tensors this way). Nodes
 * the output does not depend on are left out. Tensors may keep their data in files beside the model
 * (external data, as PyTorch 2.9 and later export by default; {@link ExternalData}).
 *
 * <p>Anything else (an operator, an attribute or its value, a data type, a tensor whose data does
 * not match its shape, external data that is missing or outside the model's folder, a value no
 * earlier node produces, which includes a cycle, shapes that do not fit, non-finite weights) is an
 * {@link OnnxFormatException} naming the file, the node and its operator: never a silently
 * different network. Allocations are bounded by the file's size (and its external data files'):
 * tensor data is checked against its declared shape before anything is copied. A file
 * that does not exist is an {@link io.prune4j.MissingFileException} instead. When reading fails,
 * the layers built so far are closed.
 *
 * <p>prune4j node names come from the PyTorch names where there are some: a node whose weight
 * initializer is {@code layer1.0.conv1.weight} is {@code layer1.0.conv1}, other nodes keep their
 * ONNX node name (or output name when they have none). {@link OnnxNames} keeps the ONNX names for
 * {@link OnnxWriter}.
 */
public final class OnnxReader {
    /** The lowest opset of the default ONNX domain read. */
    public static final int MIN_OPSET = 9;
    /**
     * The highest opset of the default ONNX domain read. Opsets 19 to 22 changed the operators read
     * here only by new element types (FLOAT is all that is read), AveragePool's {@code dilations}
     * (read when they are 1) and Pad's {@code wrap} mode (only a Pad of nothing is read): PyTorch 2's
     * exporter writes opset 18 and later.
     */
    public static final int MAX_OPSET = 22;
    /** The operators read, for error messages and documentation. */
    public static final String SUPPORTED = "Conv, BatchNormalization, Relu, PRelu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid, "
            + "HardSwish, Elu, Selu, Celu, Softplus, Mish and its Softplus-Tanh-Mul form, Gelu (exact and tanh) and their "
            + "forms below opset 20, LayerNormalization (channels), InstanceNormalization, GroupNormalization, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool, ReduceMean and ReduceMax "
            + "(spatial, at once or one axis after the other), ReduceSum (spatial), Add, Sum, Mul, Sub (of two computed values), "
            + "Add, Sub, Mul and Div of a computed value and a constant per channel, Concat, Flatten, Slice and Split "
            + "(channels), Gather (a channel permutation), Reshape (a flatten, a vector to [C, 1, 1], a map to [C, H·W] for a "
            + "mean or max over it or in groups, or Reshape-Transpose-Reshape as a channel shuffle), Transpose (to channels-last and back), "
            + "Expand (of a gate a Mul reads), Squeeze and Unsqueeze (a pooled map to a vector and back), Gemm, MatMul, "
            + "Identity, Dropout, Constant, Pad (of zeros), Resize and Upsample (nearest, whole factors), Softmax and LogSoftmax (last), and on shapes Shape, Gather, "
            + "Unsqueeze, Squeeze, Slice, Cast (to integers, or to FLOAT), Add, Sub, Mul, Div, ConstantOfShape, Reshape, Transpose";
    /** What reads a channels-last value, for error messages. */
    private static final String CHANNELS_LAST = "LayerNormalization over the last axis, MatMul by a constant [C, K] (with the Add of its"
            + " bias), element-wise activations (GELU among them), Add and Mul of two channels-last values, Add, Sub, Mul and Div by a"
            + " constant of one value or one per channel (the last axis), and the Transpose [0, 3, 1, 2] back";
    /** Largest file read: protobuf's own limit for one message. */
    private static final long MAX_BYTES = Integer.MAX_VALUE;

    private final String file;
    private final Backend backend;
    private final int[] inputShapeOverride;
    private int opset;

    /** Values by tensor name: a prune4j node's output (or the input), or a constant. */
    private final Map<String, String> activations = new HashMap<>();
    private final Map<String, Constant> constants = new HashMap<>();
    private final Map<String, String> nodeNames = new LinkedHashMap<>();
    private final Map<String, String> outputNames = new LinkedHashMap<>();
    private final Map<String, String> initializerNames = new LinkedHashMap<>();
    private final Set<String> usedInitializers = new HashSet<>();
    private final Set<String> taken = new HashSet<>();
    /** Values that are part of a channel shuffle (Reshape to rank 5, then Transpose) not yet reshaped back. */
    private final Map<String, Shuffle> shuffles = new HashMap<>();
    /** Half-way values of a global pooling written in two steps ({@link Partial}), by ONNX value name. */
    private final Map<String, Partial> partials = new HashMap<>();
    /** Expand outputs: the value expanded (a prune4j node) and the per-example shape it is expanded to; only a Mul reads them. */
    private final Map<String, Broadcast> broadcasts = new HashMap<>();

    private record Broadcast(String source, int[] shape) {}
    /**
     * Values that hold a prune4j node's output in the channels-last layout {@code [batch, H, W, C]}:
     * a Transpose with perm {@code [0, 2, 3, 1]} of a map (ConvNeXt's {@code permute}) until the
     * Transpose {@code [0, 3, 1, 2]} back. Only operations on the channel axis or element by element
     * may read them ({@link #CHANNELS_LAST}).
     */
    private final Set<String> channelsLast = new HashSet<>();
    /**
     * Initializers the exporter named (not {@code onnx::…} nor {@code val_N}), and the Identity nodes that pass them on:
     * a model's parameters and buffers. A Mul by one of them, one value per channel, is a
     * {@link LayerScale} that trains; other constants stay fixed.
     */
    private final Set<String> parameters = new HashSet<>();
    /** Per value, the node that writes it and the first node that reads it, and how many read it (set by {@link #convert}). */
    private Map<String, NodeProto> producers = Map.of();
    private Map<String, NodeProto> firstReaders = Map.of();
    private Map<String, Integer> readerCounts = Map.of();
    /** Per value, the nodes that read it, each once, in graph order (set by {@link #convert}). */
    private final Map<String, List<NodeProto>> readersByValue = new HashMap<>();
    /** The graph's output, and the Softmax or LogSoftmax taken off it (see {@link OutputFunction}). */
    private String graphOutput;
    private OutputFunction function = OutputFunction.NONE;
    private String functionNode = "";
    /** Batch extent of the input when the file fixes it (Reshape may name it), else -1. */
    private long fixedBatch = -1;
    /** The tensors the file keeps in other files (see {@link ExternalData}). */
    private final ExternalData external;

    private OnnxReader(String file, Backend backend, int[] inputShape, Path folder) {
        this.file = file;
        this.backend = backend;
        this.inputShapeOverride = inputShape == null ? null : inputShape.clone();
        this.external = new ExternalData(folder);
    }

    /**
     * Reads {@code file} onto {@code backend}. {@code inputShape} (one example, without the batch) is
     * needed when the file leaves extents other than the batch symbolic; when the file fixes them it
     * must agree; null takes the file's.
     *
     * @param file       the ONNX file (not null); at most 2 GiB, its tensors in it or in files beside it
     *                   (external data, see {@link ExternalData})
     * @param backend    where the network's tensors go (not null)
     * @param inputShape one example's shape without the batch ({@code [C, H, W]} or {@code [features]}),
     *                   or null to take the file's
     * @return the network with the file's names, opset, producer and metadata; the caller owns it and closes it
     * @throws io.prune4j.MissingFileException when the file does not exist
     * @throws OnnxFormatException when it is a folder, cannot be read, is larger than 2 GiB, keeps data
     *     in external files that are missing, outside its folder or too short, or is not a model prune4j
     *     reads (see the class comment), naming the file and the first problem
     */
    public static OnnxModel read(Path file, Backend backend, int[] inputShape) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(backend, "backend");
        if (Files.isDirectory(file)) {
            throw new OnnxFormatException(file + ": is a folder, expected an ONNX file");
        }
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new OnnxFormatException(file + ": " + size + " bytes is larger than the 2 GiB an ONNX file holds (larger models keep"
                        + " their weights in external data files)");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new MissingFileException(file);
        } catch (IOException e) {
            throw new OnnxFormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
        Path folder = file.toAbsolutePath().getParent();
        return read(bytes, file.toString(), backend, inputShape, folder);
    }

    /**
     * Reads the ONNX model in {@code bytes}; {@code source} names it in messages.
     *
     * @param bytes      a serialised {@code ModelProto} (not null); not modified
     * @param source     what to call the model in messages, e.g. its file name (not null)
     * @param backend    where the network's tensors go (not null)
     * @param inputShape one example's shape without the batch, or null to take the model's
     * @return the network with the model's names, opset, producer and metadata; the caller owns it and closes it
     * @throws OnnxFormatException when the bytes are not a model prune4j reads, naming {@code source} and
     *     the first problem; a model that keeps tensors in external files is refused (read it with
     *     {@link #read(Path, Backend, int[])}, which finds them beside the file)
     */
    public static OnnxModel read(byte[] bytes, String source, Backend backend, int[] inputShape) {
        return read(bytes, source, backend, inputShape, null);
    }

    private static OnnxModel read(byte[] bytes, String source, Backend backend, int[] inputShape, Path folder) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(backend, "backend");
        ModelProto model;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            in.setRecursionLimit(64); // ONNX nests graphs in attributes; ours has no subgraphs, so a deep nesting is a corrupt file
            model = ModelProto.parseFrom(in);
            in.checkLastTagWas(0);
        } catch (InvalidProtocolBufferException e) {
            throw new OnnxFormatException(source + ": not a valid ONNX protobuf (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new OnnxFormatException(source + ": cannot parse (" + e.getMessage() + ")");
        }
        OnnxReader reader = new OnnxReader(source, backend, inputShape, folder);
        try {
            return reader.convert(model);
        } finally {
            reader.external.close();
        }
    }

    private OnnxModel convert(ModelProto model) {
        if (!model.hasGraph()) {
            throw new OnnxFormatException(file + ": no graph (is this an ONNX model file?)");
        }
        opset = opsetOf(model);
        GraphProto g = model.getGraph();
        if (g.getSparseInitializerCount() > 0) {
            throw new OnnxFormatException(file + ": sparse initializers are not supported (initializer '" + g.getSparseInitializer(0)
                    .getValues().getName() + "')");
        }
        for (TensorProto t : g.getInitializerList()) {
            if (constants.containsKey(t.getName())) {
                throw new OnnxFormatException(file + ": two initializers named '" + t.getName() + "'");
            }
            constants.put(t.getName(), Constant.of(file, "initializer '" + t.getName() + "'", t, external));
            // PyTorch's exporters name the constants they make onnx::… (TorchScript) and val_N (PyTorch 2's, which lifts every
            // constant to an initializer); a model's parameters and buffers keep their state_dict names
            if (!t.getName().startsWith("onnx::") && !t.getName().matches("val_[0-9]+")) {
                parameters.add(t.getName());
            }
        }
        ValueInfoProto input = theInput(g);
        int[] shape = inputShape(input);
        if (g.getOutputCount() != 1) {
            throw new OnnxFormatException(file + ": the graph has " + g.getOutputCount() + " outputs; prune4j reads models with one output"
                    + " (class scores, features or a map)");
        }
        String outputName = g.getOutput(0).getName();
        graphOutput = outputName;
        List<NodeProto> nodes = live(g, outputName, input.getName());
        taken.add(Graph.INPUT);
        activations.put(input.getName(), Graph.INPUT);
        GraphBuilder builder = Graph.builder(backend, 0, shape);
        boolean built = false;
        try {
            Map<String, Integer> readers = readers(nodes, outputName);
            Map<String, NodeProto> firstReader = new HashMap<>();
            Map<String, NodeProto> producer = new HashMap<>();
            for (NodeProto n : nodes) {
                for (String in : n.getInputList()) {
                    firstReader.putIfAbsent(in, n);
                    List<NodeProto> r = readersByValue.computeIfAbsent(in, k -> new ArrayList<>());
                    if (r.isEmpty() || r.get(r.size() - 1) != n) {
                        r.add(n); // a node that reads a value twice is listed once: its inputs are walked together
                    }
                }
                for (String o : n.getOutputList()) {
                    producer.put(o, n);
                }
            }
            producers = producer;
            firstReaders = firstReader;
            readerCounts = readers;
            Set<NodeProto> absorbed = new HashSet<>();
            for (NodeProto node : nodes) {
                if (!absorbed.contains(node)) {
                    convertNode(builder, node, firstReader, readers, absorbed);
                }
            }
            String last = activations.get(outputName);
            if (last == null && shuffles.containsKey(outputName)) {
                throw new OnnxFormatException(file + ": the graph output '" + outputName + "' is a rank-5 view of a feature map, not class"
                        + " scores");
            }
            if (last == null) {
                throw new OnnxFormatException(file + ": the graph output '" + outputName + "' is "
                        + (constants.containsKey(outputName) ? "a constant" : "produced by no node"));
            }
            if (last.equals(Graph.INPUT)) {
                throw new OnnxFormatException(file + ": the graph output '" + outputName + "' is its input; there is no network to prune");
            }
            if (channelsLast.contains(outputName)) {
                throw new OnnxFormatException(file + ": the graph output '" + outputName + "' is a channels-last map; prune4j reads"
                        + " outputs of [batch, features] and [batch, C, H, W]");
            }
            Graph net;
            try {
                net = builder.build();
            } catch (IllegalArgumentException | InvalidSettingException e) {
                throw new OnnxFormatException(file + ": " + e.getMessage());
            }
            built = true;
            if (!net.outputName().equals(last)) {
                net.close();
                throw new OnnxFormatException(file + ": internal: the output '" + outputName + "' is not the last node");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            for (StringStringEntryProto e : model.getMetadataPropsList()) {
                meta.put(e.getKey(), e.getValue());
            }
            OnnxNames names = new OnnxNames(input.getName(), outputName, nodeNames, outputNames, initializerNames, g.getName(), function,
                    functionNode);
            return new OnnxModel(net, names, opset, model.getProducerName() + (model.getProducerVersion().isEmpty() ? ""
                    : " " + model.getProducerVersion()), meta, external.bytes());
        } finally {
            if (!built) {
                builder.close();   // the builder owns the layers added so far
            }
        }
    }

    private int opsetOf(ModelProto model) {
        int found = -1;
        for (OperatorSetIdProto id : model.getOpsetImportList()) {
            if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
                found = (int) Math.max(Math.min(id.getVersion(), Integer.MAX_VALUE), Integer.MIN_VALUE);
            }
        }
        if (found < 0) {
            throw new OnnxFormatException(file + ": no opset of the default ONNX domain is imported");
        }
        if (found < MIN_OPSET || found > MAX_OPSET) {
            throw new OnnxFormatException(file + ": opset " + found + " is not supported (opsets " + MIN_OPSET + " to " + MAX_OPSET
                    + " are; re-export with opset_version=17)");
        }
        return found;
    }

    /** The one graph input that is not an initializer. */
    private ValueInfoProto theInput(GraphProto g) {
        List<ValueInfoProto> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) {
            if (!constants.containsKey(v.getName())) {
                inputs.add(v);
            }
        }
        if (inputs.size() != 1) {
            List<String> names = inputs.stream().map(ValueInfoProto::getName).toList();
            throw new OnnxFormatException(file + ": the graph has " + inputs.size() + " inputs " + names
                    + "; prune4j reads models with one input (the images or feature vectors)");
        }
        return inputs.get(0);
    }

    private int[] inputShape(ValueInfoProto input) {
        String what = file + ": input '" + input.getName() + "'";
        TypeProto type = input.getType();
        if (!type.hasTensorType()) {
            throw new OnnxFormatException(what + " is not a tensor");
        }
        int elem = type.getTensorType().getElemType();
        if (elem != TensorProto.DataType.FLOAT_VALUE) {
            throw new OnnxFormatException(what + " has element type " + typeName(elem) + "; only FLOAT inputs are supported");
        }
        if (!type.getTensorType().hasShape()) {
            if (inputShapeOverride == null) {
                throw new OnnxFormatException(what + " has no shape; give the input shape of one example ([C, H, W] or [features])");
            }
            return inputShapeOverride.clone();
        }
        List<TensorShapeProto.Dimension> dims = type.getTensorType().getShape().getDimList();
        if (dims.size() != 2 && dims.size() != 4) {
            throw new OnnxFormatException(what + " has rank " + dims.size() + "; prune4j reads [batch, C, H, W] images or [batch, features]"
                    + " vectors");
        }
        if (dims.get(0).hasDimValue()) {
            fixedBatch = dims.get(0).getDimValue();
        }
        int[] shape = new int[dims.size() - 1];
        StringBuilder described = new StringBuilder("[").append(describe(dims.get(0)));
        boolean symbolic = false;
        for (int i = 1; i < dims.size(); i++) {
            TensorShapeProto.Dimension d = dims.get(i);
            described.append(", ").append(describe(d));
            if (d.hasDimValue()) {
                long v = d.getDimValue();
                if (v < 1 || v > Integer.MAX_VALUE) {
                    throw new OnnxFormatException(what + " has extent " + v + " in dimension " + i);
                }
                shape[i - 1] = (int) v;
            } else {
                symbolic = true;
                shape[i - 1] = -1;
            }
        }
        described.append("]");
        if (inputShapeOverride != null) {
            if (inputShapeOverride.length != shape.length) {
                throw new OnnxFormatException(what + " is " + described + " but the input shape given has " + inputShapeOverride.length
                        + " extents " + Arrays.toString(inputShapeOverride));
            }
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] != -1 && shape[i] != inputShapeOverride[i]) {
                    throw new OnnxFormatException(what + " is " + described + ", which the input shape given "
                            + Arrays.toString(inputShapeOverride) + " contradicts");
                }
            }
            return perExample(what, inputShapeOverride.clone());
        }
        if (symbolic) {
            throw new OnnxFormatException(what + " is " + described + ": give the input shape, the extents after the batch ([C, H, W])");
        }
        return perExample(what, shape);
    }

    /** {@code shape}, when one example of it fits a tensor (2^31 − 1 elements). */
    private static int[] perExample(String what, int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new OnnxFormatException(what + " is " + Arrays.toString(shape) + " per example, more than the 2^31 − 1 elements a"
                        + " tensor holds");
            }
        }
        return shape;
    }

    private static String describe(TensorShapeProto.Dimension d) {
        return d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() && !d.getDimParam().isEmpty() ? d.getDimParam() : "?";
    }

    /** The nodes the output depends on, in the file's order. */
    private List<NodeProto> live(GraphProto g, String output, String input) {
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < g.getNodeCount(); i++) {
            for (String o : g.getNode(i).getOutputList()) {
                if (o.isEmpty()) {
                    continue;
                }
                if (producer.put(o, i) != null || constants.containsKey(o) || o.equals(input)) {
                    throw new OnnxFormatException(file + ": value '" + o + "' is written twice (by " + where(g.getNode(i)) + " and another)");
                }
            }
        }
        boolean[] needed = new boolean[g.getNodeCount()];
        ArrayDeque<String> todo = new ArrayDeque<>();
        todo.add(output);
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String v = todo.poll();
            if (!seen.add(v)) {
                continue;
            }
            Integer p = producer.get(v);
            if (p != null && !needed[p]) {
                needed[p] = true;
                for (String in : g.getNode(p).getInputList()) {
                    if (!in.isEmpty()) {
                        todo.add(in);
                    }
                }
            }
        }
        List<NodeProto> out = new ArrayList<>();
        for (int i = 0; i < needed.length; i++) {
            if (needed[i]) {
                out.add(g.getNode(i));
            }
        }
        return out;
    }

    /** How many nodes (and graph outputs) read each value. */
    private static Map<String, Integer> readers(List<NodeProto> nodes, String output) {
        Map<String, Integer> n = new HashMap<>();
        for (NodeProto node : nodes) {
            for (String in : node.getInputList()) {
                n.merge(in, 1, Integer::sum);
            }
        }
        n.merge(output, 1, Integer::sum);
        return n;
    }

    private String where(NodeProto node) {
        if (node.getName().isEmpty()) {
            return "the " + node.getOpType() + " node writing '" + (node.getOutputCount() > 0 ? node.getOutput(0) : "") + "'";
        }
        return "node '" + node.getName() + "' (" + node.getOpType() + ")";
    }

    private OnnxFormatException error(NodeProto node, String message) {
        return new OnnxFormatException(file + ": " + where(node) + ": " + message);
    }

    private void convertNode(GraphBuilder g, NodeProto node, Map<String, NodeProto> nodes, Map<String, Integer> readers,
                             Set<NodeProto> absorbed) {
        if (!node.getDomain().isEmpty() && !node.getDomain().equals("ai.onnx")) {
            throw error(node, "operator domain '" + node.getDomain() + "' is not supported; supported: " + SUPPORTED + " (default domain)");
        }
        if (node.getOutputCount() < 1 || node.getOutput(0).isEmpty()) {
            throw error(node, "has no output");
        }
        if (node.getInputList().stream().anyMatch(channelsLast::contains)) {
            channelsLastNode(g, node, nodes, readers, absorbed);
        } else {
            convertOp(g, node, nodes, readers, absorbed);
        }
    }

    private void convertOp(GraphBuilder g, NodeProto node, Map<String, NodeProto> nodes, Map<String, Integer> readers,
                           Set<NodeProto> absorbed) {
        String op = node.getOpType();
        switch (op) {
            case "Constant" -> {
                constants.put(node.getOutput(0), constantNode(node));
                outputsOnly(node, 1);
            }
            case "Identity" -> {
                attributes(node);
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                if (constants.containsKey(node.getInput(0))) {
                    alias(node, node.getInput(0)); // a shared initializer (PyTorch de-duplicates equal tensors this way)
                    if (parameters.contains(node.getInput(0)) && !node.getOutput(0).startsWith("onnx::")) {
                        parameters.add(node.getOutput(0));
                    }
                } else {
                    add(g, node, new Identity(name(node, null), backend), activation(node, 0));
                }
            }
            case "Dropout" -> {
                attributes(node, "ratio", "seed");
                inputs(node, 1, 3);
                if (node.getInputCount() == 3 && !node.getInput(2).isEmpty()) {
                    Constant t = constant(node, 2, "training_mode");
                    if (t.ints != null && t.ints.length == 1 && t.ints[0] != 0 || t.floats != null && t.floats.length == 1 && t.floats[0] != 0) {
                        throw error(node, "training_mode is true; only inference Dropout (an identity) is supported");
                    }
                }
                if (node.getOutputCount() > 1 && !node.getOutput(1).isEmpty() && readers.containsKey(node.getOutput(1))) {
                    throw error(node, "its mask output is read; only inference Dropout (an identity) is supported");
                }
                alias(node, node.getInput(0));
            }
            case "Conv" -> conv(g, node, nodes, readers, absorbed);
            case "BatchNormalization" -> batchNorm(g, node);
            case "Relu" -> {
                attributes(node);
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                add(g, node, new Relu(name(node, null), backend), activation(node, 0));
            }
            case "Clip" -> clip(g, node);
            case "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "Mish" -> activationNode(g, node);
            case "Softplus" -> {
                if (!mish(g, node, absorbed)) {
                    activationNode(g, node);
                }
            }
            case "Gelu" -> geluNode(g, node);
            case "Erf" -> throw error(node, "Erf is supported only inside GELU, x · 0.5 · (1 + erf(x / √2)) as PyTorch exports it (Div by"
                    + " √2, Erf, Add 1, Mul by x, Mul by 0.5)");
            case "LayerNormalization" -> layerNorm(g, node, false);
            case "InstanceNormalization" -> instanceNorm(g, node);
            case "GroupNormalization" -> groupNormalization(g, node);
            case "PRelu" -> {
                attributes(node);
                inputs(node, 2, 2);
                outputsOnly(node, 1);
                String x = activation(node, 0);
                Constant c = constant(node, 1, "slope");
                if (c.floats == null) {
                    throw error(node, "slope '" + node.getInput(1) + "' must be FLOAT");
                }
                finite(node, "slope", c.floats);
                int[] shape = g.shape(x);
                float[] slope = perChannel(node, c, shape, false);
                String name = name(node, node.getInput(1));
                record(name, "weight", node.getInput(1));
                add(g, node, new PRelu(name, backend, shape[0], slope, shape.length == 3), x);
            }
            case "MaxPool", "AveragePool" -> pool(g, node);
            case "GlobalAveragePool" -> {
                attributes(node);
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                add(g, node, new GlobalAvgPool(name(node, null), backend), activation(node, 0));
            }
            case "Add", "Sum" -> {
                attributes(node);
                inputs(node, 2, op.equals("Add") ? 2 : Integer.MAX_VALUE);
                outputsOnly(node, 1);
                if (op.equals("Add") && foldsArithmetic(node)) {
                    return;
                }
                if (op.equals("Add") && affine(g, node)) {
                    return;
                }
                String[] in = new String[node.getInputCount()];
                for (int i = 0; i < in.length; i++) {
                    if (constants.containsKey(node.getInput(i))) {
                        throw error(node, "adds the constant '" + node.getInput(i) + "'; a Sum adds computed values only (an Add of one"
                                + " value and one constant per channel is read)");
                    }
                    in[i] = activation(node, i);
                }
                add(g, node, new Add(name(node, null), backend), in);
            }
            case "Mul" -> {
                attributes(node);
                inputs(node, 2, 2);
                outputsOnly(node, 1);
                if (!foldsArithmetic(node) && !gelu(g, node, absorbed) && !geluTanh(g, node, absorbed) && !affine(g, node)) {
                    mul(g, node);
                }
            }
            case "Sub", "Div" -> {
                attributes(node);
                inputs(node, 2, 2);
                outputsOnly(node, 1);
                if (!foldsArithmetic(node) && !(op.equals("Div") && gelu(g, node, absorbed)) && !affine(g, node)
                        && !(op.equals("Sub") && difference(g, node))) {
                    throw error(node, op + " is supported on shapes (integer constants and Shape outputs) and as a computed value " + (op
                            .equals("Sub") ? "minus a constant (one value, or one per channel) or minus another computed value of its"
                            + " shape" : "divided by a constant (one value, or one per channel)"));
                }
            }
            case "Split" -> split(g, node, readers);
            case "Expand" -> expand(g, node);
            case "Transpose" -> transpose(g, node);
            case "Concat" -> {
                attributes(node, "axis");
                inputs(node, 1, Integer.MAX_VALUE);
                outputsOnly(node, 1);
                if (node.getInputList().stream().allMatch(constants::containsKey)) {
                    Constant[] parts = new Constant[node.getInputCount()];
                    for (int i = 0; i < parts.length; i++) {
                        parts[i] = constant(node, i, "input");
                    }
                    fold(node, () -> ShapeFolding.concat(parts, intAttr(node, "axis", Long.MIN_VALUE)));
                    return;
                }
                String[] in = new String[node.getInputCount()];
                for (int i = 0; i < in.length; i++) {
                    in[i] = activation(node, i);
                }
                int rank = g.shape(in[0]).length + 1;
                long axis = intAttr(node, "axis", Long.MIN_VALUE);
                if (axis != 1 && axis != 1 - rank) {
                    throw error(node, "axis " + (axis == Long.MIN_VALUE ? "(missing)" : axis) + " is not supported; only concatenation"
                            + " along the channels (axis 1) is");
                }
                if (in.length == 1) {
                    alias(node, node.getInput(0));
                } else {
                    add(g, node, new Concat(name(node, null), backend), in);
                }
            }
            case "Flatten" -> {
                attributes(node, "axis");
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                String x = activation(node, 0);
                long axis = intAttr(node, "axis", 1);
                int rank = g.shape(x).length + 1;
                if (axis != 1 && axis != 1 - rank) {
                    throw error(node, "axis " + axis + " is not supported; only axis 1 (keep the batch, flatten the rest) is");
                }
                add(g, node, new Flatten(name(node, null), backend), x);
            }
            case "ReduceMean", "ReduceMax" -> {
                if (!op.equals("ReduceMean") || !decomposedLayerNorm(g, node, absorbed)) {
                    reduceSpatial(g, node, op.equals("ReduceMax"));
                }
            }
            case "ReduceSum" -> reduceSum(g, node);
            case "GlobalMaxPool" -> {
                attributes(node);
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                String x = activation(node, 0);
                add(g, node, globalMax(node, name(node, null), g.shape(x)), x);
            }
            case "Resize", "Upsample" -> resize(g, node);
            case "Softmax", "LogSoftmax" -> outputFunction(g, node);
            case "Reshape" -> reshape(g, node, absorbed);
            case "Shape" -> shape(g, node);
            case "Gather" -> {
                attributes(node, "axis");
                inputs(node, 2, 2);
                outputsOnly(node, 1);
                if (activations.containsKey(node.getInput(0))) {
                    gatherChannels(g, node);
                    return;
                }
                Constant data = shapeInput(node, 0, "data");
                Constant indices = shapeInput(node, 1, "indices");
                fold(node, () -> ShapeFolding.gather(data, indices, intAttr(node, "axis", 0)));
            }
            case "Unsqueeze", "Squeeze" -> squeezing(g, node);
            case "ConstantOfShape" -> {
                attributes(node, "value");
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                Constant shape = shapeInput(node, 0, "input");
                AttributeProto v = node.getAttributeList().stream().filter(a -> a.getName().equals("value")).findFirst().orElse(null);
                Constant value = v == null ? new Constant(new int[] {1}, new float[] {0f}, null) : Constant.of(file, where(node), v.getT(), external);
                fold(node, () -> ShapeFolding.constantOfShape(shape, value));
            }
            case "Slice" -> slice(g, node);
            case "Cast" -> cast(node);
            case "Pad" -> pad(g, node);
            case "Gemm" -> gemm(g, node, nodes, readers, absorbed);
            case "MatMul" -> matMul(g, node, nodes, readers, absorbed);
            default -> throw error(node, "operator " + op + " is not supported; supported: " + SUPPORTED);
        }
    }


    /** A Constant node's value (its one value attribute), checked. */
    private Constant constantNode(NodeProto node) {
        attributes(node, "value", "value_float", "value_floats", "value_int", "value_ints");
        if (node.getAttributeCount() != 1) {
            throw error(node, "needs exactly one value attribute");
        }
        AttributeProto a = node.getAttribute(0);
        Constant c = switch (a.getName()) {
            case "value" -> Constant.of(file, where(node), a.getT(), external);
            case "value_float" -> new Constant(new int[0], new float[] {a.getF()}, null);
            case "value_floats" -> Constant.floats(a.getFloatsList());
            case "value_int" -> new Constant(new int[0], null, new long[] {a.getI()});
            default -> new Constant(new int[] {a.getIntsCount()}, null, a.getIntsList().stream().mapToLong(Long::longValue).toArray());
        };
        if (c.floats != null) {
            finite(node, a.getName(), c.floats);
        }
        return c;
    }

    /**
     * A node that reads a channels-last value ({@link #channelsLast}): the Transpose back, a
     * LayerNormalization over the channels, a MatMul by a constant (a 1×1 convolution), or an
     * element-wise operation, converted as the same operation on the channels-first map; what it
     * writes is channels-last in turn. Anything else is refused in one line.
     */
    private void channelsLastNode(GraphBuilder g, NodeProto node, Map<String, NodeProto> nodes, Map<String, Integer> readers,
                                  Set<NodeProto> absorbed) {
        String op = node.getOpType();
        String v = node.getInputList().stream().filter(channelsLast::contains).findFirst().orElseThrow();
        switch (op) {
            case "Transpose" -> {
                attributes(node, "perm");
                inputs(node, 1, 1);
                outputsOnly(node, 1);
                if (!Arrays.equals(intsAttr(node, "perm", null), new long[] {0, 3, 1, 2})) {
                    throw error(node, "transposes the channels-last '" + v + "'; only the Transpose back to [batch, C, H, W], perm"
                            + " [0, 3, 1, 2], is supported");
                }
                String x = activations.get(v);
                activations.put(node.getOutput(0), x);
                if (!x.equals(Graph.INPUT)) {
                    outputNames.put(x, node.getOutput(0)); // the export writes the map channels-first: under this name
                }
                return;
            }
            case "ReduceMean" -> {
                if (!decomposedLayerNorm(g, node, absorbed)) {
                    throw error(node, "takes a mean of the channels-last '" + v + "'; a mean over the channels is read only as the"
                            + " start of a LayerNorm as opsets below 17 write it (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div,"
                            + " then Mul and Add of the affine parameters)");
                }
                return;
            }
            case "LayerNormalization", "MatMul", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Elu",
                 "Selu", "Celu", "Softplus", "Mish", "Gelu", "Identity", "Dropout", "Add", "Sum", "Mul", "Sub", "Div" -> {
                for (String in : node.getInputList()) {
                    if (activations.containsKey(in) && !channelsLast.contains(in) || broadcasts.containsKey(in)) {
                        throw error(node, "mixes the channels-last '" + v + "' with '" + in + "', which is not channels-last");
                    }
                }
            }
            default -> throw error(node, "reads '" + v + "', a map seen channels-last (after a Transpose [0, 2, 3, 1]); in that layout"
                    + " only " + CHANNELS_LAST + " are supported");
        }
        Set<String> before = new HashSet<>(activations.keySet());
        if (op.equals("LayerNormalization")) {
            layerNorm(g, node, true);
        } else {
            convertOp(g, node, nodes, readers, absorbed);
        }
        for (String k : activations.keySet()) {
            if (!before.contains(k)) {
                channelsLast.add(k);
            }
        }
    }

    /**
     * LayerNormalization over the channels: of a channels-last map ({@code channelsLastInput}, axis −1
     * or 3: ConvNeXt's {@code LayerNorm2d}) or of {@code [batch, features]} (axis −1 or 1); γ and β
     * train. The Mean and InvStdDev outputs must not be read.
     */
    private void layerNorm(GraphBuilder g, NodeProto node, boolean channelsLastInput) {
        attributes(node, "axis", "epsilon", "stash_type");
        inputs(node, 2, 3);
        for (int i = 1; i < node.getOutputCount(); i++) {
            if (!node.getOutput(i).isEmpty() && readerCounts.containsKey(node.getOutput(i))) {
                throw error(node, "its " + (i == 1 ? "Mean" : "InvStdDev") + " output is read; only Y is supported");
            }
        }
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        int rank = shape.length + 1;
        long axis = intAttr(node, "axis", -1);
        if (!(channelsLastInput ? shape.length == 3 : shape.length == 1) || axis != -1 && axis != rank - 1) {
            throw error(node, "normalises " + Arrays.toString(shape) + " per example" + (channelsLastInput ? " (channels-last)" : "")
                    + " from axis " + axis + "; only the channels are supported: the last axis of a channels-last map (after a"
                    + " Transpose [0, 2, 3, 1], as ConvNeXt's LayerNorm2d) or of [batch, features]");
        }
        float eps = epsilon(node);
        floatStatistics(node);
        int c = shape[0];
        float[] gamma = channelVector(node, 1, "scale", shape);
        boolean hasBias = node.getInputCount() > 2 && !node.getInput(2).isEmpty();
        float[] beta = hasBias ? channelVector(node, 2, "bias", shape) : new float[c];
        String name = name(node, node.getInput(1));
        record(name, "weight", node.getInput(1));
        if (hasBias) {
            record(name, "bias", node.getInput(2));
        }
        add(g, node, new LayerNorm(name, backend.fromArray(gamma, c), backend.fromArray(beta, c), eps), x);
    }

    /**
     * LayerNorm over the channels written out as nodes, read from its first node, the ReduceMean of
     * {@code x} over the channel axis: {@code d = x − mean(x)}, {@code d / sqrt(mean(d^2) + eps)}, then a
     * Mul by γ and an Add of β (both constants of one value per channel) when the layer has them, each
     * intermediate read only inside the pattern. This is how PyTorch exports {@code nn.LayerNorm} below
     * opset 17 (over the last axis: of a channels-last map or of {@code [batch, features]}) and, at any
     * opset, the channels-first LayerNorm the original ConvNeXt code writes by hand (over axis 1 of a
     * {@code [batch, C, H, W]} map, γ and β {@code [C, 1, 1]}). The output keeps the input's layout.
     * False, adding nothing, when {@code node} starts no such pattern.
     */
    private boolean decomposedLayerNorm(GraphBuilder g, NodeProto node, Set<NodeProto> absorbed) {
        if (node.getInputCount() < 1) {
            return false; // refused in its turn, as any ReduceMean without its input
        }
        String xv = node.getInput(0);
        String x = activations.get(xv);
        if (x == null) {
            return false;
        }
        boolean last = channelsLast.contains(xv);
        int[] shape = g.shape(x);
        // the channel axis: the last of a channels-last map or of a vector, axis 1 of a channels-first map
        int axis = last || shape.length == 1 ? shape.length : shape.length == 3 ? 1 : -1;
        if (axis < 0 || !channelMean(node, shape.length + 1, axis)) {
            return false;
        }
        NodeProto sub = soleReader(node.getOutput(0), "Sub");
        if (sub == null || !sub.getInput(0).equals(xv) || !sub.getInput(1).equals(node.getOutput(0))) {
            return false;
        }
        String d = sub.getOutput(0);
        NodeProto pow = null;
        NodeProto div = null;
        if (readerCounts.getOrDefault(d, 0) != 2) {
            return false;
        }
        for (NodeProto n : readersOf(d)) {
            if (n.getOpType().equals("Pow") && n.getInputCount() == 2 && n.getInput(0).equals(d) && scalarOf(n.getInput(1)) == 2f) {
                pow = n;
            } else if (n.getOpType().equals("Div") && n.getInputCount() == 2 && n.getInput(0).equals(d)) {
                div = n;
            }
        }
        if (pow == null || div == null) {
            return false;
        }
        NodeProto mean2 = soleReader(pow.getOutput(0), "ReduceMean");
        if (mean2 == null || !channelMean(mean2, shape.length + 1, axis)) {
            return false;
        }
        NodeProto addEps = soleReader(mean2.getOutput(0), "Add");
        float eps = addEps == null ? Float.NaN : scalarOf(other(addEps, mean2.getOutput(0)));
        NodeProto sqrt = addEps == null || !(eps > 0) ? null : soleReader(addEps.getOutput(0), "Sqrt");
        if (sqrt == null || !div.getInput(1).equals(sqrt.getOutput(0)) || !onlyReader(sqrt.getOutput(0), div)) {
            return false;
        }
        int c = shape[0];
        NodeProto mulGamma = soleReader(div.getOutput(0), "Mul");
        float[] gamma = mulGamma == null ? null : channelConstant(other(mulGamma, div.getOutput(0)), shape, last);
        NodeProto addBeta = gamma == null ? null : soleReader(mulGamma.getOutput(0), "Add");
        float[] beta = addBeta == null ? null : channelConstant(other(addBeta, mulGamma.getOutput(0)), shape, last);
        List<NodeProto> chain = new ArrayList<>(List.of(sub, pow, mean2, addEps, sqrt, div));
        NodeProto end = div;
        if (gamma != null) {
            chain.add(mulGamma);
            end = mulGamma;
            if (beta != null) {
                chain.add(addBeta);
                end = addBeta;
            }
        } else {
            gamma = new float[c];
            Arrays.fill(gamma, 1f);
        }
        if (!chain.stream().allMatch(n -> n == mean2 || plain(n))) {   // mean2's attributes are channelMean's to check
            return false;
        }
        absorbed.addAll(chain);
        String gammaName = end != div ? other(mulGamma, div.getOutput(0)) : null;
        // a hand-written LayerNorm's γ is often folded into an onnx::… constant: its module then names it, from the node's scope
        String name = name(node, gammaName != null && !gammaName.startsWith("onnx::") ? gammaName : scopeWeight(node));
        if (gammaName != null) {
            record(name, "weight", gammaName);
        }
        if (beta != null) {
            record(name, "bias", other(addBeta, mulGamma.getOutput(0)));
        }
        addAs(g, node, new LayerNorm(name, backend.fromArray(gamma, c), backend.fromArray(beta == null ? new float[c] : beta, c), eps),
                node.getName().isEmpty() ? name : node.getName(), end.getOutput(0), x);
        activations.put(end.getOutput(0), name);
        if (last) {
            channelsLast.add(end.getOutput(0));
        }
        return true;
    }

    /**
     * {@code module.weight} for the module PyTorch's exporter names as the last scope of a node's name
     * ({@code /norm0/ReduceMean} → {@code norm0.weight}; {@code /features/features.0/features.0.1/ReduceMean}
     * → {@code features.0.1.weight}), or null for a name without a scope.
     */
    private static String scopeWeight(NodeProto n) {
        return scopeWeight(n.getName());
    }

    private static String scopeWeight(String node) {
        String[] parts = node.split("/");
        return node.startsWith("/") && parts.length >= 3 && !parts[parts.length - 2].isEmpty() ? parts[parts.length - 2] + ".weight" : null;
    }

    /**
     * Whether a ReduceMean takes the mean over axis {@code axis} alone of a rank-{@code rank} tensor
     * (written as it or as {@code axis − rank}), keeping it (its axes an attribute or, from opset 18, an
     * input), with one output and no attribute ReduceMean does not have.
     */
    private boolean channelMean(NodeProto n, int rank, int axis) {
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx") || n.getOutputCount() != 1 || n.getAttributeList().stream()
                .anyMatch(a -> !Set.of("axes", "keepdims", "noop_with_empty_axes").contains(a.getName()))) {
            return false;   // read (and refused) as a ReduceMean in its turn
        }
        long[] axes;
        if (opset < 18) {
            axes = n.getInputCount() == 1 ? intsAttr(n, "axes", null) : null;
        } else {
            Constant a = n.getInputCount() == 2 ? constants.get(n.getInput(1)) : null;
            axes = a == null ? null : a.ints();
        }
        return axes != null && axes.length == 1 && (axes[0] == axis || axes[0] == axis - rank) && intAttr(n, "keepdims", 1) == 1;
    }

    /** The nodes that read {@code v}, each once, in graph order. */
    private List<NodeProto> readersOf(String v) {
        return readersByValue.getOrDefault(v, List.of());
    }

    /**
     * The values of constant {@code v} when it holds one FLOAT per channel of {@code [batch, …shape]}
     * (as {@link #perChannelValues} broadcasts it, {@code channelsLast} for a map seen channels-last);
     * else null.
     */
    private float[] channelConstant(String v, int[] shape, boolean channelsLast) {
        Constant k = constants.get(v);
        float[] f = k == null ? null : perChannelValues(k, shape, channelsLast);
        return f != null && f.length == shape[0] ? f : null;
    }

    /**
     * Constant input {@code input} of a LayerNormalization over the channels of {@code [batch, …shape]}
     * (the last axis): FLOAT, one value per channel ({@code [C]}, {@code [1, …, 1, C]}); else an error.
     */
    private float[] channelVector(NodeProto node, int input, String what, int[] shape) {
        Constant k = constant(node, input, what);
        int c = shape[0];
        float[] f = perChannelValues(k, shape, true);
        if (f == null || f.length != c) {
            throw error(node, what + " '" + node.getInput(input) + "' has shape " + Arrays.toString(k.dims) + (k.floats == null ? " (not FLOAT)"
                    : "") + "; expected FLOAT [" + c + "], one per channel");
        }
        return k.floats;
    }

    /** ONNX's Gelu (opset 20): the exact form ({@code approximate = "none"}) or the tanh approximation. */
    private void geluNode(GraphBuilder g, NodeProto node) {
        attributes(node, "approximate");
        inputs(node, 1, 1);
        outputsOnly(node, 1);
        String approximate = stringAttr(node, "approximate", "none");
        if (!approximate.equals("none") && !approximate.equals("tanh")) {
            throw error(node, "approximate '" + approximate + "' is not supported; only 'none' (the exact GELU) and 'tanh' are");
        }
        ActivationKind kind = approximate.equals("none") ? ActivationKind.GELU : ActivationKind.GELU_TANH;
        add(g, node, new Activation(name(node, null), backend, kind, 0f, 0f), activation(node, 0));
    }

    /**
     * GELU as PyTorch writes it below opset 20, {@code x · 0.5 · (1 + erf(x / √2))}, read as one
     * {@link ActivationKind#GELU} node: from the Div of {@code x} by √2 (or a Mul by 1/√2), read only
     * by an Erf, read only by an Add of 1, read only by a Mul by {@code x} and then one by 0.5 (or by
     * 0.5 and then by {@code x}); or, as {@code x * 0.5 * (1 + erf(x / √2))} is written by hand, from
     * the Mul of {@code x} by 0.5 whose only reader multiplies it by that {@code 1 + erf(x / √2)}.
     * False, adding nothing, when {@code node} starts no such pattern (it is then read as what it is).
     */
    private boolean gelu(GraphBuilder g, NodeProto node, Set<NodeProto> absorbed) {
        String x = scalarOperand(node);
        if (x == null) {
            return false;
        }
        float c = scalarOf(other(node, x));
        String op = node.getOpType();
        List<NodeProto> chain = new ArrayList<>();
        NodeProto end = null;
        NodeProto div = null;
        NodeProto byX = null;
        NodeProto byHalf = null;
        if (op.equals("Div") && node.getInput(0).equals(x) && near(c, SQRT2) || op.equals("Mul") && near(c, 1 / SQRT2)) {
            NodeProto e = soleReader(node.getOutput(0), "Erf");
            NodeProto a = e == null ? null : soleReader(e.getOutput(0), "Add");
            NodeProto m1 = a == null || !near(scalarOf(other(a, e.getOutput(0))), 1f) ? null : soleReader(a.getOutput(0), "Mul");
            if (m1 == null) {
                return false;
            }
            String o = other(m1, a.getOutput(0));
            NodeProto m2 = soleReader(m1.getOutput(0), "Mul");
            boolean xFirst = o.equals(x) && m2 != null && near(scalarOf(other(m2, m1.getOutput(0))), 0.5f);
            if (xFirst || near(scalarOf(o), 0.5f) && m2 != null && other(m2, m1.getOutput(0)).equals(x)) {
                chain.addAll(List.of(e, a, m1, m2));
                end = m2;
                div = node;
                byX = xFirst ? m1 : m2;
                byHalf = xFirst ? m2 : m1;
            }
        } else if (op.equals("Mul") && near(c, 0.5f)) {
            NodeProto m1 = soleReader(node.getOutput(0), "Mul");
            NodeProto a = m1 == null ? null : producers.get(other(m1, node.getOutput(0)));
            boolean add = a != null && a.getOpType().equals("Add") && a.getInputCount() == 2 && onlyReader(a.getOutput(0), m1);
            String erfOut = !add ? null : near(scalarOf(a.getInput(0)), 1f) ? a.getInput(1) : near(scalarOf(a.getInput(1)), 1f)
                    ? a.getInput(0) : null;
            NodeProto e = erfOut == null ? null : producers.get(erfOut);
            NodeProto d = e == null || !e.getOpType().equals("Erf") || e.getInputCount() != 1 || !onlyReader(erfOut, a) ? null
                    : producers.get(e.getInput(0));
            if (d != null && onlyReader(d.getOutput(0), e) && !activations.containsKey(d.getOutput(0)) && x.equals(scalarOperand(d))) {
                float k = scalarOf(other(d, x));
                boolean scaled = d.getOpType().equals("Div") && d.getInput(0).equals(x) && near(k, SQRT2)
                        || d.getOpType().equals("Mul") && near(k, 1 / SQRT2);
                if (scaled) {
                    chain.addAll(List.of(d, e, a, m1));
                    end = m1;
                    div = d;
                    byX = m1;
                    byHalf = node;
                }
            }
        }
        if (end == null) {
            return false;
        }
        if (!chain.stream().allMatch(OnnxReader::plain)) {
            return false;
        }
        NodeProto erf = chain.stream().filter(n -> n.getOpType().equals("Erf")).findFirst().orElseThrow();
        // the export writes GELU as Div, Erf, Add, Mul by x, Mul by 0.5 (OnnxWriter)
        fused(g, node, ActivationKind.GELU, x, erf, end, chain, absorbed, new String[][] {{"_div", div.getName()},
            {"_add", chain.get(chain.indexOf(erf) + 1).getName()}, {"_mul", byX.getName()}, {"_half", byHalf.getName()}});
        return true;
    }

    /**
     * Adds the activation {@code kind} of {@code x} that the nodes {@code chain} compute, read as one
     * node (they are absorbed): named as {@code key}, the node the export writes under the layer's
     * name, and writing {@code end}'s output. {@code parts} pairs each other node of the export (a
     * suffix of the layer's name) with the file's name for it, kept where the file had one.
     */
    private void fused(GraphBuilder g, NodeProto node, ActivationKind kind, String x, NodeProto key, NodeProto end,
                       List<NodeProto> chain, Set<NodeProto> absorbed, String[][] parts) {
        absorbed.addAll(chain);
        String name = name(key, null);
        addAs(g, node, new Activation(name, backend, kind, 0f, 0f), key.getName().isEmpty() ? name : key.getName(), end.getOutput(0),
                activations.get(x));
        activations.put(end.getOutput(0), name);
        keepNodeNames(name, parts);
    }

    /**
     * Records the file's names of the nodes the export writes for layer {@code name} besides its own:
     * {@code parts} pairs each node's suffix of the layer's name with the file's name for it, kept
     * where the file had one.
     */
    private void keepNodeNames(String name, String[][] parts) {
        for (String[] part : parts) {
            if (!part[1].isEmpty()) {
                nodeNames.put(name + part[0], part[1]);
            }
        }
    }

    private static final float SQRT2 = (float) Math.sqrt(2);

    /**
     * GELU's tanh approximation as PyTorch writes it below opset 20,
     * {@code 0.5 · (x · (1 + tanh(√(2/π) · (x + 0.044715 · x · (x · x)))))}, read as one
     * {@link ActivationKind#GELU_TANH} node: from the Mul of {@code x} by itself, each node of the
     * chain read only by the next (Mul by x, Mul by 0.044715, Add x, Mul by √(2/π), Tanh, Add 1, Mul by
     * x, Mul by 0.5). False, adding nothing, when {@code node} starts no such chain.
     */
    private boolean geluTanh(GraphBuilder g, NodeProto node, Set<NodeProto> absorbed) {
        if (node.getInputCount() != 2 || !node.getInput(0).equals(node.getInput(1)) || !activations.containsKey(node.getInput(0))) {
            return false;
        }
        String x = node.getInput(0);
        NodeProto cube = soleReader(node.getOutput(0), "Mul");
        if (cube == null || !other(cube, node.getOutput(0)).equals(x)) {
            return false;
        }
        NodeProto scaled = soleReader(cube.getOutput(0), "Mul");
        if (scaled == null || !near(scalarOf(other(scaled, cube.getOutput(0))), 0.044715f)) {
            return false;
        }
        NodeProto sum = soleReader(scaled.getOutput(0), "Add");
        if (sum == null || !other(sum, scaled.getOutput(0)).equals(x)) {
            return false;
        }
        NodeProto arg = soleReader(sum.getOutput(0), "Mul");
        if (arg == null || !near(scalarOf(other(arg, sum.getOutput(0))), (float) Math.sqrt(2 / Math.PI))) {
            return false;
        }
        NodeProto tanh = soleReader(arg.getOutput(0), "Tanh");
        NodeProto one = tanh == null ? null : soleReader(tanh.getOutput(0), "Add");
        if (one == null || !near(scalarOf(other(one, tanh.getOutput(0))), 1f)) {
            return false;
        }
        NodeProto byX = soleReader(one.getOutput(0), "Mul");
        if (byX == null || !other(byX, one.getOutput(0)).equals(x)) {
            return false;
        }
        NodeProto half = soleReader(byX.getOutput(0), "Mul");
        if (half == null || !near(scalarOf(other(half, byX.getOutput(0))), 0.5f)) {
            return false;
        }
        List<NodeProto> chain = List.of(node, cube, scaled, sum, arg, tanh, one, byX, half);
        if (!chain.stream().allMatch(OnnxReader::plain)) {
            return false;
        }
        // the export writes it as these nodes again (OnnxWriter)
        fused(g, node, ActivationKind.GELU_TANH, x, tanh, half, chain, absorbed, new String[][] {{"_square", node.getName()},
            {"_cube", cube.getName()}, {"_cubic", scaled.getName()}, {"_sum", sum.getName()}, {"_arg", arg.getName()},
            {"_add", one.getName()}, {"_mul", byX.getName()}, {"_half", half.getName()}});
        return true;
    }

    /**
     * Mish as PyTorch writes it below opset 18, {@code x · tanh(softplus(x))}, read as one
     * {@link ActivationKind#MISH} node: from a Softplus of {@code x} read only by a Tanh, read only by
     * a Mul by {@code x}. False, adding nothing, when {@code node} starts no such chain (it is then a
     * Softplus of its own).
     */
    private boolean mish(GraphBuilder g, NodeProto node, Set<NodeProto> absorbed) {
        if (node.getInputCount() != 1 || node.getOutputCount() != 1 || !plain(node) || !activations.containsKey(node.getInput(0))) {
            return false;
        }
        String x = node.getInput(0);
        NodeProto tanh = firstReaders.get(node.getOutput(0));
        if (tanh == null || !onlyReader(node.getOutput(0), tanh) || !tanh.getOpType().equals("Tanh") || tanh.getInputCount() != 1
                || !plain(tanh)) {
            return false;
        }
        NodeProto mul = soleReader(tanh.getOutput(0), "Mul");
        if (mul == null || !plain(mul) || !other(mul, tanh.getOutput(0)).equals(x)) {
            return false;
        }
        // the export writes Mish as Softplus, Tanh, Mul (OnnxWriter); the Softplus itself is read now, not absorbed
        fused(g, node, ActivationKind.MISH, x, node, mul, List.of(tanh, mul), absorbed, new String[][] {{"_tanh", tanh.getName()},
            {"_mul", mul.getName()}});
        return true;
    }

    /** Whether {@code v} is within a few float ulps (relative 1e-6) of {@code target}; false for NaN (no scalar). */
    private static boolean near(float v, float target) {
        return Math.abs(v - target) <= 1e-6f * Math.abs(target);
    }

    /** The computed operand of a two-input node whose other operand is one FLOAT value; null when it has no such pair. */
    private String scalarOperand(NodeProto n) {
        if (n.getInputCount() != 2) {
            return null;
        }
        for (int i = 0; i < 2; i++) {
            if (activations.containsKey(n.getInput(i)) && !Float.isNaN(scalarOf(n.getInput(1 - i)))) {
                return n.getInput(i);
            }
        }
        return null;
    }

    /**
     * A Sub of two computed values of one shape, {@code a − b}: an Add of {@code a} and a fixed
     * {@link ChannelAffine} that negates {@code b} (named after the node, with {@code _negated}), so
     * that the channels couple as an Add's do. False, adding nothing, when an operand is no computed
     * value.
     */
    private boolean difference(GraphBuilder g, NodeProto node) {
        String av = activations.get(node.getInput(0));
        String bv = activations.get(node.getInput(1));
        if (av == null || bv == null) {
            return false;
        }
        int[] shape = g.shape(bv);
        if (!Arrays.equals(g.shape(av), shape)) {
            throw error(node, "subtracts " + Arrays.toString(shape) + " from " + Arrays.toString(g.shape(av)) + " per example; only values of"
                    + " one shape are supported");
        }
        float[] minusOne = new float[shape[0]];
        Arrays.fill(minusOne, -1f);
        String name = name(node, null);
        String negName = unique(name + "_negated");
        addAs(g, node, new ChannelAffine(negName, backend, minusOne, new float[shape[0]], shape.length == 3), negName,
                node.getOutput(0) + "_negated", bv);
        add(g, node, new Add(name, backend), av, negName);
        return true;
    }

    /** {@code n}'s operand other than {@code v} (a two-input node), or {@code v} when both are. */
    private static String other(NodeProto n, String v) {
        if (n.getInputCount() != 2) {
            return "";
        }
        return n.getInput(0).equals(v) ? n.getInput(1) : n.getInput(0);
    }

    /**
     * The one FLOAT value that {@code v} holds: a constant read so far, or a Constant node not read
     * yet (a pattern looks ahead); NaN when {@code v} is no such scalar.
     */
    private float scalarOf(String v) {
        Constant c = constants.get(v);
        if (c == null) {
            NodeProto p = producers.get(v);
            if (p != null && p.getOpType().equals("Constant") && p.getDomain().isEmpty()) {
                try {
                    c = constantNode(p);
                } catch (OnnxFormatException e) {
                    return Float.NaN; // read (and refused) in its turn
                }
            }
        }
        return c != null && c.floats != null && c.floats.length == 1 ? c.floats[0] : Float.NaN;
    }

    /**
     * The node that alone reads {@code v}, when it is an {@code op} with the inputs that operator has
     * in the patterns read here: one for Erf and Sqrt, two for the arithmetic, one or (the axes, from
     * opset 18) two for ReduceMean; else null.
     */
    private NodeProto soleReader(String v, String op) {
        NodeProto r = firstReaders.get(v);
        if (r == null || readerCounts.getOrDefault(v, 0) != 1 || !r.getOpType().equals(op)) {
            return null;
        }
        int n = r.getInputCount();
        boolean ok = switch (op) {
            case "Erf", "Sqrt", "Tanh" -> n == 1;
            case "ReduceMean" -> n == (opset < 18 ? 1 : 2);
            default -> n == 2;
        };
        return ok ? r : null;
    }

    /**
     * Whether a node of a pattern (GELU's, LayerNorm's) is what the pattern takes it for: of the
     * default domain, without attributes (which could change what it computes), with one output.
     */
    private static boolean plain(NodeProto n) {
        return (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx")) && n.getAttributeCount() == 0 && n.getOutputCount() == 1;
    }

    /** Whether {@code reader} is the one reader of {@code v}. */
    private boolean onlyReader(String v, NodeProto reader) {
        return readerCounts.getOrDefault(v, 0) == 1 && firstReaders.get(v) == reader;
    }

    private void conv(GraphBuilder g, NodeProto node, Map<String, NodeProto> nodes, Map<String, Integer> readers,
                      Set<NodeProto> absorbed) {
        attributes(node, "auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        inputs(node, 2, 3);
        outputsOnly(node, 1);
        String x = activation(node, 0);
        int[] xs = g.shape(x);
        if (xs.length != 3) {
            throw error(node, "reads " + Arrays.toString(xs) + " per example; only 2-d convolutions of [C, H, W] maps are supported");
        }
        Constant w = constant(node, 1, "weight");
        if (w.dims.length != 4 || w.floats == null) {
            throw error(node, "weight '" + node.getInput(1) + "' has shape " + Arrays.toString(w.dims) + "; a 2-d convolution needs FLOAT"
                    + " [out, in/groups, kH, kW]");
        }
        if (Arrays.stream(w.dims).anyMatch(d -> d == 0)) {
            throw error(node, "weight '" + node.getInput(1) + "' has an empty extent: " + Arrays.toString(w.dims));
        }
        int out = w.dims[0];
        int kh = w.dims[2];
        int kw = w.dims[3];
        long groups = intAttr(node, "group", 1);
        if (groups < 1 || groups > xs[0] || xs[0] % groups != 0 || out % groups != 0 || xs[0] / groups != w.dims[1]) {
            throw error(node, groups + " groups and weight " + Arrays.toString(w.dims) + " do not fit " + xs[0] + " input channels");
        }
        long[] ks = intsAttr(node, "kernel_shape", null);
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            throw error(node, "kernel_shape " + Arrays.toString(ks) + " does not match the weight's " + kh + "x" + kw);
        }
        ones(node, "dilations");
        int stride = square(node, "strides", 1);
        int[] pads = pads(node, kh, kw, stride, xs);
        int pad = evenPad(pads, Math.min(kh, kw));
        float[] bias = null;
        if (node.getInputCount() == 3 && !node.getInput(2).isEmpty()) {
            Constant b = constant(node, 2, "bias");
            if (b.floats == null || b.floats.length != out || b.dims.length != 1) {
                throw error(node, "bias '" + node.getInput(2) + "' has shape " + Arrays.toString(b.dims) + ", expected [" + out + "]");
            }
            bias = b.floats;
        }
        String name = name(node, node.getInput(1));
        if (pad < 0) {
            x = padInFront(g, node, name, x, pads);
            pad = 0;
        }
        NodeProto relu = reluOf(node.getOutput(0), nodes, readers);
        Conv2d layer = new Conv2d(name, backend.fromArray(w.floats, w.dims), bias == null ? null : backend.fromArray(bias, out), stride, pad,
                (int) groups, relu != null);
        record(name, "weight", node.getInput(1));
        if (bias != null) {
            record(name, "bias", node.getInput(2));
        }
        add(g, node, layer, x);
        fuse(name, node.getOutput(0), relu, absorbed);
    }

    /** The Relu that is the only reader of {@code value}, to fuse into the layer that writes it; else null. */
    private static NodeProto reluOf(String value, Map<String, NodeProto> nodes, Map<String, Integer> readers) {
        if (readers.getOrDefault(value, 0) != 1) {
            return null;
        }
        NodeProto n = nodes.get(value);
        boolean plain = n != null && n.getOpType().equals("Relu") && n.getDomain().isEmpty() && n.getAttributeCount() == 0
                && n.getInputCount() == 1 && n.getOutputCount() == 1 && !n.getOutput(0).isEmpty();
        return plain ? n : null;
    }

    /** Maps a fused Relu's output to the layer {@code name}, which wrote {@code linear} before it. */
    private void fuse(String name, String linear, NodeProto relu, Set<NodeProto> absorbed) {
        if (relu == null) {
            return;
        }
        absorbed.add(relu);
        activations.put(relu.getOutput(0), name);
        outputNames.put(name, relu.getOutput(0));
        outputNames.put(name + OnnxNames.LINEAR, linear);
        nodeNames.put(name + OnnxNames.RELU, relu.getName().isEmpty() ? name + OnnxNames.RELU : relu.getName());
    }

    /**
     * The padding of a Conv or pooling node reading {@code xs [C, H, W]}, from its {@code pads} or
     * {@code auto_pad}, in ONNX's order {@code {top, left, bottom, right}}; SAME pads so that
     * {@code out = ⌈in / stride⌉}, the odd one at the end (UPPER) or the start (LOWER).
     */
    private int[] pads(NodeProto node, int kh, int kw, int stride, int[] xs) {
        String autoPad = stringAttr(node, "auto_pad", "NOTSET");
        switch (autoPad) {
            case "NOTSET" -> {
                long[] pads = intsAttr(node, "pads", null);
                if (pads == null) {
                    return new int[4];
                }
                if (pads.length != 4) {
                    throw error(node, "pads " + Arrays.toString(pads) + " are not the 4 of a 2-d operator");
                }
                int[] p = new int[4];
                for (int i = 0; i < 4; i++) {
                    if (pads[i] < 0 || pads[i] > Integer.MAX_VALUE) {
                        throw error(node, "pads " + Arrays.toString(pads) + " are not supported; a negative pad (a crop) is not");
                    }
                    p[i] = (int) pads[i];
                }
                return p;
            }
            case "VALID" -> {
                return new int[4];
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                int[] k = {kh, kw};
                int[] p = new int[4];
                for (int a = 0; a < 2; a++) {
                    long in = xs[1 + a];
                    long total = Math.max(0, ((in + stride - 1) / stride - 1) * stride + k[a] - in);
                    long small = total / 2;
                    p[a] = (int) (autoPad.equals("SAME_UPPER") ? small : total - small);
                    p[a + 2] = (int) (total - p[a]);
                }
                return p;
            }
            default -> throw error(node, "auto_pad '" + autoPad + "' is not supported (NOTSET, VALID, SAME_UPPER, SAME_LOWER are)");
        }
    }

    /** The one padding of all four sides when they are alike and at most half the kernel, which a layer takes itself; else −1. */
    private static int evenPad(int[] pads, int kernel) {
        boolean even = pads[0] == pads[1] && pads[0] == pads[2] && pads[0] == pads[3] && pads[0] <= kernel / 2;
        return even ? pads[0] : -1;
    }

    /**
     * A {@link ZeroPad2d} in front of the layer {@code name}, read from {@code node}, for the padding
     * {@code pads} ({@code {top, left, bottom, right}}) that the layer cannot take itself; the layer then
     * pads by 0. Returns the padded value.
     */
    private String padInFront(GraphBuilder g, NodeProto node, String name, String x, int[] pads) {
        ZeroPad2d pad = new ZeroPad2d(unique(name + "/pad"), backend, pads[0], pads[2], pads[1], pads[3]);
        addAs(g, node, pad, (node.getName().isEmpty() ? name : node.getName()) + "/pad", node.getOutput(0) + "/pad", x);
        return pad.name();
    }

    private void batchNorm(GraphBuilder g, NodeProto node) {
        attributes(node, "epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs");
        inputs(node, 5, 5);
        if (intAttr(node, "training_mode", 0) != 0) {
            throw error(node, "training_mode 1 is not supported; export in inference form (model.eval(), training=TrainingMode.PRESERVE"
                    + " or EVAL)");
        }
        if (intAttr(node, "spatial", 1) != 1) {
            throw error(node, "spatial 0 is not supported (per-channel statistics only)");
        }
        for (int i = 1; i < node.getOutputCount(); i++) {
            if (!node.getOutput(i).isEmpty()) {
                throw error(node, "writes its running statistics as outputs (training form); only the inference form is supported");
            }
        }
        String x = activation(node, 0);
        int channels = g.shape(x)[0];
        String[] what = {"scale", "B", "input_mean", "input_var"};
        float[][] t = new float[4][];
        for (int i = 0; i < 4; i++) {
            Constant c = constant(node, i + 1, what[i]);
            if (c.floats == null || c.floats.length != channels || c.dims.length != 1) {
                throw error(node, what[i] + " '" + node.getInput(i + 1) + "' has shape " + Arrays.toString(c.dims) + ", expected ["
                        + channels + "]");
            }
            t[i] = c.floats;
        }
        for (float v : t[3]) {
            if (v < 0) {
                throw error(node, "input_var '" + node.getInput(4) + "' holds a negative variance (" + v + ")");
            }
        }
        float eps = floatAttr(node, "epsilon", 1e-5f);
        float momentum = floatAttr(node, "momentum", 0.9f);
        if (!(eps > 0) || !Float.isFinite(eps) || !(momentum >= 0 && momentum <= 1)) {
            throw error(node, "epsilon " + eps + " and momentum " + momentum + " must be positive and in [0, 1]");
        }
        String name = name(node, node.getInput(1));
        // ONNX's momentum weighs the running value (running·m + batch·(1 − m)); prune4j's, like PyTorch's, the batch
        BatchNorm layer = new BatchNorm(name, backend.fromArray(t[0], channels), backend.fromArray(t[1], channels),
                backend.fromArray(t[2], channels), backend.fromArray(t[3], channels), 1 - momentum, eps);
        record(name, "weight", node.getInput(1));
        record(name, "bias", node.getInput(2));
        record(name, "running_mean", node.getInput(3));
        record(name, "running_var", node.getInput(4));
        add(g, node, layer, x);
    }

    private void clip(GraphBuilder g, NodeProto node) {
        float lo = -Float.MAX_VALUE;
        float hi = Float.MAX_VALUE;
        if (opset < 11) {
            attributes(node, "min", "max");
            inputs(node, 1, 1);
            lo = floatAttr(node, "min", lo);
            hi = floatAttr(node, "max", hi);
        } else {
            attributes(node);
            inputs(node, 1, 3);
            if (node.getInputCount() > 1 && !node.getInput(1).isEmpty()) {
                lo = scalar(node, 1, "min");
            }
            if (node.getInputCount() > 2 && !node.getInput(2).isEmpty()) {
                hi = scalar(node, 2, "max");
            }
        }
        outputsOnly(node, 1);
        if (!(lo <= hi) || Float.isNaN(lo) || Float.isNaN(hi)) {
            throw error(node, "bounds min " + lo + " and max " + hi + " are not a range");
        }
        lo = Math.max(lo, -Float.MAX_VALUE);
        hi = Math.min(hi, Float.MAX_VALUE);
        String x = activation(node, 0);
        Layer layer = lo == 0 && hi == Float.MAX_VALUE ? new Relu(name(node, null), backend) : new Clamp(name(node, null), backend, lo, hi);
        add(g, node, layer, x);
    }

    /** ONNX Selu's default α. */
    private static final float SELU_ALPHA = 1.67326319217681884765625f;
    /** ONNX Selu's default γ. */
    private static final float SELU_GAMMA = 1.05070102214813232421875f;

    /**
     * An element-wise activation, with ONNX's defaults for its attributes (LeakyRelu α 0.01,
     * HardSigmoid α 0.2 β 0.5, Elu and Celu α 1, Selu α 1.6732632 γ 1.0507010, γ being prune4j's β).
     */
    private void activationNode(GraphBuilder g, NodeProto node) {
        ActivationKind kind = switch (node.getOpType()) {
            case "LeakyRelu" -> ActivationKind.LEAKY_RELU;
            case "Sigmoid" -> ActivationKind.SIGMOID;
            case "Tanh" -> ActivationKind.TANH;
            case "HardSigmoid" -> ActivationKind.HARD_SIGMOID;
            case "HardSwish" -> ActivationKind.HARD_SWISH;
            case "Selu" -> ActivationKind.SELU;
            case "Celu" -> ActivationKind.CELU;
            case "Softplus" -> ActivationKind.SOFTPLUS;
            case "Mish" -> ActivationKind.MISH;
            default -> ActivationKind.ELU;
        };
        String betaName = kind == ActivationKind.SELU ? "gamma" : "beta";
        if (kind.hasBeta()) {
            attributes(node, "alpha", betaName);
        } else if (kind.hasAlpha()) {
            attributes(node, "alpha");
        } else {
            attributes(node);
        }
        inputs(node, 1, 1);
        outputsOnly(node, 1);
        float alpha = floatAttr(node, "alpha", switch (kind) {
            case LEAKY_RELU -> 0.01f;
            case HARD_SIGMOID -> 0.2f;
            case SELU -> SELU_ALPHA;
            default -> 1f;
        });
        float beta = floatAttr(node, betaName, kind == ActivationKind.SELU ? SELU_GAMMA : 0.5f);
        if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
            throw error(node, "alpha " + alpha + " and " + betaName + " " + beta + " must be finite");
        }
        if (kind == ActivationKind.CELU && alpha == 0f) {
            throw error(node, "alpha 0 is not a CELU (it divides by alpha)");
        }
        String x = activation(node, 0);
        add(g, node, new Activation(name(node, null), backend, kind, kind.hasAlpha() ? alpha : 0f, kind.hasBeta() ? beta : 0f), x);
    }

    /** A product of two values computed from the input: of one shape, or a gate {@code [C, 1, 1]} and a map {@code [C, H, W]}. */
    private void mul(GraphBuilder g, NodeProto node) {
        attributes(node);
        inputs(node, 2, 2);
        outputsOnly(node, 1);
        for (int i = 0; i < 2; i++) {
            if (constants.containsKey(node.getInput(i))) {
                throw error(node, "multiplies by the constant '" + node.getInput(i) + "'; only products of two values computed from the"
                        + " input are supported (of one shape, or a [C, 1, 1] gate and a [C, H, W] map)");
            }
        }
        String[] in = new String[2];
        for (int i = 0; i < 2; i++) {
            Broadcast b = broadcasts.get(node.getInput(i));
            in[i] = b == null ? activation(node, i) : b.source();
        }
        for (int i = 0; i < 2; i++) {
            Broadcast b = broadcasts.get(node.getInput(i));
            if (b != null && !Arrays.equals(b.shape(), g.shape(in[1 - i]))) {
                throw error(node, "multiplies '" + node.getInput(1 - i) + "' of " + Arrays.toString(g.shape(in[1 - i])) + " by an Expand to "
                        + Arrays.toString(b.shape()) + "; the expanded shape must be the other factor's");
            }
        }
        add(g, node, new Mul(name(node, null), backend), in);
    }

    /**
     * An Expand of a {@code [C, 1, 1]} gate (or a value of the full shape) to {@code [batch, C, H, W]},
     * as {@code y.expand_as(x)} exports before {@code x * y}: no node, the Mul broadcasts the gate itself.
     */
    private void expand(GraphBuilder g, NodeProto node) {
        attributes(node);
        inputs(node, 2, 2);
        outputsOnly(node, 1);
        String x = activation(node, 0);
        long[] target = shapeInts(node, 1, "shape");
        int[] from = g.shape(x);
        if (target.length != from.length + 1 || target[0] != ShapeFolding.BATCH && target[0] != 1
                && !(fixedBatch > 0 && target[0] == fixedBatch)) {
            throw error(node, "an Expand to " + ShapeFolding.describe(new Constant(new int[] {target.length}, null, target)) + " of "
                    + Arrays.toString(from) + " per example is not supported; only one that keeps the batch and the rank is");
        }
        int[] to = new int[from.length];
        for (int i = 0; i < from.length; i++) {
            long t = target[i + 1];
            if (t == 1) {
                t = from[i];
            }
            if (t < 1 || t > Integer.MAX_VALUE || from[i] != 1 && from[i] != t || i == 0 && t != from[0]) {
                throw error(node, "an Expand of " + Arrays.toString(from) + " to " + Arrays.toString(target) + " is not supported; only the"
                        + " spatial extents of a [C, 1, 1] value may grow");
            }
            to[i] = (int) t;
        }
        if (Arrays.equals(to, from)) {
            alias(node, node.getInput(0));
            return;
        }
        broadcasts.put(node.getOutput(0), new Broadcast(x, to));
    }

    private float scalar(NodeProto node, int input, String what) {
        Constant c = constant(node, input, what);
        if (c.floats == null || c.floats.length != 1) {
            throw error(node, what + " '" + node.getInput(input) + "' must be one FLOAT value, got shape " + Arrays.toString(c.dims));
        }
        return c.floats[0];
    }

    private void pool(GraphBuilder g, NodeProto node) {
        boolean max = node.getOpType().equals("MaxPool");
        if (max) {
            attributes(node, "auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
            if (intAttr(node, "storage_order", 0) != 0) {
                throw error(node, "storage_order 1 is not supported");
            }
            for (int i = 1; i < node.getOutputCount(); i++) {
                if (!node.getOutput(i).isEmpty() && readerCounts.containsKey(node.getOutput(i))) {
                    throw error(node, "its Indices output is read; only the pooled values are supported");
                }
            }
        } else {
            attributes(node, "auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
            outputsOnly(node, 1);
        }
        inputs(node, 1, 1);
        String x = activation(node, 0);
        if (g.shape(x).length != 3) {
            throw error(node, "reads " + Arrays.toString(g.shape(x)) + " per example; only 2-d pooling of [C, H, W] maps is supported");
        }
        ones(node, "dilations");
        long[] ks = intsAttr(node, "kernel_shape", null);
        if (ks == null || ks.length != 2 || ks[0] != ks[1] || ks[0] < 1 || ks[0] > Integer.MAX_VALUE) {
            throw error(node, "kernel_shape " + (ks == null ? "(missing)" : Arrays.toString(ks)) + " is not supported; square 2-d windows are");
        }
        int window = (int) ks[0];
        int stride = square(node, "strides", 1);
        int[] pads = pads(node, window, window, stride, g.shape(x));
        int pad = evenPad(pads, window);
        boolean countIncludePad = intAttr(node, "count_include_pad", 0) != 0;
        if (pad < 0 && (max || !countIncludePad)) {
            throw error(node, "pads " + Arrays.toString(pads) + " (top, left, bottom, right) are not supported for a " + window + "x" + window
                    + (max ? " MaxPool" : " AveragePool without count_include_pad") + "; the same padding on every side, up to half the"
                    + " window, is" + (max ? "" : " (or any padding with count_include_pad 1)"));
        }
        String name = name(node, null);
        if (pad < 0) {
            x = padInFront(g, node, name, x, pads);   // counted padding is zeros read like any other position
            pad = 0;
        }
        boolean ceil = intAttr(node, "ceil_mode", 0) != 0;
        int[] xs = g.shape(x);
        boolean changesShape = ceil && (ceilChanges(xs[1], window, stride, pad) || ceilChanges(xs[2], window, stride, pad));
        Layer layer = max ? new MaxPool2d(name, backend, window, stride, pad, changesShape)
                : new AvgPool2d(name, backend, window, stride, pad, countIncludePad, changesShape);
        add(g, node, layer, x);
    }

    /** Whether ceil mode keeps a partial window over {@code extent} positions, i.e. gives another output extent. */
    private static boolean ceilChanges(int extent, int window, int stride, int pad) {
        return ArgChecks.poolExtent(extent, window, stride, pad, true) != ArgChecks.poolExtent(extent, window, stride, pad, false);
    }

    /**
     * A constant Pad of zeros: nothing when it pads nothing, a {@link ZeroPad2d} when it pads the rows
     * and columns of a map (PyTorch writes one before an AveragePool with count_include_pad, and for
     * {@code ZeroPad2d} and {@code F.pad}); other pads are refused.
     */
    private void pad(GraphBuilder g, NodeProto node) {
        attributes(node, "mode", "pads", "value");
        inputs(node, 1, opset < 18 ? 3 : 4);
        outputsOnly(node, 1);
        String mode = stringAttr(node, "mode", "constant");
        if (!mode.equals("constant")) {
            throw error(node, "mode '" + mode + "' is not supported; only a constant Pad of zeros is");
        }
        long[] pads;
        float value;
        if (opset < 11) {
            pads = intsAttr(node, "pads", new long[0]);
            value = floatAttr(node, "value", 0f);
        } else {
            if (node.getInputCount() < 2 || node.getInput(1).isEmpty()) {
                throw error(node, "has no pads input");
            }
            pads = constant(node, 1, "pads").ints();
            if (pads == null) {
                throw error(node, "pads must be INT64");
            }
            value = node.getInputCount() > 2 && !node.getInput(2).isEmpty() ? scalar(node, 2, "constant_value") : 0f;
        }
        if (value != 0f) {
            throw error(node, "pads with the value " + value + "; only a Pad of zeros is supported");
        }
        if (Arrays.stream(pads).allMatch(p -> p == 0)) {
            alias(node, node.getInput(0));
            return;
        }
        String x = activation(node, 0);
        int rank = g.shape(x).length + 1;
        long[] axes = null;
        if (node.getInputCount() > 3 && !node.getInput(3).isEmpty()) {
            axes = constant(node, 3, "axes").ints();
            if (axes == null) {
                throw error(node, "axes must be INT64");
            }
        }
        int n = axes == null ? rank : axes.length;
        if (pads.length != 2 * n) {
            throw error(node, "pads " + Arrays.toString(pads) + " are not 2 × " + n + " values for " + (axes == null ? "a rank-" + rank + " input"
                    : "axes " + Arrays.toString(axes)));
        }
        long[] begin = new long[rank];
        long[] end = new long[rank];
        for (int i = 0; i < n; i++) {
            long axis = axes == null ? i : axes[i] < 0 ? axes[i] + rank : axes[i];
            if (axis < 0 || axis >= rank || begin[(int) axis] != 0 || end[(int) axis] != 0) {
                throw error(node, "axes " + Arrays.toString(axes) + " are not distinct axes of a rank-" + rank + " input");
            }
            begin[(int) axis] = pads[i];
            end[(int) axis] = pads[i + n];
        }
        if (rank != 4 || begin[0] != 0 || end[0] != 0 || begin[1] != 0 || end[1] != 0) {
            throw error(node, "pads " + Arrays.toString(pads) + " are not supported; only the rows and columns of a [batch, C, H, W] map"
                    + " are padded");
        }
        for (int a = 2; a < 4; a++) {
            if (begin[a] < 0 || end[a] < 0 || begin[a] > Integer.MAX_VALUE || end[a] > Integer.MAX_VALUE) {
                throw error(node, "pads " + Arrays.toString(pads) + " are not supported; a negative pad (a crop) is not");
            }
        }
        ZeroPad2d layer;
        try {
            layer = new ZeroPad2d(name(node, null), backend, (int) begin[2], (int) end[2], (int) begin[3], (int) end[3]);
        } catch (IllegalArgumentException e) {
            throw error(node, e.getMessage());
        }
        add(g, node, layer, x);
    }

    private void reshape(GraphBuilder g, NodeProto node, Set<NodeProto> absorbed) {
        attributes(node, "allowzero");
        inputs(node, 2, 2);
        outputsOnly(node, 1);
        Constant s = constant(node, 1, "shape");
        if (s.ints == null) {
            throw error(node, "shape '" + node.getInput(1) + "' must be INT64");
        }
        boolean zeroCopies = intAttr(node, "allowzero", 0) == 0;
        if (constants.containsKey(node.getInput(0))) {
            Constant data = constant(node, 0, "data");
            foldView(node, () -> ShapeFolding.reshape(data, s.ints, !zeroCopies));
            return;
        }
        Shuffle shuffle = shuffles.get(node.getInput(0));
        if (shuffle != null) {
            unshuffle(g, node, shuffle, s, zeroCopies);
            return;
        }
        Partial normalized = partials.get(node.getInput(0));
        if (normalized != null && normalized.form() == Partial.Form.NORMALIZED) {
            ungroup(g, node, normalized, s, zeroCopies, absorbed);
            return;
        }
        String x = activation(node, 0);
        if (s.ints.length == 5 && g.shape(x).length == 3) {
            startShuffle(g, node, x, s, zeroCopies);
            return;
        }
        if (s.ints.length == 3 && (g.shape(x).length == 3 || g.shape(x).length == 1)) {
            int[] m = g.shape(x);
            long[] t = reshaped(node, s.ints, m, zeroCopies);
            long values = Shapes.size(m);
            if (t != null && m.length == 3 && t[1] == m[0] && t[2] == (long) m[1] * m[2]) {
                partials.put(node.getOutput(0), new Partial(x, Partial.Form.POSITIONS, false, false, 0, node.getName(), m[0], null));
                return;
            }
            if (t == null || t[1] < 1 || m[0] % t[1] != 0 || t[1] * t[2] != values) {
                throw error(node, "shape " + ShapeFolding.describe(s) + " of a " + Arrays.toString(m) + (m.length == 3 ? " map" : " vector")
                        + " is not supported; only " + (m.length == 3 ? "[batch, " + m[0] + ", " + values / m[0] + "] (the positions of"
                        + " each channel in a row, for a mean or maximum over them, or an instance norm) and " : "")
                        + "[batch, G, " + values + " / G] for a G dividing the " + m[0] + " channels (a GroupNorm's groups, for an"
                        + " InstanceNormalization) are");
            }
            partials.put(node.getOutput(0), new Partial(x, Partial.Form.GROUPS, false, false, 0, node.getName(), (int) t[1], null));
            return;
        }
        if (s.ints.length == 4 && g.shape(x).length == 1) {
            long[] t = reshaped(node, s.ints, g.shape(x), zeroCopies);
            if (t == null || t[1] != g.shape(x)[0] || t[2] != 1 || t[3] != 1) {
                throw error(node, "shape " + ShapeFolding.describe(s) + " of a [batch, " + g.shape(x)[0] + "] vector is not supported; only"
                        + " [batch, " + g.shape(x)[0] + ", 1, 1] (a vector as a one-pixel map) is");
            }
            add(g, node, new Unflatten(name(node, null), backend), x);
            return;
        }
        long features = 1;
        for (int d : g.shape(x)) {
            features *= d;
        }
        long[] t = s.ints;
        boolean allowZero = intAttr(node, "allowzero", 0) != 0;
        // with allowzero a 0 is an extent of 0, not the input's: only [0, …] changes meaning (PyTorch 2's view writes allowzero 1)
        boolean flattens = t.length == 2
                && ((t[0] == 0 && !allowZero || t[0] == ShapeFolding.BATCH || (fixedBatch > 0 && t[0] == fixedBatch))
                    && (t[1] == -1 || t[1] == features)
                    || t[0] == -1 && t[1] == features);
        if (!flattens) {
            throw error(node, "shape " + ShapeFolding.describe(s) + " is not supported; only a flatten to [batch, " + features
                    + "] (e.g. [-1, " + features + "] or [0, -1]) is");
        }
        add(g, node, new Flatten(name(node, null), backend), x);
    }

    /**
     * A mean over the two spatial axes of {@code [batch, C, H, W]} ({@code x.mean([2, 3])}) is a
     * global average pool, followed by a Flatten when the axes are not kept; other axes are refused.
     */
    private void reduceSpatial(GraphBuilder g, NodeProto node, boolean max) {
        long[] axes = reduceAxes(node, 18);
        boolean keepDims = intAttr(node, "keepdims", 1) != 0;
        Partial p = partials.get(node.getInput(0));
        if (p != null) {
            finishPooling(g, node, p, max, axes, keepDims);
            return;
        }
        String x = activation(node, 0);
        int rank = g.shape(x).length + 1;
        long[] spatial = sortedAxes(axes, rank);
        if (rank == 4 && spatial.length == 1 && (spatial[0] == 2 || spatial[0] == 3)) {
            // x.mean(3).mean(2), x.max(2)[0].max(2)[0]: the first half of a global pool
            partials.put(node.getOutput(0), new Partial(x, Partial.Form.ROWS, max, keepDims, (int) spatial[0], node.getName()));
            return;
        }
        if (rank != 4 || !Arrays.equals(spatial, new long[] {2, 3})) {
            throw error(node, "a " + (max ? "maximum" : "mean") + " over axes " + (axes == null ? "(all)" : Arrays.toString(axes)) + " of a rank-"
                    + rank + " tensor is not supported; only over the spatial axes [2, 3] of [batch, C, H, W] (a global " + (max ? "max" : "average")
                    + " pool) is");
        }
        String name = name(node, null);
        boolean keep = intAttr(node, "keepdims", 1) != 0;
        String poolName = keep ? name : unique(name + "_pool");
        Layer pool = max ? globalMax(node, poolName, g.shape(x)) : new GlobalAvgPool(poolName, backend);
        if (keep) {
            add(g, node, pool, x);
            return;
        }
        addAs(g, node, pool, poolName, node.getOutput(0) + "_pool", x);
        add(g, node, new Flatten(name, backend), poolName);
    }

    /**
     * A half-way value of a global pooling written in two steps, standing for no prune4j node until
     * the step that finishes it: {@link Form#POSITIONS}, {@code x.view(b, c, -1)} of map
     * {@code source}, awaits a mean or maximum over its last axis; {@link Form#ROWS}, a mean or
     * maximum over one spatial axis of {@code source} ({@code axis}, 2 or 3; {@code max} and
     * {@code keepDims} as it was taken), awaits the same over the other; {@link Form#SQUEEZED}, a pooled {@code [C, 1, 1]} map with one
     * extent of 1 squeezed, the other Squeeze; {@link Form#UNSQUEEZED}, a vector with one extent of 1
     * added, the other Unsqueeze. {@code firstNode} is the ONNX name of the node that began it, which
     * the node made at the end takes.
     */
    private record Partial(String source, Form form, boolean max, boolean keepDims, int axis, String firstNode, int groups,
                           GroupStats stats) {
        enum Form { POSITIONS, ROWS, SQUEEZED, UNSQUEEZED, GROUPS, NORMALIZED }

        Partial(String source, Form form, boolean max, boolean keepDims, int axis, String firstNode) {
            this(source, form, max, keepDims, axis, firstNode, 0, null);
        }

        String describe() {
            return switch (form) {
                case POSITIONS -> "a [batch, C, H·W] view of a feature map";
                case ROWS -> "a " + (max ? "maximum" : "mean") + " over axis " + axis + " of a feature map";
                case SQUEEZED -> "a pooled [batch, C, 1, 1] map with one extent of 1 squeezed";
                case UNSQUEEZED -> "a [batch, C] vector with one extent of 1 added";
                case GROUPS -> "a [batch, " + groups + ", …] view of the channels in " + groups + " groups";
                case NORMALIZED -> "an instance norm of a [batch, " + groups + ", …] view of the channels in groups";
            };
        }

        String readers() {
            return switch (form) {
                case POSITIONS -> "a ReduceMean or ReduceMax over its last axis without keepdims (a global pool), or an"
                        + " InstanceNormalization then a Reshape back (an instance norm)";
                case GROUPS -> "an InstanceNormalization then a Reshape back to the shape it came from (a GroupNorm as PyTorch exports it)";
                case NORMALIZED -> "a Reshape back to the shape it came from (a GroupNorm as PyTorch exports it)";
                case ROWS -> "a Reduce" + (max ? "Max" : "Mean") + " over the other spatial axis, keepdims " + (keepDims ? 1 : 0)
                        + " as before (a global pool)";
                case SQUEEZED -> "a Squeeze of the other extent of 1";
                case UNSQUEEZED -> "an Unsqueeze of one more extent of 1 (giving [batch, C, 1, 1])";
            };
        }
    }

    /**
     * What an InstanceNormalization of a {@link Partial.Form#GROUPS} view holds until the Reshape back
     * makes it a {@link GroupNorm}: its scale and shift per group, its eps, and its node's name.
     */
    private record GroupStats(float[] scale, float[] bias, float eps, String node) {}

    /**
     * InstanceNormalization: of a {@code [batch, C, H, W]} map, PyTorch's {@code InstanceNorm2d}, a
     * {@link GroupNorm} with a group per channel; of a {@code [batch, G, …]} view of a map or vector's
     * channels in groups ({@link Partial.Form#GROUPS}), the middle of a {@code GroupNorm} as PyTorch
     * exports it, finished by the Reshape back ({@link #ungroup}).
     */
    private void instanceNorm(GraphBuilder g, NodeProto node) {
        attributes(node, "epsilon");
        inputs(node, 3, 3);
        outputsOnly(node, 1);
        float eps = epsilon(node);
        Partial p = partials.get(node.getInput(0));
        if (p != null) {
            if (p.form() != Partial.Form.GROUPS && p.form() != Partial.Form.POSITIONS) {
                throw error(node, "reads '" + node.getInput(0) + "', " + p.describe() + "; only " + p.readers() + " may read it");
            }
            float[] scale = normValues(node, 1, "scale", p.groups(), p.groups());
            float[] bias = normValues(node, 2, "B", p.groups(), p.groups());
            partials.put(node.getOutput(0), new Partial(p.source(), Partial.Form.NORMALIZED, false, false, 0, p.firstNode(), p.groups(),
                    new GroupStats(scale, bias, eps, node.getName())));
            return;
        }
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        if (shape.length != 3) {
            throw error(node, "normalises " + Arrays.toString(shape) + " per example; only [batch, C, H, W] maps (InstanceNorm2d) and"
                    + " [batch, G, …] views of the channels in groups (a GroupNorm as PyTorch exports it) are supported");
        }
        int c = shape[0];
        float[] scale = normValues(node, 1, "scale", c, c);
        float[] bias = normValues(node, 2, "B", c, c);
        // InstanceNorm2d without affine parameters writes Constant nodes of ones and zeros: the module then names it, from the scope
        String name = name(node, node.getInput(1).endsWith(".weight") ? node.getInput(1) : scopeWeight(node));
        record(name, "weight", node.getInput(1));
        record(name, "bias", node.getInput(2));
        add(g, node, new GroupNorm(name, backend.fromArray(scale, c), backend.fromArray(bias, c), c, eps), x);
    }

    /**
     * GroupNormalization (opset 18; from opset 21 with a scale and bias per channel, before it per
     * group, either read by its length): a {@link GroupNorm} of a map or a vector.
     */
    private void groupNormalization(GraphBuilder g, NodeProto node) {
        attributes(node, "epsilon", "num_groups", "stash_type");
        inputs(node, 3, 3);
        outputsOnly(node, 1);
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        int c = shape[0];
        long groups = intAttr(node, "num_groups", -1);
        if (groups < 1 || c % groups != 0) {
            throw error(node, "num_groups " + (groups == -1 ? "(missing)" : groups) + " is not supported; it must divide the " + c
                    + " channels");
        }
        float eps = epsilon(node);
        floatStatistics(node);
        int gs = (int) groups;
        float[] scale = normValues(node, 1, "scale", c, gs);
        float[] bias = normValues(node, 2, "bias", c, gs);
        String name = name(node, node.getInput(1));
        // per-group values (opset 18) are spread over the channels, and the file's tensor is no longer the layer's
        if (scale.length == c) {
            record(name, "weight", node.getInput(1));
        }
        if (bias.length == c) {
            record(name, "bias", node.getInput(2));
        }
        add(g, node, new GroupNorm(name, backend.fromArray(perChannel(scale, c), c), backend.fromArray(perChannel(bias, c), c), gs, eps), x);
    }

    /** A normalisation's {@code epsilon} attribute (ONNX's default 1e-5), finite and above 0; else an error. */
    private float epsilon(NodeProto node) {
        float eps = floatAttr(node, "epsilon", 1e-5f);
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw error(node, "epsilon " + eps + " is not supported; it must be finite and > 0");
        }
        return eps;
    }

    /** Refuses a {@code stash_type} other than 1 (statistics in float), the one prune4j computes. */
    private void floatStatistics(NodeProto node) {
        if (intAttr(node, "stash_type", 1) != 1) {
            throw error(node, "stash_type " + intAttr(node, "stash_type", 1) + " is not supported (1, float statistics, is)");
        }
    }

    /** {@code v} of one value per channel, or of one per group repeated over the group's channels. */
    private static float[] perChannel(float[] v, int channels) {
        if (v.length == channels) {
            return v;
        }
        float[] out = new float[channels];
        int per = channels / v.length;
        for (int c = 0; c < channels; c++) {
            out[c] = v[c / per];
        }
        return out;
    }

    /** Constant input {@code input}: FLOAT, finite, {@code [n]} or {@code [m]} values; else an error. */
    private float[] normValues(NodeProto node, int input, String what, int n, int m) {
        Constant k = constant(node, input, what);
        if (k.floats == null || k.dims.length != 1 || k.floats.length != n && k.floats.length != m) {
            throw error(node, what + " '" + node.getInput(input) + "' has shape " + Arrays.toString(k.dims) + (k.floats == null ? " (not FLOAT)"
                    : "") + "; expected FLOAT [" + n + "]" + (m != n ? " or [" + m + "]" : ""));
        }
        finite(node, what + " '" + node.getInput(input) + "'", k.floats);
        return k.floats;
    }

    /**
     * The Reshape that ends a GroupNorm as PyTorch exports it: {@code x.view(b, G, -1)}, an
     * InstanceNormalization of that view (its scale and shift one per group, ones and zeros as
     * PyTorch writes them), a Reshape back to {@code x}'s shape (to a Shape of {@code x}, or a
     * constant), then a Mul by γ and an Add of β of one value per channel when the module has them
     * (absorbed, when each alone reads what the node before it writes). One {@link GroupNorm} node.
     */
    private void ungroup(GraphBuilder g, NodeProto node, Partial p, Constant s, boolean zeroCopies, Set<NodeProto> absorbed) {
        int[] src = g.shape(p.source());
        long values = Shapes.size(src);
        long[] t = reshaped(node, s.ints, new int[] {p.groups(), (int) (values / p.groups())}, zeroCopies);
        if (!Arrays.equals(t, ShapeFolding.shape(src, 0, Long.MAX_VALUE).ints())) {
            throw error(node, "reads '" + node.getInput(0) + "', " + p.describe() + ", with shape " + ShapeFolding.describe(s)
                    + "; only a Reshape back to [batch, " + Arrays.toString(src).substring(1) + " (a GroupNorm as PyTorch exports it) may"
                    + " read it");
        }
        GroupStats st = p.stats();
        int c = src[0];
        float[] gamma = perChannel(st.scale(), c).clone();
        float[] beta = perChannel(st.bias(), c).clone();
        boolean plainScale = allEqual(st.scale(), 1f);
        boolean plainShift = allEqual(st.bias(), 0f);
        String end = node.getOutput(0);
        NodeProto mul = soleReader(end, "Mul");
        float[] w = mul == null || !plain(mul) ? null : channelConstant(other(mul, end), src, false);
        String wName = w == null ? null : other(mul, end);
        NodeProto shift = w == null ? null : soleReader(mul.getOutput(0), "Add");
        float[] a = shift == null || !plain(shift) ? null : channelConstant(other(shift, mul.getOutput(0)), src, false);
        String aName = a == null ? null : other(shift, mul.getOutput(0));
        if (w != null) {
            for (int k = 0; k < c; k++) {
                gamma[k] *= w[k];
                beta[k] *= w[k];
            }
            absorbed.add(mul);
            end = mul.getOutput(0);
            if (a != null) {
                for (int k = 0; k < c; k++) {
                    beta[k] += a[k];
                }
                absorbed.add(shift);
                end = shift.getOutput(0);
            }
        }
        finite(node, "the GroupNorm's scale and shift", gamma);
        finite(node, "the GroupNorm's scale and shift", beta);
        // PyTorch folds γ and β into onnx::… constants: the module then names the layer, from the first node's scope
        String name = name(node, wName != null && !wName.startsWith("onnx::") ? wName : scopeWeight(p.firstNode()));
        if (w != null && plainScale) {
            record(name, "weight", wName);
        }
        if (a != null && plainShift) {
            record(name, "bias", aName);
        }
        GroupNorm layer;
        try {
            layer = new GroupNorm(name, backend.fromArray(gamma, c), backend.fromArray(beta, c), p.groups(), st.eps());
        } catch (IllegalArgumentException e) {
            throw error(node, e.getMessage());
        }
        addAs(g, node, layer, p.firstNode().isEmpty() ? name : p.firstNode(), end, p.source());
        activations.put(end, name);
        // the names of the pattern's other nodes, for the export (OnnxWriter writes the same nodes)
        String shapeNode = readersOf(p.source()).stream().filter(n -> n.getOpType().equals("Shape") && n.getOutputCount() == 1
                && n.getOutput(0).equals(node.getInput(1))).map(NodeProto::getName).findFirst().orElse("");
        String[][] parts = {{"_normalize", st.node()}, {"_shape", shapeNode}, {"_ungroup", node.getName()},
            {"_scale", w == null ? "" : mul.getName()}, {"_shift", a == null ? "" : shift.getName()}};
        keepNodeNames(name, parts);
    }

    private static boolean allEqual(float[] v, float x) {
        for (float f : v) {
            if (f != x) {
                return false;
            }
        }
        return true;
    }

    /**
     * The second step of a global pooling written in two ({@link Partial}): a mean or maximum over
     * the last axis of a {@code [batch, C, H·W]} view, or over the rows after one over the columns;
     * a global pool of the source map, and a Flatten unless the dimensions are kept.
     */
    private void finishPooling(GraphBuilder g, NodeProto node, Partial p, boolean max, long[] axes, boolean keepDims) {
        boolean fits = switch (p.form()) {
            case POSITIONS -> !keepDims && axes != null && axes.length == 1 && (axes[0] == 2 || axes[0] == -1);
            case ROWS -> p.max() == max && p.keepDims() == keepDims && axes != null && axes.length == 1
                    && (keepDims ? axes[0] == 5 - p.axis() || axes[0] == 1 - p.axis() : axes[0] == 2 || axes[0] == -1);
            default -> false;
        };
        if (!fits) {
            throw error(node, "reads '" + node.getInput(0) + "', " + p.describe() + ", with axes " + (axes == null ? "(all)"
                    : Arrays.toString(axes)) + " and keepdims " + (keepDims ? 1 : 0) + "; only " + p.readers() + " may read it");
        }
        String name = name(node, null);
        String poolName = keepDims ? name : unique(name + "_pool");
        Layer pool = max ? globalMax(node, poolName, g.shape(p.source())) : new GlobalAvgPool(poolName, backend);
        if (keepDims) {
            add(g, node, pool, p.source());
            return;
        }
        addAs(g, node, pool, p.firstNode().isEmpty() ? poolName : p.firstNode(), node.getOutput(0) + "_pool", p.source());
        add(g, node, new Flatten(name, backend), poolName);
    }

    /**
     * Squeeze and Unsqueeze of computed values: a pooled {@code [batch, C, 1, 1]} map squeezed to
     * {@code [batch, C]} (a Flatten; in one node over axes [2, 3] or in two), and a vector unsqueezed
     * to {@code [batch, C, 1, 1]} (an {@link Unflatten}: SE gates written {@code y[:, :, None, None]}).
     */
    private void squeezeActivation(GraphBuilder g, NodeProto node, boolean unsqueeze, long[] axes) {
        String v = node.getInput(0);
        Partial p = partials.get(v);
        String what = unsqueeze ? "an Unsqueeze" : "a Squeeze";
        if (axes == null) {
            throw error(node, what + " without axes of a computed value is not supported (it would also take a batch of 1); give the axes");
        }
        if (p != null) {
            boolean fits = (unsqueeze ? p.form() == Partial.Form.UNSQUEEZED : p.form() == Partial.Form.SQUEEZED) && axes.length == 1
                    && (unsqueeze ? axes[0] == 2 || axes[0] == 3 || axes[0] == -1 || axes[0] == -2 : axes[0] == 2 || axes[0] == -1);
            if (!fits) {
                throw error(node, "reads '" + v + "', " + p.describe() + ", with axes " + Arrays.toString(axes) + "; only " + p.readers()
                        + " may read it");
            }
            add(g, node, unsqueeze ? new Unflatten(name(node, null), backend) : new Flatten(name(node, null), backend), p.source());
            return;
        }
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        int rank = shape.length + 1;
        int outRank = unsqueeze ? rank + axes.length : rank;
        long[] n = sortedAxes(axes, outRank);
        boolean pooled = shape.length == 3 && shape[1] == 1 && shape[2] == 1;
        if (!unsqueeze && pooled && Arrays.equals(n, new long[] {2, 3})) {
            add(g, node, new Flatten(name(node, null), backend), x);
        } else if (!unsqueeze && pooled && (Arrays.equals(n, new long[] {2}) || Arrays.equals(n, new long[] {3}))) {
            partials.put(node.getOutput(0), new Partial(x, Partial.Form.SQUEEZED, false, false, 0, node.getName()));
        } else if (unsqueeze && shape.length == 1 && Arrays.equals(n, new long[] {2, 3})) {
            add(g, node, new Unflatten(name(node, null), backend), x);
        } else if (unsqueeze && shape.length == 1 && Arrays.equals(n, new long[] {2})) {
            partials.put(node.getOutput(0), new Partial(x, Partial.Form.UNSQUEEZED, false, false, 0, node.getName()));
        } else {
            throw error(node, what + " over axes " + Arrays.toString(axes) + " of " + Arrays.toString(shape) + " per example is not"
                    + " supported; only a Squeeze of a pooled [C, 1, 1] map to [C] and an Unsqueeze of a [C] vector to [C, 1, 1] are");
        }
    }

    /**
     * The axes of a Reduce node, checking its attributes, inputs and output: the {@code axes}
     * attribute below opset {@code axesInputFrom} (18 for ReduceMean and ReduceMax, 13 for ReduceSum),
     * the second input from it on; null for none.
     */
    private long[] reduceAxes(NodeProto node, int axesInputFrom) {
        long[] axes;
        if (opset < axesInputFrom) {
            attributes(node, "axes", "keepdims");
            inputs(node, 1, 1);
            axes = intsAttr(node, "axes", null);
        } else {
            attributes(node, "keepdims", "noop_with_empty_axes");
            inputs(node, 1, 2);
            axes = node.getInputCount() > 1 && !node.getInput(1).isEmpty() ? shapeInts(node, 1, "axes") : null;
        }
        outputsOnly(node, 1);
        return axes;
    }

    /** {@code axes} of a rank-{@code rank} tensor, negative ones counted from the end, in increasing order; none for null. */
    private static long[] sortedAxes(long[] axes, int rank) {
        return axes == null ? new long[0] : Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
    }

    /**
     * A sum over the spatial axes of {@code [batch, C, H, W]} ({@code x.sum((2, 3))}, often divided by
     * {@code H·W} after): a global average pool times {@code H·W} (a fixed {@link ChannelAffine}),
     * after a Flatten when the axes are not kept; other axes are refused.
     */
    private void reduceSum(GraphBuilder g, NodeProto node) {
        long[] axes = reduceAxes(node, 13);
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        int rank = shape.length + 1;
        long[] spatial = sortedAxes(axes, rank);
        if (rank != 4 || !Arrays.equals(spatial, new long[] {2, 3})) {
            throw error(node, "a sum over axes " + (axes == null ? "(all)" : Arrays.toString(axes)) + " of a rank-" + rank + " tensor is not"
                    + " supported; only over the spatial axes [2, 3] of [batch, C, H, W] (a global average pool times H·W) is");
        }
        boolean keep = intAttr(node, "keepdims", 1) != 0;
        String name = name(node, null);
        String poolName = unique(name + "_pool");
        addAs(g, node, new GlobalAvgPool(poolName, backend), poolName, node.getOutput(0) + "_pool", x);
        float[] scale = new float[shape[0]];
        Arrays.fill(scale, (float) ((long) shape[1] * shape[2]));
        float[] shift = new float[shape[0]];
        String in = poolName;
        if (!keep) {
            in = unique(name + "_flatten");
            addAs(g, node, new Flatten(in, backend), in, node.getOutput(0) + "_flatten", poolName);
        }
        add(g, node, new ChannelAffine(name, backend, scale, shift, keep), in);
    }

    /** A global max pool: of a square {@code [C, H, H]} map a max pool whose window is the map, of any other a {@link GlobalMaxPool}. */
    private Layer globalMax(NodeProto node, String name, int[] shape) {
        if (shape.length != 3) {
            throw error(node, "a global max pool of " + Arrays.toString(shape) + " per example is not supported; only of [C, H, W] maps is");
        }
        // a square map's is a max pool whose window is the map (as files written before GlobalMaxPool read); any other's its own node
        return shape[1] == shape[2] ? new MaxPool2d(name, backend, shape[1], shape[1], 0) : new GlobalMaxPool(name, backend);
    }

    /**
     * A Softmax or LogSoftmax over the classes that writes the graph's output is taken off: prune4j
     * trains on the scores before it, and the writer puts it back. Anywhere else it is refused.
     */
    private void outputFunction(GraphBuilder g, NodeProto node) {
        attributes(node, "axis");
        inputs(node, 1, 1);
        outputsOnly(node, 1);
        String x = activation(node, 0);
        long axis = intAttr(node, "axis", opset < 13 ? 1 : -1);
        if (!node.getOutput(0).equals(graphOutput) || g.shape(x).length != 1 || axis != 1 && axis != -1) {
            throw error(node, node.getOpType() + " is supported only as the last node, over the classes of [batch, classes] (axis 1 or"
                    + " -1)");
        }
        function = node.getOpType().equals("Softmax") ? OutputFunction.SOFTMAX : OutputFunction.LOG_SOFTMAX;
        functionNode = node.getName();
        alias(node, node.getInput(0));
    }

    /**
     * Resize (opset 10 on; Upsample below it) of a map by whole factors with nearest neighbours, as
     * {@code nn.Upsample(scale_factor=2)}, {@code F.interpolate(…, mode="nearest")} and
     * {@code mode="nearest-exact"} export: an {@link Upsample}. The factors come from constant scales
     * {@code [1, 1, sh, sw]} (or {@code [sh, sw]} with opset 18's axes {@code [2, 3]}) or sizes
     * {@code [batch, C, H·sh, W·sw]}; the coordinate modes that pick {@code x[i / sh]} for whole factors
     * are read (asymmetric or tf_half_pixel_for_nn with floor; half_pixel or pytorch_half_pixel with a
     * rounding nearest_mode), anything else is one line.
     */
    private void resize(GraphBuilder g, NodeProto node) {
        boolean old = node.getOpType().equals("Upsample") || opset < 11;
        if (node.getOpType().equals("Upsample") && opset >= 10) {
            throw error(node, "Upsample is deprecated from opset 10; Resize is read");
        }
        if (old) {
            attributes(node, "mode");
            inputs(node, 2, 2);
        } else {
            attributes(node, "mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                    "extrapolation_value", "antialias", "axes", "keep_aspect_ratio_policy");
            inputs(node, 1, 4);
        }
        outputsOnly(node, 1);
        String x = activation(node, 0);
        int[] in = g.shape(x);
        if (in.length != 3) {
            throw error(node, "resizes " + Arrays.toString(in) + " per example; only maps [C, H, W] are resized");
        }
        String mode = stringAttr(node, "mode", "nearest");
        if (!mode.equals("nearest")) {
            throw error(node, "mode '" + mode + "' is not supported; nearest upsampling by whole factors is");
        }
        if (!old) {
            String ctm = stringAttr(node, "coordinate_transformation_mode", "half_pixel");
            String nearest = stringAttr(node, "nearest_mode", "round_prefer_floor");
            boolean exact = switch (ctm) {
                case "asymmetric", "tf_half_pixel_for_nn" -> nearest.equals("floor");
                case "half_pixel", "pytorch_half_pixel" -> nearest.equals("round_prefer_floor") || nearest.equals("round_prefer_ceil");
                default -> false;
            };
            if (!exact) {
                throw error(node, "coordinate_transformation_mode '" + ctm + "' with nearest_mode '" + nearest + "' is not supported;"
                        + " asymmetric or tf_half_pixel_for_nn with floor, and half_pixel or pytorch_half_pixel with round_prefer_floor"
                        + " or round_prefer_ceil, are (they repeat each value for whole factors)");
            }
            if (intAttr(node, "exclude_outside", 0) != 0 || intAttr(node, "antialias", 0) != 0) {
                throw error(node, "exclude_outside and antialias must be 0");
            }
            String policy = stringAttr(node, "keep_aspect_ratio_policy", "stretch");
            if (!policy.equals("stretch")) {
                throw error(node, "keep_aspect_ratio_policy '" + policy + "' is not supported; stretch is");
            }
        }
        long[] axes = old ? null : intsAttr(node, "axes", null);
        if (axes != null && !(axes.length == 2 && (axes[0] == 2 || axes[0] == -2) && (axes[1] == 3 || axes[1] == -1))) {
            throw error(node, "axes " + Arrays.toString(axes) + " are not supported; [2, 3] (the height and width) are");
        }
        int scalesAt = old || opset < 11 ? 1 : 2;
        boolean hasScales = node.getInputCount() > scalesAt && !node.getInput(scalesAt).isEmpty()
                && !(constants.containsKey(node.getInput(scalesAt)) && constants.get(node.getInput(scalesAt)).dims.length == 1
                && constants.get(node.getInput(scalesAt)).dims[0] == 0);
        boolean hasSizes = !old && node.getInputCount() > 3 && !node.getInput(3).isEmpty();
        if (hasScales == hasSizes) {
            throw error(node, "needs either scales or sizes, not " + (hasScales ? "both" : "neither"));
        }
        int rank = axes == null ? 4 : 2;
        long[] factor = new long[2];
        if (hasScales) {
            Constant c = constant(node, scalesAt, "scales");
            if (c.floats == null || c.floats.length != rank) {
                throw error(node, "scales must be " + rank + " FLOAT values, got " + (c.floats == null ? "integers" : c.floats.length));
            }
            for (int k = 0; k < rank; k++) {
                float s = c.floats[k];
                boolean spatial = k >= rank - 2;
                if (!spatial && s != 1f || spatial && (s < 1f || s != Math.rint(s) || s > 1 << 16)) {
                    throw error(node, "scales " + Arrays.toString(c.floats) + " are not supported; 1 for the batch and the channels and"
                            + " whole factors of at least 1 for the height and width are");
                }
                if (spatial) {
                    factor[k - (rank - 2)] = (long) s;
                }
            }
        } else {
            long[] sizes = shapeInts(node, 3, "sizes");
            if (sizes.length != rank) {
                throw error(node, "sizes must be " + rank + " values, got " + sizes.length);
            }
            if (rank == 4 && (sizes[0] != ShapeFolding.BATCH && sizes[0] != fixedBatch || sizes[1] != in[0])) {
                throw error(node, "sizes " + Arrays.toString(sizes) + " change the batch or the channels; only the height and width"
                        + " may grow");
            }
            for (int k = 0; k < 2; k++) {
                long want = sizes[rank - 2 + k];
                int have = in[1 + k];
                if (want < have || want % have != 0) {
                    throw error(node, "sizes " + Arrays.toString(sizes) + " are not whole multiples of the map's " + in[1] + "x" + in[2]);
                }
                factor[k] = want / have;
            }
        }
        if (factor[0] * in[1] > Integer.MAX_VALUE || factor[1] * in[2] > Integer.MAX_VALUE) {
            throw error(node, "upsamples " + Arrays.toString(in) + " beyond 2^31 positions");
        }
        if (factor[0] == 1 && factor[1] == 1) {
            alias(node, node.getInput(0));   // a resize to the same size is the identity
            return;
        }
        try {
            add(g, node, new Upsample(name(node, null), backend, (int) factor[0], (int) factor[1]), x);
        } catch (IllegalArgumentException e) {
            throw error(node, e.getMessage());
        }
    }

    /** {@code base}, or {@code base_2}, {@code base_3}…: a prune4j node name not taken yet. */
    private String unique(String base) {
        if (taken.add(base)) {
            return base;
        }
        for (int k = 2; ; k++) {
            if (taken.add(base + "_" + k)) {
                return base + "_" + k;
            }
        }
    }

    /** {@code Shape} of an activation: its extents, with the batch as {@link ShapeFolding#BATCH}. */
    private void shape(GraphBuilder g, NodeProto node) {
        attributes(node, "start", "end");
        inputs(node, 1, 1);
        outputsOnly(node, 1);
        String v = node.getInput(0);
        if (constants.containsKey(v)) {
            Constant c = constants.get(v);
            long[] dims = Arrays.stream(c.dims).asLongStream().toArray();
            constants.put(node.getOutput(0), ShapeFolding.slice(new Constant(new int[] {dims.length}, null, dims),
                    intAttr(node, "start", 0), intAttr(node, "end", Long.MAX_VALUE), 1));
            return;
        }
        int[] perExample = g.shape(activation(node, 0));
        fold(node, () -> ShapeFolding.shape(perExample, intAttr(node, "start", 0), intAttr(node, "end", Long.MAX_VALUE)));
    }

    private void squeezing(GraphBuilder g, NodeProto node) {
        boolean unsqueeze = node.getOpType().equals("Unsqueeze");
        outputsOnly(node, 1);
        attributes(node, opset < 13 ? new String[] {"axes"} : new String[0]);
        inputs(node, 1, opset < 13 ? 1 : 2);
        long[] axes = opset < 13 ? intsAttr(node, "axes", null)
                : node.getInputCount() > 1 && !node.getInput(1).isEmpty() ? shapeInts(node, 1, "axes") : null;
        if (unsqueeze && axes == null) {
            throw error(node, "needs axes");
        }
        if (activations.containsKey(node.getInput(0)) || partials.containsKey(node.getInput(0))) {
            squeezeActivation(g, node, unsqueeze, axes);
            return;
        }
        Constant data = shapeInput(node, 0, "data");
        long[] a = axes;
        foldView(node, () -> unsqueeze ? ShapeFolding.unsqueeze(data, a) : ShapeFolding.squeeze(data, a));
    }

    private void slice(GraphBuilder g, NodeProto node) {
        if (node.getInputCount() > 0 && (activations.containsKey(node.getInput(0)) || shuffles.containsKey(node.getInput(0)))) {
            channelSlice(g, node);
            return;
        }
        outputsOnly(node, 1);
        inputs(node, 1, opset < 10 ? 1 : 5);
        Constant data = shapeInput(node, 0, "data");
        SliceArgs args = sliceArgs(node);
        long[] starts = args.starts();
        long[] ends = args.ends();
        long[] axes = args.axes() == null ? new long[] {0} : args.axes();
        long[] steps = args.steps();
        if (starts == null || ends == null || starts.length != 1 || ends.length != 1 || axes.length != 1 || steps.length != 1) {
            throw error(node, "only a slice of one axis of a constant is supported");
        }
        long step = steps[0];
        fold(node, () -> ShapeFolding.slice(data, axes[0], starts[0], ends[0], step));
    }

    /** The one form of a channel shuffle read, for messages. */
    private static final String SHUFFLE = "Reshape to [batch, g, C/g, H, W], Transpose with perm [0, 2, 1, 3, 4], Reshape to "
            + "[batch, C, H, W]";

    /** A channel shuffle read so far: {@code source}'s channels in {@code groups} groups, transposed once the Transpose is read. */
    private record Shuffle(String source, int channels, int groups, int height, int width, boolean transposed) {}

    /**
     * The extents a Reshape to {@code target} gives a {@code [batch, …from]} value, batch first (as
     * {@link ShapeFolding#BATCH}), or null when the batch extent does not stay the batch: {@code 0}
     * copies the input's extent (unless {@code allowzero}), one {@code −1} takes what is left.
     */
    private long[] reshaped(NodeProto node, long[] target, int[] from, boolean zeroCopies) {
        long total = 1;
        for (int d : from) {
            total *= d;
        }
        long[] out = target.clone();
        int free = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            long t = out[i];
            if (i == 0) {
                if (t == ShapeFolding.BATCH || t == 0 && zeroCopies || fixedBatch > 0 && t == fixedBatch) {
                    out[0] = ShapeFolding.BATCH;
                    continue;
                }
                if (t != -1) {
                    return null;
                }
            }
            if (t == 0 && zeroCopies) {
                if (i > from.length) {
                    throw error(node, "shape " + Arrays.toString(target) + " copies extent " + i + " (0) of a rank-" + (from.length + 1)
                            + " tensor");
                }
                out[i] = from[i - 1];
            } else if (t == -1) {
                if (free >= 0) {
                    throw error(node, "shape " + Arrays.toString(target) + " has more than one -1");
                }
                free = i;
                continue;
            } else if (t < 1) {
                throw error(node, "shape " + ShapeFolding.describe(new Constant(new int[] {target.length}, null, target)) + " has the"
                        + " extent " + t);
            }
            known *= out[i];
        }
        if (free == 0) {
            // the batch is what is left over once the other extents take one example's elements
            out[0] = known == total ? ShapeFolding.BATCH : 0;
            return known == total ? out : null;
        }
        if (free > 0) {
            if (known == 0 || total % known != 0) {
                throw error(node, "shape " + Arrays.toString(target) + " does not divide one example's " + total + " elements");
            }
            out[free] = total / known;
        }
        return out;
    }

    /** A Reshape of {@code [batch, C, H, W]} to {@code [batch, g, C/g, H, W]}: the first step of a channel shuffle. */
    private void startShuffle(GraphBuilder g, NodeProto node, String x, Constant s, boolean zeroCopies) {
        int[] from = g.shape(x);
        long[] t = reshaped(node, s.ints, from, zeroCopies);
        if (t == null || t[1] * t[2] != from[0] || t[3] != from[1] || t[4] != from[2]) {
            throw error(node, "shape " + ShapeFolding.describe(s) + " of a [batch, " + from[0] + ", " + from[1] + ", " + from[2]
                    + "] map is not supported; a rank-5 reshape is read only as the start of a channel shuffle: " + SHUFFLE);
        }
        shuffles.put(node.getOutput(0), new Shuffle(x, from[0], (int) t[1], from[1], from[2], false));
    }

    /** The Transpose in the middle of a channel shuffle; no other Transpose is read. */
    private void transpose(GraphBuilder g, NodeProto node) {
        attributes(node, "perm");
        inputs(node, 1, 1);
        outputsOnly(node, 1);
        Shuffle sh = shuffles.get(node.getInput(0));
        long[] perm = intsAttr(node, "perm", null);
        if (constants.containsKey(node.getInput(0))) {
            Constant data = constant(node, 0, "data");
            foldView(node, () -> ShapeFolding.transpose(data, perm));
            return;
        }
        if (sh == null && activations.containsKey(node.getInput(0)) && Arrays.equals(perm, new long[] {0, 2, 3, 1})
                && g.shape(activations.get(node.getInput(0))).length == 3) {
            // a map seen channels-last: the same prune4j value, read by channel-wise operations until the Transpose back
            activations.put(node.getOutput(0), activations.get(node.getInput(0)));
            channelsLast.add(node.getOutput(0));
            return;
        }
        if (sh == null || sh.transposed() || !Arrays.equals(perm, new long[] {0, 2, 1, 3, 4})) {
            throw error(node, "a Transpose is supported only in a channel shuffle (" + SHUFFLE + ") and from a [batch, C, H, W] map to"
                    + " channels-last with perm [0, 2, 3, 1] and back with [0, 3, 1, 2]");
        }
        shuffles.put(node.getOutput(0), new Shuffle(sh.source(), sh.channels(), sh.groups(), sh.height(), sh.width(), true));
    }

    /** The Reshape back to {@code [batch, C, H, W]} that ends a channel shuffle: one {@link PermuteChannels} node. */
    private void unshuffle(GraphBuilder g, NodeProto node, Shuffle sh, Constant s, boolean zeroCopies) {
        int[] from = {sh.channels() / sh.groups(), sh.groups(), sh.height(), sh.width()};
        long[] t = sh.transposed() ? reshaped(node, s.ints, from, zeroCopies) : null;
        if (t == null || t.length != 4 || t[1] != sh.channels() || t[2] != sh.height() || t[3] != sh.width()) {
            throw error(node, "shape " + ShapeFolding.describe(s) + " is not supported after a rank-5 reshape; a channel shuffle is "
                    + SHUFFLE);
        }
        PermuteChannels layer;
        try {
            layer = PermuteChannels.shuffle(name(node, null), backend, sh.channels(), sh.groups());
        } catch (IllegalArgumentException e) {
            throw error(node, e.getMessage());
        }
        add(g, node, layer, sh.source());
    }

    /**
     * A Gather of an activation along its channels by constant indices that name each channel once:
     * a permutation ({@link PermuteChannels}), as prune4j writes a channel shuffle.
     */
    private void gatherChannels(GraphBuilder g, NodeProto node) {
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        int rank = shape.length + 1;
        long axis = intAttr(node, "axis", 0);
        long[] idx = shapeInts(node, 1, "indices");
        int c = shape[0];
        String why = "a Gather of an activation is supported only along the channels (axis 1) by one-dimensional indices that name"
                + " each of its " + c + " channels once (a channel permutation)";
        if (axis != 1 && axis != 1 - rank || idx.length != c || constants.get(node.getInput(1)).dims.length != 1) {
            throw error(node, why);
        }
        int[] source = new int[c];
        for (int i = 0; i < c; i++) {
            long k = idx[i] < 0 ? idx[i] + c : idx[i];
            if (k < 0 || k >= c) {
                throw error(node, why);
            }
            source[i] = (int) k;
        }
        PermuteChannels layer;
        try {
            layer = new PermuteChannels(name(node, null), backend, source);   // refuses a channel named twice
        } catch (IllegalArgumentException e) {
            throw error(node, why);
        }
        add(g, node, layer, x);
    }

    /** A Slice's bounds: attributes before opset 10, inputs from then on; {@code axes} null when the node gives none. */
    private record SliceArgs(long[] starts, long[] ends, long[] axes, long[] steps) {}

    private SliceArgs sliceArgs(NodeProto node) {
        if (opset < 10) {
            attributes(node, "starts", "ends", "axes");
            inputs(node, 1, 1);
            return new SliceArgs(intsAttr(node, "starts", null), intsAttr(node, "ends", null), intsAttr(node, "axes", null), new long[] {1});
        }
        attributes(node);
        inputs(node, 3, 5);
        long[] axes = node.getInputCount() > 3 && !node.getInput(3).isEmpty() ? shapeInts(node, 3, "axes") : null;
        long[] steps = node.getInputCount() > 4 && !node.getInput(4).isEmpty() ? shapeInts(node, 4, "steps") : new long[] {1};
        return new SliceArgs(shapeInts(node, 1, "starts"), shapeInts(node, 2, "ends"), axes, steps);
    }

    /** A Slice of an activation: a range of its channels (axis 1, step 1). */
    private void channelSlice(GraphBuilder g, NodeProto node) {
        outputsOnly(node, 1);
        String x = activation(node, 0);
        SliceArgs args = sliceArgs(node);
        long[] starts = args.starts();
        long[] ends = args.ends();
        long[] axes = args.axes();
        long[] steps = args.steps();
        int[] shape = g.shape(x);
        int rank = shape.length + 1;
        if (starts == null || ends == null || starts.length != 1 || ends.length != 1 || steps.length != 1 || axes == null
                || axes.length != 1 || axes[0] != 1 && axes[0] != 1 - rank || steps[0] != 1) {
            throw error(node, "a slice of an activation is supported only along the channels (axes [1], step 1), got axes "
                    + (axes == null ? "(all)" : Arrays.toString(axes)) + " and steps " + Arrays.toString(steps));
        }
        long c = shape[0];
        long from = Math.max(0, Math.min(starts[0] < 0 ? starts[0] + c : starts[0], c));
        long to = Math.max(0, Math.min(ends[0] < 0 ? ends[0] + c : ends[0], c));
        if (to <= from) {
            throw error(node, "slices no channel (" + starts[0] + " to " + ends[0] + " of " + c + ")");
        }
        if (from == 0 && to == c) {
            alias(node, node.getInput(0));
            return;
        }
        add(g, node, new ChannelSlice(name(node, null), backend, (int) from, (int) (to - from)), x);
    }

    /** A Split of an activation along its channels: one {@link ChannelSlice} per output that is read. */
    private void split(GraphBuilder g, NodeProto node, Map<String, Integer> readers) {
        long[] sizes;
        if (opset < 13) {
            attributes(node, "axis", "split");
            inputs(node, 1, 1);
            sizes = intsAttr(node, "split", null);
        } else {
            attributes(node, opset >= 18 ? new String[] {"axis", "num_outputs"} : new String[] {"axis"});
            inputs(node, 1, 2);
            sizes = node.getInputCount() > 1 && !node.getInput(1).isEmpty() ? shapeInts(node, 1, "split") : null;
        }
        String x = activation(node, 0);
        int[] shape = g.shape(x);
        int rank = shape.length + 1;
        long axis = intAttr(node, "axis", 0);
        if (axis != 1 && axis != 1 - rank) {
            throw error(node, "axis " + axis + " is not supported; only a split along the channels (axis 1) is");
        }
        int n = node.getOutputCount();
        int c = shape[0];
        if (sizes == null) {
            long outputs = opset >= 18 ? intAttr(node, "num_outputs", n) : n;
            if (outputs != n || n < 1) {
                throw error(node, "num_outputs " + outputs + " but " + n + " outputs");
            }
            if (opset < 18 && c % n != 0) {
                throw error(node, "splits " + c + " channels into " + n + " equal parts");
            }
            int each = (c + n - 1) / n;   // opset 18: the last part takes what is left
            sizes = new long[n];
            for (int i = 0; i < n; i++) {
                sizes[i] = Math.min(each, c - (long) each * i);
            }
        }
        long total = 0;
        for (long k : sizes) {
            if (k < 1) {
                throw error(node, "split " + Arrays.toString(sizes) + " has a part of " + k + " channels; parts of at least 1 are supported");
            }
            total += k;
        }
        if (sizes.length != n || total != c) {
            throw error(node, "split " + Arrays.toString(sizes) + " does not cut " + c + " channels into " + n + " parts");
        }
        String base = node.getName().isEmpty() ? node.getOutput(0) : node.getName();
        int start = 0;
        for (int i = 0; i < n; i++) {
            String out = node.getOutput(i);
            if (!out.isEmpty() && readers.containsKey(out)) {
                String name = unique(base + "_" + i);
                ChannelSlice layer = new ChannelSlice(name, backend, start, (int) sizes[i]);
                addAs(g, node, layer, node.getName().isEmpty() ? name : node.getName() + "_" + i, out, x);
                activations.put(out, name);
            }
            start += (int) sizes[i];
        }
    }

    /**
     * An Add, Sub, Mul or Div of an activation and a FLOAT constant of one value or one per channel
     * ({@code [C, 1, 1]} or {@code [1, C, 1, 1]} on maps, {@code [C]} or {@code [1, C]} on vectors), the
     * constant second for Sub and Div: a {@link ChannelAffine} node (the input normalisation a model
     * carries). False, adding nothing, when the node has no such pair of inputs.
     */
    private boolean affine(GraphBuilder g, NodeProto node) {
        String op = node.getOpType();
        String a = node.getInput(0);
        String b = node.getInput(1);
        boolean constFirst = constants.containsKey(a) && activations.containsKey(b);
        boolean constSecond = activations.containsKey(a) && constants.containsKey(b);
        if (!constFirst && !constSecond) {
            return false;
        }
        if (constFirst && (op.equals("Sub") || op.equals("Div"))) {
            throw error(node, "a constant " + (op.equals("Sub") ? "minus" : "divided by") + " a computed value is not supported; only the"
                    + " computed value " + (op.equals("Sub") ? "minus" : "divided by") + " a constant is");
        }
        String x = constFirst ? b : a;
        Constant c = constants.get(constFirst ? a : b);
        String xName = activations.get(x);
        int[] shape = g.shape(xName);
        int channels = shape[0];
        if (c.floats == null) {
            throw error(node, "the constant '" + (constFirst ? a : b) + "' must be FLOAT to " + op + " a computed value");
        }
        float[] v = perChannel(node, c, shape, channelsLast.contains(x));
        String init = constFirst ? a : b;
        if (op.equals("Mul") && v.length == channels && channels > 1 && parameters.contains(init)) {
            // a Mul by a per-channel parameter of the model (ConvNeXt's layer_scale): it trains, as it did in PyTorch
            String name = taken.add(init) ? init : name(node, null);
            record(name, "weight", init);
            add(g, node, new LayerScale(name, backend, v, shape.length == 3), xName);
            return true;
        }
        float[] scale = new float[channels];
        float[] shift = new float[channels];
        for (int k = 0; k < channels; k++) {
            float f = v[v.length == 1 ? 0 : k];
            switch (op) {
                case "Add" -> {
                    scale[k] = 1f;
                    shift[k] = f;
                }
                case "Sub" -> {
                    scale[k] = 1f;
                    shift[k] = -f;
                }
                case "Mul" -> scale[k] = f;
                default -> {
                    scale[k] = 1f / f;
                    if (!Float.isFinite(scale[k])) {
                        throw error(node, "divides by " + f + ", whose reciprocal is not a finite float");
                    }
                }
            }
        }
        add(g, node, new ChannelAffine(name(node, null), backend, scale, shift, shape.length == 3), xName);
        return true;
    }

    /**
     * The values of constant {@code c} broadcast against {@code [batch, …shape]} (a value of the
     * network, {@code channelsLast} when it is a map seen channels-last): one, or one per channel;
     * else an error naming the shapes.
     */
    private float[] perChannel(NodeProto node, Constant c, int[] shape, boolean channelsLast) {
        float[] v = perChannelValues(c, shape, channelsLast);
        if (v != null) {
            return v;
        }
        if (channelsLast) {
            throw error(node, "a constant of shape " + Arrays.toString(c.dims) + " against a channels-last [" + shape[1] + ", " + shape[2]
                    + ", " + shape[0] + "] per example is not supported; only one value or one per channel (e.g. [" + shape[0] + "]) is");
        }
        throw error(node, "a constant of shape " + Arrays.toString(c.dims) + " against " + Arrays.toString(shape) + " per example is not"
                + " supported; only one value or one per channel (e.g. " + (shape.length == 3 ? "[" + shape[0] + ", 1, 1]" : "[" + shape[0]
                + "]") + ") is");
    }

    /**
     * The values of constant {@code c} when it broadcasts against {@code [batch, …shape]} as one value
     * or one per channel: right-aligned, every extent 1 but the channel one, which is C. The channel is
     * dimension 1, or the last of a map seen channels-last ({@code [batch, H, W, C]}, {@code shape}
     * being the channels-first {@code [C, H, W]}). Null when it does not, or is not FLOAT.
     */
    private static float[] perChannelValues(Constant c, int[] shape, boolean channelsLast) {
        if (c.floats == null) {
            return null;
        }
        int rank = shape.length + 1;
        int[] d = c.dims;
        if (c.floats.length == 1 && d.length <= rank) {
            return c.floats;
        }
        int channelAxis = channelsLast ? d.length - 1 : d.length - (rank - 1);
        boolean ok = d.length <= rank && channelAxis >= 0 && d[channelAxis] == shape[0];
        for (int i = 0; ok && i < d.length; i++) {
            ok = i == channelAxis || d[i] == 1;
        }
        return ok ? c.floats : null;
    }

    /**
     * Folds an Add, Sub, Mul or Div of two integer constants (shape arithmetic, as {@code x.chunk}
     * exports it); false, folding nothing, when an input is no integer constant.
     */
    private boolean foldsArithmetic(NodeProto node) {
        Constant a = constants.get(node.getInput(0));
        Constant b = constants.get(node.getInput(1));
        if (a == null || b == null || a.ints == null || b.ints == null) {
            return false;
        }
        fold(node, () -> ShapeFolding.arithmetic(node.getOpType(), a, b));
        return true;
    }

    /**
     * A Cast of a constant to its own kind (integers to INT64 or INT32, floats to FLOAT) changes
     * nothing; integers to FLOAT (a shape's {@code h * w} dividing a sum, as {@code x.sum((2, 3)) /
     * (h * w)} exports) become those floats; others are refused.
     */
    private void cast(NodeProto node) {
        attributes(node, "to", "saturate");
        inputs(node, 1, 1);
        outputsOnly(node, 1);
        long to = intAttr(node, "to", -1);
        Constant c = shapeInput(node, 0, "input");
        if (c.ints != null && to == TensorProto.DataType.FLOAT_VALUE) {
            float[] f = new float[c.ints.length];
            for (int k = 0; k < f.length; k++) {
                if (c.ints[k] == ShapeFolding.BATCH) {
                    throw error(node, "a cast of the batch extent to FLOAT is not supported: it is known only at run time");
                }
                f[k] = c.ints[k];
            }
            constants.put(node.getOutput(0), new Constant(c.dims.clone(), f, null));
            return;
        }
        boolean same = c.ints != null ? to == TensorProto.DataType.INT64_VALUE || to == TensorProto.DataType.INT32_VALUE
                : to == TensorProto.DataType.FLOAT_VALUE;
        if (!same) {
            throw error(node, "a cast to " + typeName((int) to) + " is not supported; only casts of shapes to integers are");
        }
        alias(node, node.getInput(0));
    }

    /** Input {@code input} of a shape computation: a constant or the output of a Shape node. */
    private Constant shapeInput(NodeProto node, int input, String what) {
        String v = node.getInput(input);
        if (activations.containsKey(v)) {
            throw error(node, what + " '" + v + "' is an activation; " + node.getOpType() + " is supported only on shapes (constants and"
                    + " Shape outputs)");
        }
        return constant(node, input, what);
    }

    /** Input {@code input} of a shape computation as integers (INT64 or INT32), or an error. */
    private long[] shapeInts(NodeProto node, int input, String what) {
        Constant c = shapeInput(node, input, what);
        if (c.ints == null) {
            throw error(node, what + " '" + node.getInput(input) + "' must be integers (INT64), got FLOAT");
        }
        return c.ints;
    }

    private void fold(NodeProto node, java.util.function.Supplier<Constant> f) {
        try {
            constants.put(node.getOutput(0), f.get());
        } catch (IllegalArgumentException | InvalidSettingException e) {
            throw error(node, e.getMessage());
        }
    }

    /**
     * {@link #fold} of a Reshape, Transpose, Unsqueeze or Squeeze of a constant: a view of one of the
     * model's parameters (as an export without constant folding writes {@code gamma[:, None, None]})
     * stays a parameter, so that what reads it trains it.
     */
    private void foldView(NodeProto node, java.util.function.Supplier<Constant> f) {
        fold(node, f);
        if (parameters.contains(node.getInput(0))) {
            parameters.add(node.getOutput(0));
        }
    }

    private void gemm(GraphBuilder g, NodeProto node, Map<String, NodeProto> nodes, Map<String, Integer> readers,
                      Set<NodeProto> absorbed) {
        attributes(node, "alpha", "beta", "transA", "transB");
        inputs(node, 2, 3);
        outputsOnly(node, 1);
        if (intAttr(node, "transA", 0) != 0) {
            throw error(node, "transA 1 is not supported (the activations must be [batch, features])");
        }
        boolean transB = intAttr(node, "transB", 0) != 0;
        float alpha = floatAttr(node, "alpha", 1f);
        float beta = floatAttr(node, "beta", 1f);
        String x = vector(g, node);
        int in = g.shape(x)[0];
        Constant b = constant(node, 1, "B");
        if (b.floats == null || b.dims.length != 2 || b.dims[transB ? 1 : 0] != in) {
            throw error(node, "B '" + node.getInput(1) + "' has shape " + Arrays.toString(b.dims) + ", which does not take " + in
                    + " features" + (transB ? " (transB)" : ""));
        }
        int out = b.dims[transB ? 0 : 1];
        if (out == 0) {
            throw error(node, "B '" + node.getInput(1) + "' has shape " + Arrays.toString(b.dims) + ": no outputs");
        }
        float[] w = weight(b.floats, in, out, transB, alpha);
        finite(node, "alpha " + alpha + " times B '" + node.getInput(1) + "'", w);
        float[] bias = null;
        if (node.getInputCount() == 3 && !node.getInput(2).isEmpty()) {
            bias = biasOf(node, constant(node, 2, "C"), out, beta);
            finite(node, "beta " + beta + " times C '" + node.getInput(2) + "'", bias);
        }
        NodeProto relu = reluOf(node.getOutput(0), nodes, readers);
        String name = dense(g, node, node.getInput(1), w, in, out, bias, node.getInputCount() == 3 ? node.getInput(2) : null, x, relu != null);
        fuse(name, node.getOutput(0), relu, absorbed);
    }

    /** MatMul by a constant; an Add of a constant that only reads its result becomes the bias. */
    private void matMul(GraphBuilder g, NodeProto node, Map<String, NodeProto> nodes, Map<String, Integer> readers,
                      Set<NodeProto> absorbed) {
        attributes(node);
        inputs(node, 2, 2);
        outputsOnly(node, 1);
        boolean pointwise = channelsLast.contains(node.getInput(0)); // [batch, H, W, C] · [C, K]: a 1×1 convolution
        String x = pointwise ? activation(node, 0) : vector(g, node);
        int in = g.shape(x)[0];
        Constant b = constant(node, 1, "B");
        if (b.floats == null || b.dims.length != 2 || b.dims[0] != in) {
            throw error(node, "B '" + node.getInput(1) + "' has shape " + Arrays.toString(b.dims) + ", which does not take " + in + " features");
        }
        int out = b.dims[1];
        if (out == 0) {
            throw error(node, "B '" + node.getInput(1) + "' has shape " + Arrays.toString(b.dims) + ": no outputs");
        }
        float[] w = weight(b.floats, in, out, false, 1f);
        String y = node.getOutput(0);
        NodeProto biasAdd = null;
        String biasName = null;
        if (readers.getOrDefault(y, 0) == 1) {
            NodeProto n = nodes.get(y);
            if (n != null && n.getOpType().equals("Add") && n.getInputCount() == 2 && n.getAttributeCount() == 0 && n.getDomain().isEmpty()) {
                String other = n.getInput(0).equals(y) ? n.getInput(1) : n.getInput(0);
                Constant c = constants.get(other);
                if (c != null && c.floats != null && c.floats.length == out) {
                    biasAdd = n;
                    biasName = other;
                }
            }
        }
        float[] bias = biasAdd == null ? null : biasOf(biasAdd, constants.get(biasName), out, 1f);
        String result = biasAdd == null ? y : biasAdd.getOutput(0);
        NodeProto relu = reluOf(result, nodes, readers);
        String name = pointwise ? pointwiseConv(g, node, w, in, out, bias, biasName, x, relu != null)
                : dense(g, node, node.getInput(1), w, in, out, bias, biasName, x, relu != null);
        if (biasAdd != null) {
            absorbed.add(biasAdd);
            activations.put(result, name);
            outputNames.put(name, result);
        }
        fuse(name, result, relu, absorbed);
    }

    /** Refuses a non-finite weight that finite tensors gave (an infinite or overflowing alpha or beta, a Constant node's value_float). */
    private void finite(NodeProto node, String what, float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw error(node, what + " gives a non-finite value (" + x + ")");
            }
        }
    }

    private String vector(GraphBuilder g, NodeProto node) {
        String x = activation(node, 0);
        if (g.shape(x).length != 1) {
            throw error(node, "reads " + Arrays.toString(g.shape(x)) + " per example; only [batch, features] inputs are supported"
                    + " (flatten first)");
        }
        return x;
    }

    /** Dense weights [out, in] from B ([in, out], or [out, in] when transposed) times alpha. */
    private static float[] weight(float[] b, int in, int out, boolean transB, float alpha) {
        float[] w = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                w[o * in + i] = alpha * (transB ? b[o * in + i] : b[i * out + o]);
            }
        }
        return w;
    }

    private float[] biasOf(NodeProto node, Constant c, int out, float beta) {
        if (c.floats == null) {
            throw error(node, "the bias must be FLOAT");
        }
        boolean vector = c.floats.length == out && (c.dims.length == 1 || c.dims.length == 2 && c.dims[0] == 1);
        boolean scalar = c.floats.length == 1 && c.dims.length <= 2;
        if (!vector && !scalar) {
            throw error(node, "bias of shape " + Arrays.toString(c.dims) + " does not broadcast to [batch, " + out + "] as a per-feature"
                    + " bias");
        }
        float[] b = new float[out];
        for (int o = 0; o < out; o++) {
            b[o] = beta * c.floats[vector ? o : 0];
        }
        return b;
    }

    private String dense(GraphBuilder g, NodeProto node, String weightName, float[] w, int in, int out, float[] bias, String biasName,
                         String x, boolean relu) {
        String name = name(node, weightName);
        Dense layer = new Dense(name, backend.fromArray(w, out, in), bias == null ? null : backend.fromArray(bias, out), relu);
        record(name, "weight", weightName);
        if (bias != null && biasName != null) {
            record(name, "bias", biasName);
        }
        add(g, node, layer, x);
        return name;
    }

    /** A MatMul of a channels-last map by {@code w} ({@code [out, in]}) as the 1×1 convolution it is. */
    private String pointwiseConv(GraphBuilder g, NodeProto node, float[] w, int in, int out, float[] bias, String biasName, String x,
                                 boolean relu) {
        // PyTorch writes the transposed weight of a Linear on a channels-last map as onnx::MatMul_…: the bias names the module
        String weight = node.getInput(1);
        if (weight.startsWith("onnx::") && biasName != null && biasName.endsWith(".bias")) {
            weight = biasName.substring(0, biasName.length() - ".bias".length()) + ".weight";
        }
        String name = name(node, weight);
        Conv2d layer = new Conv2d(name, backend.fromArray(w, out, in, 1, 1), bias == null ? null : backend.fromArray(bias, out), 1, 0, 1,
                relu);
        if (bias != null && biasName != null) {
            record(name, "bias", biasName);
        }
        add(g, node, layer, x);
        return name;
    }

    private void record(String node, String parameter, String initializer) {
        // an initializer read by several nodes keeps its name at the first; the others are written as their own
        if (constants.containsKey(initializer) && usedInitializers.add(initializer)) {
            initializerNames.put(node + "." + parameter, initializer);
        }
    }

    private void add(GraphBuilder g, NodeProto node, Layer layer, String... inputs) {
        addAs(g, node, layer, node.getName().isEmpty() ? layer.name() : node.getName(), node.getOutput(0), inputs);
        activations.put(node.getOutput(0), layer.name());
    }

    /**
     * Adds {@code layer}, read from {@code node}, to be exported as the ONNX node {@code onnxName}
     * writing the tensor {@code output}; the caller maps the file's value to it, if any.
     */
    private void addAs(GraphBuilder g, NodeProto node, Layer layer, String onnxName, String output, String... inputs) {
        try {
            g.add(layer, inputs);
            Shapes.size(g.shape(layer.name())); // one example of the output must fit a tensor
        } catch (IllegalArgumentException | InvalidSettingException e) {
            throw error(node, e.getMessage());
        }
        nodeNames.put(layer.name(), onnxName);
        outputNames.put(layer.name(), output);
    }

    private void alias(NodeProto node, String input) {
        if (constants.containsKey(input)) {
            constants.put(node.getOutput(0), constants.get(input));
        } else {
            activations.put(node.getOutput(0), activation(node, 0));
        }
    }

    /**
     * A prune4j name for {@code node}: its weight initializer's module path ({@code conv1.weight} →
     * {@code conv1}), else the ONNX node name, else its output; made unique.
     */
    private String name(NodeProto node, String weight) {
        List<String> candidates = new ArrayList<>();
        if (weight != null && weight.endsWith(".weight") && weight.length() > ".weight".length() && !weight.startsWith("onnx::")) {
            candidates.add(weight.substring(0, weight.length() - ".weight".length()));
        }
        candidates.add(node.getName());
        candidates.add(node.getOutput(0));
        for (String c : candidates) {
            if (!c.isEmpty() && taken.add(c)) {
                return c;
            }
        }
        return unique(node.getOutput(0));
    }

    private String activation(NodeProto node, int input) {
        String v = node.getInput(input);
        String a = activations.get(v);
        if (a != null) {
            return a;
        }
        if (v.isEmpty()) {
            throw error(node, "input " + input + " is missing");
        }
        if (constants.containsKey(v)) {
            throw error(node, "input " + input + " '" + v + "' is a constant; it must be computed from the network's input");
        }
        if (shuffles.containsKey(v)) {
            throw error(node, "reads '" + v + "', a rank-5 view of a feature map; such views are supported only as a channel shuffle: "
                    + SHUFFLE);
        }
        if (partials.containsKey(v)) {
            throw error(node, "reads '" + v + "', " + partials.get(v).describe() + "; only " + partials.get(v).readers() + " may read it");
        }
        if (broadcasts.containsKey(v)) {
            throw error(node, "reads '" + v + "', the output of an Expand; an Expand is supported only as an input of a Mul, which"
                    + " broadcasts a [C, 1, 1] gate over a [C, H, W] map itself");
        }
        throw error(node, "input '" + v + "' is produced by no earlier node, initializer or graph input (a missing value, or a cycle)");
    }

    private Constant constant(NodeProto node, int input, String what) {
        String v = node.getInput(input);
        Constant c = constants.get(v);
        if (c == null) {
            if (activations.containsKey(v)) {
                throw error(node, what + " '" + v + "' is computed at run time; only constant " + what + "s (initializers) are supported");
            }
            throw error(node, what + " '" + v + "' is produced by no earlier node or initializer");
        }
        return c;
    }

    private void inputs(NodeProto node, int min, int max) {
        int n = node.getInputCount();
        while (n > min && node.getInput(n - 1).isEmpty()) {
            n--; // trailing optional inputs left out
        }
        if (n < min || n > max) {
            throw error(node, "has " + node.getInputCount() + " inputs, expected " + (min == max ? min : min + " to " + max));
        }
    }

    private void outputsOnly(NodeProto node, int n) {
        for (int i = n; i < node.getOutputCount(); i++) {
            if (!node.getOutput(i).isEmpty()) {
                throw error(node, "has " + node.getOutputCount() + " outputs, expected " + n);
            }
        }
    }

    /** Refuses attributes outside {@code allowed}: an unknown one may change what the node computes. */
    private void attributes(NodeProto node, String... allowed) {
        Set<String> ok = Set.of(allowed);
        Set<String> seen = new HashSet<>();
        for (AttributeProto a : node.getAttributeList()) {
            if (!ok.contains(a.getName())) {
                throw error(node, "attribute '" + a.getName() + "' is not supported" + (allowed.length == 0 ? " (this operator takes none)"
                        : " (supported: " + String.join(", ", allowed) + ")"));
            }
            if (!seen.add(a.getName())) {
                throw error(node, "attribute '" + a.getName() + "' is given twice");
            }
            if (!a.getRefAttrName().isEmpty()) {
                throw error(node, "attribute '" + a.getName() + "' refers to a function attribute; only plain values are supported");
            }
        }
    }

    private AttributeProto attr(NodeProto node, String name) {
        for (AttributeProto a : node.getAttributeList()) {
            if (a.getName().equals(name)) {
                return a;
            }
        }
        return null;
    }

    private long intAttr(NodeProto node, String name, long fallback) {
        AttributeProto a = attr(node, name);
        if (a == null) {
            return fallback;
        }
        if (a.getType() != AttributeProto.AttributeType.INT && !(a.getType() == AttributeProto.AttributeType.UNDEFINED && a.hasI())) {
            throw error(node, "attribute '" + name + "' must be an integer");
        }
        return a.getI();
    }

    private float floatAttr(NodeProto node, String name, float fallback) {
        AttributeProto a = attr(node, name);
        if (a == null) {
            return fallback;
        }
        if (a.getType() != AttributeProto.AttributeType.FLOAT && !(a.getType() == AttributeProto.AttributeType.UNDEFINED && a.hasF())) {
            throw error(node, "attribute '" + name + "' must be a float");
        }
        if (Float.isNaN(a.getF())) {
            throw error(node, "attribute '" + name + "' is NaN");
        }
        return a.getF();
    }

    private String stringAttr(NodeProto node, String name, String fallback) {
        AttributeProto a = attr(node, name);
        if (a == null) {
            return fallback;
        }
        if (a.getType() != AttributeProto.AttributeType.STRING && !(a.getType() == AttributeProto.AttributeType.UNDEFINED && a.hasS())) {
            throw error(node, "attribute '" + name + "' must be a string");
        }
        return a.getS().toStringUtf8();
    }

    private long[] intsAttr(NodeProto node, String name, long[] fallback) {
        AttributeProto a = attr(node, name);
        if (a == null) {
            return fallback;
        }
        if (a.getType() != AttributeProto.AttributeType.INTS && a.getType() != AttributeProto.AttributeType.UNDEFINED) {
            throw error(node, "attribute '" + name + "' must be a list of integers");
        }
        return a.getIntsList().stream().mapToLong(Long::longValue).toArray();
    }

    /** The one value of a 2-d attribute given for both axes alike ([s, s]), or {@code fallback} when absent. */
    private int square(NodeProto node, String name, int fallback) {
        long[] v = intsAttr(node, name, null);
        if (v == null) {
            return fallback;
        }
        if (v.length != 2 || v[0] != v[1] || v[0] < 1 || v[0] > Integer.MAX_VALUE) {
            throw error(node, name + " " + Arrays.toString(v) + " are not supported; one positive value for both axes is");
        }
        return (int) v[0];
    }

    private void ones(NodeProto node, String name) {
        long[] v = intsAttr(node, name, null);
        if (v != null) {
            for (long d : v) {
                if (d != 1) {
                    throw error(node, name + " " + Arrays.toString(v) + " are not supported; only 1 is");
                }
            }
        }
    }

    static String typeName(int dataType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(dataType);
        return t == null ? "#" + dataType : t.name();
    }

    /** A constant tensor: FLOAT values in {@code floats} or integer ones in {@code ints}. */
    record Constant(int[] dims, float[] floats, long[] ints) {
        static Constant floats(List<Float> values) {
            float[] f = new float[values.size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = values.get(i);
            }
            return new Constant(new int[] {f.length}, f, null);
        }

        /**
         * Checks {@code t} against its shape and data type and copies its values, from the file or, when
         * it keeps them elsewhere, from {@code external}.
         */
        static Constant of(String file, String what, TensorProto t, ExternalData external) {
            String where = file + ": " + what;
            if (!ExternalData.isExternal(t) && t.getExternalDataCount() > 0) {
                throw new OnnxFormatException(where + " lists external data but its data_location is DEFAULT; a tensor's data is in"
                        + " the file or, with data_location EXTERNAL, in another");
            }
            if (t.hasSegment()) {
                throw new OnnxFormatException(where + " is a segment of a tensor; segmented tensors are not supported");
            }
            int[] dims = new int[t.getDimsCount()];
            long count = 1;
            for (int i = 0; i < dims.length; i++) {
                long d = t.getDims(i);
                if (d < 0 || d > Integer.MAX_VALUE) {
                    throw new OnnxFormatException(where + " has an invalid shape " + t.getDimsList());
                }
                dims[i] = (int) d;
                count *= d;
                if (count > Integer.MAX_VALUE) {
                    throw new OnnxFormatException(where + " shape " + t.getDimsList() + " is too large");
                }
            }
            int n = (int) count;
            int type = t.getDataType();
            boolean outside = ExternalData.isExternal(t);
            boolean raw = t.hasRawData() || outside;
            int size = switch (type) {
                case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE -> 4;
                case TensorProto.DataType.INT64_VALUE -> 8;
                case TensorProto.DataType.BOOL_VALUE -> 1;
                default -> throw new OnnxFormatException(where + " has data type " + typeName(type)
                        + "; only FLOAT weights (and INT64 shapes) are supported");
            };
            ByteBuffer bytes = null;
            if (outside) {
                bytes = external.read(where, t, (long) n * size);
            } else if (raw) {
                checkBytes(where, t, n, size);
                bytes = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            }
            switch (type) {
                case TensorProto.DataType.FLOAT_VALUE -> {
                    float[] v;
                    if (raw) {
                        v = new float[n];
                        bytes.asFloatBuffer().get(v);
                    } else {
                        checkCount(where, t.getFloatDataCount(), n, t);
                        v = new float[n];
                        for (int i = 0; i < n; i++) {
                            v[i] = t.getFloatData(i);
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        if (!Float.isFinite(v[i])) {
                            throw new OnnxFormatException(where + " holds a non-finite value (" + v[i] + ") at element " + i);
                        }
                    }
                    return new Constant(dims, v, null);
                }
                case TensorProto.DataType.INT64_VALUE, TensorProto.DataType.INT32_VALUE, TensorProto.DataType.BOOL_VALUE -> {
                    long[] v;
                    if (raw) {
                        v = new long[n];
                        ByteBuffer b = bytes;
                        for (int i = 0; i < n; i++) {
                            v[i] = size == 8 ? b.getLong() : size == 4 ? b.getInt() : b.get();
                        }
                    } else if (type == TensorProto.DataType.INT64_VALUE) {
                        checkCount(where, t.getInt64DataCount(), n, t);
                        v = new long[n];
                        for (int i = 0; i < n; i++) {
                            v[i] = t.getInt64Data(i);
                        }
                    } else {
                        checkCount(where, t.getInt32DataCount(), n, t);
                        v = new long[n];
                        for (int i = 0; i < n; i++) {
                            v[i] = t.getInt32Data(i);
                        }
                    }
                    return new Constant(dims, null, v);
                }
                default -> throw new IllegalStateException("data type " + type + " was refused above");
            }
        }

        private static void checkBytes(String where, TensorProto t, int n, int size) {
            long expected = (long) n * size;
            if (t.getRawData().size() != expected) {
                throw new OnnxFormatException(where + " has " + t.getRawData().size() + " bytes of data but shape " + t.getDimsList()
                        + " needs " + expected);
            }
        }

        private static void checkCount(String where, int have, int n, TensorProto t) {
            if (have != n) {
                throw new OnnxFormatException(where + " has " + have + " values but shape " + t.getDimsList() + " needs " + n);
            }
        }
    }
}
