package io.prune4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prune4j.InvalidSettingException;
import io.prune4j.MissingFileException;
import io.prune4j.Prune4jException;
import io.prune4j.backend.ActivationKind;
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
import io.prune4j.nn.Identity;
import io.prune4j.nn.GroupNorm;
import io.prune4j.nn.Layer;
import io.prune4j.nn.LayerNorm;
import io.prune4j.nn.LayerScale;
import io.prune4j.nn.MaxPool2d;
import io.prune4j.nn.Mul;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.PRelu;
import io.prune4j.nn.PermuteChannels;
import io.prune4j.nn.Relu;
import io.prune4j.nn.Unflatten;
import io.prune4j.nn.ZeroPad2d;
import io.prune4j.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads and writes networks in the safetensors layout: an 8-byte little-endian header length, a
 * JSON header mapping each tensor name to {@code dtype}, {@code shape} and {@code data_offsets}
 * (relative to the data that follows), then the raw little-endian tensor data.
 *
 * <p>Tensors are named {@code <layer>.weight} and {@code <layer>.bias} (e.g. {@code fc1.weight}
 * {@code [out, in]}), as a PyTorch module with the same attribute names saves them. The
 * architecture goes in the header's {@code __metadata__} under {@code prune4j.architecture}, as
 * JSON: the input size and the list of layers.
 *
 * <p><b>Masked parameters</b> (unstructured pruning, N:M patterns, channel masks) are stored
 * compactly, so a file's size follows the non-zero count: instead of {@code <name>} there are two
 * entries,
 * <ul>
 *   <li>{@code <name>.mask}, dtype {@code U8}, shape {@code [ceil(n / 8)]}: the mask as bits, entry
 *   {@code i} of the parameter (row-major) in bit {@code i % 8} (least significant first) of byte
 *   {@code i / 8}, the unused high bits of the last byte zero;</li>
 *   <li>{@code <name>.kept}, dtype {@code F32}, shape {@code [k]}: the values of the {@code k} kept
 *   entries in row-major order, bit for bit.</li>
 * </ul>
 * and {@code __metadata__} has {@code prune4j.masked}, JSON mapping each such name to its dense
 * shape (a reader that does not know the layout sees two plain tensors and this map). Loading gives
 * back the mask and the kept values bit for bit; the pruned entries are +0 (in memory they may
 * be −0, the sign {@code x·0} keeps: the same number). At density {@code d} this
 * takes {@code n·(1/8 + 4d)} bytes against {@code 4n} dense (13% at 10% density, 8% at 5%), at
 * most 3% more than dense for a mask that keeps nearly everything; CSR with 32-bit column indices
 * would take {@code 8·nnz + 4·(rows + 1)} (20% at 10%), with 16-bit ones {@code 6·nnz + …} (15%):
 * the bitmask is smaller down to 3% density for 32-bit CSR and 6% for 16-bit, and it needs no
 * index width chosen per layer (docs/sparsity.md has the measured files). Parameters without a mask
 * are stored dense, as before; files written before this layout load as they always did.
 *
 * <p>Loading checks everything a file can get wrong (lengths, JSON, offsets, overlaps, dtype and
 * shape against byte counts, the architecture against the tensors, non-finite weights) and
 * reports the first problem as a {@link ModelFormatException} naming the file and the field.
 * Saving is atomic ({@link AtomicFiles}).
 */
public final class ModelFile {
    /** {@code __metadata__} key of the architecture: the network's nodes, their settings and inputs, as JSON. */
    public static final String ARCH_KEY = "prune4j.architecture";
    /** {@code __metadata__} key of the map from each compactly stored (masked) parameter to its dense shape. */
    public static final String MASKED_KEY = "prune4j.masked";
    private static final String MASK_SUFFIX = ".mask";
    private static final String KEPT_SUFFIX = ".kept";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers beyond this are not model files we wrote or can sensibly read. */
    private static final long MAX_HEADER = 100L << 20;

    /** The layer types this class writes itself; a {@link LayerCodec} cannot take these names. */
    private static final Set<String> BUILT_IN = Set.of("dense", "conv2d", "maxpool2d", "avgpool2d", "zeropad2d", "globalavgpool", "globalmaxpool", "upsample", "flatten",
            "relu", "clamp", "activation", "batchnorm", "layernorm", "groupnorm", "layerscale", "add", "mul", "concat", "identity", "slice", "permute", "affine", "prelu", "unflatten");
    private static final Map<String, LayerCodec<?>> BY_TYPE = new ConcurrentHashMap<>();
    private static final Map<Class<?>, LayerCodec<?>> BY_CLASS = new ConcurrentHashMap<>();

    private ModelFile() {}

    /**
     * Registers how layers of one's own class are saved and loaded, for every later
     * {@link #save} and {@link #load} in this class loader. Registering the same codec class again
     * for the same type and layer class does nothing.
     *
     * @param codec the codec (not null)
     * @throws IllegalArgumentException when its type is empty or built in, or when another codec
     *     already has its type or its layer class
     */
    public static synchronized void register(LayerCodec<?> codec) {
        Objects.requireNonNull(codec, "codec");
        String type = Objects.requireNonNull(codec.type(), "codec.type()");
        Class<?> cls = Objects.requireNonNull(codec.layerClass(), "codec.layerClass()");
        if (type.isBlank() || BUILT_IN.contains(type)) {
            throw new IllegalArgumentException("layer codec type '" + type + "' is " + (type.isBlank() ? "empty" : "a built-in layer type"));
        }
        LayerCodec<?> byType = BY_TYPE.get(type);
        LayerCodec<?> byClass = BY_CLASS.get(cls);
        if (byType != null && byType.getClass() == codec.getClass() && byClass == byType) {
            return;
        }
        if (byType != null) {
            throw new IllegalArgumentException("layer type '" + type + "' is registered already, for " + byType.layerClass().getName());
        }
        if (byClass != null) {
            throw new IllegalArgumentException(cls.getName() + " layers have a codec already, of type '" + byClass.type() + "'");
        }
        BY_TYPE.put(type, codec);
        BY_CLASS.put(cls, codec);
    }

    @SuppressWarnings("unchecked")
    private static <L extends Layer> void writeCustom(ObjectNode spec, LayerCodec<L> codec, Layer layer) {
        spec.put("type", codec.type()).put("name", layer.name());
        Map<String, String> settings = codec.settings((L) layer);
        ObjectNode s = spec.putObject("settings");
        settings.forEach((k, v) -> s.put(Objects.requireNonNull(k, "settings key"), Objects.requireNonNull(v, "setting " + k)));
        ObjectNode t = spec.putObject("tensors");
        for (Parameter p : layer.parameters()) {
            shapeArray(t.putArray(p.name()), p.value().shape());
        }
        layer.buffers().forEach((name, v) -> shapeArray(t.putArray(name), v.shape()));
    }

    private static void shapeArray(ArrayNode a, int[] shape) {
        for (int d : shape) {
            a.add(d);
        }
    }

    private static Layer readCustom(Contents c, JsonNode spec, String where, String type, Backend backend) {
        Path file = c.file;
        LayerCodec<?> codec = BY_TYPE.get(type);
        if (codec == null) {
            throw new ModelFormatException(file + ": " + where + ".type '" + type + "' is not a known layer type"
                    + (type.isEmpty() || BUILT_IN.contains(type) ? "" : " (a layer of one's own: register its LayerCodec before loading)"));
        }
        String name = requireName(file, spec, where);
        Map<String, String> settings = new LinkedHashMap<>();
        JsonNode s = spec.path("settings");
        if (!s.isMissingNode() && !s.isObject()) {
            throw new ModelFormatException(file + ": " + where + ".settings must be an object of strings");
        }
        for (var it = s.fields(); it.hasNext();) {
            var e = it.next();
            if (!e.getValue().isTextual()) {
                throw new ModelFormatException(file + ": " + where + ".settings." + e.getKey() + " must be a string");
            }
            settings.put(e.getKey(), e.getValue().asText());
        }
        JsonNode t = spec.path("tensors");
        if (!t.isMissingNode() && !t.isObject()) {
            throw new ModelFormatException(file + ": " + where + ".tensors must map tensor names to shapes");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Layer layer;
        try {
            for (var it = t.fields(); it.hasNext();) {
                var e = it.next();
                JsonNode shapeNode = e.getValue();
                if (!shapeNode.isArray() || shapeNode.size() > 8) {
                    throw new ModelFormatException(file + ": " + where + ".tensors." + e.getKey() + " must be a shape (a list of sizes)");
                }
                int[] shape = new int[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = requireInt(file, shapeNode, i, where + ".tensors." + e.getKey());
                }
                tensors.put(e.getKey(), backend.fromArray(c.tensor(name + "." + e.getKey(), shape), shape));
            }
            layer = codec.create(name, Map.copyOf(settings), java.util.Collections.unmodifiableMap(tensors), backend);
        } catch (RuntimeException e) {
            tensors.values().forEach(Tensor::close);
            // the reader's own messages name the file already; the codec's get the file and the layer in front
            throw e instanceof ModelFormatException m && m.getMessage().startsWith(file.toString()) ? m
                    : new ModelFormatException(file + ": " + where + " (" + name + "): " + e.getMessage());
        }
        if (layer == null || layer.getClass() != codec.layerClass() || !layer.name().equals(name)) {
            if (layer != null) {
                layer.close();
            }
            tensors.values().forEach(Tensor::close);
            throw new ModelFormatException(file + ": " + where + ": the codec of '" + type + "' did not give a "
                    + codec.layerClass().getSimpleName() + " named " + name);
        }
        return layer;
    }

    /**
     * Writes {@code net} to {@code file}, atomically ({@link AtomicFiles}): its architecture, every
     * parameter and buffer (masked parameters compactly, as mask bits and kept values) and
     * {@code extraMetadata} in the header. The network is only read.
     *
     * @param net the network (not null)
     * @param file the file to write (not null); an existing file is replaced only once the new one is complete
     * @param extraMetadata string keys and values for {@code __metadata__} (not null; may be empty)
     * @throws Prune4jException when a layer has no file format (a layer of one's own without a
     *     registered {@link LayerCodec}), before anything is written, or when writing fails
     */
    public static void save(Graph net, Path file, Map<String, String> extraMetadata) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(extraMetadata, "extraMetadata");
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Tensor> masks = new LinkedHashMap<>();
        ArrayNode layers = JSON.createArrayNode();
        String previous = Graph.INPUT;
        for (Graph.Node node : net.nodes()) {
            Layer layer = node.layer();
            ObjectNode spec = layers.addObject();
            if (layer instanceof Dense d) {
                spec.put("type", "dense").put("name", d.name()).put("in", d.inFeatures()).put("out", d.outFeatures())
                        .put("relu", d.hasRelu());
                if (d.bias() == null) {
                    spec.put("bias", false);
                }
            } else if (layer instanceof Conv2d c) {
                spec.put("type", "conv2d").put("name", c.name()).put("in", c.inChannels()).put("out", c.outChannels())
                        .put("kernel_h", c.kernelHeight()).put("kernel_w", c.kernelWidth()).put("stride", c.stride())
                        .put("padding", c.padding()).put("relu", c.hasRelu());
                if (c.groups() != 1) {
                    spec.put("groups", c.groups());
                }
                if (c.bias() == null) {
                    spec.put("bias", false);
                }
            } else if (layer instanceof MaxPool2d m) {
                spec.put("type", "maxpool2d").put("name", m.name()).put("window", m.window()).put("stride", m.stride());
                if (m.padding() != 0) {
                    spec.put("padding", m.padding());
                }
                if (m.ceilMode()) {
                    spec.put("ceil_mode", true);
                }
            } else if (layer instanceof AvgPool2d a) {
                spec.put("type", "avgpool2d").put("name", a.name()).put("window", a.window()).put("stride", a.stride())
                        .put("padding", a.padding()).put("count_include_pad", a.countIncludePad());
                if (a.ceilMode()) {
                    spec.put("ceil_mode", true);
                }
            } else if (layer instanceof ZeroPad2d z) {
                spec.put("type", "zeropad2d").put("name", z.name()).put("top", z.top()).put("bottom", z.bottom()).put("left", z.left())
                        .put("right", z.right());
            } else if (layer instanceof GlobalAvgPool g) {
                spec.put("type", "globalavgpool").put("name", g.name());
            } else if (layer instanceof GlobalMaxPool g) {
                spec.put("type", "globalmaxpool").put("name", g.name());
            } else if (layer instanceof io.prune4j.nn.Upsample u) {
                spec.put("type", "upsample").put("name", u.name()).put("scale_h", u.scaleH()).put("scale_w", u.scaleW());
            } else if (layer instanceof Flatten f) {
                spec.put("type", "flatten").put("name", f.name());
            } else if (layer instanceof Relu r) {
                spec.put("type", "relu").put("name", r.name());
            } else if (layer instanceof Clamp c) {
                spec.put("type", "clamp").put("name", c.name()).put("min", c.lo()).put("max", c.hi());
            } else if (layer instanceof Activation a) {
                spec.put("type", "activation").put("name", a.name()).put("kind", a.kind().key());
                if (a.kind().hasAlpha()) {
                    spec.put("alpha", a.alpha());
                }
                if (a.kind().hasBeta()) {
                    spec.put("beta", a.beta());
                }
            } else if (layer instanceof BatchNorm bn) {
                spec.put("type", "batchnorm").put("name", bn.name()).put("channels", bn.channels()).put("momentum", bn.momentum())
                        .put("eps", bn.eps());
            } else if (layer instanceof LayerScale ls) {
                spec.put("type", "layerscale").put("name", ls.name()).put("channels", ls.gamma().size()).put("maps", ls.maps());
            } else if (layer instanceof LayerNorm ln) {
                spec.put("type", "layernorm").put("name", ln.name()).put("channels", ln.channels()).put("eps", ln.eps());
            } else if (layer instanceof GroupNorm gn) {
                spec.put("type", "groupnorm").put("name", gn.name()).put("channels", gn.channels()).put("groups", gn.groups())
                        .put("eps", gn.eps());
            } else if (layer instanceof Add a) {
                spec.put("type", "add").put("name", a.name());
            } else if (layer instanceof Mul m) {
                spec.put("type", "mul").put("name", m.name());
            } else if (layer instanceof Concat c) {
                spec.put("type", "concat").put("name", c.name());
            } else if (layer instanceof Identity id) {
                spec.put("type", "identity").put("name", id.name());
            } else if (layer instanceof Unflatten u) {
                spec.put("type", "unflatten").put("name", u.name());
            } else if (layer instanceof PRelu pr) {
                spec.put("type", "prelu").put("name", pr.name()).put("slopes", pr.slope().size()).put("maps", pr.maps());
            } else if (layer instanceof ChannelAffine af) {
                spec.put("type", "affine").put("name", af.name()).put("channels", af.scale().length).put("maps", af.maps());
            } else if (layer instanceof ChannelSlice sl) {
                spec.put("type", "slice").put("name", sl.name()).put("start", sl.start()).put("count", sl.count());
            } else if (layer instanceof PermuteChannels p) {
                ArrayNode source = spec.put("type", "permute").put("name", p.name()).putArray("source");
                for (int c : p.source()) {
                    source.add(c);
                }
            } else {
                LayerCodec<?> codec = BY_CLASS.get(layer.getClass());
                if (codec == null) {
                    throw new Prune4jException("cannot save node " + node.name() + " (" + layer.describe() + "): the model file has"
                            + " no format for " + layer.getClass().getName() + " layers; register a LayerCodec for them with"
                            + " ModelFile.register (nothing was written)");
                }
                writeCustom(spec, codec, layer);
            }
            // a chain's entries read the one before, and say so by saying nothing (the layout of files before graphs)
            if (!node.inputs().equals(List.of(previous))) {
                ArrayNode in = spec.putArray("inputs");
                node.inputs().forEach(in::add);
            }
            for (Parameter p : layer.parameters()) {
                tensors.put(node.name() + "." + p.name(), p.value());
                if (p.mask() != null) {
                    masks.put(node.name() + "." + p.name(), p.mask());
                }
            }
            layer.buffers().forEach((name, t) -> tensors.put(node.name() + "." + name, t));
            previous = node.name();
        }
        ObjectNode arch = JSON.createObjectNode();
        arch.put("input", net.inputSize());
        if (net.inputShape().length > 1) {
            ArrayNode shape = arch.putArray("input_shape");
            for (int d : net.inputShape()) {
                shape.add(d);
            }
        }
        arch.set("layers", layers);

        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        meta.put(ARCH_KEY, arch.toString());
        if (!masks.isEmpty()) {
            ObjectNode masked = JSON.createObjectNode();
            masks.forEach((name, m) -> {
                ArrayNode shape = masked.putArray(name);
                for (int d : m.shape()) {
                    shape.add(d);
                }
            });
            meta.put(MASKED_KEY, masked.toString());
        }
        extraMetadata.forEach(meta::put);
        List<byte[]> data = new ArrayList<>();
        long[] offset = {0};
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            float[] values = t.toFloatArray();
            Tensor mask = masks.get(e.getKey());
            if (mask == null) {
                data.add(entry(header, e.getKey(), "F32", t.shape(), floats(values, null, values.length), offset));
                continue;
            }
            float[] m = mask.toFloatArray();
            byte[] bits = new byte[(m.length + 7) / 8];
            int kept = 0;
            for (int i = 0; i < m.length; i++) {
                if (m[i] != 0) {
                    bits[i >>> 3] |= (byte) (1 << (i & 7));
                    kept++;
                }
            }
            data.add(entry(header, e.getKey() + MASK_SUFFIX, "U8", new int[] {bits.length}, bits, offset));
            data.add(entry(header, e.getKey() + KEPT_SUFFIX, "F32", new int[] {kept}, floats(values, m, kept), offset));
        }
        byte[] headerBytes = padded(header.toString());
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length);
            out.write(len.array());
            out.write(headerBytes);
            for (byte[] bytes : data) {
                out.write(bytes);
            }
        });
    }

    /** Adds a header entry for {@code bytes} at {@code offset[0]} and moves the offset on; returns the bytes. */
    private static byte[] entry(ObjectNode header, String name, String dtype, int[] shape, byte[] bytes, long[] offset) {
        ObjectNode entry = header.putObject(name);
        entry.put("dtype", dtype);
        ArrayNode s = entry.putArray("shape");
        for (int d : shape) {
            s.add(d);
        }
        entry.putArray("data_offsets").add(offset[0]).add(offset[0] + bytes.length);
        offset[0] += bytes.length;
        return bytes;
    }

    /** The little-endian bytes of {@code values} ({@code count} of them), or of those where {@code mask} is not 0. */
    private static byte[] floats(float[] values, float[] mask, int count) {
        ByteBuffer buf = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            if (mask == null || mask[i] != 0) {
                buf.putFloat(values[i]);
            }
        }
        return buf.array();
    }

    /** Pads the JSON with spaces so the data starts 8-byte aligned, as the format recommends. */
    private static byte[] padded(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        int pad = (8 - (b.length % 8)) % 8;
        byte[] out = java.util.Arrays.copyOf(b, b.length + pad);
        java.util.Arrays.fill(out, b.length, out.length, (byte) ' ');
        return out;
    }

    /**
     * Reads a network from {@code file} onto {@code backend}.
     *
     * @param file a model file written by {@link #save} (this version or an earlier one; not null)
     * @param backend where the network's tensors go (not null)
     * @return the network; the caller owns it and closes it
     * @throws io.prune4j.MissingFileException when the file does not exist
     * @throws ModelFormatException when it is not a model file prune4j can read, naming the first problem
     */
    public static Graph load(Path file, Backend backend) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(backend, "backend");
        return build(read(file), file, backend);
    }

    /**
     * A network and its file's metadata, read in one pass.
     *
     * @param graph the network; whoever holds the record owns it and closes it
     * @param metadata the file's {@code __metadata__}, string keys and values
     */
    public record Loaded(Graph graph, Map<String, String> metadata) {
        /**
         * Checks that neither component is null.
         *
         * @param graph the network
         * @param metadata the file's metadata
         */
        public Loaded {
            Objects.requireNonNull(graph, "graph");
            Objects.requireNonNull(metadata, "metadata");
        }
    }

    /**
     * As {@link #load}, with the file's {@code __metadata__} (what {@link #metadata} would read again).
     *
     * @param file the model file (not null)
     * @param backend where the network's tensors go (not null)
     * @return the network, owned by the caller, and the metadata
     * @throws io.prune4j.MissingFileException when the file does not exist
     * @throws ModelFormatException as {@link #load}
     */
    public static Loaded loadWithMetadata(Path file, Backend backend) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(backend, "backend");
        Contents c = read(file);
        return new Loaded(build(c, file, backend), java.util.Collections.unmodifiableMap(new LinkedHashMap<>(c.metadata)));
    }

    private static Graph build(Contents c, Path file, Backend backend) {
        JsonNode arch = c.architecture;
        if (arch == null) {
            throw new ModelFormatException(file + ": no " + ARCH_KEY + " in __metadata__; not a prune4j model file");
        }
        int input = requireInt(file, arch, "input", ARCH_KEY);
        JsonNode specs = arch.get("layers");
        if (specs == null || !specs.isArray() || specs.isEmpty()) {
            throw new ModelFormatException(file + ": " + ARCH_KEY + ".layers must be a non-empty list");
        }
        int[] inputShape = {input};
        JsonNode shapeNode = arch.get("input_shape");
        if (shapeNode != null) {
            if (!shapeNode.isArray() || shapeNode.isEmpty() || shapeNode.size() > 3) {
                throw new ModelFormatException(file + ": " + ARCH_KEY + ".input_shape must be a list of 1 to 3 positive integers");
            }
            inputShape = new int[shapeNode.size()];
            long product = 1;
            for (int i = 0; i < inputShape.length; i++) {
                inputShape[i] = requireInt(file, shapeNode, i, ARCH_KEY + ".input_shape");
                product *= inputShape[i];
            }
            if (product != input) {
                throw new ModelFormatException(file + ": " + ARCH_KEY + ".input_shape " + shapeNode + " has " + product
                        + " elements but input is " + input);
            }
        }
        List<Graph.Node> nodes = new ArrayList<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(Graph.INPUT, inputShape);
        String previous = Graph.INPUT;
        int index = 0;
        try {
            for (JsonNode spec : specs) {
                String where = ARCH_KEY + ".layers[" + index + "]";
                List<String> inputs = inputsOf(file, spec, where, previous, shapes);
                int[] shape = inputs.size() == 1 ? shapes.get(inputs.get(0)) : null;
                String type = spec.path("type").asText("");
                Layer layer = switch (type) {
                    case "dense" -> {
                        String name = requireName(file, spec, where);
                        int in = requireInt(file, spec, "in", where);
                        int out = requireInt(file, spec, "out", where);
                        if (shape == null || shape.length != 1 || in != shape[0]) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + ") takes " + in
                                    + " inputs but its input gives " + describeInputs(inputs, shapes));
                        }
                        float[] w = c.tensor(name + ".weight", out, in);
                        float[] b = withBias(file, spec, where) ? c.tensor(name + ".bias", out) : null;
                        yield new Dense(name, backend.fromArray(w, out, in), b == null ? null : backend.fromArray(b, out),
                                spec.path("relu").asBoolean(false));
                    }
                    case "conv2d" -> {
                        String name = requireName(file, spec, where);
                        int in = requireInt(file, spec, "in", where);
                        int out = requireInt(file, spec, "out", where);
                        int kh = requireInt(file, spec, "kernel_h", where);
                        int kw = requireInt(file, spec, "kernel_w", where);
                        int stride = requireInt(file, spec, "stride", where);
                        int pad = requireNonNegative(file, spec, "padding", where, -1);
                        int groups = spec.has("groups") ? requireInt(file, spec, "groups", where) : 1;
                        if (in % groups != 0 || out % groups != 0) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + "): " + groups + " groups do not divide "
                                    + in + " → " + out + " channels");
                        }
                        if (shape == null || shape.length != 3 || in != shape[0]) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + ") takes " + in
                                    + " channels but its input gives " + describeInputs(inputs, shapes));
                        }
                        float[] w = c.tensor(name + ".weight", out, in / groups, kh, kw);
                        float[] b = withBias(file, spec, where) ? c.tensor(name + ".bias", out) : null;
                        yield new Conv2d(name, backend.fromArray(w, out, in / groups, kh, kw), b == null ? null : backend.fromArray(b, out),
                                stride, pad, groups, spec.path("relu").asBoolean(false));
                    }
                    case "maxpool2d" -> new MaxPool2d(spec.path("name").asText("pool" + index), backend,
                            requireInt(file, spec, "window", where), requireInt(file, spec, "stride", where),
                            requireNonNegative(file, spec, "padding", where, 0), spec.path("ceil_mode").asBoolean(false));
                    case "avgpool2d" -> new AvgPool2d(requireName(file, spec, where), backend, requireInt(file, spec, "window", where),
                            requireInt(file, spec, "stride", where), requireNonNegative(file, spec, "padding", where, 0),
                            spec.path("count_include_pad").asBoolean(true), spec.path("ceil_mode").asBoolean(false));
                    case "zeropad2d" -> new ZeroPad2d(requireName(file, spec, where), backend,
                            requireNonNegative(file, spec, "top", where, 0), requireNonNegative(file, spec, "bottom", where, 0),
                            requireNonNegative(file, spec, "left", where, 0), requireNonNegative(file, spec, "right", where, 0));
                    case "globalavgpool" -> new GlobalAvgPool(requireName(file, spec, where), backend);
                    case "globalmaxpool" -> new GlobalMaxPool(requireName(file, spec, where), backend);
                    case "upsample" -> new io.prune4j.nn.Upsample(requireName(file, spec, where), backend,
                            requireInt(file, spec, "scale_h", where), requireInt(file, spec, "scale_w", where));
                    case "flatten" -> new Flatten(spec.path("name").asText("flatten" + index), backend);
                    case "relu" -> new Relu(spec.path("name").asText("relu" + index), backend);
                    case "clamp" -> clamp(file, spec, where, backend);
                    case "activation" -> activation(file, spec, where, backend);
                    case "batchnorm" -> {
                        String name = requireName(file, spec, where);
                        int ch = requireInt(file, spec, "channels", where);
                        float[][] t = {c.tensor(name + ".weight", ch), c.tensor(name + ".bias", ch), c.tensor(name + ".running_mean", ch),
                            c.tensor(name + ".running_var", ch)};
                        for (float v : t[3]) {
                            if (v < 0) {
                                throw new ModelFormatException(file + ": tensor " + name + ".running_var holds a negative variance (" + v + ")");
                            }
                        }
                        yield new BatchNorm(name, backend.fromArray(t[0], ch), backend.fromArray(t[1], ch), backend.fromArray(t[2], ch),
                                backend.fromArray(t[3], ch), (float) requireNumber(file, spec, "momentum", where),
                                (float) requireNumber(file, spec, "eps", where));
                    }
                    case "layerscale" -> {
                        String name = requireName(file, spec, where);
                        int ch = requireInt(file, spec, "channels", where);
                        boolean maps = spec.path("maps").asBoolean(true);
                        if (shape == null || shape.length != (maps ? 3 : 1) || shape[0] != ch) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + ") scales " + ch + (maps ? " channels of maps"
                                    : " features") + " but its input gives " + describeInputs(inputs, shapes));
                        }
                        yield new LayerScale(name, backend, c.tensor(name + ".weight", ch), maps);
                    }
                    case "layernorm" -> {
                        String name = requireName(file, spec, where);
                        int ch = requireInt(file, spec, "channels", where);
                        float eps = requireEps(file, spec, where, name);
                        yield new LayerNorm(name, backend.fromArray(c.tensor(name + ".weight", ch), ch),
                                backend.fromArray(c.tensor(name + ".bias", ch), ch), eps);
                    }
                    case "groupnorm" -> {
                        String name = requireName(file, spec, where);
                        int ch = requireInt(file, spec, "channels", where);
                        int groups = requireInt(file, spec, "groups", where);
                        float eps = requireEps(file, spec, where, name);
                        if (groups < 1 || ch % groups != 0) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + ") groups must be at least 1 and divide the "
                                    + ch + " channels, got " + groups);
                        }
                        yield new GroupNorm(name, backend.fromArray(c.tensor(name + ".weight", ch), ch),
                                backend.fromArray(c.tensor(name + ".bias", ch), ch), groups, eps);
                    }
                    case "add" -> new Add(requireName(file, spec, where), backend);
                    case "mul" -> new Mul(requireName(file, spec, where), backend);
                    case "concat" -> new Concat(requireName(file, spec, where), backend);
                    case "identity" -> new Identity(requireName(file, spec, where), backend);
                    case "slice" -> {
                        String name = requireName(file, spec, where);
                        int start = requireNonNegative(file, spec, "start", where, -1);
                        int count = requireInt(file, spec, "count", where);
                        if (shape == null || (long) start + count > shape[0]) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + ") slices channels [" + start + ", "
                                    + ((long) start + count) + ") but " + (shape == null ? "takes " + inputs.size() + " inputs"
                                    : "its input " + inputs.get(0) + " has " + shape[0]));
                        }
                        yield new ChannelSlice(name, backend, start, count);
                    }
                    case "permute" -> permute(file, spec, where, backend);
                    case "unflatten" -> new Unflatten(requireName(file, spec, where), backend);
                    case "prelu" -> {
                        String name = requireName(file, spec, where);
                        int n = requireInt(file, spec, "slopes", where);
                        boolean maps = spec.path("maps").asBoolean(true);
                        if (shape == null || shape.length != (maps ? 3 : 1) || n != 1 && n != shape[0]) {
                            throw new ModelFormatException(file + ": " + where + " (" + name + ") has " + n + " slopes but its input gives "
                                    + describeInputs(inputs, shapes));
                        }
                        yield new PRelu(name, backend, shape[0], c.tensor(name + ".weight", n), maps);
                    }
                    case "affine" -> {
                        String name = requireName(file, spec, where);
                        int ch = requireInt(file, spec, "channels", where);
                        float[] scale = c.tensor(name + ".scale", ch);
                        float[] shift = c.tensor(name + ".shift", ch);
                        yield new ChannelAffine(name, backend, scale, shift, spec.path("maps").asBoolean(true));
                    }
                    default -> readCustom(c, spec, where, type, backend);
                };
                nodes.add(new Graph.Node(layer, inputs));
                for (Parameter p : layer.parameters()) {
                    float[] m = c.masks.get(layer.name() + "." + p.name());
                    if (m != null) {
                        p.setMask(backend.fromArray(m, p.value().shape()));
                    }
                }
                if (shapes.containsKey(layer.name())) {
                    throw new ModelFormatException(file + ": " + where + ": a second layer named '" + layer.name() + "'");
                }
                int[][] in = new int[inputs.size()][];
                for (int k = 0; k < in.length; k++) {
                    in[k] = shapes.get(inputs.get(k));
                }
                try {
                    shapes.put(layer.name(), layer.outputShape(in));
                } catch (IllegalArgumentException | InvalidSettingException e) {
                    throw new ModelFormatException(file + ": " + where + ": " + e.getMessage());
                }
                previous = layer.name();
                index++;
            }
            if (!c.unused().isEmpty()) {
                throw new ModelFormatException(file + ": tensors " + c.unused() + " are not used by the architecture");
            }
            int[] last = shapes.get(previous);
            if (last.length != 1) {
                throw new ModelFormatException(file + ": the architecture ends in " + describeShape(last)
                        + " feature maps, not in class scores");
            }
            try {
                return new Graph(backend, inputShape, nodes);
            } catch (IllegalArgumentException | InvalidSettingException e) {
                throw new ModelFormatException(file + ": " + ARCH_KEY + ": " + e.getMessage());
            }
        } catch (RuntimeException e) {
            nodes.forEach(n -> n.layer().close());
            throw e;
        }
    }

    /** A {@code permute} entry: {@code source}, a permutation of its input's channels. */
    private static PermuteChannels permute(Path file, JsonNode spec, String where, Backend backend) {
        String name = requireName(file, spec, where);
        JsonNode list = spec.get("source");
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new ModelFormatException(file + ": " + where + " (" + name + ") needs 'source', a non-empty array of channel indices");
        }
        int[] source = new int[list.size()];
        for (int i = 0; i < source.length; i++) {
            JsonNode v = list.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw new ModelFormatException(file + ": " + where + ".source[" + i + "] must be a non-negative integer, got " + v);
            }
            source[i] = v.asInt();
        }
        try {
            return new PermuteChannels(name, backend, source);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + where + ": " + e.getMessage());
        }
    }

    /** A {@code clamp} entry: its bounds {@code min ≤ max}. */
    private static Clamp clamp(Path file, JsonNode spec, String where, Backend backend) {
        String name = requireName(file, spec, where);
        float lo = (float) requireNumber(file, spec, "min", where);
        float hi = (float) requireNumber(file, spec, "max", where);
        if (!(lo <= hi)) {
            throw new ModelFormatException(file + ": " + where + " (" + name + "): min " + lo + " is above max " + hi);
        }
        return new Clamp(name, backend, lo, hi);
    }

    /** An {@code activation} entry: its {@code kind} by key, and {@code alpha} and {@code beta} where the kind has them. */
    private static Activation activation(Path file, JsonNode spec, String where, Backend backend) {
        String name = requireName(file, spec, where);
        JsonNode k = spec.get("kind");
        ActivationKind kind = k != null && k.isTextual() ? ActivationKind.byKey(k.asText()) : null;
        if (kind == null) {
            String got = k == null ? "is missing" : (k.isTextual() ? "'" + k.asText() + "'" : k.toString()) + " is not a known activation";
            throw new ModelFormatException(file + ": " + where + ".kind " + got + " (node " + name + "); supported: "
                    + ActivationKind.keys());
        }
        float alpha = kind.hasAlpha() ? (float) requireNumber(file, spec, "alpha", where) : 0f;
        float beta = kind.hasBeta() ? (float) requireNumber(file, spec, "beta", where) : 0f;
        try {
            return new Activation(name, backend, kind, alpha, beta);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + where + ": " + e.getMessage());   // a parameter the formula refuses (CELU's α of 0)
        }
    }

    /** The entry's {@code inputs}, each an earlier layer or the input; by default the entry before it. */
    private static List<String> inputsOf(Path file, JsonNode spec, String where, String previous, Map<String, int[]> shapes) {
        JsonNode in = spec.get("inputs");
        if (in == null) {
            return List.of(previous);
        }
        if (!in.isArray() || in.isEmpty()) {
            throw new ModelFormatException(file + ": " + where + ".inputs must be a non-empty list of layer names");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode n : in) {
            String name = n.asText("");
            if (!n.isTextual() || !shapes.containsKey(name)) {
                throw new ModelFormatException(file + ": " + where + ".inputs names " + n + ", which is not an earlier layer or '"
                        + Graph.INPUT + "'");
            }
            out.add(name);
        }
        return out;
    }

    private static String describeInputs(List<String> inputs, Map<String, int[]> shapes) {
        if (inputs.size() != 1) {
            return inputs.size() + " inputs";
        }
        return describeShape(shapes.get(inputs.get(0)));
    }

    private static boolean withBias(Path file, JsonNode spec, String where) {
        JsonNode b = spec.get("bias");
        if (b != null && !b.isBoolean()) {
            throw new ModelFormatException(file + ": " + where + ".bias must be true or false, got " + b);
        }
        return b == null || b.asBoolean();
    }

    /** A non-negative integer field; {@code fallback} when absent, or required when {@code fallback < 0}. */
    private static int requireNonNegative(Path file, JsonNode spec, String field, String where, int fallback) {
        JsonNode v = spec.get(field);
        if (v == null && fallback >= 0) {
            return fallback;
        }
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
            throw new ModelFormatException(file + ": " + where + "." + field + " must be a non-negative integer, got " + v);
        }
        return v.asInt();
    }

    /** A normalisation's {@code eps}: a number, finite and above 0 ({@code name} the layer's, for the message). */
    private static float requireEps(Path file, JsonNode spec, String where, String name) {
        float eps = (float) requireNumber(file, spec, "eps", where);
        if (!(eps > 0) || Float.isInfinite(eps)) {
            throw new ModelFormatException(file + ": " + where + " (" + name + ") eps must be finite and > 0, got " + eps);
        }
        return eps;
    }

    private static double requireNumber(Path file, JsonNode spec, String field, String where) {
        JsonNode v = spec.get(field);
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new ModelFormatException(file + ": " + where + "." + field + " must be a finite number, got " + v);
        }
        return v.asDouble();
    }

    /**
     * The metadata of a model file, for reports and checks; the file is read and checked whole.
     *
     * @param file the model file (not null)
     * @return its {@code __metadata__}, string keys and values
     * @throws io.prune4j.MissingFileException when the file does not exist
     * @throws ModelFormatException when it is not a model file prune4j can read
     */
    public static Map<String, String> metadata(Path file) {
        Objects.requireNonNull(file, "file");
        return read(file).metadata;
    }

    private static String requireName(Path file, JsonNode spec, String where) {
        String name = spec.path("name").asText("");
        if (name.isEmpty()) {
            throw new ModelFormatException(file + ": " + where + ".name is missing");
        }
        return name;
    }

    private static String describeShape(int[] shape) {
        return shape.length == 1 ? Integer.toString(shape[0]) : java.util.Arrays.toString(shape);
    }

    private static int requireInt(Path file, JsonNode array, int i, String where) {
        JsonNode v = array.get(i);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw new ModelFormatException(file + ": " + where + "[" + i + "] must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    private static int requireInt(Path file, JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
            throw new ModelFormatException(file + ": " + where + "." + field + " must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    /** A parsed and checked file: tensor entries, their bytes, metadata. */
    private static final class Contents {
        final Path file;
        final Map<String, long[]> offsets = new LinkedHashMap<>();
        final Map<String, int[]> shapes = new LinkedHashMap<>();
        final Map<String, String> dtypes = new LinkedHashMap<>();
        final Map<String, String> metadata = new LinkedHashMap<>();
        final java.util.Set<String> used = new java.util.HashSet<>();
        ByteBuffer data;
        JsonNode architecture;

        Contents(Path file) {
            this.file = file;
        }

        /** Masks of the compactly stored parameters read so far, by name. */
        final Map<String, float[]> masks = new LinkedHashMap<>();

        float[] tensor(String name, int... expectedShape) {
            long[] off = offsets.get(name);
            if (off == null && offsets.containsKey(name + MASK_SUFFIX)) {
                return masked(name, expectedShape);
            }
            if (off == null) {
                throw new ModelFormatException(file + ": tensor " + name + " is missing");
            }
            int[] shape = shapes.get(name);
            if (!java.util.Arrays.equals(shape, expectedShape)) {
                throw new ModelFormatException(file + ": tensor " + name + " has shape " + java.util.Arrays.toString(shape)
                        + " but the architecture needs " + java.util.Arrays.toString(expectedShape));
            }
            used.add(name);
            int n = (int) ((off[1] - off[0]) / 4);
            float[] out = new float[n];
            ByteBuffer slice = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            slice.position((int) off[0]);
            slice.asFloatBuffer().get(out, 0, n);
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(out[i])) {
                    throw new ModelFormatException(file + ": tensor " + name + " holds a non-finite value (" + out[i]
                            + ") at element " + i);
                }
            }
            return out;
        }

        /** A parameter stored as {@code .mask} bits and {@code .kept} values: its dense values, its mask into {@link #masks}. */
        private float[] masked(String name, int[] expectedShape) {
            String maskName = name + MASK_SUFFIX;
            String keptName = name + KEPT_SUFFIX;
            long n = 1;
            for (int d : expectedShape) {
                n *= d;
            }
            if (!dtypes.get(maskName).equals("U8") || !java.util.Arrays.equals(shapes.get(maskName), new int[] {(int) ((n + 7) / 8)})) {
                throw new ModelFormatException(file + ": tensor " + maskName + " must be U8 of shape [" + (n + 7) / 8 + "] (the mask"
                        + " bits of " + name + " " + java.util.Arrays.toString(expectedShape) + "), got " + dtypes.get(maskName) + " "
                        + java.util.Arrays.toString(shapes.get(maskName)));
            }
            long[] kOff = offsets.get(keptName);
            if (kOff == null || !dtypes.get(keptName).equals("F32") || shapes.get(keptName).length != 1) {
                throw new ModelFormatException(file + ": tensor " + name + " has mask bits but no F32 list " + keptName
                        + " of its kept values");
            }
            long[] mOff = offsets.get(maskName);
            used.add(maskName);
            used.add(keptName);
            float[] mask = new float[(int) n];
            int kept = 0;
            for (int i = 0; i < n; i++) {
                if ((data.get((int) (mOff[0] + (i >>> 3))) & (1 << (i & 7))) != 0) {
                    mask[i] = 1;
                    kept++;
                }
            }
            for (long i = n; i < (mOff[1] - mOff[0]) * 8; i++) {
                if ((data.get((int) (mOff[0] + (i >>> 3))) & (1 << (i & 7))) != 0) {
                    throw new ModelFormatException(file + ": tensor " + maskName + " sets bit " + i + ", past the " + n + " entries of " + name);
                }
            }
            int stored = shapes.get(keptName)[0];
            if (stored != kept) {
                throw new ModelFormatException(file + ": tensor " + keptName + " holds " + stored + " values but the mask of " + name
                        + " keeps " + kept);
            }
            float[] out = new float[(int) n];
            ByteBuffer slice = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            slice.position((int) kOff[0]);
            for (int i = 0, k = 0; i < n; i++) {
                if (mask[i] != 0) {
                    float v = slice.getFloat();
                    if (!Float.isFinite(v)) {
                        throw new ModelFormatException(file + ": tensor " + keptName + " holds a non-finite value (" + v + ") at element " + k);
                    }
                    out[i] = v;
                    k++;
                }
            }
            masks.put(name, mask);
            return out;
        }

        List<String> unused() {
            List<String> u = new ArrayList<>();
            for (String k : offsets.keySet()) {
                if (!used.contains(k)) {
                    u.add(k);
                }
            }
            return u;
        }
    }

    private static Contents read(Path file) {
        if (Files.isDirectory(file)) {
            throw new ModelFormatException(file + ": is a folder, expected a model file");
        }
        Contents c = new Contents(file);
        long size;
        ByteBuffer all;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file + ": truncated (" + size + " bytes; a model file starts with an 8-byte header length)");
            }
            if (size > Integer.MAX_VALUE) {
                throw new ModelFormatException(file + ": " + size + " bytes is larger than the 2 GiB this reader supports");
            }
            all = ByteBuffer.allocate((int) size);
            while (all.hasRemaining() && ch.read(all) >= 0) {
                // read until full
            }
            all.flip();
        } catch (NoSuchFileException e) {
            throw new MissingFileException(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
        long headerLen = all.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > size - 8) {
            throw new ModelFormatException(file + ": header length " + headerLen + " does not fit a file of " + size + " bytes");
        }
        String json = new String(all.array(), 8, (int) headerLen, StandardCharsets.UTF_8);
        JsonNode header;
        try {
            header = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ModelFormatException(file + ": header is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (header == null || !header.isObject()) {
            throw new ModelFormatException(file + ": header is not a JSON object");
        }
        long dataLen = size - 8 - headerLen;
        List<long[]> ranges = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = header.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) {
                    throw new ModelFormatException(file + ": __metadata__ must be an object of strings");
                }
                v.fields().forEachRemaining(m -> c.metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dtype = v.path("dtype").asText("");
            // U8 only for the mask bits of a compactly stored parameter
            if (!dtype.equals("F32") && !(dtype.equals("U8") && name.endsWith(MASK_SUFFIX))) {
                throw new ModelFormatException(file + ": tensor " + name + " has dtype '" + dtype + "'; only F32 is supported");
            }
            int width = dtype.equals("U8") ? 1 : 4;
            JsonNode shapeNode = v.get("shape");
            JsonNode offNode = v.get("data_offsets");
            if (shapeNode == null || !shapeNode.isArray() || offNode == null || !offNode.isArray() || offNode.size() != 2) {
                throw new ModelFormatException(file + ": tensor " + name + " needs a shape list and two data_offsets");
            }
            int[] shape = new int[shapeNode.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                // canConvertToLong: asLong() keeps the low 64 bits of a larger integer, so 2^64+5 would read as 5
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                    throw new ModelFormatException(file + ": tensor " + name + " has an invalid shape " + shapeNode);
                }
                shape[i] = d.asInt();
                count *= shape[i]; // both factors < 2^31: no overflow in a long
                if (count > Integer.MAX_VALUE) {
                    throw new ModelFormatException(file + ": tensor " + name + " shape " + shapeNode + " is too large");
                }
            }
            JsonNode b0 = offNode.get(0);
            JsonNode b1 = offNode.get(1);
            if (!b0.isIntegralNumber() || !b1.isIntegralNumber() || !b0.canConvertToLong() || !b1.canConvertToLong()) {
                throw new ModelFormatException(file + ": tensor " + name + " data_offsets must be integers below 2^63, got " + offNode);
            }
            long begin = b0.asLong();
            long end = b1.asLong();
            if (begin < 0 || end < begin || end > dataLen) {
                throw new ModelFormatException(file + ": tensor " + name + " data_offsets [" + begin + ", " + end
                        + "] lie outside the " + dataLen + " data bytes");
            }
            if (end - begin != count * width) {
                throw new ModelFormatException(file + ": tensor " + name + " has " + (end - begin) + " bytes but shape "
                        + shapeNode + " of " + dtype + " needs " + count * width);
            }
            c.offsets.put(name, new long[] {begin, end});
            c.dtypes.put(name, dtype);
            c.shapes.put(name, shape);
            ranges.add(new long[] {begin, end});
        }
        ranges.sort((x, y) -> Long.compare(x[0], y[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw new ModelFormatException(file + ": tensor data ranges overlap at byte " + ranges.get(i)[0]);
            }
        }
        all.position(8 + (int) headerLen);
        c.data = all.slice().order(ByteOrder.LITTLE_ENDIAN);
        String arch = c.metadata.get(ARCH_KEY);
        if (arch != null) {
            try {
                c.architecture = JSON.readTree(arch);
            } catch (JsonProcessingException e) {
                throw new ModelFormatException(file + ": " + ARCH_KEY + " is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (c.architecture == null || !c.architecture.isObject()) {
                throw new ModelFormatException(file + ": " + ARCH_KEY + " must be a JSON object");
            }
        }
        return c;
    }

    /**
     * File size in bytes, for reports.
     *
     * @param file any file (not null)
     * @return its size in bytes
     * @throws Prune4jException when its size cannot be read (the message names the file)
     */
    public static long sizeOf(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }
}
