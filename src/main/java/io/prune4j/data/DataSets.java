package io.prune4j.data;

import java.nio.file.Path;

/** Picks the reader for a data folder: binary CIFAR-10 when it has {@code data_batch_1.bin}, else MNIST-format IDX files. */
public final class DataSets {
    private DataSets() {}

    public static Mnist.Splits load(Path dir) {
        return Cifar10.isCifarFolder(dir) ? Cifar10.load(dir) : Mnist.load(dir);
    }
}
