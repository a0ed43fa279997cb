package io.prune4j.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;

import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.SplittableRandom;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code p4j_bias_add} on the GPU against a plain Java reference, on awkward sizes. */
@Tag("gpu")
class BiasAddKernelTest {
    /** rows, n. */
    static int[][] shapes() {
        return new int[][] {{0, 5}, {1, 1}, {3, 31}, {7, 32}, {5, 33}, {2, 1023}, {3, 4097}, {1, Sizes.LARGE}};
    }

    /** Per test (not @BeforeAll) so that reports count the skipped tests instead of showing 0 tests. */
    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("BiasAddKernelTest", test);
    }

    @ParameterizedTest(name = "rows, n = {0}")
    @MethodSource("shapes")
    void biasAddMatchesReference(int[] s) {
        SplittableRandom rnd = new SplittableRandom(20240611L);
        for (int relu = 0; relu <= 1; relu++) {
            run(s[0], s[1], relu, rnd, Mode.POINTER_DEFAULT_STREAM);
        }
    }

    @Test
    void rawAddressOverloadAndExplicitStream() {
        SplittableRandom rnd = new SplittableRandom(7L);
        run(3, 4097, 1, rnd, Mode.ADDRESS_DEFAULT_STREAM);
        run(5, 33, 0, rnd, Mode.ADDRESS_DEFAULT_STREAM);
        run(3, 4097, 1, rnd, Mode.POINTER_OWN_STREAM);
        run(2, 1023, 0, rnd, Mode.POINTER_OWN_STREAM);
    }

    static int[][] channelShapes() {
        return new int[][] {{0, 3, 5}, {1, 1, 1}, {2, 3, 49}, {3, 31, 33}, {128, 64, 196}, {1, 5, Sizes.LARGE}, {7, 1023, 1}};
    }

    /**
     * {@code p4j_bias_add_channels}, the epilogue of a convolution, against the CPU convolution's
     * loop ({@code v = y + b; y = relu && v < 0 ? 0 : v}: NaN and −0 stay): bit for bit.
     */
    @ParameterizedTest(name = "batch, channels, spatial = {0}")
    @MethodSource("channelShapes")
    void biasAddChannelsIsBitIdentical(int[] s) {
        SplittableRandom rnd = new SplittableRandom(11L);
        int batch = s[0], ch = s[1], sp = s[2];
        float[] y = Check.uniform(rnd, batch * ch * sp, 2);
        float[] bias = Check.uniform(rnd, ch, 1);
        if (y.length > 4) {
            y[0] = Float.NaN;
            y[1] = -0f;
            bias[0] = 0f;
        }
        for (int relu = 0; relu <= 1; relu++) {
            float[] ref = y.clone();
            for (int i = 0; i < ref.length; i++) {
                float v = ref[i] + bias[(i / sp) % ch];
                ref[i] = relu != 0 && v < 0f ? 0f : v;
            }
            String label = "bias_add_channels " + batch + "x" + ch + "x" + sp + " relu=" + relu;
            try (DeviceBuffer dy = Gpu.up(y); DeviceBuffer db = Gpu.up(bias)) {
                Gpu.run(CudaKernels.p4j_bias_add_channels(dy.address(), db.address(), batch, ch, sp, relu, 0L), label);
                Check.sameBits(label, ref, dy.toFloats(y.length));
            }
        }
        System.out.println("[BiasAddKernelTest] ok bias_add_channels " + s[0] + "x" + s[1] + "x" + s[2]);
    }

    private enum Mode { POINTER_DEFAULT_STREAM, ADDRESS_DEFAULT_STREAM, POINTER_OWN_STREAM }

    private static void run(int rows, int n, int relu, SplittableRandom rnd, Mode mode) {
        String label = rows + "x" + n + " relu=" + relu + " " + mode;
        int total = rows * n;
        float[] y = new float[total];
        float[] bias = new float[n];
        for (int i = 0; i < total; i++) y[i] = (float) (rnd.nextDouble() * 4 - 2);
        for (int j = 0; j < n; j++) bias[j] = (float) (rnd.nextDouble() * 2 - 1);

        float[] ref = new float[total];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < n; c++) {
                float v = y[r * n + c] + bias[c];
                ref[r * n + c] = relu != 0 ? Math.max(v, 0f) : v;
            }
        }

        Pointer dY = new Pointer();
        Pointer dBias = new Pointer();
        CUstream_st stream = null;
        FloatPointer hY = null;
        FloatPointer hBias = null;
        try {
            long yBytes = 4L * total;
            long bBytes = 4L * n;
            if (total > 0) CudaException.check(cudaMalloc(dY, yBytes), "cudaMalloc y " + label);
            if (n > 0) CudaException.check(cudaMalloc(dBias, bBytes), "cudaMalloc bias " + label);
            hY = new FloatPointer(Math.max(total, 1));
            hBias = new FloatPointer(Math.max(n, 1));
            hY.put(y, 0, total);
            hBias.put(bias, 0, n);
            if (total > 0) {
                CudaException.check(cudaMemcpy(dY, hY, yBytes, cudaMemcpyHostToDevice), "upload y " + label);
            }
            if (n > 0) {
                CudaException.check(cudaMemcpy(dBias, hBias, bBytes, cudaMemcpyHostToDevice), "upload bias " + label);
            }

            int rc;
            switch (mode) {
                case ADDRESS_DEFAULT_STREAM:
                    rc = CudaKernels.p4j_bias_add(dY.address(), dBias.address(), rows, n, relu, 0L);
                    break;
                case POINTER_OWN_STREAM:
                    stream = new CUstream_st();
                    CudaException.check(cudaStreamCreate(stream), "cudaStreamCreate");
                    rc = CudaKernels.p4j_bias_add(new FloatPointer(dY), new FloatPointer(dBias), rows, n, relu, stream);
                    CudaException.check(rc, "p4j_bias_add " + label);
                    rc = CudaKernels.p4j_stream_synchronize(stream);
                    break;
                default:
                    rc = CudaKernels.p4j_bias_add(new FloatPointer(dY), new FloatPointer(dBias), rows, n, relu, null);
                    break;
            }
            CudaException.check(rc, "p4j_bias_add " + label);
            CudaException.check(CudaKernels.p4j_device_synchronize(), "synchronize after p4j_bias_add " + label);

            float[] got = new float[total];
            if (total > 0) {
                CudaException.check(cudaMemcpy(hY, dY, yBytes, cudaMemcpyDeviceToHost), "download y " + label);
                hY.get(got, 0, total);
            }
            Check.close(label, ref, got, 1e-6, 1e-6);
            System.out.println("[BiasAddKernelTest] ok " + label);
        } finally {
            if (stream != null && !stream.isNull()) cudaStreamDestroy(stream);
            if (!dY.isNull()) cudaFree(dY);
            if (!dBias.isNull()) cudaFree(dBias);
            if (hY != null) hY.close();
            if (hBias != null) hBias.close();
        }
    }
}
