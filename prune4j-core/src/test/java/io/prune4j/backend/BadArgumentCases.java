package io.prune4j.backend;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.function.Consumer;

/**
 * Bad arguments that every backend must refuse with the same exception and message, because the
 * check lives in {@link ArgChecks}: {@code ArgChecksTest} runs them on the CPU (with the message
 * expected), {@code io.prune4j.backend.cuda.ArgCheckParityTest} on the CPU and the GPU (the same
 * message from both). Each case allocates only small tensors; the size limits use
 * {@link PhantomTensor}s, which have a shape but no storage, since the checks run before any
 * storage is touched.
 */
public final class BadArgumentCases {
    private BadArgumentCases() {}

    /** One bad call: {@code op} run on a backend must throw {@code type} with exactly {@code message}. */
    public record Case(String name, Class<? extends RuntimeException> type, String message, Consumer<Backend> op) {}

    public static List<Case> all() {
        return List.of(
            // ---- checks that differed between the backends before they moved to ArgChecks ----
            new Case("distillation with metrics of 3 elements (the CUDA backend's check; the CPU took it)",
                IllegalArgumentException.class, "distillation: metrics must have shape [2], got [3]", b -> {
                    try (Tensor s = b.zeros(DType.FLOAT32, 2, 3); Tensor t = b.zeros(DType.FLOAT32, 2, 3);
                         Tensor g = b.zeros(DType.FLOAT32, 2, 3); Tensor m = b.zeros(DType.FLOAT32, 3);
                         Tensor y = b.zeros(DType.INT32, 2)) {
                        b.distillation(g, m, s, t, y, 2f, 0.5f, 1f);
                    }
                }),
            new Case("distillation without a gradient tensor", IllegalArgumentException.class, "distillation: gradLogits is required", b -> {
                try (Tensor s = b.zeros(DType.FLOAT32, 2, 3); Tensor t = b.zeros(DType.FLOAT32, 2, 3); Tensor m = b.zeros(DType.FLOAT32, 2);
                     Tensor y = b.zeros(DType.INT32, 2)) {
                    b.distillation(null, m, s, t, y, 2f, 0.5f, 1f);
                }
            }),
            new Case("softmaxCrossEntropy over logits with no classes (the CPU named a label, CUDA failed the launch)",
                IllegalArgumentException.class, "softmaxCrossEntropy: logits [2, 0] have no classes", b -> {
                    try (Tensor l = b.zeros(DType.FLOAT32, 2, 0); Tensor m = b.zeros(DType.FLOAT32, 2); Tensor y = b.zeros(DType.INT32, 2)) {
                        b.softmaxCrossEntropy(null, m, l, y, 1f);
                    }
                }),
            new Case("distillation over logits with no classes", IllegalArgumentException.class, "distillation: student [2, 0] have no classes",
                b -> {
                    try (Tensor s = b.zeros(DType.FLOAT32, 2, 0); Tensor t = b.zeros(DType.FLOAT32, 2, 0);
                         Tensor g = b.zeros(DType.FLOAT32, 2, 0); Tensor m = b.zeros(DType.FLOAT32, 2); Tensor y = b.zeros(DType.INT32, 2)) {
                        b.distillation(g, m, s, t, y, 2f, 0.5f, 1f);
                    }
                }),
            new Case("gemm with an INT32 operand and an empty product (the CPU returned before looking at the operands)",
                IllegalArgumentException.class, "gemm: expected a FLOAT32 tensor, got INT32", b -> {
                    try (Tensor a = b.zeros(DType.INT32, 0, 3); Tensor x = b.zeros(DType.FLOAT32, 3, 4); Tensor c = b.zeros(DType.FLOAT32, 0, 4)) {
                        b.gemm(c, a, false, x, false, 1f, 0f);
                    }
                }),
            new Case("sgdStep with momentum and no velocity", IllegalArgumentException.class, "sgdStep: velocity is required", b -> {
                try (Tensor w = b.zeros(DType.FLOAT32, 3); Tensor g = b.zeros(DType.FLOAT32, 3)) {
                    b.sgdStep(w, null, g, 0.1f, 0.9f, 0f);
                }
            }),
            new Case("copyRange between FLOAT32 and INT32", IllegalArgumentException.class, "copyRange: dst is FLOAT32 but src is INT32", b -> {
                try (Tensor d = b.zeros(DType.FLOAT32, 4); Tensor s = b.zeros(DType.INT32, 4)) {
                    b.copyRange(d, 0, s, 0, 2);
                }
            }),
            new Case("activation with a NaN slope", IllegalArgumentException.class,
                "activation: LeakyReLU needs finite parameters, got alpha NaN", b -> {
                    try (Tensor x = b.zeros(DType.FLOAT32, 4)) {
                        b.activation(x, x, ActivationKind.LEAKY_RELU, Float.NaN, 0f);
                    }
                }),
            new Case("activationBackward with an output of another size", IllegalArgumentException.class,
                "activationBackward: x has 4 elements but y has 3", b -> {
                    try (Tensor x = b.zeros(DType.FLOAT32, 4); Tensor y = b.zeros(DType.FLOAT32, 3)) {
                        b.activationBackward(x, x, x, y, ActivationKind.SIGMOID, 0f, 0f);
                    }
                }),
            new Case("mulChannels with a gate of other channels", IllegalArgumentException.class,
                "mulChannels: s must be [2, 3] or [2, 3, 1, 1] for x [2, 3, 4, 4], got [2, 4, 1, 1]", b -> {
                    try (Tensor x = b.zeros(DType.FLOAT32, 2, 3, 4, 4); Tensor s = b.zeros(DType.FLOAT32, 2, 4, 1, 1)) {
                        b.mulChannels(x, x, s);
                    }
                }),
            new Case("mulChannelsBackward with an output gradient of another shape", IllegalArgumentException.class,
                "mulChannelsBackward: dy must have shape [2, 3, 4, 4], got [2, 3, 4, 3]", b -> {
                    try (Tensor x = b.zeros(DType.FLOAT32, 2, 3, 4, 4); Tensor dy = b.zeros(DType.FLOAT32, 2, 3, 4, 3);
                         Tensor ds = b.zeros(DType.FLOAT32, 2, 3)) {
                        b.mulChannelsBackward(ds, dy, x);
                    }
                }),
            new Case("mul of two sizes", IllegalArgumentException.class, "mul: a has 4 elements but b has 3", b -> {
                try (Tensor a = b.zeros(DType.FLOAT32, 4); Tensor c = b.zeros(DType.FLOAT32, 3)) {
                    b.mul(a, a, c);
                }
            }),
            // ---- a null tensor where the operation needs one: a NullPointerException whose message is the
            // parameter's name, from ArgChecks before anything runs (before, a bare NullPointerException from
            // wherever the tensor was first touched, on the CPU for some only when its storage was read) ----
            new Case("relu of a null input", NullPointerException.class, "x", b -> {
                try (Tensor y = b.zeros(DType.FLOAT32, 4)) {
                    b.relu(y, null);
                }
            }),
            new Case("add with a null second term", NullPointerException.class, "b", b -> {
                try (Tensor y = b.zeros(DType.FLOAT32, 4)) {
                    b.add(y, y, null);
                }
            }),
            new Case("conv2d without a weight", NullPointerException.class, "w", b -> {
                try (Tensor x = b.zeros(DType.FLOAT32, 1, 1, 4, 4); Tensor y = b.zeros(DType.FLOAT32, 1, 1, 2, 2)) {
                    b.conv2d(y, x, null, null, 1, 0, false);
                }
            }),
            new Case("batchNorm without running variances", NullPointerException.class, "runningVar", b -> {
                try (Tensor x = b.zeros(DType.FLOAT32, 2, 3); Tensor c = b.zeros(DType.FLOAT32, 3)) {
                    b.batchNorm(x, c, c, x, c, c, c, null, 0.1f, 1e-5f, false);
                }
            }),
            new Case("gatherRows without an index", NullPointerException.class, "idx", b -> {
                try (Tensor out = b.zeros(DType.FLOAT32, 2, 3); Tensor src = b.zeros(DType.FLOAT32, 4, 3)) {
                    b.gatherRows(out, src, null, 0);
                }
            }),
            new Case("segmentReduce without perm (its check only looked at the element type, which skips a null)",
                NullPointerException.class, "perm", b -> {
                    try (Tensor out = b.zeros(DType.FLOAT32, 2); Tensor src = b.zeros(DType.FLOAT32, 4);
                         Tensor offsets = b.zeros(DType.INT32, 3)) {
                        b.segmentReduce(out, src, null, offsets, Reduction.SUM);
                    }
                }),
            // ---- sizes an operation derives from its arguments: computed in long, refused beyond an int ----
            // (before, an int sum or product that wrapped negative or back into range passed the check, and a
            // kernel was sent outside its buffers; the CPU threw an ArrayIndexOutOfBoundsException at best)
            new Case("gatherRows at an offset whose end passes 2^31", IllegalArgumentException.class,
                "gatherRows: rows [2147483646, 2147483650) outside an index of 3", b -> {
                    try (Tensor out = b.zeros(DType.FLOAT32, 4, 2); Tensor src = b.zeros(DType.FLOAT32, 3, 2); Tensor idx = b.zeros(DType.INT32, 3)) {
                        b.gatherRows(out, src, idx, Integer.MAX_VALUE - 1);
                    }
                }),
            new Case("copyRange to an offset whose end passes 2^31", IllegalArgumentException.class,
                "copyRange: 2 elements from 0 of 4 to 2147483646 of 4 do not fit", b -> {
                    try (Tensor d = b.zeros(DType.FLOAT32, 4); Tensor s = b.zeros(DType.FLOAT32, 4)) {
                        b.copyRange(d, Integer.MAX_VALUE - 1, s, 0, 2);
                    }
                }),
            new Case("gatherColumnBlocks whose rows·blocks·block wraps around to the output's size (2^32 as 0)",
                IllegalArgumentException.class, "gatherColumnBlocks: src [4, 2], out [4, 0] and 536870912 blocks of 2 do not fit",
                b -> b.gatherColumnBlocks(PhantomTensor.floats(b, 4, 0), PhantomTensor.floats(b, 4, 2), PhantomTensor.ints(b, 1 << 29), 2)),
            new Case("gatherColumnBlocks of more than 2^30 columns per row", IllegalArgumentException.class,
                "gatherColumnBlocks: 1073741826 output columns per row, more than the 2^30 a gather supports",
                b -> b.gatherColumnBlocks(PhantomTensor.floats(b, 1, (1 << 30) + 2), PhantomTensor.floats(b, 1, (1 << 30) + 2),
                        PhantomTensor.ints(b, (1 << 29) + 1), 2)),
            new Case("gatherColumns of more than 2^30 columns per row", IllegalArgumentException.class,
                "gatherColumns: 1073741825 output columns per row, more than the 2^30 a gather supports",
                b -> b.gatherColumns(PhantomTensor.floats(b, 1, (1 << 30) + 1), PhantomTensor.floats(b, 1, 4), PhantomTensor.ints(b, (1 << 30) + 1))),
            new Case("conv2d padded by 2^30 (4 + 2·pad wrapped negative: 'the kernel does not fit')", IllegalArgumentException.class,
                "conv2d: an output plane of 2147483650x2147483650 would have 4611686027017322500 elements, more than 2^31-1", b -> {
                    try (Tensor x = b.zeros(DType.FLOAT32, 1, 1, 4, 4); Tensor w = b.zeros(DType.FLOAT32, 1, 1, 3, 3);
                         Tensor bias = b.zeros(DType.FLOAT32, 1); Tensor y = b.zeros(DType.FLOAT32, 1, 1, 4, 4)) {
                        b.conv2d(y, x, w, bias, 1, 1 << 30, false);
                    }
                }),
            new Case("conv2d whose per-example patch matrix passes 2^31 although every tensor fits", IllegalArgumentException.class,
                "conv2d: one example's patch matrix (64·3·3 by 2000·1950) would have 2246400000 elements, more than 2^31-1",
                b -> b.conv2d(PhantomTensor.floats(b, 1, 1, 2000, 1950), PhantomTensor.floats(b, 1, 64, 2002, 1952),
                        PhantomTensor.floats(b, 1, 64, 3, 3), PhantomTensor.floats(b, 1), 1, 0, false)),
            new Case("conv2dBackward of an empty batch whose planes pass 2^31", IllegalArgumentException.class,
                "conv2dBackward: an output plane of 65536x65536 would have 4294967296 elements, more than 2^31-1",
                b -> b.conv2dBackward(null, PhantomTensor.floats(b, 1, 1, 1, 1), PhantomTensor.floats(b, 1), PhantomTensor.floats(b, 0, 1, 65536, 65536),
                        PhantomTensor.floats(b, 0, 1, 65536, 65536), PhantomTensor.floats(b, 1, 1, 1, 1), 1, 0)),
            new Case("maxPool2dBackward of an empty batch whose planes pass 2^31 (CUDA failed the launch, the CPU went on)",
                IllegalArgumentException.class, "maxPool2dBackward: an input plane of 65536x65536 would have 4294967296 elements, more than 2^31-1",
                b -> b.maxPool2dBackward(PhantomTensor.floats(b, 0, 1, 65536, 65536), PhantomTensor.floats(b, 0, 1, 32768, 32768),
                        PhantomTensor.ints(b, 0, 1, 32768, 32768)))
        );
    }
}
