package io.prune4j.nn;

import io.prune4j.backend.Backend;
import io.prune4j.tensor.Shapes;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A network: named nodes in a fixed topological order, each a {@link Layer} applied to the outputs of
 * earlier nodes or to the network's input, the value named {@link #INPUT}. A node's output is named
 * after the node. The last node is the network's output, the class logits {@code [batch, classes]};
 * every other node's output is read by at least one later node.
 *
 * <p>{@code x [batch, …inputShape] → logits [batch, classes]}. An input given flat,
 * {@code [batch, inputSize]} (how data sets hold examples), is viewed as {@code inputShape}.
 * Backward, the gradients of a tensor read by several nodes add up.
 *
 * <p>Hooks see each node's inputs and output on the way forward ({@link ForwardHook}) and the loss
 * gradient with respect to its output on the way back ({@link BackwardHook}), keyed by node name.
 * A chain of layers ({@link #chain}) is a graph whose nodes each read the one before.
 *
 * <p>The graph owns its layers and closes them in {@link #close}. It is not thread-safe: one forward
 * and backward pass at a time (the layers keep the last pass's state).
 */
public final class Graph implements AutoCloseable {
    /** The name of the network's input value; no node may take it. */
    public static final String INPUT = "input";

    /**
     * One node: its layer (whose name is the node's) and the values it reads, in order.
     *
     * @param layer  the node's layer (not null)
     * @param inputs the names of the values the node reads, in the layer's input order: earlier nodes
     *               or {@link #INPUT} (not null, no null entries); kept as an unmodifiable copy
     */
    public record Node(Layer layer, List<String> inputs) {
        /**
         * A node; {@code inputs} is copied.
         *
         * @param layer  the node's layer (not null)
         * @param inputs the names of the values the node reads (not null, no null entries)
         */
        public Node {
            Objects.requireNonNull(layer, "layer");
            inputs = List.copyOf(Objects.requireNonNull(inputs, "inputs"));
        }

        /**
         * The node's name.
         *
         * @return the layer's name
         */
        public String name() {
            return layer.name();
        }
    }

    private final Backend backend;
    private final int[] inputShape;
    private final List<Node> nodes;
    private final Map<String, Integer> index = new HashMap<>();
    /** Per node, the positions of its inputs: −1 for the network input, else the producing node. */
    private final int[][] sources;
    /** Per value (0 the input, i + 1 node i), how many node inputs read it. */
    private final int[] readers;
    /** Per value, the shape of one example. */
    private int[][] shapes;
    private final List<ForwardHook> forwardHooks = new CopyOnWriteArrayList<>();
    private final List<BackwardHook> backwardHooks = new CopyOnWriteArrayList<>();

    /** The last forward pass's values (0 the input view, i + 1 node i's output); valid until the next one. */
    private final Tensor[] values;
    /** Gradient sums of values read by several nodes, reused from step to step. */
    private final Tensor[] gradSums;

    /**
     * A graph over examples of shape {@code inputShape} (e.g. {@code [784]} or {@code [channels, height, width]});
     * takes ownership of the nodes' layers (the caller still closes them when this constructor throws).
     * Checks that names are unique, that every input is an earlier node or {@link #INPUT}, that every
     * node but the last is read, and that the shapes fit.
     *
     * @param backend    the backend the layers' tensors live on (not null)
     * @param inputShape one example's shape, positive extents (not null); copied
     * @param nodes      the nodes in topological order, the last one the output (not null); copied
     * @throws IllegalArgumentException when there is no node, an extent is not positive, a name is
     *     missing, repeated or {@link #INPUT}, a node reads nothing or a value that is not an earlier
     *     node, a node other than the last is never read, or the shapes do not fit. The output may be a
     *     vector (class scores) or a map ({@link #classifies()})
     */
    public Graph(Backend backend, int[] inputShape, List<Node> nodes) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(inputShape, "inputShape");
        Objects.requireNonNull(nodes, "nodes");
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a network needs at least one layer");
        }
        if (inputShape.length == 0 || Arrays.stream(inputShape).anyMatch(d -> d < 1)) {
            throw new IllegalArgumentException("input shape must have positive extents, got " + Arrays.toString(inputShape));
        }
        this.backend = backend;
        this.inputShape = inputShape.clone();
        this.nodes = new ArrayList<>(nodes);
        this.sources = new int[nodes.size()][];
        this.readers = new int[nodes.size() + 1];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            String name = n.name();
            if (name == null || name.isEmpty() || name.equals(INPUT)) {
                throw new IllegalArgumentException("node " + i + " (" + n.layer().describe() + ") needs a name other than '" + INPUT + "'");
            }
            if (index.putIfAbsent(name, i) != null) {
                throw new IllegalArgumentException("two nodes are named '" + name + "'");
            }
            if (n.inputs().isEmpty()) {
                throw new IllegalArgumentException("node '" + name + "' reads nothing");
            }
            sources[i] = new int[n.inputs().size()];
            for (int j = 0; j < sources[i].length; j++) {
                String in = n.inputs().get(j);
                Integer src = in.equals(INPUT) ? Integer.valueOf(-1) : index.get(in);
                if (src == null) {
                    throw new IllegalArgumentException("node '" + name + "' reads '" + in + "', which is not an earlier node or '" + INPUT + "'");
                }
                sources[i][j] = src;
                readers[src + 1]++;
            }
        }
        for (int i = 0; i + 1 < nodes.size(); i++) {
            if (readers[i + 1] == 0) {
                throw new IllegalArgumentException("the output of node '" + nodes.get(i).name() + "' is never read; only the last node may be the output");
            }
        }
        this.values = new Tensor[nodes.size() + 1];
        this.gradSums = new Tensor[nodes.size() + 1];
        this.shapes = inferShapes();
    }

    /**
     * Layers applied one after the other: each reads the one before, the first the input.
     *
     * @param backend    the backend the layers' tensors live on (not null)
     * @param inputShape one example's shape (not null)
     * @param layers     the layers in order, the last one giving the output (not null); the graph
     *                   takes ownership of them
     * @return the graph, which the caller owns and closes
     * @throws IllegalArgumentException as {@link #Graph(Backend, int[], List)} does
     */
    public static Graph chain(Backend backend, int[] inputShape, List<? extends Layer> layers) {
        Objects.requireNonNull(layers, "layers");
        List<Node> nodes = new ArrayList<>();
        String prev = INPUT;
        for (Layer l : layers) {
            nodes.add(new Node(l, List.of(prev)));
            prev = l.name();
        }
        return new Graph(backend, inputShape, nodes);
    }

    /**
     * A chain over flat examples of {@code inputSize} features.
     *
     * @param backend   the backend the layers' tensors live on (not null)
     * @param inputSize features per example, the input shape {@code [inputSize]}
     * @param layers    the layers in order (not null); the graph takes ownership of them
     * @return the graph, which the caller owns and closes
     * @throws IllegalArgumentException as {@link #Graph(Backend, int[], List)} does
     */
    public static Graph chain(Backend backend, int inputSize, List<? extends Layer> layers) {
        return chain(backend, new int[] {inputSize}, layers);
    }

    /**
     * A builder for a graph over examples of shape {@code inputShape}, its layers initialised from {@code seed}.
     *
     * @param backend    the backend the layers' tensors are allocated on (not null)
     * @param seed       seed of the builder's random numbers, from which the weights are drawn
     * @param inputShape one example's shape, e.g. {@code 784} or {@code 1, 28, 28} (not null); copied
     * @return a new builder
     * @throws IllegalArgumentException when {@code inputShape} is empty
     */
    public static GraphBuilder builder(Backend backend, long seed, int... inputShape) {
        return new GraphBuilder(backend, seed, inputShape);
    }

    private int[][] inferShapes() {
        int[][] s = new int[nodes.size() + 1][];
        s[0] = inputShape.clone();
        for (int i = 0; i < nodes.size(); i++) {
            int[][] in = new int[sources[i].length][];
            for (int j = 0; j < in.length; j++) {
                in[j] = s[sources[i][j] + 1];
            }
            s[i + 1] = nodes.get(i).layer().outputShape(in);
        }
        return s;
    }

    /**
     * A deep copy: every layer's {@link Layer#copy}, with the same wiring and input shape. Parameters
     * and buffers are copied; hooks are not, and neither are the parameters' masks of the built-in
     * layers (masked weights are copied as the zeros they hold).
     *
     * @return the copy, which the caller owns and closes
     */
    public Graph copy() {
        List<Node> copies = new ArrayList<>();
        for (Node n : nodes) {
            copies.add(new Node(n.layer().copy(), n.inputs()));
        }
        return new Graph(backend, inputShape, copies);
    }

    /**
     * The backend the graph runs on.
     *
     * @return the backend given at construction
     */
    public Backend backend() {
        return backend;
    }

    /**
     * Features per example.
     *
     * @return the product of {@link #inputShape()}
     */
    public int inputSize() {
        return Shapes.size(inputShape);
    }

    /**
     * Shape of one example.
     *
     * @return a copy of the shape, e.g. {@code [784]} or {@code [1, 28, 28]}
     */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /**
     * The nodes in topological order.
     *
     * @return an unmodifiable view, which reflects later {@link #setLayer} calls
     */
    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /**
     * The layers in topological order.
     *
     * @return an unmodifiable list of the layers (still owned by the graph), as they are now
     */
    public List<Layer> layers() {
        List<Layer> ls = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            ls.add(n.layer());
        }
        return Collections.unmodifiableList(ls);
    }

    /**
     * The node called {@code name}.
     *
     * @param name a node name (not null)
     * @return the node
     * @throws IllegalArgumentException when the graph has no such node
     */
    public Node node(String name) {
        return nodes.get(indexOf(name));
    }

    /**
     * The layer of node {@code name}.
     *
     * @param name a node name (not null)
     * @return the layer, still owned by the graph
     * @throws IllegalArgumentException when the graph has no such node
     */
    public Layer layer(String name) {
        return node(name).layer();
    }

    /**
     * Position of node {@code name} in the topological order.
     *
     * @param name a node name (not null)
     * @return the index into {@link #nodes()}
     * @throws IllegalArgumentException when the graph has no such node
     */
    public int indexOf(String name) {
        Objects.requireNonNull(name, "name");
        Integer i = index.get(name);
        if (i == null) {
            throw new IllegalArgumentException("the network has no node '" + name + "'");
        }
        return i;
    }

    /**
     * Whether a node is called {@code name}.
     *
     * @param name a node name (not null)
     * @return true when the graph has that node ({@link #INPUT} is not a node)
     */
    public boolean hasNode(String name) {
        Objects.requireNonNull(name, "name");
        return index.containsKey(name);
    }

    /**
     * The name of the output node (the last one).
     *
     * @return the last node's name
     */
    public String outputName() {
        return nodes.get(nodes.size() - 1).name();
    }

    /**
     * The nodes that read value {@code name}.
     *
     * @param name a node name or {@link #INPUT} (not null)
     * @return the reading nodes' names in topological order, each once; empty for the output node
     * @throws IllegalArgumentException when {@code name} is neither a node nor {@link #INPUT}
     */
    public List<String> readersOf(String name) {
        Objects.requireNonNull(name, "name");
        int v = name.equals(INPUT) ? -1 : indexOf(name);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (int s : sources[i]) {
                if (s == v) {
                    out.add(nodes.get(i).name());
                    break;
                }
            }
        }
        return out;
    }

    /**
     * Shape of one example of value {@code name}, as of the last {@link #checkShapes} (or construction).
     *
     * @param name a node name (its output) or {@link #INPUT} (not null)
     * @return a copy of the per-example shape
     * @throws IllegalArgumentException when {@code name} is neither a node nor {@link #INPUT}
     */
    public int[] shapeOf(String name) {
        Objects.requireNonNull(name, "name");
        return shapes[name.equals(INPUT) ? 0 : indexOf(name) + 1].clone();
    }

    /**
     * Number of classes: the output node's features.
     *
     * @return the extent of the output's one per-example dimension
     * @throws IllegalArgumentException when the output is not a vector ({@link #classifies()} is false)
     */
    public int outputSize() {
        int[] s = shapes[nodes.size()];
        if (s.length != 1) {
            throw new IllegalArgumentException("the network's output is " + Arrays.toString(s) + " per example, not class scores;"
                    + " training, accuracy and the criteria that need data take a network that ends in a vector (a Dense layer)");
        }
        return s[0];
    }

    /**
     * Whether the output is a vector per example (class scores, or features): what training, accuracy
     * and the criteria that need gradients take. A network may end in anything else, a map of
     * features or of per-pixel scores; it then runs, prunes with the data-free criteria, compacts and
     * exports.
     *
     * @return true when the output's per-example shape has one dimension
     */
    public boolean classifies() {
        return shapes[nodes.size()].length == 1;
    }

    /**
     * Refuses a network whose output is not a vector, for {@code what} (training, accuracy, a criterion
     * that needs gradients), which computes the cross-entropy of class scores.
     *
     * @param what what needs class scores, for the message, e.g. {@code "training"}
     * @throws io.prune4j.InvalidSettingException when {@link #classifies()} is false, naming the output's
     *     shape and what such a network can do
     */
    public void requireClassifier(String what) {
        if (!classifies()) {
            throw new io.prune4j.InvalidSettingException(what + " needs class scores, and the network's output is "
                    + Arrays.toString(shapes[nodes.size()]) + " per example; a network that ends in a map prunes with the data-free"
                    + " criteria (magnitude, magnitude-l1, bn-scale, fpgm, lamp, random) and no fine-tuning");
        }
    }

    /**
     * The output's per-example shape.
     *
     * @return a copy of it: {@code [classes]} for a classifier, {@code [C, H, W]} for a map
     */
    public int[] outputShape() {
        return shapes[nodes.size()].clone();
    }

    /**
     * Values in one example's output.
     *
     * @return the product of {@link #outputShape()}
     */
    public int outputValues() {
        return Shapes.size(shapes[nodes.size()]);
    }

    /**
     * Replaces the layer of node {@code name} (used by compaction, which replaces several nodes before
     * the shapes fit again, so shapes are checked by {@link #checkShapes}); closes the old layer when it
     * differs. The new layer must have the node's name.
     *
     * @param name  the node (not null)
     * @param layer its new layer, named {@code name} (not null); the graph takes ownership
     * @throws IllegalArgumentException when there is no such node or the layer has another name
     */
    public void setLayer(String name, Layer layer) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(layer, "layer");
        int i = indexOf(name);
        if (!layer.name().equals(name)) {
            throw new IllegalArgumentException("node '" + name + "' cannot hold a layer named '" + layer.name() + "'");
        }
        Node old = nodes.set(i, new Node(layer, nodes.get(i).inputs()));
        if (old.layer() != layer) {
            old.layer().close();
        }
    }

    /**
     * Recomputes every value's shape after {@link #setLayer}, throwing where the layers no longer fit.
     *
     * @throws IllegalArgumentException when a layer does not take its inputs' shapes
     */
    public void checkShapes() {
        shapes = inferShapes();
    }

    /**
     * Installs a hook called after each node's forward pass, from the next pass on, until
     * {@link #removeHook}. Hooks run in the order they were added; adding one twice calls it twice.
     *
     * @param hook the hook (not null)
     */
    public void addForwardHook(ForwardHook hook) {
        Objects.requireNonNull(hook, "hook");
        forwardHooks.add(hook);
    }

    /**
     * Installs a hook called before each node's backward pass, from the next pass on, until
     * {@link #removeHook}. Hooks run in the order they were added.
     *
     * @param hook the hook (not null)
     */
    public void addBackwardHook(BackwardHook hook) {
        Objects.requireNonNull(hook, "hook");
        backwardHooks.add(hook);
    }

    /**
     * Removes a hook (one installation of it) from the forward and from the backward hooks; nothing
     * happens for a hook that is not installed.
     *
     * @param hook a hook given to {@link #addForwardHook} or {@link #addBackwardHook}
     */
    public void removeHook(Object hook) {
        forwardHooks.remove(hook);
        backwardHooks.remove(hook);
    }

    /**
     * Hooks currently installed (forward and backward), so tests can check that scorers clean up.
     *
     * @return the number of installed forward and backward hooks
     */
    public int hookCount() {
        return forwardHooks.size() + backwardHooks.size();
    }

    /**
     * A scope of inference: until it is closed, inference passes may use forms of the weights built
     * for it ({@link Layer#prepareInference}: a masked Dense layer runs as a sparse product where the
     * backend's is faster). The weights must not change inside it (a training pass ends what was
     * built for the layers it runs). {@code Trainer.evaluate} and the report's speed measurements
     * open one; {@code try (var s = net.inferenceScope()) { … net.forward(x, false) … }} does the same
     * for a caller's own inference.
     *
     * @return the scope; the caller closes it
     */
    public InferenceScope inferenceScope() {
        for (Node n : nodes) {
            n.layer().prepareInference();
        }
        return new InferenceScope(this);
    }

    /** A scope of inference passes ({@link #inferenceScope}); closing it releases what the layers built. */
    public static final class InferenceScope implements AutoCloseable {
        private final Graph net;

        private InferenceScope(Graph net) {
            this.net = net;
        }

        /** Calls every layer's {@link Layer#releaseInference}. */
        @Override
        public void close() {
            for (Node n : net.nodes) {
                n.layer().releaseInference();
            }
        }
    }

    /**
     * Runs every node, calling the forward hooks after each. An input given flat,
     * {@code [batch, inputSize]}, is viewed as {@code [batch, …inputShape]}.
     *
     * @param x        {@code [batch, …inputShape]} or {@code [batch, inputSize]} (not null); borrowed, not
     *                 modified, and read again by the backward pass of the same batch
     * @param training true for a training step (batch statistics, what an inference scope built is
     *                 dropped), false for inference
     * @return the logits {@code [batch, classes]}: they belong to the last layer and are overwritten by
     *     the next call
     * @throws IllegalArgumentException when a layer cannot take what it is given
     */
    public Tensor forward(Tensor x, boolean training) {
        Objects.requireNonNull(x, "x");
        run(x, training, nodes.size());
        return values[nodes.size()];
    }

    /**
     * Runs every node before {@code node} (calling the forward hooks) and returns what {@code node}
     * would read, in its input order; valid until the next forward pass.
     *
     * @param x        the input, as for {@link #forward} (not null)
     * @param training as for {@link #forward}
     * @param node     the node whose inputs are wanted (not null)
     * @return the values {@code node} reads, owned by the graph's layers (or {@code x} or a view of it)
     * @throws IllegalArgumentException when there is no such node, or a layer cannot take what it is given
     */
    public Tensor[] forwardTo(Tensor x, boolean training, String node) {
        Objects.requireNonNull(x, "x");
        int end = indexOf(node);
        run(x, training, end);
        return gather(end);
    }

    private void run(Tensor x, boolean training, int end) {
        Tensor h = x;
        if (inputShape.length > 1 && x.rank() == 2 && x.dim(1) == inputSize()) {
            h = backend.reshape(x, Workspace.batched(x.dim(0), inputShape));
        }
        Arrays.fill(values, null);
        values[0] = h;
        for (int i = 0; i < end; i++) {
            Node n = nodes.get(i);
            Tensor[] in = gather(i);
            Tensor out = n.layer().forward(in, training);
            values[i + 1] = out;
            for (ForwardHook hook : forwardHooks) {
                hook.accept(n.name(), n.layer(), in, out);
            }
        }
    }

    private Tensor[] gather(int node) {
        int[] src = sources[node];
        Tensor[] in = new Tensor[src.length];
        for (int j = 0; j < src.length; j++) {
            in[j] = values[src[j] + 1];
        }
        return in;
    }

    /**
     * Back-propagates {@code dLogits} (the gradient with respect to the output of the last
     * {@link #forward}) through every node, filling the parameter gradients. Nodes whose inputs are all
     * the network input are asked for no input gradient. The backward hooks are called before each
     * node's backward pass.
     *
     * @param dLogits {@code [batch, classes]}, shaped as the last forward output (not null); borrowed
     * @throws IllegalStateException when there was no full forward pass ({@link #forwardTo} does not
     *     count) or {@code dLogits} does not have its output's shape
     */
    public void backward(Tensor dLogits) {
        Objects.requireNonNull(dLogits, "dLogits");
        int n = nodes.size();
        if (values[n] == null || !dLogits.sameShape(values[n])) {
            throw new IllegalStateException("backward needs the gradient of the last full forward pass's output "
                    + (values[n] == null ? "(there was none)" : Arrays.toString(values[n].shape()) + ", got " + Arrays.toString(dLogits.shape())));
        }
        Tensor[] grads = new Tensor[n + 1];
        boolean[] summed = new boolean[n + 1];
        grads[n] = dLogits;
        for (int i = n - 1; i >= 0; i--) {
            Tensor g = grads[i + 1];
            if (g == null) {
                continue; // nothing downstream depends on this node (cannot happen in a valid graph, kept for safety)
            }
            Node node = nodes.get(i);
            for (BackwardHook hook : backwardHooks) {
                hook.accept(node.name(), node.layer(), g);
            }
            int[] src = sources[i];
            boolean[] need = new boolean[src.length];
            for (int j = 0; j < src.length; j++) {
                need[j] = src[j] >= 0;
            }
            Tensor[] dx = node.layer().backward(g, need);
            for (int j = 0; j < src.length; j++) {
                int v = src[j] + 1;
                if (!need[j] || dx[j] == null) {
                    continue;
                }
                if (grads[v] == null) {
                    grads[v] = dx[j];
                } else {
                    // a second reader: sum into a buffer of the graph's own, never into a layer's gradient
                    if (!summed[v]) {
                        gradSums[v] = Workspace.ensureShape(backend, gradSums[v], grads[v].shape());
                        backend.copy(gradSums[v], grads[v]);
                        grads[v] = gradSums[v];
                        summed[v] = true;
                    }
                    backend.add(grads[v], grads[v], dx[j]);
                }
            }
        }
    }

    /**
     * Every layer's trainable parameters, layer by layer in topological order.
     *
     * @return a new list of the parameters, which stay owned by their layers
     */
    public List<Parameter> parameters() {
        List<Parameter> ps = new ArrayList<>();
        for (Node n : nodes) {
            ps.addAll(n.layer().parameters());
        }
        return ps;
    }

    /**
     * Number of trainable scalars (masked weights included).
     *
     * @return the sum of the parameters' sizes
     */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.size();
        }
        return n;
    }

    /**
     * Floating-point operations of one inference pass per example (a multiply-add counts two).
     *
     * @return the sum of the layers' {@link Layer#flopsPerExample(int[][])}
     */
    public long flopsPerExample() {
        long f = 0;
        for (int i = 0; i < nodes.size(); i++) {
            f += nodes.get(i).layer().flopsPerExample(inputShapes(i));
        }
        return f;
    }

    /**
     * The per-example shapes of node {@code i}'s inputs.
     *
     * @param i the node's index in {@link #nodes()}
     * @return a copy of each input's shape, in input order
     * @throws IndexOutOfBoundsException when {@code i} is not a node's index
     */
    public int[][] inputShapes(int i) {
        int[][] in = new int[sources[i].length][];
        for (int j = 0; j < in.length; j++) {
            in[j] = shapes[sources[i][j] + 1].clone();
        }
        return in;
    }

    /**
     * Whether every node reads the one before it (the first the input): an MLP or plain CNN.
     *
     * @return true for a chain
     */
    public boolean isChain() {
        for (int i = 0; i < nodes.size(); i++) {
            if (sources[i].length != 1 || sources[i][0] != i - 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * A chain's layers one after the other ({@code Dense fc1 (784→300, relu) → …}); for other graphs a
     * count of the nodes by kind ({@code 31 nodes: 9 Conv2d, 9 BatchNorm, …}), since the wiring does not
     * fit a line.
     *
     * @return one line
     */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (isChain()) {
            for (Node n : nodes) {
                if (sb.length() > 0) {
                    sb.append(" → ");
                }
                sb.append(n.layer().describe());
            }
            return sb.toString();
        }
        Map<String, Integer> kinds = new java.util.LinkedHashMap<>();
        for (Node n : nodes) {
            kinds.merge(n.layer().getClass().getSimpleName(), 1, Integer::sum);
        }
        sb.append(nodes.size()).append(" nodes: ");
        String sep = "";
        for (Map.Entry<String, Integer> e : kinds.entrySet()) {
            sb.append(sep).append(e.getValue()).append(' ').append(e.getKey());
            sep = ", ";
        }
        return sb.toString();
    }

    /**
     * The names in {@code names} that are not nodes of this graph.
     *
     * @param names node names to check (not null, no null entries)
     * @return a new set of the unknown ones, empty when all are nodes
     */
    public Set<String> unknown(Iterable<String> names) {
        Objects.requireNonNull(names, "names");
        Set<String> out = new HashSet<>();
        for (String s : names) {
            if (!index.containsKey(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Closes every layer and the graph's own gradient buffers; the graph is not used afterwards. */
    @Override
    public void close() {
        Arrays.fill(values, null);
        for (int i = 0; i < gradSums.length; i++) {
            gradSums[i] = Workspace.free(gradSums[i]);
        }
        for (Node n : nodes) {
            n.layer().close();
        }
    }
}
