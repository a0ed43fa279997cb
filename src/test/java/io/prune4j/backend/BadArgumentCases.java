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
            })
        );
    }
}
