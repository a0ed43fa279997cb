package io.prune4j.data;

import io.prune4j.MissingFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * MNIST-format image classification data (Fashion-MNIST by default): the four IDX files
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}
 * and {@code t10k-labels-idx1-ubyte}, each raw or with {@code .gz}.
 *
 * <p>Pixels become {@code (p/255 − mean) / std} with Fashion-MNIST's training-set statistics, so
 * inputs are centred for training; the same constants are used for every split.
 */
public final class Mnist {
    /** Where Debian's {@code dataset-fashion-mnist} package puts the files. */
    public static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** The number of classes, 10. */
    public static final int CLASSES = 10;
    static final float MEAN = 0.2860f;
    static final float STD = 0.3530f;

    private static final String HOW_TO_GET = "install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or give the folder of an MNIST-format data set";

    /**
     * The training and test splits (of any data set; CIFAR-10 returns them too).
     *
     * @param train the training split; not null
     * @param test  the test split; not null
     */
    public record Splits(Dataset train, Dataset test) {
        /**
         * Checks that both splits are there.
         *
         * @param train the training split; not null
         * @param test  the test split; not null
         * @throws NullPointerException when {@code train} or {@code test} is null
         */
        public Splits {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(test, "test");
        }
    }

    private Mnist() {}

    /**
     * Reads the four IDX files in {@code dir} (each raw or {@code .gz}): images must have 3
     * dimensions, labels 1, as many of each, labels in 0–9.
     *
     * @param dir the data folder, e.g. {@link #FASHION_MNIST_DIR}
     * @return the splits, named {@code fashion-mnist/train} and {@code fashion-mnist/test}, examples {@code [1, rows, cols]}
     * @throws DataFormatException  when {@code dir} is not a folder, a file is not a valid IDX file of the expected
     *                              dimensions, or the counts, labels or image sizes do not agree
     * @throws MissingFileException when {@code dir} does not exist, or one of the files is there neither raw nor as {@code .gz}
     */
    public static Splits load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        if (!Files.exists(dir)) {
            throw new MissingFileException(dir, "data folder", HOW_TO_GET);
        }
        if (!Files.isDirectory(dir)) {
            throw new DataFormatException(dir + ": is not a folder; expected the folder of the four MNIST-format files");
        }
        Dataset train = load(dir, "train", "train");
        Dataset test = load(dir, "t10k", "test");
        if (train.featureSize() != test.featureSize()) {
            throw new DataFormatException(dir + ": training images have " + train.featureSize() + " pixels but test images have "
                    + test.featureSize());
        }
        return new Splits(train, test);
    }

    private static Dataset load(Path dir, String prefix, String split) {
        IdxFile images = IdxReader.read(find(dir, prefix + "-images-idx3-ubyte"));
        IdxFile labels = IdxReader.read(find(dir, prefix + "-labels-idx1-ubyte"));
        if (images.dims().length != 3) {
            throw new DataFormatException(dir.resolve(prefix + "-images-idx3-ubyte") + ": expected 3 dimensions (count, rows, cols), got "
                    + images.dims().length);
        }
        if (labels.dims().length != 1) {
            throw new DataFormatException(dir.resolve(prefix + "-labels-idx1-ubyte") + ": expected 1 dimension (count), got "
                    + labels.dims().length);
        }
        if (images.count() != labels.count()) {
            throw new DataFormatException(dir + ": " + images.count() + " " + split + " images but " + labels.count() + " labels");
        }
        byte[] lb = labels.data();
        for (int i = 0; i < lb.length; i++) {
            if ((lb[i] & 0xff) >= CLASSES) {
                // checked here, not only in Dataset, so the message names the file
                throw new DataFormatException(find(dir, prefix + "-labels-idx1-ubyte") + ": label " + (lb[i] & 0xff) + " of example " + i
                        + " outside [0, " + CLASSES + ")");
            }
        }
        return fromIdx("fashion-mnist/" + split, images, labels);
    }

    static Dataset fromIdx(String name, IdxFile images, IdxFile labels) {
        int n = images.count();
        int size = images.itemSize();
        byte[] px = images.data();
        float[] features = new float[px.length];
        float a = 1f / (255f * STD);
        float b = -MEAN / STD;
        for (int i = 0; i < px.length; i++) {
            features[i] = (px[i] & 0xff) * a + b;
        }
        int[] y = new int[n];
        byte[] lb = labels.data();
        for (int i = 0; i < n; i++) {
            y[i] = lb[i] & 0xff;
        }
        int[] dims = images.dims();
        int[] shape = dims.length == 3 ? new int[] {1, dims[1], dims[2]} : new int[] {size};
        return new Dataset(name, features, y, n, size, CLASSES, shape);
    }

    private static Path find(Path dir, String base) {
        Path raw = dir.resolve(base);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new MissingFileException(raw, "nor " + gz.getFileName() + "; " + HOW_TO_GET);
    }
}
