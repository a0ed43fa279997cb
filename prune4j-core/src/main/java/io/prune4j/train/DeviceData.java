package io.prune4j.train;

import io.prune4j.backend.Backend;
import io.prune4j.data.Dataset;
import io.prune4j.tensor.Tensor;

/**
 * A data set uploaded once to a backend: {@code features [count, featureSize]} (FLOAT32) and
 * {@code labels [count]} (INT32). Batches are gathered from it on the device.
 */
public final class DeviceData implements AutoCloseable {
    private final String name;
    private final Tensor features;
    private final Tensor labels;
    private final int classes;
    private final int[] sampleShape;

    private DeviceData(String name, Tensor features, Tensor labels, int classes, int[] sampleShape) {
        this.name = name;
        this.features = features;
        this.labels = labels;
        this.classes = classes;
        this.sampleShape = sampleShape;
    }

    public static DeviceData upload(Backend backend, Dataset data) {
        Tensor f = backend.fromArray(data.features(), data.count(), data.featureSize());
        try {
            return new DeviceData(data.name(), f, backend.fromArray(data.labels(), data.count()), data.classes(), data.sampleShape());
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public Tensor features() {
        return features;
    }

    public Tensor labels() {
        return labels;
    }

    public int count() {
        return features.dim(0);
    }

    public int featureSize() {
        return features.dim(1);
    }

    /** Layout of one example's features, e.g. {@code [1, 28, 28]} (see {@link Dataset#sampleShape()}). */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    public int classes() {
        return classes;
    }

    @Override
    public void close() {
        features.close();
        labels.close();
    }
}
