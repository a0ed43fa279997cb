package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.backend.TransferStats;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainListener;
import io.prune4j.train.Trainer;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Issue 15: a label outside the classes gives the same error on both backends. The CPU throws the
 * {@link IllegalArgumentException} at the call; the CUDA backend's kernels report the first bad row
 * of the first call that had one, and its next synchronising call throws the same exception with the
 * same message. The calls themselves wait for nothing (the report rides along with the
 * synchronisation that comes anyway, in training the epoch's read of its metrics).
 */
@Tag("gpu")
class LabelCheckTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("LabelCheckTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) gpu.close();
    }

    /** Logits {@code [rows, classes]} and labels in range except for {@code bad} (row, label pairs). */
    private static int[] labels(int rows, int classes, int... bad) {
        int[] y = new int[rows];
        for (int r = 0; r < rows; r++) y[r] = (r * 7) % classes;
        for (int i = 0; i < bad.length; i += 2) y[bad[i]] = bad[i + 1];
        return y;
    }

    /** The loss through {@code op(backend, {grad, metrics, logits, teacher, labels})} on both backends. */
    private void sameErrorAtTheNextSynchronisation(String what, BiConsumer<Backend, Tensor[]> op, int rows, int classes, int[] bad,
                                                   int[] laterBad, String expected) {
        float[] logits = io.prune4j.testing.Check.uniform(new SplittableRandom(rows), rows * classes, 3);
        float[] teacher = io.prune4j.testing.Check.uniform(new SplittableRandom(rows + 1), rows * classes, 3);
        int[] y = labels(rows, classes, bad);
        Tensor[] cpu = {Gpu.CPU.zeros(DType.FLOAT32, rows, classes), Gpu.CPU.zeros(DType.FLOAT32, 2), Gpu.CPU.fromArray(logits, rows, classes),
            Gpu.CPU.fromArray(teacher, rows, classes), Gpu.CPU.fromArray(y, rows)};
        IllegalArgumentException onCpu = assertThrows(IllegalArgumentException.class, () -> op.accept(Gpu.CPU, cpu), what + " on the CPU");
        assertEquals(expected, onCpu.getMessage(), what + " on the CPU");
        try (Tensor g = gpu.zeros(DType.FLOAT32, rows, classes); Tensor m = gpu.zeros(DType.FLOAT32, 2);
             Tensor l = gpu.fromArray(logits, rows, classes); Tensor t = gpu.fromArray(teacher, rows, classes);
             Tensor yy = gpu.fromArray(y, rows); Tensor later = gpu.fromArray(labels(rows, classes, laterBad), rows)) {
            long waits = gpu.streamSynchronizations();
            TransferStats copies = gpu.transfers();
            assertDoesNotThrow(() -> op.accept(gpu, new Tensor[] {g, m, l, t, yy}), what + ": queued, not thrown");
            // a later call with an earlier bad row must not replace the first call's report
            assertDoesNotThrow(() -> op.accept(gpu, new Tensor[] {g, m, l, t, later}), what + ": the second bad call");
            assertEquals(waits, gpu.streamSynchronizations(), what + ": the calls waited for the device");
            IllegalArgumentException onGpu = assertThrows(IllegalArgumentException.class, () -> gpu.toFloatArray(m),
                    what + ": the next synchronising read");
            assertEquals(onCpu.getMessage(), onGpu.getMessage(), what + ": the two backends' messages");
            assertEquals(copies, gpu.transfers(), what + ": the read that threw copied nothing");
            System.out.println("[LabelCheckTest] " + what + ": " + onGpu.getMessage());
            // reported once: the flags are cleared, and good labels work again
            assertDoesNotThrow(() -> gpu.synchronize(), what + ": the report is cleared once thrown");
            gpu.fill(m, 0f);
            try (Tensor good = gpu.fromArray(labels(rows, classes), rows)) {
                op.accept(gpu, new Tensor[] {g, m, l, t, good});
            }
            assertTrue(Float.isFinite(gpu.toFloatArray(m)[0]), what + ": a finite loss with good labels");
        }
    }

    private static void xent(Backend b, Tensor[] a) {
        b.softmaxCrossEntropy(a[0], a[1], a[2], a[4], 1f / a[2].dim(0));
    }

    private static void distill(Backend b, Tensor[] a) {
        b.distillation(a[0], a[1], a[2], a[3], a[4], 3f, 0.4f, 1f / a[2].dim(0));
    }

    @Test
    void softmaxCrossEntropy() {
        // one block; then rows across many blocks, the first bad row in a later block than a larger one
        sameErrorAtTheNextSynchronisation("softmaxCrossEntropy, 5 rows", LabelCheckTest::xent, 5, 4, new int[] {2, 9, 4, -1},
                new int[] {0, 4}, "softmaxCrossEntropy: label 9 in row 2 outside [0, 4)");
        sameErrorAtTheNextSynchronisation("softmaxCrossEntropy, 100003 rows", LabelCheckTest::xent, 100_003, 10,
                new int[] {99_999, -7, 12_345, 10, 70_001, 11}, new int[] {3, 12}, "softmaxCrossEntropy: label 10 in row 12345 outside [0, 10)");
        // without a gradient (evaluation)
        sameErrorAtTheNextSynchronisation("softmaxCrossEntropy without a gradient",
                (b, a) -> b.softmaxCrossEntropy(null, a[1], a[2], a[4], 0f), 33, 3, new int[] {32, 3}, new int[] {0, 5},
                "softmaxCrossEntropy: label 3 in row 32 outside [0, 3)");
    }

    @Test
    void distillation() {
        sameErrorAtTheNextSynchronisation("distillation, 9 rows", LabelCheckTest::distill, 9, 3, new int[] {8, 3, 5, -2},
                new int[] {0, 7}, "distillation: label -2 in row 5 outside [0, 3)");
        sameErrorAtTheNextSynchronisation("distillation, 40000 rows", LabelCheckTest::distill, 40_000, 7,
                new int[] {39_000, 7, 20_000, 100}, new int[] {1, 8}, "distillation: label 100 in row 20000 outside [0, 7)");
    }

    /** Four-class blobs; a model with three outputs then meets label 3. */
    private static Dataset blobs(int n, int classes) {
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = new float[n * 8];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(classes);
            for (int j = 0; j < 8; j++) x[i * 8 + j] = (j % 4 == y[i] ? 2f : -1f) + (float) rng.nextGaussian();
        }
        return new Dataset("blobs", x, y, n, 8, 4);
    }

    /** Runs one epoch of training on {@code backend}; returns the exception, or null. */
    private static IllegalArgumentException train(Backend backend, Dataset data) {
        TrainConfig cfg = TrainConfig.builder().optEpochs(1).optBatchSize(32).optLearningRate(1e-3f).optSeed(3).build();
        try (DeviceData train = DeviceData.upload(backend, data); Graph net = Models.mlp(backend, 8, new int[] {6}, 3, 9);
             Trainer trainer = new Trainer(net, cfg)) {
            trainer.fit(train, null, TrainListener.NONE);
            return null;
        } catch (IllegalArgumentException e) {
            return e;
        }
    }

    @Test
    void trainingStopsAtTheEpochsOwnSynchronisationWithTheCpusMessage() {
        IllegalArgumentException cpu = train(Gpu.CPU, blobs(300, 4));
        assertTrue(cpu != null && cpu.getMessage().startsWith("softmaxCrossEntropy: label 3 in row "), "the CPU: " + cpu);
        long t0 = gpu.streamSynchronizations();
        assertEquals(null, train(gpu, blobs(300, 3)), "three classes for three outputs train");
        long clean = gpu.streamSynchronizations() - t0;
        long t1 = gpu.streamSynchronizations();
        IllegalArgumentException cuda = train(gpu, blobs(300, 4));
        long bad = gpu.streamSynchronizations() - t1;
        assertTrue(cuda != null, "the GPU epoch threw");
        assertEquals(cpu.getMessage(), cuda.getMessage(), "the same batch order, the same first bad batch and row");
        assertTrue(bad <= clean, "the label check waited for the device " + bad + " times, a clean epoch " + clean);
        System.out.println("[LabelCheckTest] training: " + cuda.getMessage() + " (" + bad + " stream waits; a clean epoch " + clean + ")");
        try (Tensor t = gpu.fromArray(new float[] {1, 2}, 2)) {
            assertArrayEquals(new float[] {1, 2}, gpu.toFloatArray(t), "the backend goes on working");
        }
    }
}
