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

/** {@link Sequential#forward(Tensor, boolean, int)}: a forward pass that stops before a given layer. */
class SequentialTest {
    private final CpuBackend b = new CpuBackend(1);

    @AfterEach
    void close() {
        b.close();
    }

    @Test
    void aPartialForwardGivesWhatThatLayerReadsInTheFullPass() {
        try (Sequential net = Sequential.cnn(b, new int[] {1, 8, 8}, new int[] {3, 4}, 6, 3, 1);
             Tensor x = b.fromArray(Check.uniform(new SplittableRandom(2), 5 * 64, 1), 5, 64)) {
            int layers = net.layers().size();
            List<float[]> outputs = new ArrayList<>();
            LayerHook record = (i, l, a) -> outputs.add(b.toFloatArray(a));
            net.addForwardHook(record);
            net.forward(x, false);
            net.removeHook(record);
            assertEquals(layers, outputs.size());

            Tensor input = net.forward(x, false, 0);
            assertArrayEquals(new int[] {5, 1, 8, 8}, input.shape(), "layer 0 reads the images in the network's input shape");
            assertArrayEquals(b.toFloatArray(x), b.toFloatArray(input));
            for (int end = 1; end <= layers; end++) {
                int[] calls = {0};
                LayerHook count = (i, l, a) -> calls[0]++;
                net.addForwardHook(count);
                float[] got = b.toFloatArray(net.forward(x, false, end));
                net.removeHook(count);
                assertArrayEquals(outputs.get(end - 1), got, "the input of layer " + end);
                assertEquals(end, calls[0], "hooks run for the layers that ran, and only for them");
            }
            assertThrows(IndexOutOfBoundsException.class, () -> net.forward(x, false, layers + 1));
            assertThrows(IndexOutOfBoundsException.class, () -> net.forward(x, false, -1));
        }
    }
}
