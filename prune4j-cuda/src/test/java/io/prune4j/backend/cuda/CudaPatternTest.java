package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.Backend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.nn.Models;
import io.prune4j.nn.WeightLayer;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.NmPattern;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * 2:4 patterns on the GPU as on the CPU: magnitude's masks (data-free, from the same seeded weights)
 * identical, Wanda's and SparseGPT's (from float moments summed in another order) nearly so, and the
 * pattern intact after a fine-tuning epoch on the device.
 */
@Tag("gpu")
class CudaPatternTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("CudaPatternTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) gpu.close();
    }

    private static Dataset data() {
        SplittableRandom rng = new SplittableRandom(4);
        int n = 256;
        float[] x = new float[n * 64];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.max(0, rng.nextGaussian());
        for (int i = 0; i < n; i++) y[i] = rng.nextInt(4);
        return new Dataset("noise", x, y, n, 64, 4);
    }

    /** The weight masks after pruning with {@code c} at 2:4 and one fine-tuning epoch on {@code b}. */
    private static List<float[]> masks(Backend b, Criterion c) {
        try (DeviceData train = DeviceData.upload(b, data());
             Graph net = Models.mlp(b, 64, new int[] {32, 16}, 4, 3)) {
            PruneConfig cfg = PruneConfig.builder().setCriterion(c).optStructured(false).optPattern(new NmPattern(2, 4))
                    .optCalibrationBatches(2).optFinetune(TrainConfig.builder().optEpochs(1).optBatchSize(32).build()).build();
            new Pruner(cfg, null).run(net, null, train, null);
            List<float[]> out = new ArrayList<>();
            for (Layer l : net.layers()) {
                if (l instanceof WeightLayer w) {
                    float[] m = b.toFloatArray(w.weight().mask());
                    float[] v = b.toFloatArray(w.weight().value());
                    assertTrue(new NmPattern(2, 4).holds(m), c + " on " + b.name() + ": " + l.name() + " keeps 2:4");
                    for (int i = 0; i < v.length; i++) {
                        assertTrue(m[i] != 0 || v[i] == 0, c + " on " + b.name() + ": " + l.name() + " weight " + i + " pruned but not 0");
                    }
                    out.add(m);
                }
            }
            return out;
        }
    }

    @Test
    void masksMatchTheCpuAndHoldThroughFineTuning() {
        List<float[]> cpu = masks(Gpu.CPU, Criterion.MAGNITUDE);
        List<float[]> dev = masks(gpu, Criterion.MAGNITUDE);
        for (int l = 0; l < cpu.size(); l++) {
            assertArrayEquals(cpu.get(l), dev.get(l), "magnitude 2:4, layer " + l);
        }
        for (Criterion c : new Criterion[] {Criterion.WANDA, Criterion.SPARSEGPT}) {
            List<float[]> a = masks(Gpu.CPU, c);
            List<float[]> d = masks(gpu, c);
            long same = 0;
            long all = 0;
            for (int l = 0; l < a.size(); l++) {
                for (int i = 0; i < a.get(l).length; i++) {
                    same += a.get(l)[i] == d.get(l)[i] ? 1 : 0;
                    all++;
                }
            }
            assertTrue(same >= 0.98 * all, c + ": " + same + " of " + all + " mask entries as on the CPU");
        }
    }
}
