package io.prune4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.testing.IdxFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example: {@code src/test/java/PruneExample.java} is the README's code block,
 * character for character (checked here), and runs on a part of Fashion-MNIST (12,000 training
 * and 2,000 test images, so that the suite stays short). What it must give: the printed accuracy
 * within the range measured for this subset ({@code docs/figures.md}, "The README example"), the
 * saved network at most half of the FLOPs of the one it built, and fewer parameters.
 */
@Tag("slow")
class ReadmeExampleTest {
    /** The example's network as it builds it (1×28×28 input, 10 classes), in FLOPs per example and parameters. */
    private static final long BUILT_FLOPS = 7_789_824;

    @TempDir
    Path dir;

    @Test
    void theReadmeBlockIsTheExampleThatRuns() throws Exception {
        String readme = Files.readString(Path.of("../README.md"));
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "the README has a Java block");
        assertEquals(Files.readString(Path.of("src/test/java/PruneExample.java")), m.group(1),
                "src/test/java/PruneExample.java is the README's code block");
    }

    @Test
    void theExamplePrunesAndKeepsItsAccuracy() throws Exception {
        IdxFiles.writeHead(Mnist.FASHION_MNIST_DIR, dir.resolve("data"), 12_000, 2_000);
        Path saved = dir.resolve("pruned.safetensors");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            Class.forName("PruneExample").getMethod("main", String[].class)
                    .invoke(null, (Object) new String[] {dir.resolve("data").toString(), saved.toString()});
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
    }
}
