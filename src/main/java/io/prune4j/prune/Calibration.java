package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Sequential;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Runs calibration batches through a network so a {@link Scorer} can accumulate: forward in
 * training mode, softmax cross-entropy gradient, backward, {@link Scorer#afterBackward}. Parameters
 * are not updated. Batches are drawn from {@code data} in a seeded random order.
 */
public final class Calibration {
    /** Calibration batch size. */
    public static final int BATCH = 128;

    private Calibration() {}

    /** Scores {@code layers} of {@code net} with {@code scorer}; returns one score tensor per layer (caller closes). */
    public static List<Tensor> score(Scorer scorer, Sequential net, List<Integer> layers, Granularity granularity,
                                     DeviceData data, int batches, long seed, Runnable afterEachBatch) {
        scorer.begin(net, layers, granularity);
        if (scorer.criterion().needsData()) {
            if (batches < 1) {
                throw new InvalidSettingException("calibration batches must be at least 1 for criterion " + scorer.criterion());
            }
            Backend backend = net.backend();
            Tensor[] grad = {null};
            try (Tensor sums = backend.zeros(DType.FLOAT32, 2)) {
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

    /**
     * Feeds {@code batches} batches of {@link #BATCH} distinct examples of {@code data}, drawn in a
     * random order fixed by {@code seed} (fewer when the data set is smaller), to {@code consumer}.
     */
    static void forEachBatch(Sequential net, DeviceData data, int batches, long seed, BatchConsumer consumer) {
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
