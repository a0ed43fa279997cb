package io.prune4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.prune4j.InvalidSettingException;
import io.prune4j.testing.IdxFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a {@link Dataset}, a {@link Mnist.Splits} and {@link DataSets} refuse, and how they say it. */
class DatasetTest {
    @TempDir
    Path dir;

    @Test
    void nullsAndANegativeCountAreRefused() {
        float[] f = {1, 2, 3, 4};
        int[] y = {0, 1};
        assertEquals("name", assertThrows(NullPointerException.class, () -> new Dataset(null, f, y, 2, 2, 2)).getMessage());
        assertEquals("features", assertThrows(NullPointerException.class, () -> new Dataset("d", null, y, 2, 2, 2)).getMessage());
        assertEquals("labels", assertThrows(NullPointerException.class, () -> new Dataset("d", f, null, 2, 2, 2)).getMessage());
        assertEquals("sampleShape", assertThrows(NullPointerException.class, () -> new Dataset("d", f, y, 2, 2, 2, null))
                .getMessage());
        assertEquals("d: -1 examples", assertThrows(IllegalArgumentException.class,
                () -> new Dataset("d", new float[0], new int[0], -1, 0, 2, new int[] {0})).getMessage());
        assertEquals("sampleShape", assertThrows(NullPointerException.class, () -> Dataset.random(null, 2, 4, 1)).getMessage());
        Dataset d = new Dataset("d", f, y, 2, 2, 2);
        assertArrayEquals(new int[] {2}, d.sampleShape());
        assertEquals("test", assertThrows(NullPointerException.class, () -> new Mnist.Splits(d, null)).getMessage());
        assertEquals("train", assertThrows(NullPointerException.class, () -> new Mnist.Splits(null, d)).getMessage());
    }

    @Test
    void rescalingMessagesNameTheSettingNotAFlag() {
        IdxFiles.writeToyDataset(dir, 20, 10, 4, 4, 1);
        assertEquals("the input mean takes one value or one per channel (1), got 2", assertThrows(InvalidSettingException.class,
                () -> DataSets.load(dir, new float[] {0.5f, 0.5f}, null)).getMessage());
        assertEquals("input standard deviations must be positive, got 0.0", assertThrows(InvalidSettingException.class,
                () -> DataSets.load(dir, null, new float[] {0f})).getMessage());
        assertEquals("dir", assertThrows(NullPointerException.class, () -> DataSets.load(null)).getMessage());
        assertEquals("dir", assertThrows(NullPointerException.class, () -> DataSets.load(null, null, null)).getMessage());
        assertEquals("dir", assertThrows(NullPointerException.class, () -> Mnist.load(null)).getMessage());
        assertEquals("dir", assertThrows(NullPointerException.class, () -> Cifar10.load(null)).getMessage());
    }
}
