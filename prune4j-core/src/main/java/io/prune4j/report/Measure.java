package io.prune4j.report;

import io.prune4j.Prune4jException;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.WeightLayer;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.prune.Pruner;
import io.prune4j.train.DeviceData;
import io.prune4j.train.Metrics;
import io.prune4j.train.Throughput;
import io.prune4j.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Measures a model for a report: accuracy, size, FLOPs, saved file size, latency and throughput. The
 * network is only read (and run): the caller keeps owning it.
 */
public final class Measure {
    private Measure() {}

    /**
     * Every figure of {@code net}: accuracy and loss on {@code test}, parameters, FLOPs, inference
     * throughput at batch 256 (or the test set's size, when smaller), latency at batch 1 and the size
     * of the model file it saves to.
     *
     * @param net                   the network (not null)
     * @param test                  labelled examples for the accuracy and the speed measurements (not null, not empty)
     * @param trainSamplesPerSecond measured by the training run, or null
     * @param seconds               time for each speed measurement
     * @return the figures, {@code effectiveFlops} included
     * @throws io.prune4j.Prune4jException when the temporary model file cannot be written
     */
    public static ModelStats stats(Graph net, DeviceData test, Double trainSamplesPerSecond, double seconds) {
        return stats(net, test, true, trainSamplesPerSecond, seconds);
    }

    /**
     * As {@link #stats(Graph, DeviceData, Double, double)}; with {@code accuracy} false, {@code test} only
     * feeds the speed measurements (inputs without meaningful labels, for a model pruned without data)
     * and the accuracy and loss are left out.
     *
     * @param net                   the network (not null)
     * @param test                  examples for the speed measurements, and with {@code accuracy} for
     *                              the accuracy (not null, not empty)
     * @param accuracy              whether to measure accuracy and loss on {@code test}
     * @param trainSamplesPerSecond measured by the training run, or null
     * @param seconds               time for each speed measurement
     * @return the figures, {@code effectiveFlops} included
     * @throws io.prune4j.Prune4jException when the temporary model file cannot be written
     */
    public static ModelStats stats(Graph net, DeviceData test, boolean accuracy, Double trainSamplesPerSecond, double seconds) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(test, "test");
        Metrics m = accuracy ? Trainer.evaluate(net, test) : null;
        double infer = Throughput.inferSamplesPerSecond(net, test, 256, seconds);
        double latency = Throughput.latencyMillisBatch1(net, test, 400);
        return new ModelStats(m == null ? null : m.accuracy(), m == null ? null : m.loss(), net.parameterCount(), Pruner.nonzero(net),
                net.flopsPerExample(), trainSamplesPerSecond, infer, latency, fileSize(net), effectiveFlops(net));
    }

    /**
     * FLOPs per example of the multiply-adds actually performed: a weight layer whose weight carries a
     * mask counts its FLOPs times the fraction of weights the mask keeps (exact for Dense and Conv2d,
     * where every weight takes part in the same number of multiply-adds); other layers as they are.
     *
     * @param net the network (not null)
     * @return FLOPs per example; {@link Graph#flopsPerExample()} for a network without masks
     */
    public static long effectiveFlops(Graph net) {
        Objects.requireNonNull(net, "net");
        long f = 0;
        for (int i = 0; i < net.nodes().size(); i++) {
            Layer l = net.nodes().get(i).layer();
            long full = l.flopsPerExample(net.inputShapes(i));
            if (l instanceof WeightLayer w && w.weight().mask() != null && w.weight().size() > 0) {
                f += Math.round((double) full * Pruner.nonzero(w.weight()) / w.weight().size());
            } else {
                f += full;
            }
        }
        return f;
    }

    /**
     * For each masked Dense layer and convolution, whether inference runs it as a sparse product at
     * batch 1 and at batch 256, with its density and the backend's crossover densities (empty when no layer is
     * masked): {@code [{layer, density, batch1, batch256, crossover_b1, crossover_batch}]}. The
     * crossover densities are given on the CPU backend only. Opens (and closes) an inference scope.
     *
     * @param net the network (not null)
     * @return one map per masked Dense or Conv2d layer, in topological order: {@code layer} (name),
     *     {@code density} (kept fraction), {@code batch1} and {@code batch256} ({@code "sparse"} or
     *     {@code "dense"}), and on the CPU {@code crossover_b1} and {@code crossover_batch}
     */
    public static List<Map<String, Object>> sparseInference(Graph net) {
        Objects.requireNonNull(net, "net");
        List<Map<String, Object>> out = new ArrayList<>();
        boolean cpu = net.backend() instanceof io.prune4j.backend.cpu.CpuBackend;
        try (Graph.InferenceScope scope = net.inferenceScope()) {
            for (int i = 0; i < net.nodes().size(); i++) {
                Layer l = net.nodes().get(i).layer();
                if (!(l instanceof WeightLayer w) || w.weight().mask() == null) {
                    continue;
                }
                boolean b1;
                boolean b256;
                if (l instanceof io.prune4j.nn.Dense d) {
                    b1 = d.runsSparse(1);
                    b256 = d.runsSparse(256);
                } else if (l instanceof io.prune4j.nn.Conv2d c) {
                    int[] in = net.inputShapes(i)[0];
                    b1 = c.runsSparse(in[1], in[2]);
                    b256 = b1; // the convolution's choice depends on the density alone
                } else {
                    continue;
                }
                Map<String, Object> row = new java.util.LinkedHashMap<>();
                row.put("layer", l.name());
                row.put("density", (double) Pruner.nonzero(w.weight()) / w.weight().size());
                row.put("batch1", b1 ? "sparse" : "dense");
                row.put("batch256", b256 ? "sparse" : "dense");
                if (cpu) {
                    row.put("crossover_b1", l instanceof io.prune4j.nn.Dense ? io.prune4j.backend.cpu.CpuBackend.CROSSOVER_B1
                            : io.prune4j.backend.cpu.CpuBackend.CROSSOVER_CONV);
                    row.put("crossover_batch", l instanceof io.prune4j.nn.Dense ? io.prune4j.backend.cpu.CpuBackend.CROSSOVER_BATCH
                            : io.prune4j.backend.cpu.CpuBackend.CROSSOVER_CONV);
                }
                out.add(row);
            }
        }
        return out;
    }

    /**
     * {@link #sparseInference} as lines for the terminal.
     *
     * @param net the network (not null)
     * @return one line per masked layer, each ending in a line separator, or "" when no layer is masked
     */
    public static String sparseInferenceLines(Graph net) {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : sparseInference(net)) {
            sb.append(String.format(java.util.Locale.ROOT, "inference %s: density %.3f, batch 1 %s, batch 256 %s%s%n", r.get("layer"),
                    (Double) r.get("density"), r.get("batch1"), r.get("batch256"), r.containsKey("crossover_b1")
                            ? String.format(java.util.Locale.ROOT, " (sparse below %.2f at batch 1, %.2f for a batch)", r.get("crossover_b1"),
                            r.get("crossover_batch")) : ""));
        }
        return sb.toString();
    }

    /**
     * Bytes of the model file {@code net} saves to, in prune4j's safetensors format: saved to a
     * temporary file that is deleted after.
     *
     * @param net the network (not null)
     * @return the file's size
     * @throws io.prune4j.Prune4jException when the temporary file cannot be created or written
     */
    public static long fileSize(Graph net) {
        Objects.requireNonNull(net, "net");
        try {
            Path tmp = Files.createTempFile("prune4j-size", ".safetensors");
            try {
                ModelFile.save(net, tmp, Map.of());
                return Files.size(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            // the temporary folder (full, not writable): the machine's problem, not prune4j's
            throw new Prune4jException("cannot measure the model file size in " + System.getProperty("java.io.tmpdir") + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * Sizes of the weight layers (Dense and Conv2d), {@code [inputs, units, weights]} each (inputs and
     * units are features for Dense, channels for Conv2d), to compare against after pruning.
     *
     * @param net the network (not null)
     * @return one entry {@code [inputUnits, units, weight elements]} per weight layer, in topological order
     */
    public static List<int[]> layerShapes(Graph net) {
        Objects.requireNonNull(net, "net");
        List<int[]> shapes = new ArrayList<>();
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer d) {
                shapes.add(new int[] {d.inputUnits(), d.units(), d.weight().size()});
            }
        }
        return shapes;
    }

    /**
     * The per-layer table of {@code net} against the shapes it had before pruning.
     *
     * @param net    the network after pruning (not null)
     * @param before {@link #layerShapes} of the network before pruning, with the same weight layers in
     *               the same order (not null)
     * @return one row per weight layer, in topological order
     * @throws IndexOutOfBoundsException when {@code before} has fewer entries than {@code net} has weight layers
     */
    public static List<LayerRow> layerTable(Graph net, List<int[]> before) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(before, "before");
        List<LayerRow> rows = new ArrayList<>();
        int i = 0;
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer d) {
                int[] b = before.get(i++);
                long weights = d.weight().size();
                long nonzero = Pruner.nonzero(d.weight());
                double sparsity = 1 - (double) nonzero / b[2];
                rows.add(new LayerRow(d.name(), b[0], b[1], d.inputUnits(), d.units(), weights, nonzero, sparsity));
            }
        }
        return rows;
    }
}
