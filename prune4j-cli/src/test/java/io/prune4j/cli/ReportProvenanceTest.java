package io.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prune4j.testing.IdxFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report says what made it (seed, versions, device), and the same command with the same seed
 * writes the same model, byte for byte.
 */
class ReportProvenanceTest {
    @TempDir
    Path dir;

    private int run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int rc = Main.run(args);
            assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
            return rc;
        } finally {
            System.setErr(old);
        }
    }

    private String[] train(String name, long seed) {
        return new String[] {"train", "--data", dir.toString(), "--hidden", "16,8", "--epochs", "2", "--batch", "32", "--threads", "2",
            "--no-progress", "--seed", Long.toString(seed), "--save", dir.resolve(name + ".safetensors").toString(),
            "--report", dir.resolve(name + ".json").toString()};
    }

    private String[] prune(String name, long seed) {
        return new String[] {"prune", "--data", dir.toString(), "--model", dir.resolve("a.safetensors").toString(), "--criterion", "taylor",
            "--calibration-batches", "2", "--finetune-epochs", "1", "--threads", "2", "--no-progress", "--seed", Long.toString(seed),
            "--save", dir.resolve(name + ".safetensors").toString(), "--report", dir.resolve(name + ".json").toString()};
    }

    @Test
    void sameSeedSameModelAndTheReportSaysWhatMadeIt() throws IOException {
        IdxFiles.writeToyDataset(dir, 200, 50, 8, 4, 9);
        run(train("a", 5));
        run(train("b", 5));
        byte[] a = Files.readAllBytes(dir.resolve("a.safetensors"));
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("b.safetensors")), "same seed, same bytes");
        run(prune("p", 5));
        run(prune("q", 5));
        assertArrayEquals(Files.readAllBytes(dir.resolve("p.safetensors")), Files.readAllBytes(dir.resolve("q.safetensors")),
                "same seed, same pruned model");

        for (String report : new String[] {"a.json", "p.json"}) {
            JsonNode r = new ObjectMapper().readTree(dir.resolve(report).toFile());
            assertEquals(5, r.get("seed").asLong(), report);
            assertEquals(Main.version(), r.get("version").asText());
            assertFalse(Main.version().equals("dev"), "the build writes the version: " + r);
            assertTrue(r.get("java").asText().contains(System.getProperty("java.runtime.version")), r.toString());
            assertTrue(r.get("os").asText().contains(System.getProperty("os.arch")), r.toString());
            assertEquals("cpu", r.get("device").asText());
            assertEquals(2, r.get("threads").asInt());
            assertEquals(io.prune4j.backend.cpu.CpuBackend.gemmPath(), r.get("gemm").asText());
            try (io.prune4j.backend.cpu.CpuBackend cpu = new io.prune4j.backend.cpu.CpuBackend(1)) {
                assertEquals(cpu.convPath(), r.get("conv").asText());
            }
        }
    }
}
