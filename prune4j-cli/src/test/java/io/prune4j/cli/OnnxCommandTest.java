package io.prune4j.cli;

import static io.prune4j.cli.ConsoleCapture.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.onnx.OnnxModel;
import io.prune4j.onnx.OnnxReader;
import io.prune4j.testing.IdxFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX through the command line: train and save as ONNX, evaluate with prune4j and with ONNX
 * Runtime (the same accuracy), inspect the file, prune it to an ONNX file with --verify, and prune it
 * without data. Tiny data and networks: this checks the plumbing, not accuracy.
 */
class OnnxCommandTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.api.extension.RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /**
     * A network whose output does not depend on its input (here: zero weights, so only the bias is
     * left) agrees with ONNX Runtime trivially; --verify says so. One whose output does is not flagged.
     */
    @Test
    void verifySaysWhenTheOutputIgnoresTheInput() {
        io.prune4j.testing.OrtAvailable.assume();
        try (io.prune4j.backend.cpu.CpuBackend cpu = new io.prune4j.backend.cpu.CpuBackend(1)) {
            for (boolean dead : new boolean[] {true, false}) {
                io.prune4j.nn.GraphBuilder g = io.prune4j.nn.Graph.builder(cpu, 3, 6);
                g.add(io.prune4j.nn.Dense.create(cpu, "fc", 6, 3, true, false, new java.util.SplittableRandom(1)), io.prune4j.nn.Graph.INPUT);
                try (io.prune4j.nn.Graph net = g.build()) {
                    io.prune4j.nn.Dense fc = (io.prune4j.nn.Dense) net.layers().get(0);
                    if (dead) {
                        cpu.upload(fc.weight().value(), new float[18]);
                        cpu.upload(fc.bias().value(), new float[] {0.5f, -1f, 2f});
                    }
                    console.reset();
                    io.prune4j.onnx.Agreement a = Verify.run(net, null, null, null, 8, 3);
                    assertTrue(a.maxRelative() <= 1e-6, a.toString());
                    assertEquals(dead, console.output().contains("gives the same output"), console.output());
                }
            }
        }
    }

    @Test
    void trainEvaluatePruneAndVerifyAnOnnxModel() throws Exception {
        io.prune4j.testing.OrtAvailable.assume();
        Path data = Files.createDirectory(dir.resolve("data"));
        IdxFiles.writeToyDataset(data, 128, 64, 12, 4, 3);
        Path model = dir.resolve("resnet.onnx");
        Path pruned = dir.resolve("pruned.onnx");
        String[] common = {"--data", data.toString(), "--threads", "1", "--no-progress"};
        assertEquals(0, Main.run(concat(new String[] {"train", "--arch", "resnet", "--width", "8", "--epochs", "1", "--batch", "32", "--save",
                model.toString()}, common)), console.output());

        Path r1 = dir.resolve("ev1.json");
        Path r2 = dir.resolve("ev2.json");
        assertEquals(0, Main.run(concat(new String[] {"evaluate", "--model", model.toString(), "--seconds", "0.1", "--report", r1.toString()},
                common)), console.output());
        assertEquals(0, Main.run(concat(new String[] {"evaluate", "--model", model.toString(), "--engine", "onnxruntime", "--seconds", "0.1",
                "--report", r2.toString()}, common)), console.output());
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(r1.toFile()).get("baseline");
        JsonNode b = json.readTree(r2.toFile()).get("baseline");
        assertEquals(a.get("accuracy").asDouble(), b.get("accuracy").asDouble(), 1.0 / 64, "the same accuracy from both engines");
        assertEquals(a.get("loss").asDouble(), b.get("loss").asDouble(), 1e-3, "and the same loss");
        assertEquals(a.get("params").asLong(), b.get("params").asLong());
        assertTrue(b.get("infer_samples_per_s_b256").asDouble() > 0);

        console.reset();
        assertEquals(0, Main.run("inspect", model.toString()), console.output());
        assertTrue(console.output().contains("prunable") && console.output().contains("s1b1.conv1"), console.output());

        Path report = dir.resolve("prune.json");
        assertEquals(0, Main.run(concat(new String[] {"prune", "--model", model.toString(), "--target-flops", "0.5", "--finetune-epochs", "1",
                "--batch", "32", "--save", pruned.toString(), "--verify", "16", "--report", report.toString()}, common)), console.output());
        JsonNode r = json.readTree(report.toFile());
        assertTrue(r.get("verify").get("max_rel_diff").asDouble() <= 1e-4, r.get("verify").toString());
        assertTrue(r.get("pruned").get("flops").asLong() <= 0.55 * r.get("baseline").get("flops").asLong(), r.toString());
        for (String key : new String[] {"baseline", "pruned", "layers", "timings", "config", "rounds"}) {
            assertTrue(r.has(key), "report key " + key);
        }
        try (CpuBackend cpu = new CpuBackend(1); OnnxModel back = OnnxReader.read(pruned, cpu, null)) {
            assertEquals(r.get("pruned").get("params").asLong(), back.graph().parameterCount(), "the file holds the pruned network");
            assertEquals("taylor", back.metadata().get("prune4j.criterion"));
            assertEquals("flops 0.5", back.metadata().get("prune4j.target"));
            assertTrue(back.metadata().get("prune4j.kept_units").contains("\"s1b1.conv1\""), back.metadata().toString());
            JsonNode groups = json.readTree(back.metadata().get("prune4j.kept_groups"));
            assertTrue(groups.size() >= 4, "kept units per group: " + groups);
            groups.fields().forEachRemaining(e -> assertTrue(e.getValue().get(1).asInt() <= e.getValue().get(0).asInt()
                    && e.getValue().get(1).asInt() >= 1, e.toString()));
            assertNotEquals(null, back.metadata().get("prune4j.version"));
        }

        // a budget the rounding cannot reach (every group keeps at least 8 of its 8 to 32 channels) is said, not hidden
        console.reset();
        assertEquals(0, Main.run(concat(new String[] {"prune", "--model", model.toString(), "--target-flops", "0.05", "--round-to", "8",
                "--finetune-epochs", "0"}, common)), console.output());
        assertTrue(console.output().contains("note: the FLOPs budget 0.050 was not reached"), console.output());

        // without data: a data-free criterion and no fine-tuning; accuracy is left out of the report
        Path free = dir.resolve("free.json");
        console.reset();
        assertEquals(0, Main.run("prune", "--model", model.toString(), "--data", "none", "--criterion", "magnitude", "--sparsity", "0.5",
                "--finetune-epochs", "0", "--threads", "1", "--no-progress", "--verify", "8", "--report", free.toString()), console.output());
        JsonNode f = json.readTree(free.toFile());
        assertFalse(f.get("pruned").has("accuracy"), "no accuracy without data: " + f.get("pruned"));
        assertTrue(f.get("pruned").get("params").asLong() < f.get("baseline").get("params").asLong());
        assertTrue(console.output().contains("no data: accuracy not measured"), console.output());

        // a criterion that needs data, without data: one line saying so
        console.reset();
        assertEquals(1, Main.run("prune", "--model", model.toString(), "--data", "none", "--finetune-epochs", "0", "--threads", "1",
                "--no-progress"), console.output());
        assertTrue(console.err().contains("pruning without data: criterion taylor"), console.output());
    }
}
