package io.prune4j.data;

/**
 * Labelled examples in host memory: {@code features [count, featureSize]} as floats (row-major)
 * and {@code labels [count]} as class indices in {@code [0, classes)}. {@code sampleShape} says how
 * one example's features are laid out, e.g. {@code [1, 28, 28]} for grey images in CHW order, or
 * {@code [featureSize]} for plain vectors; its product is {@code featureSize}.
 */
public record Dataset(String name, float[] features, int[] labels, int count, int featureSize, int classes, int[] sampleShape) {
    /** Examples that are plain feature vectors. */
    public Dataset(String name, float[] features, int[] labels, int count, int featureSize, int classes) {
        this(name, features, labels, count, featureSize, classes, new int[] {featureSize});
    }

    public Dataset {
        long product = 1;
        for (int d : sampleShape) {
            product *= d;
        }
        if (sampleShape.length == 0 || product != featureSize) {
            throw new IllegalArgumentException(name + ": sample shape " + java.util.Arrays.toString(sampleShape) + " does not hold "
                    + featureSize + " features");
        }
        sampleShape = sampleShape.clone();
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

    @Override
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** The first {@code n} examples (for quick runs and tests). */
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
     */
    public static Dataset random(int[] sampleShape, int classes, int count, long seed) {
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
