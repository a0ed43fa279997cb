package io.prune4j.train;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;

/**
 * Measured inference speed of a network: forward passes on batches gathered from real data, after a
 * warm-up, timed until at least {@code seconds} have passed. Used by reports; the JMH benchmarks in
 * {@code benchmarks/} are the careful measurement.
 */
public final class Throughput {
    private Throughput() {}

    /** Examples per second of forward passes at {@code batch}. */
    public static double inferSamplesPerSecond(Graph net, DeviceData data, int batch, double seconds) {
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

    /** Median latency in milliseconds of a single-example forward pass. */
    public static double latencyMillisBatch1(Graph net, DeviceData data, int repeats) {
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
