package io.prune4j.backend.cuda;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code augmentImages} on CUDA against the CPU: the same draws, so the same bits (it only moves values). */
@Tag("gpu")
class AugmentKernelTest {
    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("AugmentKernelTest", test);
    }

    @ParameterizedTest(name = "augment {0}x{1}x{2}x{3} shift {4} flip {5}")
    @CsvSource({"1,1,1,1,0,true", "37,3,5,7,1,true", "128,1,28,28,2,true", "129,1,28,28,2,false", "5,2,2,9,9,true", "0,3,4,4,2,true",
        "1000,3,32,32,4,true"})
    void sameBitsAsTheCpu(int batch, int c, int h, int w, int shift, boolean flip) {
        float[] in = Check.uniform(new SplittableRandom(batch * 31 + w), batch * c * h * w, 1);
        try (CudaBackend gpu = new CudaBackend()) {
            Tensor ref = Gpu.CPU.zeros(DType.FLOAT32, batch, c, h, w);
            Gpu.CPU.augmentImages(ref, Gpu.CPU.fromArray(in, batch, c, h, w), 0x1234_5678_9abcL, shift, flip);
            Tensor out = gpu.zeros(DType.FLOAT32, batch, c, h, w);
            gpu.augmentImages(out, gpu.fromArray(in, batch, c, h, w), 0x1234_5678_9abcL, shift, flip);
            Check.sameBits("augmentImages " + batch + "x" + c + "x" + h + "x" + w, Gpu.cpu(ref), gpu.toFloatArray(out));
        }
    }
}
