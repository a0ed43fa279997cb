package io.prune4j.data;

import io.prune4j.MissingFileException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CIFAR-10 binary reader on batch files this test writes in the documented record layout. */
class Cifar10Test {
    @TempDir
    Path dir;

    /** {@code n} records with labels {@code i % 10} and pixels from {@code seed}; returns the raw bytes. */
    private static byte[] write(Path file, int n, long seed) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] b = new byte[n * Cifar10.RECORD];
        for (int i = 0; i < n; i++) {
            b[i * Cifar10.RECORD] = (byte) (i % 10);
            for (int j = 1; j < Cifar10.RECORD; j++) {
                b[i * Cifar10.RECORD + j] = (byte) rng.nextInt(256);
            }
        }
        Files.write(file, b);
        return b;
    }

    @Test
    void readsLabelsAndNormalisedChwPixelsAcrossBatchFiles() throws IOException {
        byte[] b1 = write(dir.resolve("data_batch_1.bin"), 3, 1);
        write(dir.resolve("data_batch_2.bin"), 2, 2);
        write(dir.resolve("test_batch.bin"), 4, 3);
        assertTrue(Cifar10.isCifarFolder(dir));
        Mnist.Splits s = DataSets.load(dir);
        assertEquals(5, s.train().count());
        assertEquals(4, s.test().count());
        assertArrayEquals(new int[] {3, 32, 32}, s.train().sampleShape());
        assertArrayEquals(new int[] {0, 1, 2, 0, 1}, s.train().labels());
        // example 1, green plane (channel 1), row 5, column 7
        int pixel = 1024 + 5 * 32 + 7;
        float expected = ((b1[Cifar10.RECORD + 1 + pixel] & 0xff) / 255f - Cifar10.MEAN[1]) / Cifar10.STD[1];
        assertEquals(expected, s.train().features()[Cifar10.PIXELS + pixel], 1e-6);
    }

    @Test
    void badFilesGiveErrorsNamingTheFile() throws IOException {
        MissingFileException missing = assertThrows(MissingFileException.class, () -> Cifar10.load(dir));
        assertTrue(missing.getMessage().contains("data_batch_1.bin"), missing.getMessage());

        byte[] good = write(dir.resolve("data_batch_1.bin"), 2, 1);
        Files.write(dir.resolve("test_batch.bin"), Arrays.copyOf(good, good.length - 1));
        DataFormatException truncated = assertThrows(DataFormatException.class, () -> Cifar10.load(dir));
        assertTrue(truncated.getMessage().contains("test_batch.bin") && truncated.getMessage().contains("whole number"),
                truncated.getMessage());

        good[Cifar10.RECORD] = 10;
        Files.write(dir.resolve("test_batch.bin"), good);
        DataFormatException label = assertThrows(DataFormatException.class, () -> Cifar10.load(dir));
        assertTrue(label.getMessage().contains("label 10"), label.getMessage());

        Files.write(dir.resolve("empty.bin"), new byte[0]);
        assertThrows(DataFormatException.class, () -> Cifar10.read("x", List.of(dir.resolve("empty.bin"))));
    }
}
