package io.prune4j.data;

import java.nio.file.Path;
import java.util.Objects;

/** Picks the reader for a data folder: binary CIFAR-10 when it has {@code data_batch_1.bin}, else MNIST-format IDX files. */
public final class DataSets {
    private DataSets() {}

    /**
     * The training and test splits in {@code dir}: {@link Cifar10#load} when it has
     * {@code data_batch_1.bin}, else {@link Mnist#load}.
     *
     * @param dir the data folder
     * @return both splits, each with the data set's own pixel scaling
     * @throws DataFormatException  when the folder is missing or a file is not in the expected format
     * @throws io.prune4j.MissingFileException when a file the format needs is not there
     */
    public static Mnist.Splits load(Path dir) {
        Objects.requireNonNull(dir, "dir");
        return Cifar10.isCifarFolder(dir) ? Cifar10.load(dir) : Mnist.load(dir);
    }

    /**
     * As {@link #load(Path)}, with pixels scaled to {@code (p/255 − mean_c) / std_c} instead of the data
     * set's own statistics (Fashion-MNIST 0.2860 / 0.3530; CIFAR-10 its per-channel ones), for a model
     * trained with another scaling: {@code mean} and {@code std} hold one value, or one per channel.
     * Null for both keeps the data set's; null for one of them keeps the data set's value for that one.
     *
     * @param dir  the data folder
     * @param mean the mean of {@code p/255} to subtract, one value or one per channel, or null
     * @param std  the standard deviation to divide by, one value or one per channel, each &gt; 0, or null
     * @return both splits, scaled alike
     * @throws io.prune4j.InvalidSettingException when {@code mean} or {@code std} has another number of values,
     *                                            or a standard deviation is not a positive number
     * @throws DataFormatException  as {@link #load(Path)}
     * @throws io.prune4j.MissingFileException as {@link #load(Path)}
     */
    public static Mnist.Splits load(Path dir, float[] mean, float[] std) {
        Objects.requireNonNull(dir, "dir");
        boolean cifar = Cifar10.isCifarFolder(dir);
        Mnist.Splits s = cifar ? Cifar10.load(dir) : Mnist.load(dir);
        if (mean == null && std == null) {
            return s;
        }
        float[] m0 = cifar ? Cifar10.MEAN : new float[] {Mnist.MEAN};
        float[] s0 = cifar ? Cifar10.STD : new float[] {Mnist.STD};
        return new Mnist.Splits(rescale(s.train(), m0, s0, mean, std), rescale(s.test(), m0, s0, mean, std));
    }

    private static Dataset rescale(Dataset d, float[] m0, float[] s0, float[] mean, float[] std) {
        int channels = m0.length;
        float[] m = perChannel(mean == null ? m0 : mean, channels, "the input mean");
        float[] s = perChannel(std == null ? s0 : std, channels, "the input standard deviation");
        for (float v : s) {
            if (!(v > 0) || !Float.isFinite(v)) {
                throw new io.prune4j.InvalidSettingException("input standard deviations must be positive, got " + v);
            }
        }
        float[] f = d.features().clone();
        int plane = d.featureSize() / channels;
        for (int i = 0; i < f.length; i++) {
            int c = (i % d.featureSize()) / plane;
            float p = f[i] * s0[c] + m0[c]; // back to p/255
            f[i] = (p - m[c]) / s[c];
        }
        return new Dataset(d.name(), f, d.labels(), d.count(), d.featureSize(), d.classes(), d.sampleShape());
    }

    private static float[] perChannel(float[] v, int channels, String option) {
        if (v.length == channels) {
            return v;
        }
        if (v.length == 1) {
            float[] out = new float[channels];
            java.util.Arrays.fill(out, v[0]);
            return out;
        }
        throw new io.prune4j.InvalidSettingException(option + " takes one value or one per channel (" + channels + "), got " + v.length);
    }
}
