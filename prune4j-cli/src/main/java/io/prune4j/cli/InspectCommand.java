package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.onnx.ModelFormat;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Parameter;
import io.prune4j.prune.ChannelGroups;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code prune4j inspect}: the nodes of a model and the dependency groups found in it, with their
 * members and sizes, and for each group whether it can be pruned and, if not, why. The first thing
 * to look at when a pruning result surprises.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List a model's nodes and the dependency groups of channels that are pruned together.")
final class InspectCommand implements Callable<Integer> {
    @Mixin
    TrainOptions training;

    @Mixin
    ModelOption source;

    @picocli.CommandLine.Parameters(arity = "0..1", paramLabel = "FILE", description = "The model to inspect (as --model FILE).")
    java.nio.file.Path file;

    @Option(names = "--classes", description = "Classes, for --arch without --model (default: ${DEFAULT-VALUE}).")
    int classes = 10;

    @Option(names = "--ignore", paramLabel = "NAME,…", split = ",", description = "Nodes to keep, as prune --ignore takes them.")
    List<String> ignore = new java.util.ArrayList<>();

    @Option(names = "--seed", description = "Seed of the initial weights, for --arch without --model (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Override
    public Integer call() {
        if (file != null && source.model != null && !file.equals(source.model)) {
            throw new InvalidSettingException("give the model once: as FILE or as --model, not both");
        }
        java.nio.file.Path model = file != null ? file : source.model;
        int[] given = source.inputShape();
        int[] inputShape = given != null ? given : new int[] {1, 28, 28};
        if (classes < 1) {
            throw new InvalidSettingException("--classes must be at least 1, got " + classes);
        }
        try (CpuBackend cpu = new CpuBackend(1);
             io.prune4j.onnx.OnnxModel loaded = model != null ? ModelFormat.load(model, cpu, given) : null;
             Graph net = loaded != null ? null : training.network(cpu, inputShape, classes, seed)) {
            Graph g = loaded != null ? loaded.graph() : net;
            if (model != null) {
                training.checkLoaded(g, model);
            }
            System.out.print(describe(g, ChannelGroups.of(g, new LinkedHashSet<>(ignore))));
            io.prune4j.onnx.OutputFunction f = loaded != null ? loaded.names().outputFunction() : io.prune4j.onnx.OutputFunction.NONE;
            if (f != io.prune4j.onnx.OutputFunction.NONE) {
                System.out.println("The file ends in " + f.operator() + ": prune4j's output is the class scores before it (what it trains"
                        + " on), and an ONNX export puts the " + f.operator() + " back.");
            }
            return 0;
        }
    }

    /**
     * A group's members, each node once: {@code conv1 out 16} for a layer whose output channels are the
     * group's, {@code conv2 in 16} for one that reads them, {@code bn1 16} for one they pass through.
     */
    private static String members(ChannelGroups.Group g) {
        java.util.Map<String, int[]> roles = new java.util.LinkedHashMap<>(); // node → {channels in, channels out}
        for (ChannelGroups.Member m : g.members()) {
            int[] r = roles.computeIfAbsent(m.node(), k -> new int[2]);
            r[m.isOutput() ? 1 : 0] = Math.max(r[m.isOutput() ? 1 : 0], m.channels());
        }
        StringBuilder sb = new StringBuilder();
        roles.forEach((node, r) -> {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            String role = r[0] > 0 && r[1] > 0 ? "" : r[1] > 0 ? " out" : " in";
            sb.append(node).append(role).append(' ').append(Math.max(r[0], r[1]));
        });
        return sb.toString();
    }

    /** The node table and the group list, as printed. */
    static String describe(Graph net, ChannelGroups groups) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%d nodes, %,d parameters, %,d FLOPs per example, input %s%n%n", net.nodes().size(), net.parameterCount(),
                net.flopsPerExample(), Arrays.toString(net.inputShape())));
        sb.append(String.format("%-4s %-18s %-58s %-24s %-14s %10s %14s%n", "#", "node", "layer", "inputs", "output", "params", "FLOPs"));
        for (int i = 0; i < net.nodes().size(); i++) {
            Graph.Node n = net.nodes().get(i);
            Layer l = n.layer();
            long params = 0;
            for (Parameter p : l.parameters()) {
                params += p.size();
            }
            sb.append(String.format("%-4d %-18s %-58s %-24s %-14s %10d %14d%n", i, n.name(), l.describe(), String.join(",", n.inputs()),
                    Arrays.toString(net.shapeOf(n.name())).replace(" ", ""), params, l.flopsPerExample(net.inputShapes(i))));
        }
        List<ChannelGroups.Group> all = groups.all();
        sb.append(String.format("%n%d groups, %d prunable%n", all.size(), groups.prunable().size()));
        for (ChannelGroups.Group g : all) {
            sb.append(String.format("%n%-18s %5d units  %s%n", g.name(), g.units(), g.prunable() ? "prunable" : "kept: " + g.reason()));
            sb.append("    ").append(members(g)).append('\n');
        }
        return sb.toString();
    }
}
