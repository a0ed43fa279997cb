package io.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed (SIGKILL) while it saves leaves the previous model intact under the final name:
 * the file always loads and its tensors belong to one save, never a mix.
 *
 * <p>A kill timed by the clock mostly lands while the child builds its next network, not while it
 * writes, and then proves nothing (sleeping 5–120 ms after the first save, as this test once did,
 * put 0 or 1 of 6 kills inside a write). So the parent watches the folder instead: once the file
 * the save is writing has grown to a random fraction of a whole model it kills the child, which
 * puts the kill anywhere in the byte stream whatever the machine's speed. Whether a kill really
 * landed inside a write is read afterwards, not assumed: the temporary file is still there only if
 * the child died between creating it and renaming it over the model. At least half the kills must.
 */
class KillDuringSaveTest {
    private static final int ROUNDS = 6;

    @TempDir
    Path dir;

    @Test
    void killedSaverNeverLeavesATornFile() throws Exception {
        Path target = dir.resolve("model.safetensors");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        SplittableRandom rng = new SplittableRandom(1);
        CpuBackend cpu = new CpuBackend(1);
        int midWrite = 0;
        StringBuilder log = new StringBuilder();
        for (int round = 0; round < ROUNDS; round++) {
            Process child = new ProcessBuilder(javaBin, "-Xmx1g", "-cp", System.getProperty("java.class.path"), SaveLoop.class.getName(),
                    target.toString()).redirectErrorStream(true).start();
            double fraction = rng.nextDouble(0.02, 1.0);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = out.readLine(); // the first complete save
                assertTrue(line != null && line.startsWith("saved"), "child did not save: " + line);
                // every save has the same tensors, so the model on disk tells how long a whole one is
                long whole = Files.size(target);
                killWhenWritten(child, target, whole, (long) (fraction * whole));
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            } finally {
                child.destroyForcibly();
            }
            List<Path> temporaries;
            try (var files = Files.list(dir)) {
                temporaries = files.filter(p -> !p.equals(target)).toList();
            }
            // only the model and, at most, the temporary file of the interrupted save
            assertTrue(temporaries.size() <= 1 && temporaries.stream().allMatch(KillDuringSaveTest::isTemporary),
                    "round " + round + ": " + temporaries);
            if (!temporaries.isEmpty()) {
                midWrite++;
            }
            log.append(String.format("round %d: kill at %.0f%% of a save, %s%n", round, 100 * fraction,
                    temporaries.isEmpty() ? "after it" : "mid-write (" + Files.size(temporaries.get(0)) + " of "
                            + Files.size(target) + " bytes written)"));
            int iteration;
            Graph loaded;
            try {
                iteration = Integer.parseInt(ModelFile.metadata(target).get("iteration"));
                loaded = ModelFile.load(target, cpu);
            } catch (RuntimeException e) {
                throw new AssertionError("round " + round + ": the model does not load after a kill at " + Math.round(100 * fraction)
                        + "% of a save: " + e.getMessage(), e);
            }
            try (loaded;
                 Graph expected = Models.mlp(cpu, 784, new int[] {2048, 1024}, 10, iteration)) {
                List<io.prune4j.nn.Parameter> a = loaded.parameters();
                List<io.prune4j.nn.Parameter> b = expected.parameters();
                assertEquals(b.size(), a.size(), "round " + round);
                for (int i = 0; i < a.size(); i++) {
                    assertTrue(java.util.Arrays.equals(a.get(i).value().toFloatArray(), b.get(i).value().toFloatArray()),
                            "round " + round + ": tensor " + i + " is not the one saved in iteration " + iteration);
                }
            }
            // the next round must not take this round's leftover for its own save's file
            for (Path t : temporaries) {
                Files.delete(t);
            }
        }
        System.out.print(log);
        // a kill lands after the rename only when the save outran the watcher between two polls
        assertTrue(midWrite > 0 && 2 * midWrite >= ROUNDS, midWrite + " of " + ROUNDS + " kills inside a write:\n" + log);
    }

    private static boolean isTemporary(Path p) {
        String name = p.getFileName().toString();
        return name.startsWith(".model.safetensors.") && name.endsWith(".tmp");
    }

    /**
     * Kills {@code child} once the file its save is writing holds at least {@code bytes} bytes, or at
     * once if the save's temporary file is renamed before it does (the save finished between two
     * looks). The file being written is a temporary one, or the model itself while it is shorter
     * than {@code whole}: a saver that wrote in place is killed mid-write too, and caught tearing it.
     */
    private void killWhenWritten(Process child, Path target, long whole, long bytes) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean seenTemporary = false;
        while (System.nanoTime() < deadline) {
            long written = -1;
            boolean temporary = false;
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    try {
                        long size = Files.size(p);
                        if (isTemporary(p)) {
                            temporary = true;
                            written = Math.max(written, size);
                        } else if (p.equals(target) && size < whole) {
                            written = Math.max(written, size);
                        }
                    } catch (NoSuchFileException renamed) {
                        // gone between the listing and the look: the next poll sees where it went
                    }
                }
            }
            if (written >= bytes || (seenTemporary && !temporary)) {
                child.destroyForcibly();
                return;
            }
            seenTemporary |= temporary;
            LockSupport.parkNanos(200_000); // a fifth of a millisecond: a save takes tens, and the child needs a core
        }
        child.destroyForcibly();
        fail("no save of " + bytes + " bytes started within 60 s");
    }
}
