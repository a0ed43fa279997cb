package io.prune4j.testing;

/**
 * The awkward element counts of the size-sweeping tests, one list for all of them: nothing (0), one
 * element, a 32-lane warp and one either side (31, 32, 33), one short of a 1024-thread block (1023),
 * one past sixteen blocks of 256 threads (4097), and {@link #LARGE}.
 */
public final class Sizes {
    /**
     * A large odd size: no multiple of any block, warp or vector width, thousands of blocks. Also the
     * large dimension of the shape lists.
     */
    public static final int LARGE = 1_000_003;

    private static final int[] AWKWARD = {0, 1, 31, 32, 33, 1023, 4097, LARGE};

    private Sizes() {}

    /** The sizes, a fresh array each time; also a {@code @MethodSource("io.prune4j.testing.Sizes#awkward")}. */
    public static int[] awkward() {
        return AWKWARD.clone();
    }
}
