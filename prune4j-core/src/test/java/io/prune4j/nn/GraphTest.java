package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link Graph#forwardTo}: a forward pass that stops before a given node. */
class GraphTest {
    private final CpuBackend b = new CpuBackend(1);

    @AfterEach
    void close() {
        b.close();
    }

    @Test
    void aPartialForwardGivesWhatThatLayerReadsInTheFullPass() {
        try (Graph net = Models.cnn(b, new int[] {1, 8, 8}, new int[] {3, 4}, 6, 3, 1);
             Tensor x = b.fromArray(Check.uniform(new SplittableRandom(2), 5 * 64, 1), 5, 64)) {
            int layers = net.layers().size();
            List<float[]> outputs = new ArrayList<>();
            ForwardHook record = (n, l, in, a) -> outputs.add(b.toFloatArray(a));
            net.addForwardHook(record);
            net.forward(x, false);
            net.removeHook(record);
            assertEquals(layers, outputs.size());

            Tensor[] input = net.forwardTo(x, false, net.nodes().get(0).name());
            assertEquals(1, input.length);
            assertArrayEquals(new int[] {5, 1, 8, 8}, input[0].shape(), "the first node reads the images in the network's input shape");
            assertArrayEquals(b.toFloatArray(x), b.toFloatArray(input[0]));
            for (int end = 1; end < layers; end++) {
                int[] calls = {0};
                ForwardHook count = (n, l, in, a) -> calls[0]++;
                net.addForwardHook(count);
                String node = net.nodes().get(end).name();
                Tensor[] got = net.forwardTo(x, false, node);
                net.removeHook(count);
                assertArrayEquals(outputs.get(end - 1), b.toFloatArray(got[0]), "the input of " + node);
                assertEquals(end, calls[0], "hooks run for the nodes that ran, and only for them");
            }
            assertThrows(IllegalArgumentException.class, () -> net.forwardTo(x, false, "nowhere"));
        }
    }
}
