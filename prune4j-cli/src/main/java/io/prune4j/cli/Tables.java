package io.prune4j.cli;

import io.prune4j.report.LayerRow;
import io.prune4j.report.ModelStats;
import java.util.List;
import java.util.Map;

/** Plain-text tables for people. */
final class Tables {
    private Tables() {}

    static String report(ModelStats before, ModelStats after, List<LayerRow> layers, Map<String, Double> timings) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%n%-26s %14s %14s %9s%n", "", "baseline", "pruned", "ratio"));
        row(sb, "test accuracy", before.accuracy(), after.accuracy(), "%14.4f");
        row(sb, "test loss", before.loss(), after.loss(), "%14.4f");
        row(sb, "parameters", before.params(), after.params(), "%14.0f");
        row(sb, "non-zero parameters", before.nonzeroParams(), after.nonzeroParams(), "%14.0f");
        row(sb, "FLOPs / example", before.flops(), after.flops(), "%14.0f");
        row(sb, "effective FLOPs", before.effectiveFlops(), after.effectiveFlops(), "%14.0f");
        row(sb, "model file bytes", before.fileBytes(), after.fileBytes(), "%14.0f");
        row(sb, "latency batch 1 (ms)", before.latencyMillisB1(), after.latencyMillisB1(), "%14.4f");
        row(sb, "throughput b256 (/s)", before.inferSamplesPerSecondB256(), after.inferSamplesPerSecondB256(), "%14.0f");
        int width = Math.max(8, layers.stream().mapToInt(l -> l.name().length()).max().orElse(0)); // names from ONNX files run long
        sb.append(String.format("%n%-" + width + "s %12s %12s %12s %10s%n", "layer", "in", "out", "weights", "sparsity"));
        for (LayerRow l : layers) {
            sb.append(String.format("%-" + width + "s %5d→%-6d %5d→%-6d %12d %9.1f%%%n", l.name(), l.inBefore(), l.in(), l.outBefore(),
                    l.out(), l.nonzeroWeights(), 100 * l.sparsity()));
        }
        sb.append("\ntimings:");
        timings.forEach((k, v) -> sb.append(String.format(" %s %.1f", k.replace("_s", ""), v)));
        sb.append(" (seconds)\n");
        return sb.toString();
    }

    private static void row(StringBuilder sb, String name, Number a, Number b, String fmt) {
        if (a == null || b == null) {
            return;
        }
        double x = a.doubleValue();
        double y = b.doubleValue();
        sb.append(String.format("%-26s " + fmt + " " + fmt + " %8.3fx%n", name, x, y, x == 0 ? Double.NaN : y / x));
    }
}
