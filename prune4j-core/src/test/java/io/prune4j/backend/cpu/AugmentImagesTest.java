package io.prune4j.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.backend.ArgChecks;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@code augmentImages} against the formula of its contract, written out here, and the properties
 * training relies on: the draw depends on the seed and the example only, shifts cover the whole range
 * and mirrors half of the examples, nothing is read from outside the image.
 */
class AugmentImagesTest {
    private final CpuBackend cpu = new CpuBackend(2);

    /** The contract's formula, example by example: shifted by (dy, dx), mirrored first when drawn. */
    private static float[] reference(float[] in, int batch, int c, int h, int w, long seed, int m, boolean flip) {
        float[] out = new float[in.length];
        for (int r = 0; r < batch; r++) {
            long z = ArgChecks.augmentDraw(seed, r);
            boolean mirror = flip && (z & 1) == 1;
            int dx = (int) Long.remainderUnsigned(z >>> 8, 2L * m + 1) - m;
            int dy = (int) Long.remainderUnsigned(z >>> 32, 2L * m + 1) - m;
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        int sy = y + dy;
                        int sx = (mirror ? w - 1 - x : x) + dx;
                        boolean inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
                        out[((r * c + ch) * h + y) * w + x] = inside ? in[((r * c + ch) * h + sy) * w + sx] : 0f;
                    }
                }
            }
        }
        return out;
    }

    private float[] run(float[] in, int batch, int c, int h, int w, long seed, int m, boolean flip) {
        Tensor out = cpu.zeros(DType.FLOAT32, batch, c, h, w);
        cpu.augmentImages(out, cpu.fromArray(in, batch, c, h, w), seed, m, flip);
        return out.toFloatArray();
    }

    @Test
    void matchesTheFormulaOnAwkwardShapes() {
        int[][] shapes = {{1, 1, 1, 1}, {37, 3, 5, 7}, {64, 1, 28, 28}, {5, 2, 2, 9}, {0, 3, 4, 4}};
        for (int[] s : shapes) {
            int n = s[0] * s[1] * s[2] * s[3];
            float[] in = new float[n];
            for (int i = 0; i < n; i++) {
                in[i] = i + 1;   // every value distinct and non-zero, so a misplaced one shows
            }
            for (int m : new int[] {0, 1, 2, 9}) {
                for (boolean flip : new boolean[] {false, true}) {
                    assertArrayEquals(reference(in, s[0], s[1], s[2], s[3], 77, m, flip), run(in, s[0], s[1], s[2], s[3], 77, m, flip),
                            java.util.Arrays.toString(s) + " shift " + m + " flip " + flip);
                }
            }
        }
    }

    @Test
    void theDrawsCoverTheRangeAndFollowTheSeed() {
        int batch = 2000;
        int[] shifts = new int[5];
        int mirrored = 0;
        for (int r = 0; r < batch; r++) {
            long z = ArgChecks.augmentDraw(5, r);
            mirrored += (int) (z & 1);
            shifts[(int) ((z >>> 8) % 5)]++;
        }
        for (int k = 0; k < 5; k++) {
            assertTrue(shifts[k] > batch / 5 - 120 && shifts[k] < batch / 5 + 120, "shift " + (k - 2) + " drawn " + shifts[k] + " times");
        }
        assertTrue(mirrored > 900 && mirrored < 1100, mirrored + " of 2000 mirrored");
        float[] in = new float[8 * 28 * 28];
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) Math.sin(i);
        }
        assertArrayEquals(run(in, 8, 1, 28, 28, 5, 2, true), run(in, 8, 1, 28, 28, 5, 2, true), "the same seed, the same images");
        assertFalse(java.util.Arrays.equals(run(in, 8, 1, 28, 28, 5, 2, true), run(in, 8, 1, 28, 28, 6, 2, true)), "another seed");
        assertArrayEquals(in, run(in, 8, 1, 28, 28, 5, 0, false), "no shift and no mirror is the identity");
    }

    @Test
    void badArgumentsAreRefused() {
        Tensor x = cpu.zeros(DType.FLOAT32, 2, 1, 4, 4);
        assertThrows(IllegalArgumentException.class, () -> cpu.augmentImages(cpu.zeros(DType.FLOAT32, 2, 1, 4, 5), x, 1, 2, true));
        assertThrows(IllegalArgumentException.class, () -> cpu.augmentImages(cpu.zeros(DType.FLOAT32, 2, 16), cpu.zeros(DType.FLOAT32, 2, 16),
                1, 2, true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> cpu.augmentImages(cpu.zeros(DType.FLOAT32, 2, 1, 4, 4), x, 1, -1, true));
        assertEquals("augmentImages: the largest shift must be in [0, 2^20], got -1", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> cpu.augmentImages(x, x, 1, 1, true));
        assertEquals("augmentImages: out may not be in (a shifted pixel would overwrite one not read yet)", e.getMessage());
    }
}
