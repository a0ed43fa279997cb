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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prune} and {@code sweep} end to end on a small data set the test writes. */
class PruneCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream oldErr;

    @BeforeEach
    void setUp() {
        oldErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        IdxFiles.writeToyDataset(dir, 300, 100, 8, 4, 5);
    }

    @AfterEach
    void restore() {
        System.setErr(oldErr);
    }

    private int run(String... extra) {
        List<String> args = new ArrayList<>(List.of("--data", dir.toString(), "--hidden", "16,8", "--epochs", "2", "--batch", "32",
                "--lr", "0.01", "--threads", "1", "--no-progress", "--calibration-batches", "2", "--finetune-epochs", "1"));
        args.addAll(0, List.of(extra).subList(0, 1));
        args.addAll(List.of(extra).subList(1, extra.length));
        return Main.run(args.toArray(new String[0]));
    }

    @Test
    void pruneReportsBaselineAndPrunedFigures() throws IOException {
        Path report = dir.resolve("r.json");
        Path model = dir.resolve("pruned.safetensors");
        assertEquals(0, run("prune", "--report", report.toString(), "--save", model.toString()), err.toString());
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        for (String section : new String[] {"baseline", "pruned"}) {
            for (String key : new String[] {"accuracy", "loss", "params", "nonzero_params", "flops", "infer_samples_per_s_b256",
                "latency_ms_b1", "file_bytes"}) {
                assertTrue(r.get(section).has(key), section + "." + key + " missing: " + r);
            }
        }
        assertTrue(r.get("baseline").has("train_samples_per_s"));
        assertEquals(3, r.get("layers").size());
        assertEquals(8, r.get("layers").get(0).get("out").asInt());
        assertEquals(4, r.get("layers").get(1).get("out").asInt());
        for (String key : new String[] {"train_s", "score_s", "prune_s", "finetune_s", "total_s"}) {
            assertTrue(r.get("timings").has(key), key);
        }
        long pruned = r.get("pruned").get("params").asLong();
        assertTrue(pruned < r.get("baseline").get("params").asLong());
        Graph back = ModelFile.load(model, new CpuBackend(1));
        assertEquals(pruned, back.parameterCount());
        assertEquals(Files.size(model), r.get("pruned").get("file_bytes").asLong());
    }

    @Test
    void convolutionalNetworkIsPrunedChannelByChannel() throws IOException {
        Path report = dir.resolve("cnn.json");
        Path model = dir.resolve("cnn.safetensors");
        assertEquals(0, Main.run(new String[] {"prune", "--data", dir.toString(), "--arch", "cnn", "--channels", "4,6", "--hidden", "12",
            "--epochs", "2", "--batch", "32", "--lr", "0.01", "--threads", "1", "--no-progress", "--calibration-batches", "2",
            "--finetune-epochs", "1", "--sparsity", "0.5", "--report", report.toString(), "--save", model.toString()}), err.toString());
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        JsonNode layers = r.get("layers");
        assertEquals(4, layers.size(), layers.toString());
        // conv1 1→4, conv2 4→6, fc1 (6·2·2)→12, fc2 12→10 classes; half of each hidden layer's units go
        int[] out = {2, 3, 6, 10};
        int[] in = {1, 2, 12, 6};
        for (int i = 0; i < 4; i++) {
            assertEquals(out[i], layers.get(i).get("out").asInt(), layers.get(i).toString());
            assertEquals(in[i], layers.get(i).get("in").asInt(), layers.get(i).toString());
        }
        double flops = r.get("pruned").get("flops").asDouble() / r.get("baseline").get("flops").asDouble();
        assertTrue(flops < 0.4, "FLOPs ratio " + flops);
        Graph back = ModelFile.load(model, new CpuBackend(1));
        assertEquals(r.get("pruned").get("params").asLong(), back.parameterCount());
        assertTrue(back.describe().startsWith("Conv2d conv1 (1→2"), back.describe());

        err.reset();
        assertEquals(1, run("prune", "--arch", "mlp", "--model", model.toString()));
        assertTrue(err.toString().contains("holds a cnn"), err.toString());
    }

    @Test
    void unstructuredPruningKeepsShapesAndZeroesWeights() throws IOException {
        Path report = dir.resolve("u.json");
        assertEquals(0, run("prune", "--unstructured", "--scope", "global", "--criterion", "magnitude", "--sparsity", "0.8", "--report",
                report.toString()), err.toString());
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertEquals(r.get("baseline").get("params").asLong(), r.get("pruned").get("params").asLong());
        long weights = 0;
        long nonzero = 0;
        for (JsonNode l : r.get("layers")) {
            weights += l.get("weights").asLong();
            nonzero += l.get("nonzero_weights").asLong();
        }
        assertEquals(0.2, (double) nonzero / weights, 0.01);
    }

    @Test
    void sweepWritesAPlotAndItsNumbers() throws IOException {
        Path png = dir.resolve("s.png");
        Path json = dir.resolve("s.json");
        assertEquals(0, run("sweep", "--criteria", "taylor,magnitude,random", "--sparsities", "0.25,0.5", "--plot", png.toString(),
                "--json", json.toString()), err.toString());
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
        assertEquals("\u0089PNG", new String(head, StandardCharsets.ISO_8859_1));
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, r.get("criteria").size());
        assertEquals(2, r.get("criteria").get("taylor").size());
    }

    @Test
    void sweepWithNoPlotWritesOnlyTheNumbers() throws IOException {
        Path png = dir.resolve("none.png");
        Path json = dir.resolve("n.json");
        assertEquals(0, run("sweep", "--criteria", "magnitude", "--sparsities", "0.5", "--no-plot", "--plot", png.toString(),
                "--json", json.toString()), err.toString());
        assertFalse(Files.exists(png), "--no-plot drew a plot");
        assertEquals(1, new ObjectMapper().readTree(json.toFile()).get("criteria").get("magnitude").size());
    }

    @Test
    void badPruningOptionsGiveOneLineErrors() {
        String[][] cases = {
            {"prune", "--sparsity", "1.0"},
            {"prune", "--sparsity=-0.1"},
            {"prune", "--threshold", "NaN"},
            {"prune", "--keep", "99"},
            {"prune", "--criterion", "oracle"},
            {"prune", "--unstructured", "--criterion", "apoz"},
            {"prune", "--schedule", "iterative", "--keep", "3"},
            {"prune", "--device", "cuda"},
            {"prune", "--model", dir.resolve("missing.safetensors").toString()},
            {"prune", "--calibration-batches", "0"},
            {"prune", "--finetune-epochs", "-1"},
        };
        String[] expected = {"sparsity", "sparsity", "threshold", "larger than", "unknown criterion", "scores units only",
            "target sparsity", "cuda", "file not found", "calibration batches", "--finetune-epochs"};
        for (int i = 0; i < cases.length; i++) {
            if (cases[i][cases[i].length - 1].equals("cuda") && io.prune4j.backend.cuda.CudaRuntime.isAvailable()) {
                continue;   // a GPU answers here: --device cuda is no error
            }
            err.reset();
            int rc = run(cases[i]);
            String out = err.toString(StandardCharsets.UTF_8).strip();
            String last = out.lines().reduce((a, b) -> b).orElse("");
            assertEquals(1, rc, String.join(" ", cases[i]) + ": " + out);
            assertTrue(last.startsWith("prune4j: error: ") && last.toLowerCase().contains(expected[i].toLowerCase()),
                    String.join(" ", cases[i]) + " gave: " + last);
            assertFalse(out.contains("\tat "), out);
        }
    }
}
