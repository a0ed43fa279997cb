package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prune4j.backend.Normalization;
import io.prune4j.nn.Graph;
import io.prune4j.onnx.Agreement;
import io.prune4j.onnx.OnnxModel;
import io.prune4j.onnx.OnnxReader;
import io.prune4j.onnx.OnnxWriter;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.TrainConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX on the GPU: PyTorch's exports read onto CUDA compute PyTorch's outputs (1e-4 of the logits'
 * scale: cuDNN's convolutions sum in another order), and the same pruning on CUDA and on the CPU
 * exports ONNX files whose networks agree (1e-4) on the same inputs.
 */
@Tag("gpu")
class OnnxCudaTest {
    private CudaBackend gpu;

    @BeforeEach
    void setUp(TestInfo test) {
        Gpu.require("OnnxCudaTest", test);
        gpu = new CudaBackend();
    }

    @AfterEach
    void tearDown() {
        if (gpu != null) {
            gpu.close();
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = OnnxCudaTest.class.getResourceAsStream("/io/prune4j/onnx/" + name)) {
            return in.readAllBytes();
        }
    }

    private static float[] floats(JsonNode a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) a.get(i).asDouble();
        }
        return f;
    }

    private static float[] forward(Graph net, float[] x, int batch) {
        int[] shape = new int[net.inputShape().length + 1];
        shape[0] = batch;
        System.arraycopy(net.inputShape(), 0, shape, 1, net.inputShape().length);
        try (Tensor in = net.backend().fromArray(x, shape)) {
            return net.forward(in, false).toFloatArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"residual_block.op17.onnx", "inverted_residual.op17.onnx", "concat_branches.op13.onnx", "ops_mix.op17.onnx",
        "shared_init.op13.onnx", "fmnist_small.op17.onnx", "shuffle_split.op17.onnx",
        "normalized_input.op13.onnx", "prelu_mix.op17.onnx", "se_view.op13.onnx", "inception_mini.op17.onnx", "activations_mix.op13.onnx", "resnet_d_shortcut.op17.onnx", "pool_idioms.op13.onnx", "convnext_mini.op17.onnx",
        "gelu_layernorm.op17.onnx", "convnext_original.op13.onnx"})
    void pytorchExportsOnCudaAgreeWithPytorchAndTheCpu(String file) throws IOException {
        JsonNode ref = new ObjectMapper().readTree(resource(file + ".json"));
        int batch = ref.get("input_shape").get(0).asInt();
        float[] x = floats(ref.get("input"));
        try (OnnxModel g = OnnxReader.read(resource(file), file, gpu, null); OnnxModel c = OnnxReader.read(resource(file), file, Gpu.CPU, null)) {
            Agreement a = Agreement.of(batch, floats(ref.get("output")), forward(g.graph(), x, batch));
            assertTrue(a.maxRelative() <= 1e-4, file + " on CUDA against PyTorch: " + a);
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(true)
                    .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, Normalization.L2, 0.5))
                    .optFinetune(TrainConfig.builder().optEpochs(0).build()).optBnRecalibration(false).build();
            new Pruner(cfg, null).run(g.graph(), null, null, null);
            new Pruner(cfg, null).run(c.graph(), null, null, null);
            byte[] fromGpu = OnnxWriter.toModel(g.graph(), g.names(), Map.of()).toByteArray();
            byte[] fromCpu = OnnxWriter.toModel(c.graph(), c.names(), Map.of()).toByteArray();
            try (OnnxModel a1 = OnnxReader.read(fromGpu, "gpu export", Gpu.CPU, null);
                 OnnxModel b1 = OnnxReader.read(fromCpu, "cpu export", Gpu.CPU, null)) {
                Agreement e = Agreement.of(batch, forward(b1.graph(), x, batch), forward(a1.graph(), x, batch));
                assertTrue(e.maxRelative() <= 1e-4, file + ": the CUDA-pruned export against the CPU-pruned one: " + e);
            }
        }
    }
}
