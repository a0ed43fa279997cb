package io.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.testing.IdxFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code train} command end to end on a small data set the test writes. */
class TrainCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldErr;

    @BeforeEach
    void captureStderr() {
        oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(oldErr);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void trainsSavesAndReports() throws IOException {
        IdxFiles.writeToyDataset(dir, 400, 100, 8, 4, 3);
        Path report = dir.resolve("report.json");
        Path model = dir.resolve("model.safetensors");
        int rc = Main.run("train", "--data", dir.toString(), "--hidden", "16,8", "--epochs", "3", "--batch", "32", "--lr", "0.01",
                "--threads", "1", "--no-progress", "--report", report.toString(), "--save", model.toString());
        assertEquals(0, rc, stderr());
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertEquals("cpu", r.get("device").asText());
        JsonNode b = r.get("baseline");
        for (String key : new String[] {"accuracy", "loss", "params", "flops", "train_samples_per_s", "infer_samples_per_s_b256"}) {
            assertTrue(b.has(key), "baseline." + key + " missing in " + r);
        }
        assertTrue(b.get("accuracy").asDouble() > 0.9, "toy data is easy: " + b);
        // MNIST-format data always has 10 classes
        assertEquals(64 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10, b.get("params").asLong());
        assertEquals(2L * (64 * 16 + 16 * 8 + 8 * 10), b.get("flops").asLong());
        assertEquals(3, r.get("epochs").size());
        Graph back = ModelFile.load(model, new CpuBackend(1));
        assertEquals(b.get("params").asLong(), back.parameterCount());
    }

    @Test
    void badOptionsGiveOneLineErrors() throws IOException {
        IdxFiles.writeToyDataset(dir, 40, 10, 8, 4, 3);
        String[][] cases = {
            {"--epochs", "0"},
            {"--batch", "-3"},
            {"--optimizer", "lion"},
            {"--hidden", "10,0"},
            {"--lr", "NaN"},
            {"--device", "tpu"},
            {"--report", dir.resolve("missing/r.json").toString()},
        };
        String[] expected = {"--epochs", "batch size", "unknown optimizer", "--hidden", "learning rate", "unknown device",
            "does not exist"};
        for (int i = 0; i < cases.length; i++) {
            err.reset();
            String[] args = new String[cases[i].length + 5];
            args[0] = "train";
            args[1] = "--no-progress";
            args[2] = "--data";
            args[3] = dir.toString();
            args[4] = "--threads=1";
            System.arraycopy(cases[i], 0, args, 5, cases[i].length);
            int rc = Main.run(args);
            String out = stderr().strip();
            assertEquals(1, rc, String.join(" ", cases[i]) + ": " + out);
            String last = out.lines().reduce((a, b) -> b).orElse("");
            assertTrue(last.startsWith("prune4j: error: ") && last.contains(expected[i]), String.join(" ", cases[i]) + " gave: " + out);
            assertFalse(out.contains("\tat "), "no stack trace without --verbose: " + out);
        }
    }

    @Test
    void missingDataFolderNamesThePackage() {
        int rc = Main.run("train", "--no-progress", "--data", dir.resolve("nowhere").toString());
        assertEquals(1, rc);
        assertTrue(stderr().contains("data folder not found") && stderr().contains("dataset-fashion-mnist"), stderr());
    }

    @Test
    void cudaWithoutAGpuIsAClearError() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeFalse(io.prune4j.backend.cuda.CudaRuntime.isAvailable(),
                "a GPU answers here: --device cuda trains (CudaPipelineTest covers that)");
        IdxFiles.writeToyDataset(dir, 40, 10, 8, 4, 3);
        int rc = Main.run("train", "--no-progress", "--data", dir.toString(), "--device", "cuda");
        assertEquals(1, rc);
        assertTrue(stderr().contains("prune4j: error: ") && stderr().toLowerCase().contains("cuda"), stderr());
    }
}
