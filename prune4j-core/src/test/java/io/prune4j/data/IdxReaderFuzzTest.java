package io.prune4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.prune4j.testing.FuzzSeeds;
import io.prune4j.testing.IdxFiles;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzz tests of {@link IdxReader}. For any bytes the reader must either return a file whose
 * data length is the product of its dimensions or throw a {@link DataFormatException} with a
 * one-line message naming the input; anything else (another exception, an out-of-memory from a
 * size taken on trust, a hang) is a finding.
 *
 * <p>{@code mvn test} replays the seeds and findings in
 * {@code src/test/resources/io/prune4j/data/IdxReaderFuzzTestInputs/<method>/} (regression mode);
 * {@code scripts/fuzz.sh} fuzzes each target for a while ({@code JAZZER_FUZZ=1}), and writes what
 * it finds there, so that every finding is replayed from then on.
 */
class IdxReaderFuzzTest {
    /** The bytes as a file on disk: raw IDX, gzip-compressed IDX, or garbage of either kind. */
    @FuzzTest(maxDuration = "60s")
    void idxBytes(byte[] input) {
        check(input);
    }

    /**
     * The bytes gzip-compressed before reading, so the mutations reach the IDX parser behind a
     * valid gzip stream (which returns data in pieces, unlike a raw file).
     */
    @FuzzTest(maxDuration = "60s")
    void idxBehindGzip(byte[] input) {
        check(IdxFiles.gzip(input));
    }

    private static void check(byte[] bytes) {
        try {
            IdxFile f = IdxReader.read(new BufferedInputStream(new ByteArrayInputStream(bytes)), "fuzz");
            long product = 1;
            for (int d : f.dims()) {
                product *= d;
            }
            assertEquals(product, f.data().length, "data length against dimensions");
        } catch (DataFormatException e) {
            String msg = e.getMessage();
            assertTrue(msg.startsWith("fuzz: ") && !msg.contains("\n"), "not a one-line message naming the input: " + msg);
        }
    }

    /** The committed seeds are valid files, so fuzzing starts from inputs that reach the data. */
    @Test
    void seedsAreValidFiles() throws IOException {
        for (String method : List.of("idxBytes", "idxBehindGzip")) {
            List<Path> seeds = FuzzSeeds.committed(IdxReaderFuzzTest.class, method);
            assertTrue(seeds.size() >= 2, method + ": seeds " + seeds);
            for (Path p : seeds) {
                byte[] b = Files.readAllBytes(p);
                IdxFile f = IdxReader.read(new ByteArrayInputStream(method.equals("idxBytes") ? b : IdxFiles.gzip(b)), p.toString());
                assertTrue(f.data().length > 0, p.toString());
            }
        }
    }
}
