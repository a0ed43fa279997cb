package io.prune4j.data;

import io.prune4j.MissingFileException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.testing.IdxFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir
    Path dir;

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static byte[] sample() {
        byte[] data = new byte[2 * 3 * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 11);
        }
        return data;
    }

    private String error(Path p) {
        return assertThrows(DataFormatException.class, () -> IdxReader.read(p)).getMessage();
    }

    @Test
    void readsRawAndGzipFilesAlike() throws IOException {
        byte[] idx = IdxFiles.idx(new int[] {2, 3, 4}, sample());
        for (Path p : new Path[] {file("raw", idx), file("gz", IdxFiles.gzip(idx))}) {
            IdxFile f = IdxReader.read(p);
            assertArrayEquals(new int[] {2, 3, 4}, f.dims());
            assertArrayEquals(sample(), f.data());
            assertEquals(2, f.count());
            assertEquals(12, f.itemSize());
        }
    }

    @Test
    void everyTruncationIsAClearError() throws IOException {
        byte[] idx = IdxFiles.idx(new int[] {2, 3, 4}, sample());
        for (int len = 0; len < idx.length; len++) {
            Path p = file("cut" + len, Arrays.copyOf(idx, len));
            String msg = error(p);
            assertTrue(msg.startsWith(p.toString()), msg);
            assertTrue(msg.contains(len == 0 ? "empty" : "truncated"), "length " + len + ": " + msg);
        }
        byte[] gz = IdxFiles.gzip(idx);
        for (int len = 2; len < gz.length; len += 3) {
            String msg = error(file("gzcut" + len, Arrays.copyOf(gz, len)));
            assertTrue(msg.contains("truncated") || msg.contains("gzip"), "gzip length " + len + ": " + msg);
        }
    }

    @Test
    void wrongMagicTypeAndDimensionCount() throws IOException {
        byte[] idx = IdxFiles.idx(new int[] {2, 3, 4}, sample());
        byte[] magic = idx.clone();
        magic[0] = 0x50;
        assertTrue(error(file("magic", magic)).contains("not an IDX file"));
        byte[] type = idx.clone();
        type[2] = 0x0D;
        assertTrue(error(file("type", type)).contains("element type 0xd"));
        byte[] dims = idx.clone();
        dims[3] = 0;
        assertTrue(error(file("dims", dims)).contains("dimension count 0"));
    }

    @Test
    void trailingBytesAndHugeDimensions() throws IOException {
        byte[] idx = IdxFiles.idx(new int[] {2, 3, 4}, sample());
        byte[] extra = Arrays.copyOf(idx, idx.length + 1);
        assertTrue(error(file("extra", extra)).contains("trailing bytes"));
        byte[] huge = IdxFiles.idx(new int[] {65536, 65536}, new byte[0]);
        assertTrue(error(file("huge", huge)).contains("more than 2^31"));
        byte[] neg = IdxFiles.idx(new int[] {-1}, new byte[0]);
        assertTrue(error(file("neg", neg)).contains("too large"));
    }

    /**
     * Found by IdxReaderFuzzTest: a short file whose dimensions promise hundreds of megabytes made
     * the reader allocate all of it before reading (an OutOfMemoryError with a small heap). The
     * buffer now grows with the data that is really there.
     */
    @Test
    void lyingSizeDoesNotAllocateIt() throws IOException {
        byte[] small = IdxFiles.idx(new int[] {2_000_000_000}, new byte[10]);
        byte[] fuzzed = Files.readAllBytes(Path.of("src/test/resources/io/prune4j/data/IdxReaderFuzzTestInputs/idxBytes/"
                + "crash-oom-declares-528MB"));
        for (byte[] bytes : new byte[][] {small, fuzzed, IdxFiles.gzip(small)}) {
            Path p = file("lying", bytes);
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            String msg = error(p);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(msg.contains("truncated data"), msg);
            assertTrue(allocated < 16L << 20, "reading a " + bytes.length + "-byte file allocated " + allocated + " bytes");
        }
    }

    @Test
    void corruptGzipAndMissingFile() throws IOException {
        byte[] gz = IdxFiles.gzip(IdxFiles.idx(new int[] {2, 3, 4}, sample()));
        gz[gz.length / 2] ^= 0x5A;
        gz[gz.length / 2 + 1] ^= 0x33;
        String msg = error(file("corrupt.gz", gz));
        // the damaged stream still inflates (to more bytes than declared): the reader reads on so the CRC check names it
        assertTrue(msg.contains("corrupt gzip data"), msg);
        assertTrue(assertThrows(MissingFileException.class, () -> IdxReader.read(dir.resolve("absent"))).getMessage().contains("file not found"));
    }

    /**
     * A damaged byte in the middle of a gzip stream often still inflates, to a different length;
     * whatever it gives, the error must say the gzip data is bad, not that the IDX header lies.
     */
    @Test
    void damageInsideTheGzipStreamIsNamedAsSuch() throws IOException {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
        byte[] pixels = new byte[300 * 8 * 8];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i % 7 == 0 ? 200 + rng.nextInt(40) : rng.nextInt(40));
        }
        byte[] gz = IdxFiles.gzip(IdxFiles.idx(new int[] {300, 8, 8}, pixels));
        for (int k = 0; k < 40; k++) {
            byte[] bad = gz.clone();
            int at = gz.length / 4 + k * (gz.length / 2) / 40;
            bad[at] ^= 0x5A;
            bad[at + 1] ^= 0x33;
            String msg = error(file("damaged" + k + ".gz", bad));
            assertTrue(msg.contains("corrupt gzip data") || msg.contains("file ends inside the gzip stream"), "byte " + at + ": " + msg);
        }
    }

    @Test
    void mnistLoaderChecksTheFourFilesTogether() throws IOException {
        IdxFiles.writeToyDataset(dir, 50, 20, 8, 4, 1);
        Mnist.Splits s = Mnist.load(dir);
        assertEquals(50, s.train().count());
        assertEquals(20, s.test().count());
        assertEquals(64, s.train().featureSize());

        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxFiles.gzip(IdxFiles.idx(new int[] {19}, new byte[19])));
        String msg = assertThrows(DataFormatException.class, () -> Mnist.load(dir)).getMessage();
        assertTrue(msg.contains("20 test images but 19 labels"), msg);

        Files.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), IdxFiles.gzip(IdxFiles.idx(new int[] {20}, new byte[20])));
        Files.delete(dir.resolve("train-images-idx3-ubyte.gz"));
        msg = assertThrows(MissingFileException.class, () -> Mnist.load(dir)).getMessage();
        assertTrue(msg.contains("train-images-idx3-ubyte") && msg.contains("dataset-fashion-mnist"), msg);

        msg = assertThrows(MissingFileException.class, () -> Mnist.load(dir.resolve("nowhere"))).getMessage();
        assertTrue(msg.contains("data folder not found"), msg);
    }

    @Test
    void labelsOutsideTheClassesAreRejected() throws IOException {
        IdxFiles.writeToyDataset(dir, 10, 10, 8, 4, 2);
        byte[] labels = new byte[10];
        labels[3] = 10;
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), IdxFiles.gzip(IdxFiles.idx(new int[] {10}, labels)));
        String msg = assertThrows(DataFormatException.class, () -> Mnist.load(dir)).getMessage();
        assertTrue(msg.contains("label 10 of example 3"), msg);
    }

    @Test
    void anIdxFileRecordHoldsExactlyItsDimensions() {
        assertEquals("dims", assertThrows(NullPointerException.class, () -> new IdxFile(null, new byte[0])).getMessage());
        assertEquals("data", assertThrows(NullPointerException.class, () -> new IdxFile(new int[] {1}, null)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new IdxFile(new int[0], new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new IdxFile(new int[] {2, 3}, new byte[5]));
        assertThrows(IllegalArgumentException.class, () -> new IdxFile(new int[] {-1, -1}, new byte[1]));
        assertEquals(0, new IdxFile(new int[] {0, 28, 28}, new byte[0]).count());
        assertEquals("file", assertThrows(NullPointerException.class, () -> IdxReader.read((Path) null)).getMessage());
        assertEquals("raw", assertThrows(NullPointerException.class, () -> IdxReader.read(null, "x")).getMessage());
    }
}
