package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.ChannelRule;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GroupNorm;
import io.prune4j.nn.Identity;
import io.prune4j.nn.Layer;
import io.prune4j.nn.WeightLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The dependency groups of a graph: the sets of channels that must be removed together, found from
 * each layer's {@link ChannelRule} alone, never written by hand for a model.
 *
 * <p>Every channel of every tensor (dimension 1: a feature map's channels, a vector's features) is
 * an element; each rule ties elements together: a pass-through layer (ReLU, BatchNorm, pooling, Add,
 * Identity) and a product (Mul) tie channel {@code c} of each input to channel {@code c} of its
 * output, a concatenation ties each input to its offset range, a slice ties its range of the input to
 * its output, a permutation (a channel shuffle) ties input channel {@code source[c]} to output channel
 * {@code c}, a flatten ties a channel to its block of {@code H·W} features, a grouped or depthwise
 * convolution ties a block of input channels to its block of output channels.
 * Dense and ordinary convolutions tie nothing: their output channels start afresh. The classes of
 * tied elements are the <em>units</em> of pruning (removing a unit removes every element of it: a
 * filter, its BatchNorm entries, the matching input columns of every layer that reads it, through
 * residual adds); units that touch the same tensors form a <em>group</em>, scored and ranked together.
 *
 * <p>A gate ({@link ChannelRule.Gate}: a sigmoid, a HardSigmoid that maps 0 to ½) ties its channels
 * like a pass-through layer, but turns a removed (zero) channel into a constant: its channels are
 * pruned only when every reader of its output multiplies it ({@link ChannelRule.Product}) by a value
 * of the same unit that is no gate, which is zero there, so the masked network computes what the
 * compacted one does (SiLU's {@code x·sigmoid(x)}, a squeeze-and-excitation block's {@code s·x}).
 *
 * <p>A unit is kept whole, never pruned, when it touches the network's input or output, the output
 * of a node the caller names, a tensor of a layer whose rule is {@link ChannelRule.Opaque}, or a
 * gate's output that something other than such a product reads; the group says which and why.
 */
public final class ChannelGroups {

    /**
     * A node's share in a group: its output ({@code input == −1}) or input {@code input}, and the
     * unit of each of that tensor's channels (−1: another group's).
     *
     * @param node   the node's name; not null
     * @param input  which input of the node the tensor is (from 0), or −1 for its output
     * @param unitOf per channel of the tensor, its unit in the group, or −1 when the channel is another group's;
     *               not null (the array itself is kept, not copied)
     */
    public record Member(String node, int input, int[] unitOf) {
        /**
         * Checks the components.
         *
         * @param node   the node's name; not null
         * @param input  which input of the node the tensor is (from 0), or −1 for its output
         * @param unitOf per channel of the tensor, its unit in the group, or −1 when the channel is another group's;
         *               not null (the array itself is kept, not copied)
         * @throws NullPointerException     when {@code node} or {@code unitOf} is null
         * @throws IllegalArgumentException when {@code input} is below −1
         */
        public Member {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(unitOf, "unitOf");
            if (input < -1) {
                throw new IllegalArgumentException("member " + node + ": input " + input + " (−1 is the output)");
            }
        }

        /**
         * Channels of the tensor that belong to the group.
         *
         * @return the number of entries of {@code unitOf} that are ≥ 0
         */
        public int channels() {
            int n = 0;
            for (int u : unitOf) {
                n += u >= 0 ? 1 : 0;
            }
            return n;
        }

        /**
         * Whether the tensor is the node's output rather than one of its inputs.
         *
         * @return {@code input == −1}
         */
        public boolean isOutput() {
            return input < 0;
        }
    }

    /**
     * One group: {@code units} units, the members, and whether it can be pruned ({@code reason} says
     * why not). Its {@code name} is that of the first node that produces its channels, a key that
     * survives compaction.
     *
     * @param id       the group's index in {@link ChannelGroups#all()}, ≥ 0
     * @param name     the name of the first node that produces its channels (made unique with {@code #2}, …),
     *                 or {@link Graph#INPUT} for the input's channels; never null in the groups
     *                 {@link ChannelGroups} gives
     * @param units    the number of units, ≥ 0
     * @param members  every node tensor that holds channels of the group; not null, kept unmodifiable
     * @param prunable whether the group can be pruned
     * @param reason   why it cannot be pruned, or null when it can
     */
    public record Group(int id, String name, int units, List<Member> members, boolean prunable, String reason) {
        /**
         * Checks the components; keeps an unmodifiable copy of {@code members}.
         *
         * @param id       the group's index in {@link ChannelGroups#all()}, ≥ 0
         * @param name     the name of the first node that produces its channels (made unique with {@code #2}, …),
         *                 or {@link Graph#INPUT} for the input's channels; never null in the groups
         *                 {@link ChannelGroups} gives
         * @param units    the number of units, ≥ 0
         * @param members  every node tensor that holds channels of the group; not null, kept unmodifiable
         * @param prunable whether the group can be pruned
         * @param reason   why it cannot be pruned, or null when it can
         * @throws NullPointerException     when {@code members} is, or holds, null
         * @throws IllegalArgumentException when {@code id} or {@code units} is negative
         */
        public Group {
            members = List.copyOf(Objects.requireNonNull(members, "members"));
            if (id < 0 || units < 0) {
                throw new IllegalArgumentException("group " + name + ": id " + id + ", " + units + " units");
            }
        }

        /**
         * The members that are outputs of {@link WeightLayer}s: the filters and neurons the units consist of.
         *
         * @param net the network the groups were found in
         * @return those members, in member order
         */
        public List<Member> producers(Graph net) {
            Objects.requireNonNull(net, "net");
            List<Member> out = new ArrayList<>();
            for (Member m : members) {
                if (m.isOutput() && net.layer(m.node()) instanceof WeightLayer) {
                    out.add(m);
                }
            }
            return out;
        }

        /**
         * The member for node {@code node}'s output, or null.
         *
         * @param node a node name
         * @return the member, or null when the node's output holds none of the group's channels
         */
        public Member output(String node) {
            Objects.requireNonNull(node, "node");
            for (Member m : members) {
                if (m.isOutput() && m.node().equals(node)) {
                    return m;
                }
            }
            return null;
        }
    }

    private final Graph net;
    private final List<Group> groups;
    /** Per value (0 the input, i + 1 node i): per channel, the group id and unit. */
    private final int[][] groupOf;
    private final int[][] unitOf;

    private ChannelGroups(Graph net, List<Group> groups, int[][] groupOf, int[][] unitOf) {
        this.net = net;
        this.groups = groups;
        this.groupOf = groupOf;
        this.unitOf = unitOf;
    }

    /**
     * The groups of {@code net}, with the output channels of the nodes in {@code keep} never pruned.
     *
     * @param net  the network; the groups refer to it and do not follow later changes
     * @param keep names of nodes whose output channels are kept
     * @return the groups
     * @throws InvalidSettingException when {@code keep} names a node the network does not have
     */
    public static ChannelGroups of(Graph net, Set<String> keep) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(keep, "keep");
        Set<String> unknown = net.unknown(keep);
        if (!unknown.isEmpty()) {
            throw new InvalidSettingException("no node named " + String.join(", ", new java.util.TreeSet<>(unknown))
                    + " to keep; the network has " + String.join(", ", nodeNames(net)));
        }
        List<Graph.Node> nodes = net.nodes();
        int values = nodes.size() + 1;
        int[] base = new int[values + 1];
        int[] channels = new int[values];
        channels[0] = net.inputShape()[0];
        for (int i = 0; i < nodes.size(); i++) {
            channels[i + 1] = net.shapeOf(nodes.get(i).name())[0];
        }
        for (int v = 0; v < values; v++) {
            base[v + 1] = base[v] + channels[v];
        }
        int[] parent = new int[base[values]];
        for (int e = 0; e < parent.length; e++) {
            parent[e] = e;
        }
        // why an element may not be pruned (null: it may), gathered per element root below
        String[] blocked = new String[parent.length];
        block(blocked, base, 0, channels[0], "it is the network's input");
        block(blocked, base, values - 1, channels[values - 1], "it is the network's output");
        Map<Integer, ChannelRule.Gate> gates = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Graph.Node node = nodes.get(i);
            Layer layer = node.layer();
            int out = i + 1;
            int[] in = new int[node.inputs().size()];
            for (int j = 0; j < in.length; j++) {
                String name = node.inputs().get(j);
                in[j] = name.equals(Graph.INPUT) ? 0 : net.indexOf(name) + 1;
            }
            if (keep.contains(node.name())) {
                block(blocked, base, out, channels[out], node.name() + " is to be kept");
            }
            ChannelRule rule = layer.channelRule();
            if (rule instanceof ChannelRule.Independent) {
                continue; // fresh output channels, nothing tied
            }
            if (rule instanceof ChannelRule.Gate gate) {
                gates.put(i, gate);
            }
            if (rule instanceof ChannelRule.PassThrough || rule instanceof ChannelRule.Product || rule instanceof ChannelRule.Gate) {
                for (int v : in) {
                    requireSameChannels(layer, channels[v], channels[out]);
                    for (int c = 0; c < channels[out]; c++) {
                        union(parent, base[v] + c, base[out] + c);
                    }
                }
            } else if (rule instanceof ChannelRule.Concat) {
                int offset = 0;
                for (int v : in) {
                    for (int c = 0; c < channels[v]; c++) {
                        union(parent, base[v] + c, base[out] + offset + c);
                    }
                    offset += channels[v];
                }
                if (offset != channels[out]) {
                    throw new IllegalStateException(layer.describe() + ": inputs of " + offset + " channels concatenated to " + channels[out]);
                }
            } else if (rule instanceof ChannelRule.Grouped r) {
                int g = r.groups();
                int v = in[0];
                if (in.length != 1 || channels[v] % g != 0 || channels[out] % g != 0) {
                    throw new IllegalStateException(layer.describe() + ": " + g + " groups over " + channels[v] + " → " + channels[out]
                            + " channels");
                }
                int ci = channels[v] / g;
                int co = channels[out] / g;
                for (int k = 0; k < g; k++) {
                    int first = base[out] + k * co;
                    for (int c = 1; c < co; c++) {
                        union(parent, first, first + c);
                    }
                    for (int c = 0; c < ci; c++) {
                        union(parent, first, base[v] + k * ci + c);
                    }
                }
            } else if (rule instanceof ChannelRule.Flatten) {
                int v = in[0];
                if (in.length != 1 || channels[out] % channels[v] != 0) {
                    throw new IllegalStateException(layer.describe() + ": " + channels[v] + " channels flattened to " + channels[out]);
                }
                int block = channels[out] / channels[v];
                for (int f = 0; f < channels[out]; f++) {
                    union(parent, base[v] + f / block, base[out] + f);
                }
            } else if (rule instanceof ChannelRule.Slice r) {
                int v = in[0];
                if (in.length != 1 || (long) r.start() + r.count() > channels[v] || r.count() != channels[out]) {
                    throw new IllegalStateException(layer.describe() + ": channels [" + r.start() + ", " + ((long) r.start() + r.count())
                            + ") of " + channels[v] + " sliced to " + channels[out]);
                }
                for (int c = 0; c < r.count(); c++) {
                    union(parent, base[v] + r.start() + c, base[out] + c);
                }
            } else if (rule instanceof ChannelRule.Permutation r) {
                int v = in[0];
                int[] source = r.source();
                if (in.length != 1 || source.length != channels[v] || source.length != channels[out]) {
                    throw new IllegalStateException(layer.describe() + ": a permutation of " + source.length + " channels over "
                            + channels[v] + " → " + channels[out]);
                }
                for (int c = 0; c < source.length; c++) {
                    union(parent, base[v] + source[c], base[out] + c);
                }
            } else if (rule instanceof ChannelRule.Opaque r) {
                String why = node.name() + ": " + r.reason();
                for (int v : in) {
                    block(blocked, base, v, channels[v], why);
                }
                block(blocked, base, out, channels[out], why);
            }
        }
        for (Map.Entry<Integer, ChannelRule.Gate> g : gates.entrySet()) {
            int out = g.getKey() + 1;
            String why = unmultiplied(net, nodes.get(g.getKey()).name(), g.getValue(), gates.keySet());
            if (why != null) {
                block(blocked, base, out, channels[out], why);
            }
        }
        return assemble(net, base, channels, parent, blocked);
    }

    /**
     * Why a removed channel would come out of gate {@code gate} as its constant and stay (null: it
     * would not): each node that reads the gate must multiply it ({@link ChannelRule.Product}) by an
     * input that is no gate, whose channel of the same unit is zero once the unit is removed.
     */
    private static String unmultiplied(Graph net, String gate, ChannelRule.Gate rule, Set<Integer> gates) {
        return unmultiplied(net, gate, gate, rule, gates, new java.util.HashSet<>(Set.of(gate)));
    }

    /**
     * The check of {@link #unmultiplied(Graph, String, ChannelRule.Gate, Set)} on the readers of
     * {@code value}, which is the gate or a view of it: a reader that only views its input (an
     * {@link io.prune4j.nn.Unflatten}, an {@link io.prune4j.nn.Identity}, as a squeeze-and-excitation
     * block's {@code y.view(b, c, 1, 1)} is) passes the question on to its own readers.
     */
    private static String unmultiplied(Graph net, String gate, String value, ChannelRule.Gate rule, Set<Integer> gates, Set<String> views) {
        for (String reader : net.readersOf(value)) {
            Layer layer = net.layer(reader);
            if (layer instanceof io.prune4j.nn.Unflatten || layer instanceof io.prune4j.nn.Identity) {
                views.add(reader);
                String why = unmultiplied(net, gate, reader, rule, gates, views);
                if (why != null) {
                    return why;
                }
                continue;
            }
            String what = gate + ": " + rule.reason() + " and " + layer.getClass().getSimpleName() + " " + reader;
            if (!(layer.channelRule() instanceof ChannelRule.Product)) {
                return what + " reads it, so a removed channel would not read as zero";
            }
            boolean byZero = false;
            for (String in : net.node(reader).inputs()) {
                byZero |= in.equals(Graph.INPUT) || !gates.contains(net.indexOf(in)) && !views.contains(in);
            }
            if (!byZero) {
                return what + " multiplies it by gates only, so a removed channel would not read as zero";
            }
        }
        return null;
    }

    /**
     * The groups of {@code net} with nothing kept beyond the input and output.
     *
     * @param net the network
     * @return the groups
     */
    public static ChannelGroups of(Graph net) {
        return of(net, Set.of());
    }

    private static ChannelGroups assemble(Graph net, int[] base, int[] channels, int[] parent, String[] blocked) {
        int values = channels.length;
        int elements = parent.length;
        // per class (root): the values it touches (its signature) and the first reason it is blocked
        Map<Integer, Set<Integer>> touched = new LinkedHashMap<>();
        Map<Integer, String> reasons = new TreeMap<>();
        for (int v = 0; v < values; v++) {
            for (int c = 0; c < channels[v]; c++) {
                int e = base[v] + c;
                int root = find(parent, e);
                touched.computeIfAbsent(root, k -> new LinkedHashSet<>()).add(v);
                if (blocked[e] != null) {
                    reasons.putIfAbsent(root, blocked[e]);
                }
            }
        }
        // classes with the same signature form a group; units in order of their first element
        Map<List<Integer>, List<Integer>> bySignature = new LinkedHashMap<>();
        for (Map.Entry<Integer, Set<Integer>> t : touched.entrySet()) {
            List<Integer> sig = new ArrayList<>(t.getValue());
            Collections.sort(sig);
            bySignature.computeIfAbsent(sig, k -> new ArrayList<>()).add(t.getKey());
        }
        int[][] groupOf = new int[values][];
        int[][] unitOf = new int[values][];
        for (int v = 0; v < values; v++) {
            groupOf[v] = new int[channels[v]];
            unitOf[v] = new int[channels[v]];
        }
        // the unit of each class, by the order of first appearance (lowest element) within its group
        int[] classGroup = new int[elements];
        int[] classUnit = new int[elements];
        Arrays.fill(classGroup, -1);
        List<Group> groups = new ArrayList<>();
        List<Graph.Node> nodes = net.nodes();
        int id = 0;
        for (Map.Entry<List<Integer>, List<Integer>> e : bySignature.entrySet()) {
            // a root is its class's lowest element (see union), so sorting roots orders units by their first channel
            List<Integer> roots = new ArrayList<>(e.getValue());
            Collections.sort(roots);
            for (int u = 0; u < roots.size(); u++) {
                classGroup[roots.get(u)] = id;
                classUnit[roots.get(u)] = u;
            }
            String reason = null;
            for (int r : roots) {
                if (reasons.containsKey(r)) {
                    reason = reasons.get(r);
                    break;
                }
            }
            List<Integer> sig = e.getKey();
            for (int v : sig) {
                for (int c = 0; c < channels[v]; c++) {
                    int root = find(parent, base[v] + c);
                    if (classGroup[root] == id) {
                        groupOf[v][c] = id;
                        unitOf[v][c] = classUnit[root];
                    }
                }
            }
            groups.add(new Group(id, null, roots.size(), List.of(), reason == null, reason));
            id++;
        }
        // members: every node tensor that holds channels of a group; the name is the first producer's
        List<List<Member>> members = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            members.add(new ArrayList<>());
        }
        for (int i = 0; i < nodes.size(); i++) {
            Graph.Node node = nodes.get(i);
            for (int j = 0; j < node.inputs().size(); j++) {
                String in = node.inputs().get(j);
                addMembers(members, node.name(), j, in.equals(Graph.INPUT) ? 0 : net.indexOf(in) + 1, groupOf, unitOf);
            }
            addMembers(members, node.name(), -1, i + 1, groupOf, unitOf);
        }
        // names: a group's first Independent producer (a convolution or Dense layer that writes it), else
        // its first writer, else (the network input's channels) the input; producers are named first, so
        // that a layer's own group gets its name plain
        String[] names = new String[groups.size()];
        Set<String> taken = new java.util.HashSet<>();
        for (int pass = 0; pass < 2; pass++) {
            for (Group g : groups) {
                if (names[g.id()] != null) {
                    continue;
                }
                String name = null;
                for (Member m : members.get(g.id())) {
                    if (m.isOutput() && (pass == 1 || net.layer(m.node()).channelRule() instanceof ChannelRule.Independent)) {
                        name = m.node();
                        break;
                    }
                }
                if (name == null && pass == 1) {
                    name = Graph.INPUT;
                }
                if (name != null) {
                    String unique = name;
                    for (int k = 2; !taken.add(unique); k++) {
                        unique = name + "#" + k;
                    }
                    names[g.id()] = unique;
                }
            }
        }
        List<Group> named = new ArrayList<>();
        for (Group g : groups) {
            named.add(new Group(g.id(), names[g.id()], g.units(), List.copyOf(members.get(g.id())), g.prunable(), g.reason()));
        }
        return new ChannelGroups(net, List.copyOf(named), groupOf, unitOf);
    }

    private static void addMembers(List<List<Member>> members, String node, int input, int value, int[][] groupOf, int[][] unitOf) {
        Map<Integer, int[]> per = new TreeMap<>();
        for (int c = 0; c < groupOf[value].length; c++) {
            int[] u = per.computeIfAbsent(groupOf[value][c], k -> {
                int[] a = new int[groupOf[value].length];
                Arrays.fill(a, -1);
                return a;
            });
            u[c] = unitOf[value][c];
        }
        for (Map.Entry<Integer, int[]> e : per.entrySet()) {
            members.get(e.getKey()).add(new Member(node, input, e.getValue()));
        }
    }

    private static void requireSameChannels(Layer layer, int in, int out) {
        if (in != out) {
            throw new IllegalStateException(layer.describe() + " passes channels through but maps " + in + " to " + out);
        }
    }

    private static void block(String[] blocked, int[] base, int value, int channels, String why) {
        for (int c = 0; c < channels; c++) {
            if (blocked[base[value] + c] == null) {
                blocked[base[value] + c] = why;
            }
        }
    }

    private static int find(int[] parent, int e) {
        while (parent[e] != e) {
            parent[e] = parent[parent[e]];
            e = parent[e];
        }
        return e;
    }

    private static void union(int[] parent, int a, int b) {
        int ra = find(parent, a);
        int rb = find(parent, b);
        if (ra != rb) {
            // the lower element becomes the root, so the result does not depend on the order of the unions
            if (ra < rb) {
                parent[rb] = ra;
            } else {
                parent[ra] = rb;
            }
        }
    }

    private static List<String> nodeNames(Graph net) {
        List<String> names = new ArrayList<>();
        for (Graph.Node n : net.nodes()) {
            names.add(n.name());
        }
        return names;
    }

    /**
     * The network the groups were found in.
     *
     * @return the network
     */
    public Graph network() {
        return net;
    }

    /**
     * Every group, in order of their first channel; {@link Group#id()} is the position.
     *
     * @return the groups, unmodifiable
     */
    public List<Group> all() {
        return groups;
    }

    /**
     * The groups that can be pruned.
     *
     * @return a new list of them, in {@link #all()} order
     */
    public List<Group> prunable() {
        List<Group> out = new ArrayList<>();
        for (Group g : groups) {
            if (g.prunable()) {
                out.add(g);
            }
        }
        return out;
    }

    /**
     * The group called {@code name}, or null.
     *
     * @param name a group name ({@link Group#name()})
     * @return the group, or null when none has that name
     */
    public Group named(String name) {
        Objects.requireNonNull(name, "name");
        for (Group g : groups) {
            if (g.name().equals(name)) {
                return g;
            }
        }
        return null;
    }

    /**
     * Per channel of value {@code name} (a node or {@link Graph#INPUT}), its group id.
     *
     * @param name a node name, or {@link Graph#INPUT}
     * @return a fresh array, one group id per channel of that tensor
     * @throws IllegalArgumentException when the network has no such node
     */
    public int[] groupsOf(String name) {
        Objects.requireNonNull(name, "name");
        return groupOf[value(name)].clone();
    }

    /**
     * Per channel of value {@code name}, its unit within its group.
     *
     * @param name a node name, or {@link Graph#INPUT}
     * @return a fresh array, one unit index per channel of that tensor
     * @throws IllegalArgumentException when the network has no such node
     */
    public int[] unitsOf(String name) {
        Objects.requireNonNull(name, "name");
        return unitOf[value(name)].clone();
    }

    private int value(String name) {
        return name.equals(Graph.INPUT) ? 0 : net.indexOf(name) + 1;
    }

    /**
     * Where a node's channels are seen as activations: its output, or past the BatchNorm, GroupNorm and
     * Identity nodes that alone read it (a convolution followed by its BatchNorm is judged by what the
     * BatchNorm gives, since removing the channel removes that too).
     *
     * @param net  the network
     * @param node a node name
     * @return {@code node}, or the last BatchNorm, GroupNorm or Identity node of the chain that alone reads it
     */
    public static String activationPoint(Graph net, String node) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(node, "node");
        String at = node;
        while (true) {
            List<String> readers = net.readersOf(at);
            if (readers.size() != 1) {
                return at;
            }
            Layer next = net.layer(readers.get(0));
            if (!(next instanceof BatchNorm || next instanceof GroupNorm || next instanceof Identity)
                    || net.node(readers.get(0)).inputs().size() != 1) {
                return at;
            }
            at = readers.get(0);
        }
    }
}
