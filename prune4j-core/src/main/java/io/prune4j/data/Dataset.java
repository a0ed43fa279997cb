package io.prune4j.data;

import java.util.Objects;

/**
 * Labelled examples in host memory: {@code features [count, featureSize]} as floats (row-major)
 * and {@code labels [count]} as class indices in {@code [0, classes)}. {@code sampleShape} says how
 * one example's features are laid out, e.g. {@code [1, 28, 28]} for grey images in CHW order, or
 * {@code [featureSize]} for plain vectors; its product is {@code featureSize}.
 *
 * <p>The record keeps the {@code features} and {@code labels} arrays it is given, not copies: the
 * caller must not change them afterwards. {@code sampleShape} is copied in and out.
 *
 * @param name        a short name for messages and reports, e.g. {@code fashion-mnist/train}; not null
 * @param features    {@code count · featureSize} values, example by example; not null
 * @param labels      {@code count} class indices in {@code [0, classes)}; not null
 * @param count       the number of examples, ≥ 0
 * @param featureSize features per example
 * @param classes     the number of classes
 * @param sampleShape one example's layout, at least one dimension, whose product is {@code featureSize}; not null
 */
public record Dataset(String name, float[] features, int[] labels, int count, int featureSize, int classes, int[] sampleShape) {
    /**
     * Examples that are plain feature vectors: {@code sampleShape} is {@code [featureSize]}.
     *
     * @param name        a short name for messages and reports; not null
     * @param features    {@code count · featureSize} values, example by example; not null
     * @param labels      {@code count} class indices in {@code [0, classes)}; not null
     * @param count       the number of examples, ≥ 0
     * @param featureSize features per example
     * @param classes     the number of classes
     * @throws IllegalArgumentException as the canonical constructor
     * @throws DataFormatException      as the canonical constructor
     */
    public Dataset(String name, float[] features, int[] labels, int count, int featureSize, int classes) {
        this(name, features, labels, count, featureSize, classes, new int[] {featureSize});
    }

    /**
     * Checks that the arrays and counts fit together and that every label is a class.
     *
     * @param name        a short name for messages and reports, e.g. {@code fashion-mnist/train}; not null
     * @param features    {@code count · featureSize} values, example by example; not null
     * @param labels      {@code count} class indices in {@code [0, classes)}; not null
     * @param count       the number of examples, ≥ 0
     * @param featureSize features per example
     * @param classes     the number of classes
     * @param sampleShape one example's layout, at least one dimension, whose product is {@code featureSize}; not null
     * @throws NullPointerException     when {@code name}, an array or {@code sampleShape} is null
     * @throws IllegalArgumentException when {@code sampleShape} does not hold {@code featureSize} features,
     *                                  {@code count} is negative, or the arrays' lengths do not make
     *                                  {@code count} examples
     * @throws DataFormatException      when a label is outside {@code [0, classes)}; the message names the example
     */
    public Dataset {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        Objects.requireNonNull(sampleShape, "sampleShape");
        long product = 1;
        for (int d : sampleShape) {
            product *= d;
        }
        if (sampleShape.length == 0 || product != featureSize) {
            throw new IllegalArgumentException(name + ": sample shape " + java.util.Arrays.toString(sampleShape) + " does not hold "
                    + featureSize + " features");
        }
        sampleShape = sampleShape.clone();
        if (count < 0) {
            throw new IllegalArgumentException(name + ": " + count + " examples");
        }
        if ((long) count * featureSize != features.length || labels.length != count) {
            throw new IllegalArgumentException(name + ": " + features.length + " feature values and " + labels.length
                    + " labels do not make " + count + " examples of " + featureSize);
        }
        for (int i = 0; i < count; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new DataFormatException(name + ": label " + labels[i] + " of example " + i + " outside [0, " + classes + ")");
            }
        }
    }

    /**
     * One example's layout, e.g. {@code [1, 28, 28]}.
     *
     * @return a fresh copy of the shape
     */
    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /**
     * The first {@code n} examples (for quick runs and tests), copied; all of them when there are fewer.
     *
     * @param n how many examples, ≥ 0
     * @return a new data set of the same name, classes and sample shape
     */
    public Dataset head(int n) {
        int m = Math.min(n, count);
        float[] f = java.util.Arrays.copyOf(features, m * featureSize);
        int[] l = java.util.Arrays.copyOf(labels, m);
        return new Dataset(name, f, l, m, featureSize, classes, sampleShape);
    }

    /**
     * {@code count} examples of shape {@code sampleShape} with standard normal features and labels
     * {@code 0, 1, …, classes − 1} in turn: inputs for speed measurements and checks of a model that
     * comes without its data. Named {@code random}.
     *
     * @param sampleShape one example's layout, e.g. {@code [3, 32, 32]}; not null
     * @param classes     the number of classes, ≥ 1
     * @param count       the number of examples, ≥ 0
     * @param seed        fixes the features
     * @return the data set
     * @throws ArithmeticException when the features do not fit in one Java array
     */
    public static Dataset random(int[] sampleShape, int classes, int count, long seed) {
        Objects.requireNonNull(sampleShape, "sampleShape");
        int size = 1;
        for (int d : sampleShape) {
            size = Math.multiplyExact(size, d);
        }
        java.util.SplittableRandom rng = new java.util.SplittableRandom(seed);
        float[] f = new float[Math.multiplyExact(size, count)];
        for (int i = 0; i < f.length; i += 2) {
            // Box-Muller: two normal values from two uniform ones
            double r = Math.sqrt(-2 * Math.log(1 - rng.nextDouble()));
            double t = 2 * Math.PI * rng.nextDouble();
            f[i] = (float) (r * Math.cos(t));
            if (i + 1 < f.length) {
                f[i + 1] = (float) (r * Math.sin(t));
            }
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = i % classes;
        }
        return new Dataset("random", f, labels, count, size, classes, sampleShape);
    }
}
