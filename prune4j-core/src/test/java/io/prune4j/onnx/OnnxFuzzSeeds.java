package io.prune4j.onnx;

import io.prune4j.nn.Graph;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The valid ONNX models the reader's fuzz seeds are made of (for {@link io.prune4j.testing.FuzzSeeds},
 * which is outside this package): each operator and attribute form of {@link OnnxOpsTest}'s cases,
 * opsets 9 to 17, and one model as {@link OnnxWriter} writes it.
 */
public final class OnnxFuzzSeeds {
    /** Short file names for {@link OnnxOpsTest#cases()}, in its order. */
    private static final List<String> CASE_NAMES = List.of("conv-gemm", "same-depthwise-matmul", "opset9-bn-pools-reshape",
            "opset13-clip-inputs", "opset10-clip-dropout", "sum-concat-dropout", "view-shape-gather", "view-slice-squeeze-cast",
            "ceil-pools-reducemean", "reducemean-opset18", "activations-defaults", "activations-attributes", "silu-mul", "se-hardsigmoid",
            "se-sigmoid", "mul-same-shape", "softmax", "logsoftmax", "split-shuffle-opset11", "split-slice-arithmetic",
            "split-outputs-opset18", "opset21-shuffle", "opset22-ops", "global-max",
            "reducemax-opset13", "shared-initializer", "channels-last-block", "layernorm-opset13-gelu", "layernorm-first-opset18",
            "opset20-gelu-layernorm", "inception-padding", "pad-axes-opset18", "pad-opset9", "pytorch-zeropad", "no-constant-folding", "selu-celu-softplus-mish", "mish-opset18", "avgpool-ceil", "hand-written-pools",
            "se-unsqueeze", "squeeze-opset11", "gelu-tanh-opset20", "groupnorm-opset13",
            "groupnormalization-opset18", "groupnormalization-opset21", "sub-computed",
            "global-max-rectangle", "unread-outputs-opset18", "resize-opset13", "resize-opset18-axes", "upsample-opset9", "dynamo-opset20", "resize-opset10");

    private OnnxFuzzSeeds() {}

    /** Seed name → serialized model. */
    public static Map<String, byte[]> models() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        List<OnnxOpsTest.Case> cases = OnnxOpsTest.cases().toList();
        if (cases.size() != CASE_NAMES.size()) {
            throw new IllegalStateException(cases.size() + " cases in OnnxOpsTest, " + CASE_NAMES.size() + " names here: name the new ones");
        }
        for (int i = 0; i < cases.size(); i++) {
            OnnxOpsTest.Case c = cases.get(i);
            out.put(CASE_NAMES.get(i), c.build().apply(new OnnxBuild(c.name().hashCode())).bytes());
        }
        try (Graph zoo = OnnxRoundTripTest.zoo(3)) {
            out.put("writer-zoo", OnnxWriter.toModel(zoo, null, Map.of()).toByteArray());
        }
        return out;
    }
}
