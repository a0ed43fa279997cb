package io.prune4j.cli;

import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.onnx.OnnxRuntime;
import io.prune4j.onnx.OutputFunction;
import io.prune4j.prune.Pruner;
import io.prune4j.report.ModelStats;
import java.util.Arrays;

/**
 * The figures of {@link io.prune4j.report.Measure}, for a model run by ONNX Runtime: accuracy and
 * mean cross-entropy over the test set in batches of 256, throughput at batch 256 and median latency
 * at batch 1, timed as prune4j's are (a warm-up, then as many runs as fit in the time).
 */
final class OrtMeasure {
    private static final int BATCH = 256;

    private OrtMeasure() {}

    /**
     * {@code net} is the same model read by prune4j, for its parameter and FLOP counts; {@code function}
     * is what the file applies to its scores last, undone for the loss.
     */
    static ModelStats stats(OnnxRuntime ort, Graph net, OutputFunction function, Dataset test, boolean accuracy, double seconds,
                            long fileBytes) {
        int size = net.inputSize();
        Double acc = null;
        Double loss = null;
        if (accuracy) {
            int classes = net.outputSize();
            long correct = 0;
            double sum = 0;
            for (int from = 0; from < test.count(); from += BATCH) {
                int rows = Math.min(BATCH, test.count() - from);
                float[] y = function.toScores(ort.run(Arrays.copyOfRange(test.features(), from * size, (from + rows) * size), rows,
                        net.inputShape()), rows);
                for (int r = 0; r < rows; r++) {
                    int label = test.labels()[from + r];
                    int best = 0;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < classes; c++) {
                        double v = y[r * classes + c];
                        if (v > max) {
                            max = v;
                            best = c;
                        }
                    }
                    double z = 0;
                    for (int c = 0; c < classes; c++) {
                        z += Math.exp(y[r * classes + c] - max);
                    }
                    sum += Math.log(z) + max - y[r * classes + label];
                    if (best == label) {
                        correct++;
                    }
                }
            }
            acc = (double) correct / test.count();
            loss = sum / test.count();
        }
        int rows = Math.min(BATCH, test.count());
        float[] batch = Arrays.copyOf(test.features(), rows * size);
        long warm = System.nanoTime() + (long) (seconds * 0.25e9);
        do {
            ort.run(batch, rows, net.inputShape());
        } while (System.nanoTime() < warm);
        long iters = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        do {
            ort.run(batch, rows, net.inputShape());
            iters++;
        } while (System.nanoTime() < end);
        double throughput = iters * rows / ((System.nanoTime() - t0) / 1e9);
        float[] one = Arrays.copyOf(test.features(), size);
        for (int i = 0; i < 100; i++) {
            ort.run(one, 1, net.inputShape());
        }
        double[] ms = new double[400];
        for (int i = 0; i < ms.length; i++) {
            long s = System.nanoTime();
            ort.run(one, 1, net.inputShape());
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(ms);
        return new ModelStats(acc, loss, net.parameterCount(), Pruner.nonzero(net), net.flopsPerExample(), null, throughput,
                ms[ms.length / 2], fileBytes);
    }
}
