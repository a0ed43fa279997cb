package io.prune4j.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.backend.cpu.CriticalBlas;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * Issue 6: a long run of score → prune → compact cycles does not grow native memory. 1000 cycles
 * ({@link NativeMemoryCycles}) must leave JavaCPP's counted off-heap bytes exactly where they
 * started, and the JVM's own malloc (Native Memory Tracking, "Internal": where the JNI array copies
 * of the copying gemm live) within {@value #INTERNAL_SLACK_KB} KB of it, on both CPU gemm paths.
 *
 * <p>The gemm path is chosen once per process ({@code -Dprune4j.blas}), and NMT must be switched on
 * when the JVM starts, so both paths run in child JVMs: the default ({@code auto}: zero-copy
 * critical regions when the build has the glue) and {@code copying} (bytedeco's {@code float[]}
 * sgemm, which copies every operand to native memory and back on every call).
 */
class NativeMemoryTest {
    private static final int CYCLES = 1000;
    /** The JVM's internal bookkeeping moves by a few KB; a leaked gemm operand is 1.5–16 KB per call, many calls a cycle. */
    private static final long INTERNAL_SLACK_KB = 64;

    @Test
    void defaultGemmPath() throws Exception {
        NativeMemoryCycles.Figures f = runChild("auto");
        assertEquals(CpuBackend.gemmPath(), f.gemmPath(), "the child chose the path this JVM chose");
        check(f);
    }

    @Test
    void copyingGemmPath() throws Exception {
        NativeMemoryCycles.Figures f = runChild("copying");
        assertEquals("copying", f.gemmPath());
        check(f);
    }

    /** The count sees a leak: pointers left open show in it, and closing them brings it back. */
    @Test
    void theCountSeesUnclosedPointers() {
        long start = NativeMemoryCycles.settledTotalBytes();
        List<FloatPointer> leaked = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            leaked.add(new FloatPointer(1024));
        }
        assertTrue(Pointer.totalBytes() - start >= 100 * 4096L, "counted " + (Pointer.totalBytes() - start));
        leaked.forEach(Pointer::close);
        assertEquals(start, Pointer.totalBytes());
    }

    private static NativeMemoryCycles.Figures runChild(String blas) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx512m", "-XX:NativeMemoryTracking=summary", "-D" + CriticalBlas.PROPERTY + "=" + blas,
                "-cp", System.getProperty("java.class.path"), NativeMemoryCycles.class.getName(), Integer.toString(CYCLES))
                .redirectErrorStream(true).start();
        List<String> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            r.lines().forEach(out::add);
        }
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child did not finish");
        assertEquals(0, child.exitValue(), String.join("\n", out));
        String line = out.stream().filter(l -> l.startsWith("native-memory ")).findFirst().orElseThrow(() -> new AssertionError(out));
        System.out.println(line);
        return NativeMemoryCycles.Figures.parse(line);
    }

    private static void check(NativeMemoryCycles.Figures f) {
        assertEquals(CYCLES, f.cycles());
        assertEquals(f.totalBytesStart(), f.totalBytesEnd(), "JavaCPP native bytes after " + CYCLES + " cycles: " + f.line());
        assertTrue(f.internalKbStart() >= 0, "no NMT figures: " + f.line());
        assertTrue(f.internalKbEnd() - f.internalKbStart() <= INTERNAL_SLACK_KB, "JVM internal malloc grew: " + f.line());
    }
}
