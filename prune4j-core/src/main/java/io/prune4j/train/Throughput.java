package io.prune4j.train;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Objects;

/**
 * Measured inference speed of a network: forward passes on batches gathered from real data, after a
 * warm-up, timed until at least {@code seconds} have passed. Used by reports; the JMH benchmarks in
 * {@code benchmarks/} are the careful measurement.
 */
public final class Throughput {
    private Throughput() {}

    /**
     * Examples per second of forward passes at {@code batch}: the first {@code min(batch, count)}
     * examples of {@code data}, passed forward for a quarter of {@code seconds} to warm up, then
     * timed for at least {@code seconds}, with the backend synchronised every 8 passes and at the end.
     *
     * @param net     the network, run inside an {@link Graph#inferenceScope()}; its weights are not changed
     * @param data    where the examples come from (on {@code net}'s backend); borrowed
     * @param batch   examples per forward pass, ≥ 1 (fewer when {@code data} has fewer)
     * @param seconds how long to time, in seconds, &gt; 0
     * @return examples per second
     */
    public static double inferSamplesPerSecond(Graph net, DeviceData data, int batch, double seconds) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(data, "data");
        Backend backend = net.backend();
        int rows = Math.min(batch, data.count());
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) {
            idx[i] = i;
        }
        try (Tensor order = backend.fromArray(idx, rows);
             Tensor x = backend.zeros(DType.FLOAT32, rows, data.featureSize());
             Graph.InferenceScope inference = net.inferenceScope()) {
            backend.gatherRows(x, data.features(), order, 0);
            long warmEnd = System.nanoTime() + (long) (seconds * 0.25e9);
            while (System.nanoTime() < warmEnd) {
                net.forward(x, false);
            }
            backend.synchronize();
            long iters = 0;
            long t0 = System.nanoTime();
            long end = t0 + (long) (seconds * 1e9);
            do {
                net.forward(x, false);
                iters++;
                if ((iters & 7) == 0) {
                    backend.synchronize();
                }
            } while (System.nanoTime() < end);
            backend.synchronize();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            return iters * rows / elapsed;
        }
    }

    /**
     * Median latency in milliseconds of a single-example forward pass: the first example of
     * {@code data}, after {@code max(50, repeats / 4)} warm-up passes, each timed pass synchronised.
     *
     * @param net     the network, run inside an {@link Graph#inferenceScope()}; its weights are not changed
     * @param data    where the example comes from (on {@code net}'s backend), at least one example; borrowed
     * @param repeats timed passes, ≥ 1
     * @return the median milliseconds of a pass
     */
    public static double latencyMillisBatch1(Graph net, DeviceData data, int repeats) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(data, "data");
        Backend backend = net.backend();
        try (Tensor order = backend.fromArray(new int[] {0}, 1);
             Tensor x = backend.zeros(DType.FLOAT32, 1, data.featureSize());
             Graph.InferenceScope inference = net.inferenceScope()) {
            backend.gatherRows(x, data.features(), order, 0);
            for (int i = 0; i < Math.max(50, repeats / 4); i++) {
                net.forward(x, false);
            }
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                net.forward(x, false);
                backend.synchronize();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            java.util.Arrays.sort(ms);
            return ms[repeats / 2];
        }
    }
}
