package io.prune4j.data;

import java.util.SplittableRandom;

/**
 * A toy image data set for tests of convolutional networks: 8×8 one-channel images in which class
 * {@code k} (of 4) is a bright 3×3 patch at its own corner, plus Gaussian noise of σ 0.3. A small
 * CNN learns it in a few epochs; a network that has lost its useful channels does not.
 */
public final class CornerPatches {
    private CornerPatches() {}

    public static Dataset generate(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * 64];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rng.nextInt(4);
            int r0 = (y[i] / 2) * 5;
            int c0 = (y[i] % 2) * 5;
            for (int p = 0; p < 64; p++) {
                int r = p / 8;
                int c = p % 8;
                boolean on = r >= r0 && r < r0 + 3 && c >= c0 && c < c0 + 3;
                x[i * 64 + p] = (on ? 1f : 0f) + (float) (rng.nextGaussian() * 0.3);
            }
        }
        return new Dataset("patches", x, y, n, 64, 4, new int[] {1, 8, 8});
    }
}
