package io.prune4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in layer that keeps something of its forward pass for the backward one refuses a
 * backward call that no forward pass came before, and one whose gradient does not have the last
 * output's shape, with an {@link IllegalStateException} naming the layer (rather than a null
 * dereference inside the backend, or a gradient computed from stale buffers).
 */
class BackwardBeforeForwardTest {
    private static final Backend CPU = new CpuBackend(1);

    @AfterAll
    static void close() {
        CPU.close();
    }

    /** A layer, the per-example input shape it takes, and how many inputs it reads. */
    record Case(String name, Function<Backend, Layer> make, int[] in, int inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        SplittableRandom rng = new SplittableRandom(3);
        int[] map = {4, 5, 5};
        return Stream.of(
                new Case("Relu", b -> new Relu("r", b), map, 1),
                new Case("Clamp", b -> new Clamp("c", b, 0f, 6f), map, 1),
                new Case("Activation", b -> new Activation("a", b, ActivationKind.SIGMOID, 0f, 0f), map, 1),
                new Case("ChannelSlice", b -> new ChannelSlice("s", b, 1, 2), map, 1),
                new Case("PermuteChannels", b -> PermuteChannels.shuffle("p", b, 4, 2), map, 1),
                new Case("PRelu", b -> new PRelu("pr", b, 4, new float[] {0.25f}, true), map, 1),
                new Case("ChannelAffine", b -> new ChannelAffine("af", b, new float[] {1, 2, 3, 4}, new float[4], true), map, 1),
                new Case("Concat", b -> new Concat("cat", b), map, 2),
                new Case("Mul", b -> new Mul("m", b), map, 2),
                new Case("MaxPool2d", b -> new MaxPool2d("mp", b, 2, 2), map, 1),
                new Case("AvgPool2d", b -> new AvgPool2d("ap", b, 2, 2, 0, true), map, 1),
                new Case("ZeroPad2d", b -> new ZeroPad2d("zp", b, 1, 0, 2, 1), map, 1),
                new Case("GlobalAvgPool", b -> new GlobalAvgPool("g", b), map, 1),
                new Case("GlobalMaxPool", b -> new GlobalMaxPool("gm", b), map, 1),
                new Case("Upsample", b -> new Upsample("up", b, 2, 1), map, 1),
                new Case("Flatten", b -> new Flatten("f", b), map, 1),
                new Case("Unflatten", b -> new Unflatten("u", b), new int[] {6}, 1),
                new Case("BatchNorm", b -> BatchNorm.create(b, "bn", 4), map, 1),
                new Case("LayerNorm", b -> LayerNorm.create(b, "ln", 4, 1e-6f), map, 1),
                new Case("GroupNorm", b -> GroupNorm.create(b, "gn", 2, 4, 1e-5f), map, 1),
                new Case("LayerScale", b -> new LayerScale("ls", b, new float[] {0.5f, 1f, 2f, -1f}, true), map, 1),
                new Case("Conv2d", b -> Conv2d.create(b, "conv", 4, 3, 3, 1, 1, false, rng), map, 1),
                new Case("Dense", b -> Dense.create(b, "fc", 6, 3, true, rng), new int[] {6}, 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardWithoutItsForwardPassIsRefused(Case c) {
        try (Layer layer = c.make().apply(CPU)) {
            int[][] in = new int[c.inputs()][];
            java.util.Arrays.fill(in, c.in());
            int[] out = layer.outputShape(in);
            boolean[] all = new boolean[c.inputs()];
            java.util.Arrays.fill(all, true);
            try (Tensor dy = CPU.zeros(DType.FLOAT32, Workspace.batched(2, out))) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.backward(dy, all), c.name());
                assertEquals(layer.describe() + ": backward needs the matching forward pass first", e.getMessage());
            }
            // a forward pass of 2 examples, then a gradient of 3: the shapes no longer match
            Tensor[] x = new Tensor[c.inputs()];
            try (Tensor one = CPU.zeros(DType.FLOAT32, Workspace.batched(2, c.in())); Tensor dy = CPU.zeros(DType.FLOAT32, Workspace.batched(3, out))) {
                java.util.Arrays.fill(x, one);
                layer.forward(x, true);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> layer.backward(dy, all), c.name());
                assertEquals(layer.describe() + ": backward needs the matching forward pass first", e.getMessage());
            }
        }
    }
}
