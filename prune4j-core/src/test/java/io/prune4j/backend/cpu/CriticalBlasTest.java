package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prune4j.tensor.Tensor;
import io.prune4j.testing.Check;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.junit.jupiter.api.Test;

/**
 * The zero-copy sgemm ({@link CriticalBlas}, JNI critical regions) against the copying bytedeco
 * {@code cblas_sgemm(float[]...)} it replaces: same OpenBLAS function, so the results agree (in
 * practice bit for bit; asserted within 1e-5).
 */
class CriticalBlasTest {
    private final CpuBackend cpu = new CpuBackend(2);

    private static boolean glueInBuild() {
        return CriticalBlas.class.getResource(Loader.getPlatform() + "/libjniCriticalBlas.so") != null;
    }

    private static boolean forcedCopying() {
        return "copying".equals(System.getProperty(CriticalBlas.PROPERTY, "").trim().toLowerCase(Locale.ROOT));
    }

    @Test
    void criticalPathIsActiveWhenTheGlueIsInTheBuild() {
        if (glueInBuild() && !forcedCopying()) {
            assertEquals("critical", CpuBackend.gemmPath(), "zero-copy sgemm unavailable: " + CriticalBlas.unavailableReason());
            assertTrue(CriticalBlas.isAvailable());
            assertNull(CriticalBlas.unavailableReason());
            String lib = CriticalBlas.library();
            assertNotNull(lib);
            assertTrue(lib.contains("openblas_nolapack"), "cblas_sgemm resolved in " + lib);
        } else {
            assertEquals("copying", CpuBackend.gemmPath());
            assertNotNull(CriticalBlas.unavailableReason());
        }
    }

    @Test
    void gemmEqualsCopyingPathForAllTransposesAndAwkwardShapes() {
        SplittableRandom rng = new SplittableRandom(7);
        int[][] shapes = {
            {1, 1, 1}, {1, 784, 1}, {1, 1, 300}, {300, 1, 1}, {1, 784, 300}, {2, 3, 5}, {7, 1, 9},
            {17, 33, 65}, {64, 65, 63}, {127, 10, 129}, {300, 784, 256}, {256, 300, 100}
        };
        float[][] alphaBeta = {{1f, 0f}, {0.5f, 2f}, {-1.25f, 1f}};
        int combo = 0;
        for (int[] s : shapes) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    float alpha = alphaBeta[combo % alphaBeta.length][0];
                    float beta = alphaBeta[combo % alphaBeta.length][1];
                    combo++;
                    float[] a = Check.uniform(rng, m * k, 1);
                    float[] b = Check.uniform(rng, k * n, 1);
                    float[] c0 = Check.uniform(rng, m * n, 1);
                    int lda = ta ? m : k;
                    int ldb = tb ? k : n;

                    // the copying bytedeco call, as CpuBackend made it before (and still does as fallback)
                    float[] expected = c0.clone();
                    openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                            ta ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                            tb ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                            m, n, k, alpha, a, lda, b, ldb, beta, expected, n);

                    // CpuBackend.gemm (the critical path in this build)
                    Tensor at = ta ? cpu.fromArray(a, k, m) : cpu.fromArray(a, m, k);
                    Tensor bt = tb ? cpu.fromArray(b, n, k) : cpu.fromArray(b, k, n);
                    Tensor ct = cpu.fromArray(c0, m, n);
                    cpu.gemm(ct, at, ta, bt, tb, alpha, beta);
                    String what = "gemm " + m + "x" + k + "x" + n + " ta=" + ta + " tb=" + tb + " alpha=" + alpha + " beta=" + beta;
                    Check.close(what, expected, ct.toFloatArray(), 1e-5, 1e-5);

                    // CriticalBlas directly; its inputs are left untouched
                    if (CriticalBlas.isAvailable()) {
                        float[] a2 = a.clone();
                        float[] b2 = b.clone();
                        float[] c2 = c0.clone();
                        CriticalBlas.sgemm(ta, tb, m, n, k, alpha, a2, lda, b2, ldb, beta, c2, n);
                        Check.close(what + " (CriticalBlas.sgemm)", expected, c2, 1e-5, 1e-5);
                        Check.close(what + " a unchanged", a, a2, 0, 0);
                        Check.close(what + " b unchanged", b, b2, 0, 0);
                    }
                }
            }
        }
    }

    @Test
    void concurrentGemmsWhileTheHeapChurnsStayCorrect() throws Exception {
        assumeTrue(CriticalBlas.isAvailable(), "zero-copy sgemm unavailable");
        int m = 64;
        int k = 300;
        int n = 100;
        SplittableRandom rng = new SplittableRandom(11);
        float[] a = Check.uniform(rng, m * k, 1);
        float[] b = Check.uniform(rng, k * n, 1);
        float[] expected = new float[m * n];
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, 1f, a, k, b, n, 0f, expected, n);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 300; i++) {
                        float[] c = new float[m * n];
                        CriticalBlas.sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
                        Check.close("concurrent gemm " + i, expected, c, 1e-5, 1e-5);
                    }
                    return null;
                }));
            }
            futures.add(pool.submit(() -> { // garbage, so that collections (and GCLocker) happen meanwhile
                long sum = 0;
                for (int i = 0; i < 3000; i++) {
                    sum += new float[64 * 1024].length;
                }
                return sum;
            }));
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
