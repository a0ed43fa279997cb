package io.prune4j.bench;

import io.prune4j.backend.ActivationKind;
import io.prune4j.backend.cuda.CudaException;
import io.prune4j.backend.cuda.CudaKernels;
import io.prune4j.backend.cuda.CudaRuntime;
import io.prune4j.backend.cuda.DeviceBuffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GPU benchmark harness (run by {@code scripts/gpu-run.sh}; lives with the tests, not in the
 * library's API). For each kernel and size it prints the median time of {@code --reps} runs after
 * {@code --warmup} runs (CUDA events around the launch only; the L2 cache is scrubbed by a memset of
 * a buffer at least twice its size before every timed run), the bytes the kernel must read and
 * write, the achieved GB/s, and the ratio to a {@code cudaMemcpyDeviceToDevice} moving the same
 * number of bytes (copying half of them: a copy reads and writes each byte), timed the same way in
 * the same run.
 *
 * <p>Selection rows also print the time of {@code torch.topk} / {@code torch.kthvalue} for the same
 * n and k when {@code benchmarks/gpu/torch_topk.py} ran first and left its TSV
 * ({@code -Dprune4j.bench.torch=FILE}, default {@code $OUT/torch_topk.tsv}).
 *
 * <pre>
 *   java -Dprune4j.bench.out=DIR -cp ... io.prune4j.bench.GpuBench [--reps 20] [--warmup 3] [--only NAME] [--quick]
 * </pre>
 * Results go to stdout and, as TSV, to {@code DIR/gpubench.tsv}.
 */
public final class GpuBench {
    private int reps = 20;
    private int warmup = 3;
    private String only;
    private boolean quick;
    private final List<String> tsv = new ArrayList<>();
    private final Map<String, Double> selectMs = new LinkedHashMap<>();
    private DeviceBuffer scrub;
    private long startEvent;
    private long endEvent;

    public static void main(String[] args) throws IOException {
        GpuBench b = new GpuBench();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--reps" -> b.reps = Integer.parseInt(args[++i]);
                case "--warmup" -> b.warmup = Integer.parseInt(args[++i]);
                case "--only" -> b.only = args[++i];
                case "--quick" -> b.quick = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --reps N, --warmup N, --only NAME, --quick)");
            }
        }
        b.run();
    }

    private void run() throws IOException {
        CudaRuntime.requireDevice();
        System.out.println("GpuBench on " + CudaRuntime.deviceDescription(0) + ", CUDA runtime " + CudaRuntime.runtimeVersion()
                + ", driver " + CudaRuntime.driverVersion() + "; median of " + reps + " after " + warmup + " warm-up runs");
        int[] l2 = new int[1];
        check(CudaKernels.p4j_l2_cache_bytes(0, l2), "L2 size");
        long scrubBytes = Math.max(2L * l2[0], 256L << 20);
        System.out.printf(Locale.ROOT, "L2 %.1f MiB, scrubbed before every timed run with a %d MiB memset%n",
                l2[0] / 1048576.0, scrubBytes >> 20);
        long[] ev = new long[1];
        check(CudaKernels.p4j_event_create(ev), "event");
        startEvent = ev[0];
        check(CudaKernels.p4j_event_create(ev), "event");
        endEvent = ev[0];
        tsv.add("case\tsize\tmedian_ms\tmin_ms\tbytes\tGB_per_s\tcopy_GB_per_s\tratio_to_copy\tnote");
        System.out.printf(Locale.ROOT, "%n%-34s %-30s %10s %10s %12s %9s %9s %7s  %s%n", "case", "size", "median ms", "min ms", "bytes",
                "GB/s", "copy GB/s", "ratio", "note");
        try (DeviceBuffer s = DeviceBuffer.allocate(scrubBytes)) {
            scrub = s;
            if (want("taylor")) taylor();
            if (want("select")) selection();
            if (want("count_at_least")) countAtLeast();
            if (want("mask_to_indices")) maskToIndices();
            if (want("gather")) gathers();
            if (want("train")) training();
            if (want("score")) scoring();
            if (want("graph")) graphOps();
        } finally {
            CudaKernels.p4j_event_destroy(startEvent);
            CudaKernels.p4j_event_destroy(endEvent);
        }
        sideBySide();
        String out = System.getProperty("prune4j.bench.out");
        if (out != null && !out.isBlank()) {
            Path p = Path.of(out, "gpubench.tsv");
            Files.createDirectories(p.getParent());
            Files.write(p, tsv, StandardCharsets.UTF_8);
            System.out.println("\nwrote " + p);
        }
    }

    private boolean want(String name) {
        return only == null || name.contains(only) || only.contains(name);
    }

    // ---- timing --------------------------------------------------------------------------------

    /** Median and minimum milliseconds of {@code launch}, each run after an L2 scrub. */
    private double[] time(String what, Runnable launch) {
        for (int i = 0; i < warmup; i++) launch.run();
        check(CudaKernels.p4j_device_synchronize(), what + " (warm-up)");
        double[] ms = new double[reps];
        float[] t = new float[1];
        for (int i = 0; i < reps; i++) {
            check(CudaKernels.p4j_memset(scrub.address(), i & 0xff, scrub.bytes(), 0L), "L2 scrub");
            check(CudaKernels.p4j_event_record(startEvent, 0L), "event record");
            launch.run();
            check(CudaKernels.p4j_event_record(endEvent, 0L), "event record");
            check(CudaKernels.p4j_event_elapsed_ms(t, startEvent, endEvent), what);
            ms[i] = t[0];
        }
        Arrays.sort(ms);
        return new double[] {ms[ms.length / 2], ms[0]};
    }

    /** Milliseconds of a device-to-device copy that moves {@code bytes} (reads bytes/2, writes bytes/2). */
    private double copyMs(long bytes) {
        long half = Math.max(4, bytes / 2);
        try (DeviceBuffer a = DeviceBuffer.allocate(half); DeviceBuffer b = DeviceBuffer.allocate(half)) {
            a.zero();
            return time("copy", () -> check(CudaKernels.p4j_memcpy(b.address(), a.address(), half, 3, 0L, 1), "copy"))[0];
        }
    }

    /** Times {@code launch}, times a copy of the same bytes, prints and records a row. */
    private double report(String name, String size, long bytes, String note, Runnable launch) {
        double[] t = time(name + " " + size, launch);
        double copy = copyMs(bytes);
        double gbs = bytes / (t[0] * 1e6);
        double copyGbs = bytes / (copy * 1e6);
        System.out.printf(Locale.ROOT, "%-34s %-30s %10.4f %10.4f %12d %9.1f %9.1f %7.3f  %s%n", name, size, t[0], t[1], bytes, gbs,
                copyGbs, gbs / copyGbs, note);
        tsv.add(String.format(Locale.ROOT, "%s\t%s\t%.5f\t%.5f\t%d\t%.2f\t%.2f\t%.4f\t%s", name, size, t[0], t[1], bytes, gbs, copyGbs,
                gbs / copyGbs, note));
        return t[0];
    }

    private static void check(int rc, String what) {
        CudaException.check(rc, what);
    }

    // ---- data --------------------------------------------------------------------------------------

    /**
     * {@code n} uniform floats in [0, 1) on the device, like torch.rand: generated on the host (up to
     * 10^8 distinct draws, so the selection inputs have no repeats beyond float rounding), repeated
     * by device copies past that.
     */
    private static DeviceBuffer uniform(long n, long seed) {
        DeviceBuffer d = DeviceBuffer.floats(Math.max(1, n));
        int block = (int) Math.max(1, Math.min(n, 100_000_000));
        SplittableRandom rng = new SplittableRandom(seed);
        float[] h = new float[block];
        for (int i = 0; i < block; i++) h[i] = (float) rng.nextDouble();
        try (DeviceBuffer staging = DeviceBuffer.of(h)) {
            for (long off = 0; off < n; off += block) {
                long len = Math.min(block, n - off);
                check(CudaKernels.p4j_memcpy(d.floatAddress(off), staging.address(), 4 * len, 3, 0L, 0), "fill copy");
            }
        }
        return d;
    }

    /** {@code k} distinct sorted indices below {@code n}, drawn uniformly. */
    private static int[] subset(SplittableRandom rng, int n, int k) {
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

    // ---- cases -------------------------------------------------------------------------------------

    private void taylor() {
        int[][] shapes = quick ? new int[][] {{256, 1 << 18}} : new int[][] {{256, 1 << 20}, {256, 1 << 18}, {64, 1 << 20}};
        for (int[] s : shapes) {
            int batch = s[0], units = s[1];
            long n = (long) batch * units;
            try (DeviceBuffer a = uniform(n, 1); DeviceBuffer g = uniform(n, 2); DeviceBuffer acc = DeviceBuffer.floats(units)) {
                acc.zero();
                long bytes = 2 * 4 * n + 2 * 4L * units;
                report("taylor_accumulate", batch + "x" + units, bytes, "reads a and g once",
                        () -> check(CudaKernels.p4j_taylor_accumulate(acc.address(), a.address(), g.address(), batch, units, 1, 0, 1f, 0L),
                                "taylor"));
            }
        }
    }

    private void selection() {
        int[] sizes = quick ? new int[] {1_000_000} : new int[] {100_000_000, 10_000_000, 1_000_000};
        for (int n : sizes) {
            long[] wsBytes = new long[1];
            check(CudaKernels.p4j_select_topk_workspace_bytes(n, wsBytes), "workspace bytes");
            try (DeviceBuffer x = uniform(n, 3); DeviceBuffer mask = DeviceBuffer.floats(n); DeviceBuffer kth = DeviceBuffer.floats(1);
                 DeviceBuffer ws = DeviceBuffer.allocate(wsBytes[0])) {
                for (int pct : new int[] {1, 50, 99}) {
                    int k = (int) ((long) n * pct / 100);   // benchmarks/gpu/torch_topk.py computes the same k
                    String size = "n=" + n + " k=" + k;
                    double kthMs = report("select_kth", size, 3 * 4L * n, "3 histogram passes; min traffic " + 4L * n,
                            () -> check(CudaKernels.p4j_select_topk(0L, kth.address(), x.address(), n, k, ws.address(), ws.bytes(), 0L),
                                    "select kth"));
                    double maskMs = report("select_topk_mask", size, 5 * 4L * n, "3 passes + read + mask write",
                            () -> check(CudaKernels.p4j_select_topk(mask.address(), 0L, x.address(), n, k, ws.address(), ws.bytes(), 0L),
                                    "select mask"));
                    selectMs.put(n + "\t" + k + "\tkth", kthMs);
                    selectMs.put(n + "\t" + k + "\tmask", maskMs);
                }
            }
            if (n == 100_000_000 || quick) {
                // scores pruned earlier are often one repeated value: 90% -inf
                float[] h = new float[n];
                SplittableRandom rng = new SplittableRandom(4);
                for (int i = 0; i < n; i++) h[i] = rng.nextInt(10) == 0 ? (float) rng.nextDouble() : Float.NEGATIVE_INFINITY;
                try (DeviceBuffer x = DeviceBuffer.of(h); DeviceBuffer mask = DeviceBuffer.floats(n);
                     DeviceBuffer ws = DeviceBuffer.allocate(wsBytes[0])) {
                    int k = n / 2;
                    report("select_topk_mask_90pct_equal", "n=" + n + " k=" + k, 5 * 4L * n, "ties split across all tiles",
                            () -> check(CudaKernels.p4j_select_topk(mask.address(), 0L, x.address(), n, k, ws.address(), ws.bytes(), 0L),
                                    "select mask ties"));
                }
            }
        }
    }

    private void countAtLeast() {
        int n = quick ? 1_000_000 : 100_000_000;
        try (DeviceBuffer x = uniform(n, 5); DeviceBuffer c = DeviceBuffer.allocate(4)) {
            report("count_at_least", "n=" + n, 4L * n, "",
                    () -> check(CudaKernels.p4j_count_at_least(c.address(), x.address(), n, 0.5f, 0L), "count_at_least"));
        }
    }

    private void maskToIndices() {
        int n = quick ? 1_000_000 : 100_000_000;
        long[] wsBytes = new long[1];
        check(CudaKernels.p4j_mask_to_indices_workspace_bytes(n, wsBytes), "workspace bytes");
        long[] kthWs = new long[1];
        check(CudaKernels.p4j_select_topk_workspace_bytes(n, kthWs), "workspace bytes");
        try (DeviceBuffer x = uniform(n, 6); DeviceBuffer mask = DeviceBuffer.floats(n); DeviceBuffer idx = DeviceBuffer.allocate(4L * n);
             DeviceBuffer count = DeviceBuffer.allocate(4); DeviceBuffer ws = DeviceBuffer.allocate(Math.max(wsBytes[0], kthWs[0]))) {
            check(CudaKernels.p4j_select_topk(mask.address(), 0L, x.address(), n, n / 2, ws.address(), ws.bytes(), 0L), "mask");
            report("mask_to_indices", "n=" + n + " kept=" + n / 2, 4L * n + 4L * (n / 2), "CUB DeviceSelect",
                    () -> check(CudaKernels.p4j_mask_to_indices(idx.address(), count.address(), mask.address(), n, ws.address(), ws.bytes(),
                            0L), "mask_to_indices"));
        }
    }

    private void gathers() {
        int rows = quick ? 2048 : 8192;
        int cols = rows;
        SplittableRandom rng = new SplittableRandom(7);
        try (DeviceBuffer src = uniform((long) rows * cols, 8); DeviceBuffer out = DeviceBuffer.floats((long) rows * cols)) {
            int kr = rows / 2, kc = cols / 2;
            Map<String, int[]> colPatterns = new LinkedHashMap<>();
            colPatterns.put("random half", subset(rng, cols, kc));
            int[] stride2 = new int[kc];
            for (int i = 0; i < kc; i++) stride2[i] = 2 * i;
            colPatterns.put("every other", stride2);
            int[] firstHalf = new int[kc];
            for (int i = 0; i < kc; i++) firstHalf[i] = i;
            colPatterns.put("first half", firstHalf);
            int[] rowIdx = subset(rng, rows, kr);
            try (DeviceBuffer dr = DeviceBuffer.of(rowIdx)) {
                for (Map.Entry<String, int[]> e : colPatterns.entrySet()) {
                    int[] colIdx = e.getValue();
                    long logical = 2 * 4L * kr * kc + 4L * (kr + kc);
                    long sectors = sectorsTouched(colIdx, 1);
                    long physical = (long) kr * sectors * 32 + 4L * kr * kc + 4L * (kr + kc);
                    try (DeviceBuffer dc = DeviceBuffer.of(colIdx)) {
                        double ms = report("gather_rows_cols", rows + "x" + cols + "->" + kr + "x" + kc + " " + e.getKey(), logical,
                                "", () -> check(CudaKernels.p4j_gather_blocks(out.address(), src.address(), dr.address(), dc.address(), kr,
                                        kc, 1, rows, cols, 0L, 0L), "gather"));
                        String note = String.format(Locale.ROOT, "counting the 32-byte sectors read: %d bytes, %.1f GB/s", physical,
                                physical / (ms * 1e6));
                        System.out.println("    " + note);
                        tsv.add("gather_rows_cols_sectors\t" + rows + "x" + cols + "->" + kr + "x" + kc + " " + e.getKey() + "\t"
                                + String.format(Locale.ROOT, "%.5f\t\t%d\t%.2f\t\t\t%s", ms, physical, physical / (ms * 1e6), note));
                    }
                }
                report("gather_rows", rows + "x" + cols + "->" + kr + "x" + cols, 2 * 4L * kr * cols + 4L * kr, "16-byte vectors",
                        () -> check(CudaKernels.p4j_gather_rows(out.address(), src.address(), dr.address(), kr, cols, rows, 0L, 0L),
                                "gather_rows"));
            }
            // conv -> flatten -> dense: kept channels of 7x7 feature maps, column blocks of 49
            int block = 49;
            int channels = quick ? 128 : 512;
            int r2 = quick ? 512 : 2048;
            int keptChannels = channels / 2;
            if ((long) r2 * channels * block <= (long) rows * cols) {
                try (DeviceBuffer dc = DeviceBuffer.of(subset(rng, channels, keptChannels))) {
                    long bytes = 2 * 4L * r2 * keptChannels * block + 4L * keptChannels;
                    report("gather_column_blocks", r2 + "x" + channels + "*" + block + "->" + r2 + "x" + keptChannels + "*" + block, bytes,
                            "block 49 (7x7 maps)", () -> check(CudaKernels.p4j_gather_blocks(out.address(), src.address(), 0L, dc.address(),
                                    r2, keptChannels, block, r2, channels * block, 0L, 0L), "gather blocks"));
                }
            }
        }
    }

    /** Distinct 32-byte sectors of one row that the kept columns (blocks) fall in. */
    private static long sectorsTouched(int[] colIdx, int block) {
        long sectors = 0;
        long last = -1;
        for (int c : colIdx) {
            for (int j = 0; j < block; j++) {
                long s = ((long) c * block + j) * 4 / 32;
                if (s != last) {
                    sectors++;
                    last = s;
                }
            }
        }
        return sectors;
    }

    private void training() {
        int n = quick ? 1 << 22 : 1 << 26;
        try (DeviceBuffer w = uniform(n, 9); DeviceBuffer g = uniform(n, 10); DeviceBuffer m = uniform(n, 11);
             DeviceBuffer v = uniform(n, 12); DeviceBuffer ws = DeviceBuffer.allocate(32768)) {
            String size = "n=" + n;
            report("relu", size, 8L * n, "", () -> check(CudaKernels.p4j_relu(m.address(), w.address(), n, 0L), "relu"));
            report("relu_backward", size, 12L * n, "",
                    () -> check(CudaKernels.p4j_relu_backward(m.address(), g.address(), w.address(), n, 0L), "relu_backward"));
            report("mul (mask apply)", size, 12L * n, "", () -> check(CudaKernels.p4j_mul(m.address(), m.address(), w.address(), n, 0L), "mul"));
            report("sgd_step momentum", size, 20L * n, "",
                    () -> check(CudaKernels.p4j_sgd_step(w.address(), m.address(), g.address(), n, 1e-6f, 0.9f, 0f, 0L), "sgd"));
            report("adam_step", size, 28L * n, "", () -> check(CudaKernels.p4j_adam_step(w.address(), m.address(), v.address(), g.address(),
                    n, 1e-6f, 0.9f, 0.999f, 1e-8f, 0f, 10, 0L), "adam"));
            int[][] xent = quick ? new int[][] {{65536, 10}} : new int[][] {{65536, 10}, {8192, 1000}, {1 << 20, 10}};
            for (int[] s : xent) {
                int rows = s[0], classes = s[1];
                int[] labels = new int[rows];
                SplittableRandom rng = new SplittableRandom(13);
                for (int i = 0; i < rows; i++) labels[i] = rng.nextInt(classes);
                try (DeviceBuffer dl = DeviceBuffer.of(labels); DeviceBuffer metrics = DeviceBuffer.floats(2)) {
                    metrics.zero();
                    long bytes = 8L * rows * classes + 4L * rows;
                    report("softmax_xent", rows + "x" + classes, bytes, "with gradient",
                            () -> check(CudaKernels.p4j_softmax_xent(m.address(), metrics.address(), w.address(), dl.address(), rows, classes,
                                    1f / rows, ws.address(), ws.bytes(), 0L), "softmax_xent"));
                }
            }
            int units = n / 256;
            report("sum_rows", "256x" + units, 4L * n + 8L * units, "bias gradient",
                    () -> check(CudaKernels.p4j_sum_rows(m.address(), w.address(), 256, units, 0f, 0L), "sum_rows"));
            int dataRows = Math.min(60000, n / 784);
            int[] batch = new int[128];
            SplittableRandom rng = new SplittableRandom(16);
            for (int i = 0; i < batch.length; i++) batch[i] = rng.nextInt(dataRows);
            try (DeviceBuffer idx = DeviceBuffer.of(batch)) {
                report("gather_rows (batch)", "128 of " + dataRows + "x784", 2 * 4L * 128 * 784 + 512, "data set batch gather",
                        () -> check(CudaKernels.p4j_gather_rows(m.address(), w.address(), idx.address(), 128, 784, dataRows, 0L, 0L),
                                "batch"));
            }
        }
    }

    private void scoring() {
        int n = quick ? 1 << 22 : 1 << 26;
        try (DeviceBuffer x = uniform(n, 14); DeviceBuffer acc = uniform(n, 15); DeviceBuffer ws = DeviceBuffer.allocate(32768);
             DeviceBuffer out = DeviceBuffer.floats(Math.max(8192, n / 256))) {
            String size = "n=" + n;
            report("accumulate square (Fisher)", size, 12L * n, "",
                    () -> check(CudaKernels.p4j_accumulate(acc.address(), x.address(), n, 1f, 2, 0L), "accumulate"));
            report("normalize L2", size, 12L * n, "reduce + scale",
                    () -> check(CudaKernels.p4j_normalize(acc.address(), n, 1, ws.address(), ws.bytes(), 0L), "normalize"));
            report("sum", size, 4L * n, "", () -> check(CudaKernels.p4j_sum(out.address(), x.address(), n, ws.address(), ws.bytes(), 0L),
                    "sum"));
            int units = n / 256;
            report("count_positive", "256x" + units, 4L * n + 8L * units, "APoZ",
                    () -> check(CudaKernels.p4j_count_positive(out.address(), x.address(), 256, units, 1, 0L), "count_positive"));
            int side = quick ? 2048 : 8192;
            report("row_norms p=2", side + "x" + side, 4L * side * side + 4L * side, "warp per row",
                    () -> check(CudaKernels.p4j_row_norms(out.address(), x.address(), side, side, 2, 0L), "row_norms"));
        }
    }

    /**
     * The graph networks' element-wise operations and batch normalisation (name "graph"). Batch norm
     * rows count the bytes our passes move (the statistics pass reads x, or x and dy, once more than a
     * single fused pass holding them on chip would) and say the minimum in the note.
     */
    private void graphOps() {
        int n = quick ? 1 << 22 : 1 << 26;
        try (DeviceBuffer x = uniform(n, 17); DeviceBuffer y = uniform(n, 18); DeviceBuffer z = DeviceBuffer.floats(n)) {
            String size = "n=" + n;
            report("clamp (ReLU6)", size, 8L * n, "", () -> check(CudaKernels.p4j_clamp(z.address(), x.address(), n, 0f, 6f, 0L), "clamp"));
            report("clamp_backward", size, 12L * n, "",
                    () -> check(CudaKernels.p4j_clamp_backward(z.address(), y.address(), x.address(), n, 0f, 6f, 0L), "clamp_backward"));
            report("add (residual)", size, 12L * n, "", () -> check(CudaKernels.p4j_add(z.address(), x.address(), y.address(), n, 0L), "add"));
            // activations: HardSwish is multiplies only, sigmoid and ELU an expf per element
            int hardSwish = ActivationKind.HARD_SWISH.ordinal();
            int sigmoid = ActivationKind.SIGMOID.ordinal();
            int elu = ActivationKind.ELU.ordinal();
            report("activation (HardSwish)", size, 8L * n, "", () -> check(CudaKernels.p4j_activation(z.address(), x.address(), n, hardSwish,
                    0f, 0f, 0L), "activation"));
            report("activation (sigmoid)", size, 8L * n, "expf", () -> check(CudaKernels.p4j_activation(z.address(), x.address(), n, sigmoid,
                    0f, 0f, 0L), "activation"));
            report("activation_backward (sigmoid)", size, 12L * n, "reads y", () -> check(CudaKernels.p4j_activation_backward(z.address(),
                    y.address(), x.address(), x.address(), n, sigmoid, 0f, 0f, 0L), "activation_backward"));
            report("activation_backward (ELU)", size, 12L * n, "reads x, expf", () -> check(CudaKernels.p4j_activation_backward(z.address(),
                    y.address(), x.address(), x.address(), n, elu, 1f, 0f, 0L), "activation_backward"));
            report("mul (SiLU's x·sigmoid(x))", size, 12L * n, "", () -> check(CudaKernels.p4j_mul(z.address(), x.address(), y.address(), n,
                    0L), "mul"));
        }
        // a squeeze-and-excitation gate on [batch, 96, 14, 14] (MobileNetV3's and EfficientNet's middle stages): one
        // scale per channel plane, and its gradient, one dot product of 196 values per plane
        int seBatch = quick ? 32 : 256;
        int planes = seBatch * 96;
        int plane = 14 * 14;
        long seN = (long) planes * plane;
        try (DeviceBuffer x = uniform(seN, 20); DeviceBuffer dy = uniform(seN, 21); DeviceBuffer s = uniform(planes, 22);
             DeviceBuffer out = DeviceBuffer.floats(seN); DeviceBuffer ds = DeviceBuffer.floats(planes)) {
            String shape = seBatch + "x96x14x14";
            report("mul_channels (SE gate)", shape, 8L * seN + 4L * planes, "", () -> check(CudaKernels.p4j_mul_channels(out.address(),
                    x.address(), s.address(), planes, plane, 0L), "mul_channels"));
            report("mul_channels_backward (SE gate)", shape, 8L * seN + 4L * planes, "a warp per plane, double sums",
                    () -> check(CudaKernels.p4j_mul_channels_backward(ds.address(), dy.address(), x.address(), planes, plane, 0L),
                            "mul_channels_backward"));
        }
        // concatenation of two [batch, 64, 28, 28] maps into [batch, 128, 28, 28]: one half's copy
        int batch = quick ? 32 : 256;
        int spatial = 28 * 28;
        long half = (long) batch * 64 * spatial;
        try (DeviceBuffer src = uniform(half, 19); DeviceBuffer dst = DeviceBuffer.floats(2 * half)) {
            report("copy_channels (concat half)", batch + "x64x28x28 -> " + batch + "x128x28x28", 8L * half, "16-byte words",
                    () -> check(CudaKernels.p4j_copy_channels(dst.address(), src.address(), batch, 128, 64, 64, 0, 64, spatial, 0L),
                            "copy_channels"));
            // 27x27 maps and channel offset 1: odd runs and offsets, so 4-byte words
            int odd = 27 * 27;
            report("copy_channels (odd sizes)", batch + "x63x27x27 -> " + batch + "x128x27x27", 8L * batch * 63 * odd,
                    "4-byte words", () -> check(CudaKernels.p4j_copy_channels(dst.address(), src.address(), batch, 128, 1, 64, 1, 63,
                            odd, 0L), "copy_channels odd"));
        }
        // BatchNorm2d after a ResNet stage-1 convolution, and BatchNorm1d of a wide dense layer
        int[][] shapes = quick ? new int[][] {{32, 64, 56 * 56}, {1024, 1024, 1}}
                : new int[][] {{256, 64, 56 * 56}, {256, 512, 7 * 7}, {4096, 4096, 1}};
        for (int[] sh : shapes) {
            int b = sh[0], c = sh[1], sp = sh[2];
            long elems = (long) b * c * sp;
            long[] wsBytes = new long[1];
            check(CudaKernels.p4j_batch_norm_workspace_bytes(b, c, sp, wsBytes), "batch norm workspace");
            String shape = sp == 1 ? b + "x" + c : b + "x" + c + "x" + (int) Math.sqrt(sp) + "x" + (int) Math.sqrt(sp);
            try (DeviceBuffer x = uniform(elems, 20); DeviceBuffer dy = uniform(elems, 21); DeviceBuffer y = DeviceBuffer.floats(elems);
                 DeviceBuffer gamma = uniform(c, 22); DeviceBuffer beta = uniform(c, 23); DeviceBuffer rm = uniform(c, 24);
                 DeviceBuffer rv = uniform(c, 25); DeviceBuffer sm = DeviceBuffer.floats(c); DeviceBuffer si = DeviceBuffer.floats(c);
                 DeviceBuffer dg = DeviceBuffer.floats(c); DeviceBuffer db = DeviceBuffer.floats(c);
                 DeviceBuffer ws = DeviceBuffer.allocate(Math.max(1, wsBytes[0]))) {
                report("batch_norm forward (training)", shape, 12L * elems, "stats pass + apply; min " + 8L * elems,
                        () -> check(CudaKernels.p4j_batch_norm_forward(y.address(), sm.address(), si.address(), rm.address(), rv.address(),
                                x.address(), gamma.address(), beta.address(), b, c, sp, 0.1f, 1e-5f, 1, ws.address(), ws.bytes(), 0L),
                                "batch norm forward"));
                report("batch_norm forward (inference)", shape, 8L * elems, "",
                        () -> check(CudaKernels.p4j_batch_norm_forward(y.address(), 0L, 0L, rm.address(), rv.address(), x.address(),
                                gamma.address(), beta.address(), b, c, sp, 0.1f, 1e-5f, 0, ws.address(), ws.bytes(), 0L),
                                "batch norm inference"));
                report("batch_norm backward", shape, 20L * elems, "stats pass + apply; min " + 12L * elems,
                        () -> check(CudaKernels.p4j_batch_norm_backward(y.address(), dg.address(), db.address(), dy.address(), x.address(),
                                gamma.address(), sm.address(), si.address(), b, c, sp, ws.address(), ws.bytes(), 0L),
                                "batch norm backward"));
            }
        }
    }

    // ---- torch side by side ----------------------------------------------------------------------

    private void sideBySide() throws IOException {
        String out = System.getProperty("prune4j.bench.out", "");
        String path = System.getProperty("prune4j.bench.torch", out.isBlank() ? "" : Path.of(out, "torch_topk.tsv").toString());
        if (selectMs.isEmpty()) return;
        Map<String, Double> torch = new LinkedHashMap<>();
        if (!path.isBlank() && Files.exists(Path.of(path))) {
            for (String line : Files.readAllLines(Path.of(path), StandardCharsets.UTF_8)) {
                String[] f = line.split("\t");   // op, n, k, median_ms, min_ms
                if (f.length >= 4 && !f[0].equals("op")) torch.put(f[1] + "\t" + f[2] + "\t" + f[0], Double.parseDouble(f[3]));
            }
        } else {
            System.out.println("\n(no torch_topk.tsv at '" + path + "': run benchmarks/gpu/torch_topk.py first for the comparison)");
        }
        System.out.println("\nk-th value / top-k of n floats, median ms (same GPU, same run of gpu-run.sh)");
        System.out.printf(Locale.ROOT, "%-12s %-10s %12s %12s %14s %14s %14s %12s %12s%n", "n", "k", "p4j kth", "p4j mask", "torch.topk",
                "topk unsorted", "torch.kthval", "topk/kth", "topk/mask");
        for (String key : selectMs.keySet()) {
            if (!key.endsWith("\tkth")) continue;
            String nk = key.substring(0, key.length() - 4);
            String[] f = nk.split("\t");
            double kth = selectMs.get(key);
            double mask = selectMs.get(nk + "\tmask");
            Double topk = torch.get(nk + "\ttopk");
            Double unsorted = torch.get(nk + "\ttopk_unsorted");
            Double kthv = torch.get(nk + "\tkthvalue");
            System.out.printf(Locale.ROOT, "%-12s %-10s %12.4f %12.4f %14s %14s %14s %12s %12s%n", f[0], f[1], kth, mask, fmt(topk), fmt(unsorted),
                    fmt(kthv), topk == null ? "-" : String.format(Locale.ROOT, "%.2fx", topk / kth),
                    topk == null ? "-" : String.format(Locale.ROOT, "%.2fx", topk / mask));
        }
    }

    private static String fmt(Double ms) {
        return ms == null ? "-" : String.format(Locale.ROOT, "%.4f", ms);
    }
}
