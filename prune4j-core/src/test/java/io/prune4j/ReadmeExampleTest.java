package io.prune4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.testing.IdxFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example: its code block is {@code examples/src/main/java/com/example/prune4j/QuickStart.java}
 * of the example consumer project, character for character (checked here). The test compiles that
 * file alone against prune4j-core's class path (so the block compiles when pasted into a project that
 * depends on prune4j-core, and needs nothing else of the examples) and runs it on a part of
 * Fashion-MNIST (12,000 training images; all 10,000 test images). What it must give: the printed
 * accuracy within the range measured for this subset ({@code docs/figures.md}, "The README example"),
 * the saved network at most half of the FLOPs of the one it built, fewer parameters, and the
 * reloaded network's accuracy the same as the pruned one's.
 */
@Tag("slow")
class ReadmeExampleTest {
    /** The example's network as it builds it (1×28×28 input, 10 classes), in FLOPs per example and parameters. */
    private static final long BUILT_FLOPS = 7_789_824;

    private static final Path QUICK_START = Path.of("../examples/src/main/java/com/example/prune4j/QuickStart.java");

    @TempDir
    Path dir;

    /** Compiles {@link #QUICK_START} alone, with this JVM's class path (prune4j-core and its dependencies), into {@code dir/classes}. */
    private ClassLoader compileQuickStart() throws Exception {
        Path classes = dir.resolve("classes");
        Files.createDirectories(classes);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK runs the tests");
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-d", classes.toString(), "-cp", System.getProperty("java.class.path"),
                "--release", "17", "-Xlint:all,-path", "-Werror", QUICK_START.toString());
        assertEquals(0, rc, "the README's example compiles without warnings: " + diagnostics.toString(StandardCharsets.UTF_8));
        return new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader());
    }

    @Test
    void theReadmeBlockIsTheExampleThatRuns() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "the README has a Java block");
        assertEquals(Files.readString(QUICK_START), m.group(1), QUICK_START + " is the README's code block");
    }

    @Test
    void theExamplePrunesAndKeepsItsAccuracy() throws Exception {
        IdxFiles.writeHead(Mnist.FASHION_MNIST_DIR, dir.resolve("data"), 12_000, 10_000);
        Path saved = dir.resolve("pruned.safetensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Class.forName("com.example.prune4j.QuickStart", true, compileQuickStart()).getMethod("main", String[].class)
                    .invoke(null, (Object) new String[] {dir.resolve("data").toString(), saved.toString(), "12000"});
        } finally {
            System.setOut(stdout);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
        Matcher m = Pattern.compile("test accuracy (\\d\\.\\d+) with (\\d+) parameters").matcher(printed);
        assertTrue(m.find(), "the example prints its accuracy and size: " + printed);
        double accuracy = Double.parseDouble(m.group(1));
        try (CpuBackend cpu = new CpuBackend(1); Graph net = ModelFile.load(saved, cpu)) {
            assertEquals(Long.parseLong(m.group(2)), net.parameterCount(), "the saved network is the one it printed");
            assertTrue(net.flopsPerExample() <= BUILT_FLOPS / 2, net.flopsPerExample() + " FLOPs left of " + BUILT_FLOPS);
            assertTrue(net.parameterCount() < 34_602, net.parameterCount() + " parameters left");
        }
        assertTrue(accuracy >= 0.80 && accuracy <= 0.90, "accuracy " + accuracy + " outside the range measured for this subset");
        Matcher r = Pattern.compile("reloaded: test accuracy (\\d\\.\\d+)").matcher(printed);
        assertTrue(r.find(), "the example reloads what it saved: " + printed);
        assertEquals(m.group(1), r.group(1), "the reloaded network has the pruned one's accuracy");
    }
}
