package io.prune4j.cli;

import static io.prune4j.cli.ConsoleCapture.concat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.testing.IdxFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph architectures through every command, on both readers: {@code --arch resnet} and
 * {@code --arch mobilenet} train, save, inspect, prune to a FLOPs budget (saving the compacted network)
 * and sweep, on MNIST-format images (one channel) and on binary CIFAR-10 (three channels, 32×32), each
 * written small by the test. The networks are narrow and the data tiny: this checks that the commands
 * work end to end on these shapes, not accuracy.
 */
class GraphArchCommandTest {
    private static final int CIFAR_RECORD = 1 + 3 * 32 * 32;

    @TempDir
    Path dir;

    @org.junit.jupiter.api.extension.RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    /** CIFAR-10 batch files of random pixels, labels {@code i % 10}. */
    private static void writeCifar(Path data, int train, int test) throws IOException {
        SplittableRandom rng = new SplittableRandom(7);
        for (String[] f : new String[][] {{"data_batch_1.bin", Integer.toString(train)}, {"test_batch.bin", Integer.toString(test)}}) {
            int n = Integer.parseInt(f[1]);
            byte[] b = new byte[n * CIFAR_RECORD];
            for (int i = 0; i < n; i++) {
                b[i * CIFAR_RECORD] = (byte) (i % 10);
                for (int j = 1; j < CIFAR_RECORD; j++) {
                    b[i * CIFAR_RECORD + j] = (byte) rng.nextInt(256);
                }
            }
            Files.write(data.resolve(f[0]), b);
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @CsvSource({"resnet,idx", "resnet,cifar", "mobilenet,idx", "mobilenet,cifar"})
    void trainsInspectsPrunesAndSweeps(String arch, String reader) throws IOException {
        Path data = Files.createDirectory(dir.resolve("data"));
        if (reader.equals("cifar")) {
            writeCifar(data, 96, 32);
        } else {
            IdxFiles.writeToyDataset(data, 96, 32, 12, 4, 3);
        }
        Path model = dir.resolve("model.safetensors");
        Path pruned = dir.resolve("pruned.safetensors");
        Path report = dir.resolve("prune.json");
        Path sweep = dir.resolve("sweep.json");
        String[] common = {"--data", data.toString(), "--arch", arch, "--threads", "1", "--no-progress", "--batch", "32"};

        assertEquals(0, Main.run(concat(new String[] {"train", "--width", "8", "--epochs", "1", "--save", model.toString()}, common)), console.output());
        CpuBackend cpu = new CpuBackend(1);
        Graph trained = ModelFile.load(model, cpu);
        int channels = reader.equals("cifar") ? 3 : 1;
        assertEquals(channels, trained.inputShape()[0], "input channels of the saved " + arch);

        assertEquals(0, Main.run("inspect", "--model", model.toString()), console.output());
        assertTrue(console.output().contains("prunable"), "inspect lists groups:\n" + console.output());

        assertEquals(0, Main.run(concat(new String[] {"prune", "--model", model.toString(), "--target-flops", "0.5",
                "--finetune-epochs", "1", "--save", pruned.toString(), "--report", report.toString()}, common)), console.output());
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        long baseFlops = r.get("baseline").get("flops").asLong();
        long prunedFlops = r.get("pruned").get("flops").asLong();
        assertTrue(prunedFlops <= 0.55 * baseFlops, "FLOPs " + prunedFlops + " of " + baseFlops + " at target 0.5");
        Graph compact = ModelFile.load(pruned, cpu);
        assertEquals(r.get("pruned").get("params").asLong(), compact.parameterCount());
        assertTrue(compact.parameterCount() < trained.parameterCount(), compact.parameterCount() + " vs " + trained.parameterCount());

        assertEquals(0, Main.run(concat(new String[] {"sweep", "--model", model.toString(), "--criteria", "taylor,bn-scale",
                "--flops-targets", "0.5", "--finetune-epochs", "0", "--no-plot", "--json", sweep.toString()}, common)), console.output());
        String json = Files.readString(sweep);
        assertTrue(json.contains("taylor") && json.contains("bn-scale"), json);
    }
}
