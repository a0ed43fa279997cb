package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import io.prune4j.testing.Naive;
import io.prune4j.testing.NaiveGraphOps;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The oneDNN convolutions ({@link DnnlConv}, {@link CpuDnnl}): that they are there where the build
 * has them, agree with the double-precision reference and the Java path, give the same bits for
 * the same inputs and thread count, release what they make, and that without oneDNN the backend
 * keeps its Java convolutions and says why.
 *
 * <p>Tolerance. The small shapes of {@link CpuGraphOpsTest} pass on oneDNN with that test's bounds
 * ({@code 1e-5 + 1e-5·|ref|} for y and dx, {@code 1e-5 + 1e-4·|ref|} for dw and db). The larger
 * ones here (up to 6272 terms per weight-gradient sum) need an absolute term that grows with the
 * output: a float sum's rounding error is a few ulps of its largest partial sums, not of its
 * result, and a weight gradient near zero is the difference of partial sums as large as the
 * output's largest elements. oneDNN sums in another order than the Java code (16 channels of a
 * block at once, the weight gradient in per-thread partial sums over its own split of batch and
 * image, the bias gradient in float where the Java code uses double), which measured errors up to
 * 1.4e-6·max|ref| (the Java path: 4e-7·max|ref|); the bound is {@code 5e-6·max|ref|} plus the
 * relative terms above, for both paths.
 */
class DnnlConvTest {
    private static boolean jarOnClassPath() {
        return DnnlConv.class.getResource("/org/bytedeco/dnnl/" + Loader.getPlatform() + "/libdnnl.so.3") != null
                && DnnlConv.class.getResource(Loader.getPlatform() + "/libjniDnnlConv.so") != null;
    }

    private static boolean forcedJava() {
        return "java".equals(System.getProperty(DnnlConv.PROPERTY, "").trim());
    }

    @Test
    void oneDnnIsThereWhereTheBuildHasIt() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            if (jarOnClassPath() && !forcedJava()) {
                assertTrue(DnnlConv.isAvailable(), "oneDNN unavailable: " + DnnlConv.unavailableReason());
                assertNull(DnnlConv.unavailableReason());
                assertEquals("dnnl", cpu.convPath());
                assertTrue(DnnlConv.library().endsWith("libdnnl.so.3"), DnnlConv.library());
                assertTrue(DnnlConv.version().startsWith("3.8.1"), DnnlConv.version());
                // the OpenMP runtime is the one libdnnl is linked with, from the same jar
                String omp = DnnlConv.openmpLibrary();
                assertNotNull(omp);
                assertEquals(new File(DnnlConv.library()).getParent(), new File(omp).getParent(), omp);
                assertNotNull(DnnlConv.openmpSettings());
            } else {
                assertEquals("java", cpu.convPath());
                assertFalse(DnnlConv.isAvailable());
                assertNotNull(DnnlConv.unavailableReason());
            }
        }
    }

    /** oneDNN's direct kernels for the ResNet's convolutions (no gemm, no reference code) on this machine. */
    @Test
    void theResNetsConvolutionsRunOnOneDnnKernels() {
        assumeTrue(DnnlConv.isAvailable(), "oneDNN unavailable");
        try (CpuBackend cpu = new CpuBackend(2, true)) {
            int[][] shapes = {{16, 28, 16, 3, 1, 1}, {16, 28, 32, 3, 2, 1}, {32, 14, 32, 3, 1, 1}, {32, 14, 64, 3, 2, 1}, {64, 7, 64, 3, 1, 1}};
            for (int[] s : shapes) {
                for (boolean backward : new boolean[] {false, true}) {
                    String plan = cpu.dnnlPlan(128, s[0], s[1], s[1], s[2], s[3], s[4], s[5], 1, backward);
                    assertFalse(plan.startsWith("not taken"), Arrays.toString(s) + ": " + plan);
                    assertFalse(plan.contains("ref") || plan.contains("gemm:"), Arrays.toString(s) + ": " + plan);
                }
            }
            // the stem's forward on oneDNN, its backward (one input channel) and 1x1 convolutions on the Java code
            assertFalse(cpu.dnnlPlan(128, 1, 28, 28, 16, 3, 1, 1, 1, false).startsWith("not taken"));
            assertTrue(cpu.dnnlPlan(128, 1, 28, 28, 16, 3, 1, 1, 1, true).startsWith("not taken"));
            assertTrue(cpu.dnnlPlan(128, 16, 28, 28, 32, 1, 2, 0, 1, false).startsWith("not taken"));
        }
    }

    @ParameterizedTest(name = "batch={0} in={1} {2}x{3} out={4} k={5} stride={6} pad={7} groups={8}")
    @CsvSource({
            // the ResNet's 3x3 layers at a smaller batch, odd sizes, 5x5, large padding, depthwise, grouped
            "8,16,28,28,16,3,1,1,1", "6,16,15,13,32,3,2,1,1", "5,32,7,7,64,3,1,1,1", "4,13,11,9,11,3,1,1,1", "3,8,9,9,8,5,1,2,1",
            "2,5,6,6,7,3,1,2,1", "4,16,14,14,16,3,1,1,16", "3,24,9,9,24,3,2,1,24", "4,16,10,10,32,3,1,1,2", "3,4,7,8,6,3,1,1,1",
            // in < 4: the forward pass on oneDNN, the backward on the Java code
            "5,1,28,28,16,3,1,1,1", "3,3,12,10,8,3,2,1,1"})
    void agreesWithTheReferenceAndTheJavaPath(int batch, int in, int h, int w, int out, int k, int stride, int pad, int groups) {
        assumeTrue(DnnlConv.isAvailable(), "oneDNN unavailable");
        SplittableRandom rng = new SplittableRandom(Arrays.hashCode(new int[] {batch, in, h, w, out, k, stride, pad, groups}));
        int ho = NaiveGraphOps.out(h, k, stride, pad);
        int wo = NaiveGraphOps.out(w, k, stride, pad);
        int[] xs = {batch, in, h, w};
        int[] ws = {out, in / groups, k, k};
        int[] ys = {batch, out, ho, wo};
        float[] x = Check.randn(rng, batch * in * h * w, 1);
        float[] wt = Check.randn(rng, out * (in / groups) * k * k, 1);
        float[] bias = Check.randn(rng, out, 0.5);
        float[] dy = Check.randn(rng, batch * out * ho * wo, 1);
        String what = Arrays.toString(xs) + " w " + Arrays.toString(ws) + " s" + stride + " p" + pad + " g" + groups;
        double[] ref = NaiveGraphOps.conv2d(Naive.toDouble(x), batch, in, h, w, Naive.toDouble(wt), Naive.toDouble(bias), out, k, k, stride,
                pad, groups, true);
        double[][] grads = NaiveGraphOps.conv2dBackward(Naive.toDouble(dy), Naive.toDouble(x), batch, in, h, w, Naive.toDouble(wt), out, k,
                k, stride, pad, groups);
        try (CpuBackend dnnl = new CpuBackend(2, true); CpuBackend java = new CpuBackend(2, false)) {
            float[][] a = CpuGraphOpsTest.conv(dnnl, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, true);
            float[][] j = CpuGraphOpsTest.conv(java, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, true);
            double[][] refs = {ref, grads[0], grads[1], grads[2]};
            String[] names = {"y", "dx", "dw", "db"};
            for (int i = 0; i < 4; i++) {
                double atol = 5e-6 * maxAbs(refs[i]);
                Check.close(what + " " + names[i], refs[i], a[i], atol, i < 2 ? 1e-5 : 1e-4);
                Check.close(what + " " + names[i] + ", Java path", refs[i], j[i], atol, i < 2 ? 1e-5 : 1e-4);
            }
            String plan = dnnl.dnnlPlan(batch, in, h, w, out, k, stride, pad, groups, false) + " / "
                    + dnnl.dnnlPlan(batch, in, h, w, out, k, stride, pad, groups, true);
            System.out.println(what + ": " + plan);
        }
    }

    /** A batch above {@link CpuDnnl#FORWARD_CHUNK} goes through the forward primitives in chunks (and a smaller last one). */
    @Test
    void aLargeBatchGoesThroughTheForwardPassInChunks() {
        assumeTrue(DnnlConv.isAvailable(), "oneDNN unavailable");
        int batch = 2 * CpuDnnl.FORWARD_CHUNK + 37;
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = Check.randn(rng, batch * 4 * 6 * 5, 1);
        float[] w = Check.randn(rng, 8 * 4 * 9, 1);
        float[] b = Check.randn(rng, 8, 1);
        double[] ref = NaiveGraphOps.conv2d(Naive.toDouble(x), batch, 4, 6, 5, Naive.toDouble(w), Naive.toDouble(b), 8, 3, 3, 1, 1, 1, true);
        try (CpuBackend cpu = new CpuBackend(2, true); Tensor xt = cpu.fromArray(x, batch, 4, 6, 5); Tensor wt = cpu.fromArray(w, 8, 4, 3, 3);
             Tensor bt = cpu.fromArray(b, 8); Tensor y = cpu.zeros(DType.FLOAT32, batch, 8, 6, 5)) {
            cpu.conv2d(y, xt, wt, bt, 1, 1, 1, true);
            Check.close("chunked forward", ref, y.toFloatArray(), 1e-5, 1e-5);
            assertFalse(cpu.dnnlPlan(batch, 4, 6, 5, 8, 3, 1, 1, 1, false).startsWith("not taken"));
        }
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double e : v) {
            m = Math.max(m, Math.abs(e));
        }
        return m;
    }

    /**
     * prune4j's promise: the same inputs and thread count give the same bits. oneDNN's primitives
     * are made with its deterministic attribute; the weight gradient's per-thread partial sums are
     * the reduction that could otherwise vary. Checked twice on one backend (cached primitives) and
     * on a second backend (primitives made again), at 1 to 3 threads.
     */
    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3})
    void sameInputsAndThreadCountGiveTheSameBits(int threads) {
        assumeTrue(DnnlConv.isAvailable(), "oneDNN unavailable");
        SplittableRandom rng = new SplittableRandom(threads);
        int[][] cases = {{24, 16, 14, 14, 32, 3, 1, 1, 1}, {24, 16, 15, 15, 32, 3, 2, 1, 1}, {24, 32, 14, 14, 32, 3, 1, 1, 32},
            {24, 16, 9, 9, 32, 3, 1, 1, 2}};
        for (int[] c : cases) {
            int batch = c[0];
            int in = c[1];
            int h = c[2];
            int w = c[3];
            int out = c[4];
            int k = c[5];
            int stride = c[6];
            int pad = c[7];
            int groups = c[8];
            int ho = NaiveGraphOps.out(h, k, stride, pad);
            int wo = NaiveGraphOps.out(w, k, stride, pad);
            int[] xs = {batch, in, h, w};
            int[] ws = {out, in / groups, k, k};
            int[] ys = {batch, out, ho, wo};
            float[] x = Check.randn(rng, batch * in * h * w, 1);
            float[] wt = Check.randn(rng, out * (in / groups) * k * k, 1);
            float[] bias = Check.randn(rng, out, 1);
            float[] dy = Check.randn(rng, batch * out * ho * wo, 1);
            try (CpuBackend one = new CpuBackend(threads, true); CpuBackend two = new CpuBackend(threads, true)) {
                float[][] first = CpuGraphOpsTest.conv(one, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, false);
                float[][] again = CpuGraphOpsTest.conv(one, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, false);
                float[][] other = CpuGraphOpsTest.conv(two, x, wt, bias, dy, xs, ws, ys, stride, pad, groups, false);
                for (int i = 0; i < first.length; i++) {
                    assertArrayEquals(Check.bits(first[i]), Check.bits(again[i]), Arrays.toString(c) + ": repeated, output " + i);
                    assertArrayEquals(Check.bits(first[i]), Check.bits(other[i]), Arrays.toString(c) + ": another backend, output " + i);
                }
                assertTrue(one.dnnlPlan(batch, in, h, w, out, k, stride, pad, groups, true).contains("backward weights"),
                        Arrays.toString(c) + " ran on oneDNN: " + one.dnnlPlan(batch, in, h, w, out, k, stride, pad, groups, true));
            }
        }
    }

    /**
     * Every primitive, memory object, stream and workspace is released: by the cache when it evicts a
     * shape and by {@link CpuBackend#close()}. The glue counts its live objects and workspace bytes;
     * JavaCPP's counted off-heap bytes do not move (the glue allocates none of them).
     */
    @Test
    void nativeObjectsAreReleasedAndTheCacheIsBounded() {
        assumeTrue(DnnlConv.isAvailable(), "oneDNN unavailable");
        long objects = DnnlConv.p4j_dnnl_live_objects();
        long bytes = DnnlConv.p4j_dnnl_live_bytes();
        long javacpp = io.prune4j.prune.NativeMemoryCycles.settledTotalBytes();
        SplittableRandom rng = new SplittableRandom(3);
        float[] x = Check.randn(rng, 6 * 8 * 10 * 10, 1);
        float[] w = Check.randn(rng, 8 * 8 * 9, 1);
        float[] b = Check.randn(rng, 8, 1);
        float[] dy = Check.randn(rng, 6 * 8 * 10 * 10, 1);
        for (int cycle = 0; cycle < 200; cycle++) {
            try (CpuBackend cpu = new CpuBackend(2, true)) {
                int batch = 1 + cycle % 6;
                CpuGraphOpsTest.conv(cpu, Arrays.copyOf(x, batch * 800), w, b, Arrays.copyOf(dy, batch * 800), new int[] {batch, 8, 10, 10},
                        new int[] {8, 8, 3, 3}, new int[] {batch, 8, 10, 10}, 1, 1, 1, cycle % 2 == 0);
                assertTrue(DnnlConv.p4j_dnnl_live_objects() > objects, "the backend made its context and primitives");
            }
            assertEquals(objects, DnnlConv.p4j_dnnl_live_objects(), "live oneDNN objects after cycle " + cycle);
            assertEquals(bytes, DnnlConv.p4j_dnnl_live_bytes(), "workspace bytes after cycle " + cycle);
        }
        // more shapes than the cache holds: it stays at its bound, evicted primitives are destroyed
        try (CpuBackend cpu = new CpuBackend(1, true)) {
            for (int n = 1; n <= CpuDnnl.CACHE + 20; n++) {
                float[] xn = Check.randn(rng, n * 8 * 10 * 10, 1);
                CpuGraphOpsTest.conv(cpu, xn, w, b, Check.randn(rng, n * 800, 1), new int[] {n, 8, 10, 10}, new int[] {8, 8, 3, 3}, new int[] {n, 8, 10, 10},
                        1, 1, 1, false);
                assertTrue(DnnlConv.p4j_dnnl_live_objects() <= objects + 1 + CpuDnnl.CACHE,
                        "live objects " + DnnlConv.p4j_dnnl_live_objects() + " with " + n + " shapes");
            }
        }
        assertEquals(objects, DnnlConv.p4j_dnnl_live_objects());
        assertEquals(bytes, DnnlConv.p4j_dnnl_live_bytes());
        assertEquals(javacpp, io.prune4j.prune.NativeMemoryCycles.settledTotalBytes(), "JavaCPP's counted bytes");
    }

    @Test
    void aClosedBackendRefusesConvolutions() {
        assumeTrue(DnnlConv.isAvailable(), "oneDNN unavailable");
        CpuBackend cpu = new CpuBackend(1, true);
        Tensor x = cpu.zeros(DType.FLOAT32, 1, 4, 5, 5);
        Tensor w = cpu.zeros(DType.FLOAT32, 4, 4, 3, 3);
        Tensor y = cpu.zeros(DType.FLOAT32, 1, 4, 5, 5);
        cpu.conv2d(y, x, w, null, 1, 1, 1, false);
        cpu.close();
        assertThrows(IllegalStateException.class, () -> cpu.conv2d(y, x, w, null, 1, 1, 1, false));
    }

    // ---- without oneDNN: the Java path, and why, once --------------------------------------------

    /** Runs {@link FallbackChild} in a JVM whose class path lacks the dnnl and opencl jars; its output lines. */
    private static List<String> childWithoutOneDnn(String mode) throws Exception {
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !new File(e).getName().startsWith("dnnl-") && !new File(e).getName().startsWith("opencl-")).collect(Collectors.joining(File.pathSeparator));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", cp));
        if (mode != null) {
            cmd.add("-D" + DnnlConv.PROPERTY + "=" + mode);
        }
        cmd.add(FallbackChild.class.getName());
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            r.lines().forEach(out::add);
        }
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, child.exitValue(), String.join("\n", out));
        return out;
    }

    @Test
    void withoutOneDnnTheJavaPathRunsAndSaysWhyOnce() throws Exception {
        assumeTrue(jarOnClassPath(), "this build has no oneDNN to take away");
        List<String> out = childWithoutOneDnn(null);
        String all = String.join("\n", out);
        assertTrue(out.contains("path java"), all);
        assertTrue(out.contains("results agree"), all);
        List<String> notices = out.stream().filter(l -> l.startsWith("prune4j: oneDNN convolutions unavailable")).toList();
        assertEquals(1, notices.size(), "one notice for two backends: " + all);
        assertTrue(notices.get(0).contains("not found on the class path"), notices.get(0));
        assertTrue(out.stream().anyMatch(l -> l.startsWith("reason ") && l.contains("not found on the class path")), all);
    }

    @Test
    void requiringOneDnnWithoutItFailsAtConstruction() throws Exception {
        assumeTrue(jarOnClassPath(), "this build has no oneDNN to take away");
        List<String> out = childWithoutOneDnn("dnnl");
        String all = String.join("\n", out);
        assertTrue(out.stream().anyMatch(l -> l.startsWith("constructor failed: ")
                && l.contains("the system property " + DnnlConv.PROPERTY + " is dnnl")), all);
    }

    @Test
    void theJavaPathNeedsNoNotice() throws Exception {
        assumeTrue(jarOnClassPath(), "this build has no oneDNN to take away");
        List<String> out = childWithoutOneDnn("java");
        String all = String.join("\n", out);
        assertTrue(out.contains("path java"), all);
        assertTrue(out.stream().noneMatch(l -> l.startsWith("prune4j: oneDNN")), all);
        assertTrue(out.stream().anyMatch(l -> l.startsWith("reason ") && l.contains("disabled by")), all);
    }

    /** The child JVM of the fallback tests: two backends, one convolution each, compared with the reference. */
    public static final class FallbackChild {
        public static void main(String[] args) {
            CpuBackend first;
            try {
                first = new CpuBackend(2);
            } catch (IllegalStateException e) {
                System.out.println("constructor failed: " + e.getMessage());
                return;
            }
            SplittableRandom rng = new SplittableRandom(5);
            float[] x = Check.randn(rng, 2 * 6 * 7 * 7, 1);
            float[] w = Check.randn(rng, 8 * 6 * 9, 1);
            float[] b = Check.randn(rng, 8, 1);
            float[] dy = Check.randn(rng, 2 * 8 * 49, 1);
            double[] ref = NaiveGraphOps.conv2d(Naive.toDouble(x), 2, 6, 7, 7, Naive.toDouble(w), Naive.toDouble(b), 8, 3, 3, 1, 1, 1, false);
            boolean agree = true;
            try (CpuBackend second = new CpuBackend(1)) {
                for (CpuBackend be : new CpuBackend[] {first, second}) {
                    float[] y = CpuGraphOpsTest.conv(be, x, w, b, dy, new int[] {2, 6, 7, 7}, new int[] {8, 6, 3, 3}, new int[] {2, 8, 7, 7}, 1, 1, 1, false)[0];
                    for (int i = 0; i < y.length; i++) {
                        agree &= Check.close((float) ref[i], y[i], 1e-5, 1e-5);
                    }
                }
                System.out.println("path " + first.convPath());
                System.out.println("reason " + DnnlConv.unavailableReason());
            } finally {
                first.close();
            }
            System.out.println(agree ? "results agree" : "results differ");
        }
    }
}
