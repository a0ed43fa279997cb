package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Runs calibration batches through a network so a {@link Scorer} can accumulate: forward in
 * training mode, softmax cross-entropy gradient, backward, {@link Scorer#afterBackward}. Parameters
 * are not updated, and layer buffers (BatchNorm's running statistics, which training-mode passes
 * move) are put back as they were. Batches are drawn from {@code data} in a seeded random order.
 */
public final class Calibration {
    /** Calibration batch size. */
    public static final int BATCH = 128;

    private Calibration() {}

    /**
     * Scores nodes {@code nodes} of {@code net} with a scorer of {@code criterion}; returns one score
     * tensor per node (caller closes). Data-free criteria run no batches. The scorer is closed at the end.
     *
     * @param criterion      makes the scorer ({@link ScorerFactory#create})
     * @param scorerSeed     the seed given to {@link ScorerFactory#create}
     * @param net            the network; its weights and buffers are as before when this returns
     * @param nodes          the nodes to score
     * @param granularity    one score per output unit, or per weight
     * @param data           the calibration examples; may be null when {@code criterion} needs no data
     * @param batches        calibration batches of {@link #BATCH} examples (fewer when the data set is smaller);
     *                       ≥ 1 when {@code criterion} needs data
     * @param seed           fixes which examples are drawn
     * @param afterEachBatch called after each calibration batch, or null
     * @return one score tensor per node, in the order of {@code nodes}, owned by the caller
     * @throws InvalidSettingException when the criterion needs data and {@code batches} is below 1
     */
    public static List<Tensor> score(ScorerFactory criterion, long scorerSeed, Graph net, List<String> nodes, Granularity granularity,
                                     DeviceData data, int batches, long seed, Runnable afterEachBatch) {
        Objects.requireNonNull(criterion, "criterion");
        try (Scorer scorer = criterion.create(scorerSeed)) {
            return score(scorer, criterion.needsData(), net, nodes, granularity, data, batches, seed, afterEachBatch);
        }
    }

    /**
     * Scores {@code nodes} of {@code net} with {@code scorer}, running calibration batches when
     * {@code needsData}: {@link Scorer#begin}, the batches, {@link Scorer#finish}. The scorer stays
     * the caller's to close.
     *
     * @param scorer         a scorer not yet begun
     * @param needsData      whether to run calibration batches
     * @param net            the network; its weights and buffers are as before when this returns
     * @param nodes          the nodes to score
     * @param granularity    one score per output unit, or per weight
     * @param data           the calibration examples; may be null when {@code needsData} is false
     * @param batches        calibration batches of {@link #BATCH} examples (fewer when the data set is smaller);
     *                       ≥ 1 when {@code needsData}
     * @param seed           fixes which examples are drawn
     * @param afterEachBatch called after each calibration batch, or null
     * @return one score tensor per node, in the order of {@code nodes}, owned by the caller
     * @throws InvalidSettingException when {@code needsData} and {@code batches} is below 1
     */
    public static List<Tensor> score(Scorer scorer, boolean needsData, Graph net, List<String> nodes, Granularity granularity,
                                     DeviceData data, int batches, long seed, Runnable afterEachBatch) {
        Objects.requireNonNull(scorer, "scorer");
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(nodes, "nodes");
        Objects.requireNonNull(granularity, "granularity");
        if (needsData) {
            Objects.requireNonNull(data, "data");
            net.requireClassifier("a criterion that scores with data (the gradient of the loss)");
        }
        scorer.begin(net, nodes, granularity);
        if (needsData) {
            if (batches < 1) {
                throw new InvalidSettingException("calibration batches must be at least 1 for a criterion that needs data");
            }
            Backend backend = net.backend();
            Tensor[] grad = {null};
            try (Tensor sums = backend.zeros(DType.FLOAT32, 2);
                 BufferSnapshot saved = new BufferSnapshot(net)) {
                forEachBatch(net, data, batches, seed, (x, y) -> {
                    Tensor logits = net.forward(x, true);
                    if (grad[0] == null) {
                        grad[0] = backend.zeros(DType.FLOAT32, logits.shape());
                    }
                    backend.softmaxCrossEntropy(grad[0], sums, logits, y, 1f / x.dim(0));
                    net.backward(grad[0]);
                    scorer.afterBackward();
                    if (afterEachBatch != null) {
                        afterEachBatch.run();
                    }
                });
            } finally {
                if (grad[0] != null) {
                    grad[0].close();
                }
            }
        }
        return scorer.finish();
    }

    /** What is done with one calibration batch: examples {@code [rows, features]} and labels {@code [rows]}, valid during the call. */
    @FunctionalInterface
    interface BatchConsumer {
        void accept(Tensor x, Tensor y);
    }

    /** Copies of every layer buffer of a graph, written back on close. */
    static final class BufferSnapshot implements AutoCloseable {
        private final List<Tensor[]> saved = new java.util.ArrayList<>();

        BufferSnapshot(Graph net) {
            Backend b = net.backend();
            for (io.prune4j.nn.Layer l : net.layers()) {
                for (Tensor t : l.buffers().values()) {
                    Tensor copy = b.zeros(t.dtype(), t.shape());
                    b.copy(copy, t);
                    saved.add(new Tensor[] {t, copy});
                }
            }
        }

        @Override
        public void close() {
            for (Tensor[] pair : saved) {
                pair[0].backend().copy(pair[0], pair[1]);
                pair[1].close();
            }
            saved.clear();
        }
    }

    /**
     * Feeds {@code batches} batches of {@link #BATCH} distinct examples of {@code data}, drawn in a
     * random order fixed by {@code seed} (fewer when the data set is smaller), to {@code consumer}.
     */
    static void forEachBatch(Graph net, DeviceData data, int batches, long seed, BatchConsumer consumer) {
        Backend backend = net.backend();
        int rows = Math.min(BATCH, data.count());
        int total = batchCount(data, batches) * rows;
        int[] order = sample(data.count(), total, seed);
        try (Tensor idx = backend.fromArray(order, order.length);
             Tensor x = backend.zeros(DType.FLOAT32, rows, data.featureSize());
             Tensor y = backend.zeros(DType.INT32, rows)) {
            for (int offset = 0; offset + rows <= order.length; offset += rows) {
                backend.gatherRows(x, data.features(), idx, offset);
                backend.gatherRows(y, data.labels(), idx, offset);
                consumer.accept(x, y);
            }
        }
    }

    /** How many batches {@link #forEachBatch} feeds when asked for {@code batches}: fewer when the data set is smaller. */
    static int batchCount(DeviceData data, int batches) {
        int rows = Math.min(BATCH, data.count());
        return rows == 0 ? 0 : Math.min(batches, data.count() / rows);
    }

    /** {@code total} distinct example indices in a seeded random order (a partial Fisher–Yates shuffle). */
    private static int[] sample(int n, int total, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rng = new SplittableRandom(seed ^ 0xCA1B4A7E5L);
        for (int i = 0; i < total; i++) {
            int j = i + rng.nextInt(n - i);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return java.util.Arrays.copyOf(p, total);
    }
}
