package io.prune4j.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Sizes;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compaction kernels against plain Java: {@code p4j_mask_to_indices} against
 * {@code CpuBackend.maskToIndices}; {@code p4j_gather_rows} (float and int rows, all three vector
 * widths, an index offset, a bad index) and {@code p4j_gather_blocks} (columns, column blocks,
 * fused with rows) against obvious loops and {@code CpuBackend.gatherColumns}.
 */
@Tag("gpu")
class CompactionKernelTest {

    @BeforeEach
    void requireGpu(TestInfo test) {
        Gpu.require("CompactionKernelTest", test);
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("io.prune4j.testing.Sizes#awkward")
    void maskToIndicesMatchesTheCpu(int n) {
        SplittableRandom rng = new SplittableRandom(11);
        for (double density : new double[] {0, 0.01, 0.5, 1}) {
            float[] mask = new float[n];
            for (int i = 0; i < n; i++) mask[i] = rng.nextDouble() < density ? 1f : 0f;
            if (n > 2) {
                mask[n / 2] = Float.NaN;   // != 0: kept, as on the CPU
                mask[n - 1] = -0f;         // == 0: dropped
            }
            Tensor idx = Gpu.CPU.zeros(DType.INT32, n);
            int expectedCount = Gpu.CPU.maskToIndices(idx, Gpu.CPU.fromArray(mask, n));
            int[] expected = Arrays.copyOf(Gpu.CPU.toIntArray(idx), expectedCount);
            long[] bytes = new long[1];
            CudaException.check(CudaKernels.p4j_mask_to_indices_workspace_bytes(n, bytes), "workspace bytes");
            try (DeviceBuffer dm = Gpu.up(mask);
                 DeviceBuffer out = DeviceBuffer.allocate(4L * Math.max(1, n));
                 DeviceBuffer count = DeviceBuffer.allocate(4);
                 DeviceBuffer ws = DeviceBuffer.allocate(Math.max(1, bytes[0]))) {
                count.upload(new int[] {-1});
                String label = "mask_to_indices n=" + n + " density=" + density;
                Gpu.run(CudaKernels.p4j_mask_to_indices(out.address(), count.address(), dm.address(), n, ws.address(), ws.bytes(), 0L),
                        label);
                int got = count.toInts(1)[0];
                assertEquals(expectedCount, got, label + " count");
                assertArrayEquals(expected, Arrays.copyOf(out.toInts(Math.max(1, n)), got), label + " indices");
            }
        }
        System.out.println("[CompactionKernelTest] ok mask_to_indices n=" + n);
    }

    static int[][] gatherRowsShapes() {
        return new int[][] { // srcRows, cols, outRows
            {1, 1, 1}, {7, 1, 3}, {33, 2, 31}, {100, 3, 64}, {64, 4, 33}, {300, 784, 128}, {5, 4097, 3}, {1023, 5, 1023}, {2, Sizes.LARGE, 2},
        };
    }

    @ParameterizedTest(name = "srcRows, cols, outRows = {0}")
    @MethodSource("gatherRowsShapes")
    void gatherRowsFloatAndInt(int[] s) {
        SplittableRandom rng = new SplittableRandom(12);
        int srcRows = s[0], cols = s[1], rows = s[2];
        float[] src = Check.uniform(rng, srcRows * cols, 3);
        int offset = rng.nextInt(3);
        int[] idx = new int[rows + offset];
        for (int i = 0; i < idx.length; i++) idx[i] = rng.nextInt(srcRows);
        float[] expected = new float[rows * cols];
        for (int r = 0; r < rows; r++) System.arraycopy(src, idx[offset + r] * cols, expected, r * cols, cols);
        String label = "gather_rows " + srcRows + "x" + cols + " -> " + rows;
        try (DeviceBuffer ds = Gpu.up(src); DeviceBuffer di = Gpu.up(idx);
             DeviceBuffer out = DeviceBuffer.floats(Math.max(1, rows * cols)); DeviceBuffer bad = DeviceBuffer.allocate(4)) {
            bad.zero();
            Gpu.run(CudaKernels.p4j_gather_rows(out.address(), ds.address(), di.address() + 4L * offset, rows, cols, srcRows,
                    bad.address(), 0L), label);
            Check.sameBits(label, expected, out.toFloats(rows * cols));
            assertEquals(0, bad.toInts(1)[0], label + ": no bad index");
            // the same bytes as INT32 rows (labels gather like [n, 1])
            int[] isrc = new int[src.length];
            for (int i = 0; i < src.length; i++) isrc[i] = Float.floatToRawIntBits(src[i]);
            int[] iexp = new int[expected.length];
            for (int i = 0; i < expected.length; i++) iexp[i] = Float.floatToRawIntBits(expected[i]);
            try (DeviceBuffer dis = Gpu.up(isrc)) {
                Gpu.run(CudaKernels.p4j_gather_rows(out.address(), dis.address(), di.address() + 4L * offset, rows, cols, srcRows,
                        0L, 0L), label + " int");
                assertArrayEquals(iexp, out.toInts(rows * cols), label + " int");
            }
        }
        // misaligned output (forces the 4-byte path for any cols)
        if (rows * cols < 100_000) {
            try (DeviceBuffer ds = Gpu.up(src); DeviceBuffer di = Gpu.up(idx); DeviceBuffer out = DeviceBuffer.floats(rows * cols + 1)) {
                Gpu.run(CudaKernels.p4j_gather_rows(out.address() + 4, ds.address(), di.address() + 4L * offset, rows, cols, srcRows,
                        0L, 0L), label + " misaligned");
                Check.sameBits(label + " misaligned", expected, Arrays.copyOfRange(out.toFloats(rows * cols + 1), 1, rows * cols + 1));
            }
        }
        System.out.println("[CompactionKernelTest] ok " + label);
    }

    @Test
    void gatherRowsFlagsBadIndices() {
        float[] src = {1, 2, 3, 4, 5, 6};   // [3, 2]
        int[] idx = {2, -1, 3, 0};
        try (DeviceBuffer ds = Gpu.up(src); DeviceBuffer di = Gpu.up(idx); DeviceBuffer out = DeviceBuffer.floats(8);
             DeviceBuffer bad = DeviceBuffer.allocate(4)) {
            bad.zero();
            Gpu.run(CudaKernels.p4j_gather_rows(out.address(), ds.address(), di.address(), 4, 2, 3, bad.address(), 0L), "gather bad");
            Check.sameBits("gather bad", new float[] {5, 6, 0, 0, 0, 0, 1, 2}, out.toFloats(8));
            assertNotEquals(0, bad.toInts(1)[0], "bad indices are reported");
            bad.zero();
            Gpu.run(CudaKernels.p4j_gather_blocks(out.address(), ds.address(), 0L, di.address(), 3, 1, 1, 3, 2, bad.address(), 0L),
                    "gather_blocks bad");
            assertNotEquals(0, bad.toInts(1)[0], "bad column indices are reported");
        }
    }

    static int[][] gatherBlocksShapes() {
        return new int[][] { // srcRows, srcBlocks, block, rowsOut (0 = no row gather), blocksOut
            {1, 1, 1, 0, 1}, {31, 33, 1, 0, 17}, {32, 1023, 1, 16, 500}, {33, 64, 9, 0, 31}, {64, 32, 49, 32, 16},
            {7, 4097, 1, 3, 4097}, {300, 784, 1, 0, 392}, {4, 100, 3, 4, 100}, {3, Sizes.LARGE, 1, 0, Sizes.LARGE / 2},
        };
    }

    @ParameterizedTest(name = "srcRows, srcBlocks, block, rowsOut, blocksOut = {0}")
    @MethodSource("gatherBlocksShapes")
    void gatherBlocksColumnsAndChannels(int[] s) {
        SplittableRandom rng = new SplittableRandom(13);
        int srcRows = s[0], srcBlocks = s[1], block = s[2], rowsOut = s[3] == 0 ? srcRows : s[3], blocksOut = s[4];
        boolean rowGather = s[3] != 0;
        int srcCols = srcBlocks * block;
        float[] src = Check.uniform(rng, srcRows * srcCols, 2);
        int[] rowIdx = rowGather ? sortedSubset(rng, srcRows, rowsOut) : null;
        int[] colIdx = sortedSubset(rng, srcBlocks, blocksOut);
        int outCols = blocksOut * block;
        float[] expected = new float[rowsOut * outCols];
        for (int r = 0; r < rowsOut; r++) {
            int sr = rowIdx == null ? r : rowIdx[r];
            for (int c = 0; c < blocksOut; c++) {
                for (int j = 0; j < block; j++) expected[r * outCols + c * block + j] = src[sr * srcCols + colIdx[c] * block + j];
            }
        }
        String label = "gather_blocks " + srcRows + "x" + srcBlocks + "x" + block + " -> " + rowsOut + "x" + blocksOut;
        try (DeviceBuffer ds = Gpu.up(src); DeviceBuffer dc = Gpu.up(colIdx);
             DeviceBuffer dr = Gpu.up(rowIdx == null ? new int[1] : rowIdx);
             DeviceBuffer out = DeviceBuffer.floats(Math.max(1, expected.length)); DeviceBuffer bad = DeviceBuffer.allocate(4)) {
            bad.zero();
            Gpu.run(CudaKernels.p4j_gather_blocks(out.address(), ds.address(), rowIdx == null ? 0L : dr.address(), dc.address(), rowsOut,
                    blocksOut, block, srcRows, srcCols, bad.address(), 0L), label);
            Check.sameBits(label, expected, out.toFloats(expected.length));
            assertEquals(0, bad.toInts(1)[0], label + ": no bad index");
            if (block == 1 && !rowGather) {   // the CPU backend's gatherColumns is the contract for block 1
                Tensor ref = Gpu.CPU.zeros(DType.FLOAT32, srcRows, blocksOut);
                Gpu.CPU.gatherColumns(ref, Gpu.CPU.fromArray(src, srcRows, srcCols), Gpu.CPU.fromArray(colIdx, blocksOut));
                Check.sameBits(label + " vs CpuBackend", Gpu.cpu(ref), out.toFloats(expected.length));
            }
        }
        System.out.println("[CompactionKernelTest] ok " + label);
    }

    /** {@code k} distinct indices below {@code n}, increasing (what maskToIndices produces). */
    static int[] sortedSubset(SplittableRandom rng, int n, int k) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        int[] out = Arrays.copyOf(all, k);
        Arrays.sort(out);
        return out;
    }
}
