package io.prune4j.prune;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Dataset;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.bytedeco.javacpp.Pointer;

/**
 * Score → prune → compact cycles on a small MLP ({@code 12 → 32 → 16 → 4}) with native memory
 * counted around them, three ways:
 * <ul>
 *   <li>JavaCPP's {@link Pointer#totalBytes()}: every off-heap buffer JavaCPP allocates (exact);
 *   <li>the JVM's own malloc in Native Memory Tracking's "Internal" category, when the JVM runs with
 *       {@code -XX:NativeMemoryTracking=summary}: that is where HotSpot puts the copies
 *       {@code Get<Float>ArrayElements} makes, i.e. what bytedeco's copying {@code float[]} sgemm
 *       allocates, which JavaCPP does not count (exact, in KB);
 *   <li>{@link Pointer#physicalBytes()}, the resident set (information only: it moves with the heap,
 *       the JIT and malloc's arenas).
 * </ul>
 * {@link NativeMemoryTest} runs {@link #main} in child JVMs, since the gemm path is chosen once per
 * process ({@code -Dprune4j.blas}); it prints one {@code native-memory ...} line.
 */
public final class NativeMemoryCycles {
    /** Counts after the warm-up cycles (start) and after all cycles (end); NMT figures are −1 without NMT. */
    public record Figures(String gemmPath, int cycles, long totalBytesStart, long totalBytesEnd, long internalKbStart,
                          long internalKbEnd, long internalKbPeak, long physicalStart, long physicalEnd, double seconds) {
        public String line() {
            return String.format("native-memory gemm=%s cycles=%d totalBytes start=%d end=%d nmtInternalMallocKB start=%d end=%d peak=%d"
                            + " physicalBytes start=%d end=%d seconds=%.1f", gemmPath, cycles, totalBytesStart, totalBytesEnd,
                    internalKbStart, internalKbEnd, internalKbPeak, physicalStart, physicalEnd, seconds);
        }

        private static final Pattern LINE = Pattern.compile("gemm=(\\S+) cycles=(\\d+) totalBytes start=(\\d+) end=(\\d+)"
                + " nmtInternalMallocKB start=(-?\\d+) end=(-?\\d+) peak=(-?\\d+) physicalBytes start=(\\d+) end=(\\d+) seconds=(\\S+)");

        public static Figures parse(String line) {
            Matcher m = LINE.matcher(line);
            if (!m.find()) {
                throw new IllegalArgumentException("not a native-memory line: " + line);
            }
            long[] v = new long[7];
            for (int i = 0; i < v.length; i++) {
                v[i] = Long.parseLong(m.group(i + 3));
            }
            return new Figures(m.group(1), Integer.parseInt(m.group(2)), v[0], v[1], v[2], v[3], v[4], v[5], v[6],
                    Double.parseDouble(m.group(10)));
        }
    }

    private static final int WARM_UP = 20;
    private static final Criterion[] CRITERIA = {Criterion.TAYLOR, Criterion.MAGNITUDE, Criterion.OBD, Criterion.APOZ,
        Criterion.COMPOSITE, Criterion.SENSITIVITY, Criterion.RANDOM};

    private NativeMemoryCycles() {}

    public static void main(String[] args) {
        System.out.println(measure(Integer.parseInt(args[0])).line());
    }

    /** {@code cycles} cycles after {@value #WARM_UP} warm-up ones (JIT, lazily loaded libraries). */
    public static Figures measure(int cycles) {
        long[] total = new long[2];
        long[][] internal = new long[2][];
        long[] physical = new long[2];
        long[] nanos = new long[2];
        int[] mark = {0};
        try (Backend cpu = new CpuBackend(1)) {
            run(cpu, cycles, () -> {
                int m = mark[0]++;
                nanos[m] = System.nanoTime();
                total[m] = settledTotalBytes();
                internal[m] = nmtInternalMallocKb();
                physical[m] = Pointer.physicalBytes();
            });
        }
        return new Figures(CpuBackend.gemmPath(), cycles, total[0], total[1], internal[0][0], internal[1][0], internal[1][1],
                physical[0], physical[1], (nanos[1] - nanos[0]) / 1e9);
    }

    /**
     * Runs {@value #WARM_UP} warm-up cycles and then {@code cycles} counted ones on {@code backend},
     * calling {@code mark} once after the warm-up and once after the last cycle (where the caller
     * reads its counters: JavaCPP's bytes, device memory in use, ...).
     */
    public static void run(Backend backend, int cycles, Runnable mark) {
        try (DeviceData train = DeviceData.upload(backend, blobs(512, 1));
             DeviceData test = DeviceData.upload(backend, blobs(128, 2))) {
            for (int i = 0; i < WARM_UP; i++) {
                cycle(backend, train, test, i);
            }
            mark.run();
            for (int i = 0; i < cycles; i++) {
                cycle(backend, train, test, WARM_UP + i);
            }
            backend.synchronize();
            mark.run();
        }
    }

    /**
     * One cycle on a fresh network: score with one of seven criteria, rank per layer, then compact
     * (structured) or install weight masks (unstructured, every third cycle); every tenth cycle
     * also fine-tunes one epoch, so the optimiser's buffers come and go too.
     */
    private static void cycle(Backend backend, DeviceData train, DeviceData test, int i) {
        Criterion c = CRITERIA[i % CRITERIA.length];
        boolean structured = i % 3 != 0 || !c.scoresWeights();
        TrainConfig ft = TrainConfig.builder().optEpochs(i % 10 == 0 ? 1 : 0).optBatchSize(64).optLearningRate(1e-3f).build();
        PruneConfig cfg = PruneConfig.builder().setCriterion(c).optStructured(structured)
                .optRanking(Ranking.Config.ratio(Ranking.Scope.LAYER, structured ? Normalization.L2 : Normalization.NONE, 0.5))
                .optFinetune(ft).optCalibrationBatches(2).optSeed(i).build();
        try (Graph net = Models.mlp(backend, 12, new int[] {32, 16}, 4, i)) {
            new Pruner(cfg, null).run(net, null, train, test);
        }
    }

    /**
     * The count once garbage has gone: JavaCPP frees a pointer nobody closed when the collector
     * finds it unreachable (loading the OpenBLAS preset leaves one 8-byte pointer so), on its own
     * thread, so collect and wait until the count holds still.
     */
    public static long settledTotalBytes() {
        long last = -1;
        for (int i = 0; i < 20; i++) {
            System.gc();
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            long now = Pointer.totalBytes();
            if (now == last) {
                return now;
            }
            last = now;
        }
        return last;
    }

    /** {@code [current, peak]} KB of NMT's Internal malloc, or {@code [-1, -1]} when NMT is off. */
    static long[] nmtInternalMallocKb() {
        String summary;
        try {
            summary = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "vmNativeMemory", new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        } catch (Exception e) {
            return new long[] {-1, -1};
        }
        Matcher m = Pattern.compile("Internal \\(reserved=\\d+KB, committed=\\d+KB\\)\\s*\\(malloc=(\\d+)KB #\\d+\\)"
                + "(?: \\(peak=(\\d+)KB)?").matcher(summary);
        if (!m.find()) {
            return new long[] {-1, -1};
        }
        long now = Long.parseLong(m.group(1));
        return new long[] {now, m.group(2) == null ? now : Long.parseLong(m.group(2))};
    }

    /** Four Gaussian blobs in 12 dimensions. */
    static Dataset blobs(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * 12];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(4);
            for (int j = 0; j < 12; j++) {
                x[i * 12 + j] = (j % 4 == y[i] ? 2f : -1f) + (float) rng.nextGaussian();
            }
        }
        return new Dataset("blobs", x, y, n, 12, 4);
    }
}
