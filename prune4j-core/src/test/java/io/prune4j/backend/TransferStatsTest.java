package io.prune4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link TransferStats}: counts are never negative, so a difference taken the wrong way round is refused. */
class TransferStatsTest {
    @Test
    void minusGivesWhatHappenedBetweenTwoSnapshots() {
        assertEquals(new TransferStats(2, 24), new TransferStats(5, 64).minus(new TransferStats(3, 40)));
        assertEquals(TransferStats.NONE, new TransferStats(5, 64).minus(new TransferStats(5, 64)));
    }

    @Test
    void negativeCountsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TransferStats(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TransferStats(0, -4));
        // the earlier snapshot given as the later one
        assertThrows(IllegalArgumentException.class, () -> new TransferStats(3, 40).minus(new TransferStats(5, 64)));
    }

    @Test
    void minusNeedsASnapshot() {
        assertEquals("earlier", assertThrows(NullPointerException.class, () -> TransferStats.NONE.minus(null)).getMessage());
    }
}
