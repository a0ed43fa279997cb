package io.prune4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Conv2d;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.WeightLayer;
import org.junit.jupiter.api.Test;

/** Effective FLOPs count the multiply-adds of the weights a mask keeps. */
class EffectiveFlopsTest {
    @Test
    void maskedLayersCountTheirKeptWeightsOnly() {
        try (Backend cpu = new CpuBackend(1);
             Graph net = Models.cnn(cpu, new int[] {2, 6, 6}, new int[] {4}, 8, 3, 1)) {
            assertEquals(net.flopsPerExample(), Measure.effectiveFlops(net), "a dense network performs all of its FLOPs");
            Conv2d conv = (Conv2d) net.layer("conv1");
            Parameter w = conv.weight();
            float[] m = new float[w.size()]; // 4 filters of 2·3·3 weights: keep 5
            for (int i = 0; i < 5; i++) {
                m[i * 7] = 1;
            }
            w.setMask(cpu.fromArray(m, w.value().shape()));
            Parameter fc = ((WeightLayer) net.layer("fc1")).weight();
            float[] f = new float[fc.size()];
            f[3] = 1;
            fc.setMask(cpu.fromArray(f, fc.value().shape()));
            // conv1: 5 weights at each of the 6·6 output positions; fc1: one weight; fc2 (8→3) dense; pooling as the graph counts it
            long expected = 2L * 5 * 36 + 2L * 1 + 2L * 8 * 3 + flopsWithoutWeights(net);
            assertEquals(expected, Measure.effectiveFlops(net));
        }
    }

    private static long flopsWithoutWeights(Graph net) {
        long f = 0;
        for (int i = 0; i < net.nodes().size(); i++) {
            if (!(net.nodes().get(i).layer() instanceof WeightLayer)) {
                f += net.nodes().get(i).layer().flopsPerExample(net.inputShapes(i));
            }
        }
        return f;
    }
}
