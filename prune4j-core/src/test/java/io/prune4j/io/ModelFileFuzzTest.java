package io.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
import io.prune4j.testing.FuzzSeeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jazzer fuzz test of {@link ModelFile#load}: for any bytes the loader must either return a
 * network that runs (one forward pass gives {@code [1, outputs]}) or throw a
 * {@link ModelFormatException} with a one-line message naming the file. Anything else is a
 * finding.
 *
 * <p>Seeds and findings: {@code src/test/resources/io/prune4j/io/ModelFileFuzzTestInputs/modelBytes/};
 * see {@link io.prune4j.data.IdxReaderFuzzTest} for the two modes.
 */
class ModelFileFuzzTest {
    private static final Backend CPU = new CpuBackend(1);
    /** One scratch file for every execution, in memory where there is a tmpfs (the loader reads a path). */
    private static final Path FILE = scratchFile();

    private static Path scratchFile() {
        try {
            Path shm = Path.of("/dev/shm");
            Path f = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempFile(shm, "prune4j-fuzz", ".safetensors")
                    : Files.createTempFile("prune4j-fuzz", ".safetensors");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The header's words, so mutations can build headers the JSON parser (not instrumented) accepts. */
    @DictionaryEntries({"\"dtype\"", "\"F32\"", "\"F16\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"",
        "\"prune4j.architecture\"", "\\\"layers\\\"", "\\\"input\\\"", "\\\"type\\\"", "\\\"dense\\\"",
        "\\\"relu\\\"", "\\\"name\\\"", "\\\"in\\\"", "\\\"out\\\"", "\\\"fc1\\\"", ".weight\"", ".bias\"",
        "[0,0]", "[]", "{}", "true", "false", "null", "-1", "1e999", "18446744073709551616", "2147483648"})
    @FuzzTest(maxDuration = "60s")
    void modelBytes(byte[] input) throws IOException {
        Files.write(FILE, input);
        Graph net;
        try {
            net = ModelFile.load(FILE, CPU);
        } catch (ModelFormatException e) {
            String msg = e.getMessage();
            assertTrue(msg.startsWith(FILE + ": ") && !msg.contains("\n") && msg.length() <= 2000,
                    "not a one-line message naming the file: " + msg);
            return;
        }
        try (net; Tensor x = CPU.zeros(io.prune4j.tensor.DType.FLOAT32, 1, net.inputSize())) {
            int[] out = new int[net.outputShape().length + 1]; // a vector of scores, or a map
            out[0] = 1;
            System.arraycopy(net.outputShape(), 0, out, 1, out.length - 1);
            assertArrayEquals(out, net.forward(x, false).shape());
        }
    }

    /**
     * The bytes are the JSON header only; the harness writes its true length in front and 1 KiB of
     * finite floats behind it. Mutating the whole file mostly breaks the length field; this target
     * spends its time on what the header says (offsets, shapes, dtypes, the architecture).
     */
    @DictionaryEntries({"\"dtype\"", "\"F32\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"",
        "\"prune4j.architecture\"", "\\\"layers\\\"", "\\\"input\\\"", "\\\"type\\\"", "\\\"dense\\\"",
        "\\\"relu\\\"", "\\\"name\\\"", "\\\"in\\\"", "\\\"out\\\"", "1024", "18446744073709551616", "2147483648"})
    @FuzzTest(maxDuration = "60s")
    void modelHeader(byte[] header) throws IOException {
        ByteBuffer file = ByteBuffer.allocate(8 + header.length + DATA.length).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(header.length).put(header).put(DATA);
        modelBytes(file.array());
    }

    /** 256 finite, distinct floats: the data section behind a fuzzed header. */
    private static final byte[] DATA = data();

    private static byte[] data() {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 256; i++) {
            b.putFloat((i - 128) / 64f);
        }
        return b.array();
    }

    /** The committed seeds load, so fuzzing starts from inputs that reach the architecture checks. */
    @Test
    void seedsAreValidFiles(@TempDir Path dir) throws IOException {
        List<Path> seeds = FuzzSeeds.committed(ModelFileFuzzTest.class, "modelBytes");
        assertTrue(seeds.size() >= 2, "seeds " + seeds);
        for (Path p : seeds) {
            try (Graph net = ModelFile.load(p, CPU)) {
                assertTrue(net.parameterCount() > 0, p.toString());
            }
        }
        List<Path> headers = FuzzSeeds.committed(ModelFileFuzzTest.class, "modelHeader");
        assertTrue(headers.size() >= 2, "seeds " + headers);
        for (Path p : headers) {
            byte[] h = Files.readAllBytes(p);
            ByteBuffer file = ByteBuffer.allocate(8 + h.length + DATA.length).order(ByteOrder.LITTLE_ENDIAN);
            Path f = dir.resolve("h.safetensors");
            Files.write(f, file.putLong(h.length).put(h).put(DATA).array());
            try (Graph net = ModelFile.load(f, CPU)) {
                assertTrue(net.parameterCount() > 0, p.toString());
            }
        }
    }
}
