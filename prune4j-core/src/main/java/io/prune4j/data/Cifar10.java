package io.prune4j.data;

import io.prune4j.MissingFileException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * CIFAR-10 in its binary distribution ({@code cifar-10-batches-bin}): {@code data_batch_1.bin} …
 * {@code data_batch_5.bin} for training and {@code test_batch.bin} for testing. Each record is one
 * label byte (0–9) followed by 3072 pixel bytes, the 32×32 red plane, then green, then blue, each
 * row by row — already the {@code [3, 32, 32]} CHW layout the convolutions take.
 *
 * <p>Pixels become {@code (p/255 − mean_c) / std_c} with the per-channel statistics of the CIFAR-10
 * training set, the same constants for every split. The data set is not redistributed with Debian;
 * users who have it pass its folder to {@link #load} (on the command line, {@code --data}).
 */
public final class Cifar10 {
    /** The number of classes, 10. */
    public static final int CLASSES = 10;
    /** The channels of one image, 3 (RGB). */
    public static final int CHANNELS = 3;
    /** The height and the width of one image, 32. */
    public static final int SIZE = 32;
    static final int PIXELS = CHANNELS * SIZE * SIZE;
    static final int RECORD = 1 + PIXELS;
    /** Training-set channel means and standard deviations (R, G, B) of pixel/255. */
    static final float[] MEAN = {0.4914f, 0.4822f, 0.4465f};
    static final float[] STD = {0.2470f, 0.2435f, 0.2616f};
    static final String TEST_FILE = "test_batch.bin";

    private Cifar10() {}

    /**
     * One image's layout, CHW.
     *
     * @return {@code [3, 32, 32]}, a new array the caller owns
     */
    public static int[] sampleShape() {
        return new int[] {CHANNELS, SIZE, SIZE};
    }

    /**
     * True when {@code dir} looks like the binary CIFAR-10 folder (it has {@code data_batch_1.bin}).
     *
     * @param dir the folder
     * @return whether {@code dir/data_batch_1.bin} is a regular file
     */
    public static boolean isCifarFolder(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return Files.isRegularFile(dir.resolve("data_batch_1.bin"));
    }

    /**
     * Every {@code data_batch_N.bin} present (at least the first) as the training split, {@code test_batch.bin} as the test split.
     *
     * @param dir the {@code cifar-10-batches-bin} folder
     * @return the splits, named {@code cifar-10/train} and {@code cifar-10/test}
     * @throws DataFormatException  when {@code dir} is not a folder, or a file is not whole records or cannot be read
     * @throws MissingFileException when {@code dir} does not exist, or {@code data_batch_1.bin} or {@code test_batch.bin} is missing
     */
    public static Mnist.Splits load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.exists(dir)) {
            throw new MissingFileException(dir, "data folder", null);
        }
        if (!Files.isDirectory(dir)) {
            throw new DataFormatException(dir + ": is not a folder; expected the folder of the binary CIFAR-10 files");
        }
        List<Path> train = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            Path f = dir.resolve("data_batch_" + i + ".bin");
            if (Files.isRegularFile(f)) {
                train.add(f);
            } else if (i == 1) {
                throw new MissingFileException(f, "expected the binary CIFAR-10 files (cifar-10-batches-bin)");
            }
        }
        return new Mnist.Splits(read("cifar-10/train", train), read("cifar-10/test", List.of(dir.resolve(TEST_FILE))));
    }

    /**
     * Reads and concatenates batch files; each must be a whole number of 3073-byte records with labels in 0–9.
     *
     * @param name  the name of the data set
     * @param files the batch files, read in this order
     * @return the examples, scaled per channel, {@code [3, 32, 32]} each
     * @throws DataFormatException  when a file is empty, not whole records, has a label above 9, or cannot be read,
     *                              or the images do not fit in one Java array
     * @throws MissingFileException when a file is missing
     */
    public static Dataset read(String name, List<Path> files) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(files, "files");
        long total = 0;
        for (Path f : files) {
            long size = size(f);
            if (size == 0 || size % RECORD != 0) {
                throw new DataFormatException(f + ": " + size + " bytes is not a whole number of " + RECORD
                        + "-byte CIFAR-10 records (1 label byte + 3072 pixels)");
            }
            total += size / RECORD;
        }
        if (total * PIXELS > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(name + ": " + total + " images do not fit in one Java array");
        }
        int n = (int) total;
        float[] features = new float[n * PIXELS];
        int[] labels = new int[n];
        float[] scale = new float[3];
        float[] shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = 1f / (255f * STD[c]);
            shift[c] = -MEAN[c] / STD[c];
        }
        byte[] record = new byte[RECORD];
        int example = 0;
        for (Path f : files) {
            try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                long records = size(f) / RECORD;
                for (long r = 0; r < records; r++, example++) {
                    if (in.readNBytes(record, 0, RECORD) != RECORD) {
                        throw new DataFormatException(f + ": ends inside record " + r + " (the file changed while being read?)");
                    }
                    int label = record[0] & 0xff;
                    if (label >= CLASSES) {
                        throw new DataFormatException(f + ": record " + r + " has label " + label + ", expected 0–9");
                    }
                    labels[example] = label;
                    int base = example * PIXELS;
                    for (int i = 0; i < PIXELS; i++) {
                        int c = i >> 10; // 1024 pixels per colour plane
                        features[base + i] = (record[1 + i] & 0xff) * scale[c] + shift[c];
                    }
                }
            } catch (IOException e) {
                throw new DataFormatException(f + ": cannot read: " + e.getMessage(), e);
            }
        }
        return new Dataset(name, features, labels, n, PIXELS, CLASSES, sampleShape());
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (NoSuchFileException e) {
            throw new MissingFileException(f, "expected the binary CIFAR-10 files (cifar-10-batches-bin)");
        } catch (IOException e) {
            throw new DataFormatException(f + ": cannot read: " + e.getMessage(), e);
        }
    }
}
