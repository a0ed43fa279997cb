package io.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed (SIGKILL) while it saves leaves the previous model intact under the final name:
 * the file always loads and its tensors belong to one save, never a mix.
 */
class KillDuringSaveTest {
    @TempDir
    Path dir;

    @Test
    void killedSaverNeverLeavesATornFile() throws Exception {
        Path target = dir.resolve("model.safetensors");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        SplittableRandom rng = new SplittableRandom(1);
        CpuBackend cpu = new CpuBackend(1);
        int killsAfterASave = 0;
        for (int round = 0; round < 6; round++) {
            Process child = new ProcessBuilder(javaBin, "-Xmx1g", "-cp", System.getProperty("java.class.path"), SaveLoop.class.getName(),
                    target.toString()).redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine(); // the first complete save
                assertTrue(line != null && line.startsWith("saved"), "child did not save: " + line);
                // kill somewhere inside a later save (one takes tens of milliseconds)
                Thread.sleep(rng.nextInt(5, 120));
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                killsAfterASave++;
            } finally {
                child.destroyForcibly();
            }
            Map<String, String> meta = ModelFile.metadata(target);
            int iteration = Integer.parseInt(meta.get("iteration"));
            try (Graph loaded = ModelFile.load(target, cpu);
                 Graph expected = Models.mlp(cpu, 784, new int[] {2048, 1024}, 10, iteration)) {
                List<io.prune4j.nn.Parameter> a = loaded.parameters();
                List<io.prune4j.nn.Parameter> b = expected.parameters();
                for (int i = 0; i < a.size(); i++) {
                    assertTrue(java.util.Arrays.equals(a.get(i).value().toFloatArray(), b.get(i).value().toFloatArray()),
                            "round " + round + ": tensor " + i + " is not the one saved in iteration " + iteration);
                }
            }
            try (var files = Files.list(dir)) {
                // only the model and, at most, the temporary file of the interrupted save
                assertTrue(files.filter(p -> !p.equals(target)).allMatch(p -> p.getFileName().toString().endsWith(".tmp")));
            }
        }
        assertEquals(6, killsAfterASave);
    }
}
