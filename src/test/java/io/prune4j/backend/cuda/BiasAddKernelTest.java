package io.prune4j.backend.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** {@code p4j_bias_add} on the GPU against a plain Java reference, on awkward sizes. */
@Tag("gpu")
class BiasAddKernelTest {
    private static final int[][] SIZES = {
        {0, 5}, {1, 1}, {3, 31}, {7, 32}, {5, 33}, {2, 1023}, {3, 4097}, {1, 1_000_003},
    };

    /** Per test (not @BeforeAll) so that reports count the skipped tests instead of showing 0 tests. */
    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("BiasAddKernelTest", test);
    }

    @Test
    void biasAddMatchesReference() {
        SplittableRandom rnd = new SplittableRandom(20240611L);
        for (int[] s : SIZES) {
            for (int relu = 0; relu <= 1; relu++) {
                run(s[0], s[1], relu, rnd, Mode.POINTER_DEFAULT_STREAM);
            }
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

    /**
     * {@code p4j_bias_add_channels}, the epilogue of a convolution, against the CPU convolution's
     * loop ({@code v = y + b; y = relu && v < 0 ? 0 : v}: NaN and −0 stay): bit for bit.
     */
    @Test
    void biasAddChannelsIsBitIdentical() {
        SplittableRandom rnd = new SplittableRandom(11L);
        int[][] shapes = {{0, 3, 5}, {1, 1, 1}, {2, 3, 49}, {3, 31, 33}, {128, 64, 196}, {1, 5, 1_000_003}, {7, 1023, 1}};
        for (int[] s : shapes) {
            int batch = s[0], ch = s[1], sp = s[2];
            float[] y = Gpu.uniform(rnd, batch * ch * sp, 2);
            float[] bias = Gpu.uniform(rnd, ch, 1);
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
        }
        System.out.println("[BiasAddKernelTest] ok bias_add_channels");
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
            compare(label, ref, got);
        } finally {
            if (stream != null && !stream.isNull()) cudaStreamDestroy(stream);
            if (!dY.isNull()) cudaFree(dY);
            if (!dBias.isNull()) cudaFree(dBias);
            if (hY != null) hY.close();
            if (hBias != null) hBias.close();
        }
    }

    private static void compare(String label, float[] ref, float[] got) {
        assertEquals(ref.length, got.length);
        List<String> bad = new ArrayList<>();
        int mismatches = 0;
        for (int i = 0; i < ref.length; i++) {
            double tol = 1e-6 + 1e-6 * Math.abs(ref[i]);
            if (!(Math.abs((double) got[i] - ref[i]) <= tol)) {
                mismatches++;
                if (bad.size() < 10) bad.add("[" + i + "] got " + got[i] + " expected " + ref[i]);
            }
        }
        if (mismatches > 0) {
            String msg = label + ": " + mismatches + " of " + ref.length + " elements differ; first: "
                    + String.join(", ", bad);
            System.out.println("[BiasAddKernelTest] " + msg);
            fail(msg);
        }
        System.out.println("[BiasAddKernelTest] ok " + label);
    }
}
