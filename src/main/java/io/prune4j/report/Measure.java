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

/** Measures a model for a report: accuracy, size, FLOPs, saved file size, latency and throughput. */
public final class Measure {
    private Measure() {}

    /**
     * @param trainSamplesPerSecond measured by the training run, or null
     * @param seconds               time for each speed measurement
     */
    public static ModelStats stats(Graph net, DeviceData test, Double trainSamplesPerSecond, double seconds) {
        return stats(net, test, true, trainSamplesPerSecond, seconds);
    }

    /**
     * As {@link #stats(Graph, DeviceData, Double, double)}; with {@code accuracy} false, {@code test} only
     * feeds the speed measurements (inputs without meaningful labels, for a model pruned without data)
     * and the accuracy and loss are left out.
     */
    public static ModelStats stats(Graph net, DeviceData test, boolean accuracy, Double trainSamplesPerSecond, double seconds) {
        Metrics m = accuracy ? Trainer.evaluate(net, test) : null;
        double infer = Throughput.inferSamplesPerSecond(net, test, 256, seconds);
        double latency = Throughput.latencyMillisBatch1(net, test, 400);
        return new ModelStats(m == null ? null : m.accuracy(), m == null ? null : m.loss(), net.parameterCount(), Pruner.nonzero(net),
                net.flopsPerExample(), trainSamplesPerSecond, infer, latency, fileSize(net));
    }

    /** Bytes of the model file {@code net} saves to. */
    public static long fileSize(Graph net) {
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
     */
    public static List<int[]> layerShapes(Graph net) {
        List<int[]> shapes = new ArrayList<>();
        for (Layer l : net.layers()) {
            if (l instanceof WeightLayer d) {
                shapes.add(new int[] {d.inputUnits(), d.units(), d.weight().size()});
            }
        }
        return shapes;
    }

    /** The per-layer table of {@code net} against the shapes it had before pruning. */
    public static List<LayerRow> layerTable(Graph net, List<int[]> before) {
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
