package io.prune4j.train;

import io.prune4j.backend.Backend;
import io.prune4j.data.Dataset;
import io.prune4j.tensor.Tensor;
import java.util.Objects;

/**
 * A data set uploaded once to a backend: {@code features [count, featureSize]} (FLOAT32) and
 * {@code labels [count]} (INT32). Batches are gathered from it on the device. It owns both tensors
 * and frees them on {@link #close()}.
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

    /**
     * Copies {@code data}'s features and labels to {@code backend}. The caller owns the result and
     * closes it; {@code data} is not changed and may be dropped afterwards.
     *
     * @param backend where the tensors live
     * @param data    the examples in host memory
     * @return the uploaded data set
     */
    public static DeviceData upload(Backend backend, Dataset data) {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(data, "data");
        Tensor f = backend.fromArray(data.features(), data.count(), data.featureSize());
        try {
            return new DeviceData(data.name(), f, backend.fromArray(data.labels(), data.count()), data.classes(), data.sampleShape());
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /**
     * The data set's name, as the {@link Dataset} had it.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The features, {@code [count, featureSize]} FLOAT32; borrowed: owned by this object, valid until {@link #close()}.
     *
     * @return the feature tensor
     */
    public Tensor features() {
        return features;
    }

    /**
     * The labels, {@code [count]} INT32 class indices; borrowed: owned by this object, valid until {@link #close()}.
     *
     * @return the label tensor
     */
    public Tensor labels() {
        return labels;
    }

    /**
     * The number of examples.
     *
     * @return {@code count}
     */
    public int count() {
        return features.dim(0);
    }

    /**
     * Features per example.
     *
     * @return {@code featureSize}
     */
    public int featureSize() {
        return features.dim(1);
    }

    /**
     * Layout of one example's features, e.g. {@code [1, 28, 28]} (see {@link Dataset#sampleShape()}).
     *
     * @return a fresh copy of the shape
     */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /**
     * The number of classes; labels are in {@code [0, classes)}.
     *
     * @return {@code classes}
     */
    public int classes() {
        return classes;
    }

    /** Frees the feature and label tensors. */
    @Override
    public void close() {
        features.close();
        labels.close();
    }
}
