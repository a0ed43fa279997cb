package io.prune4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The report records refuse what no measurement gives (negative counts, more kept than there are), and the writers refuse null. */
class ReportRecordsTest {
    private static void refusesNull(String parameter, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call, parameter);
        assertEquals(parameter, e.getMessage());
    }

    @Test
    void aLayerRowHoldsCountsThatFit() {
        LayerRow ok = new LayerRow("fc1", 784, 300, 784, 150, 117600, 58800, 0.75);
        assertEquals(150, ok.out());
        refusesNull("name", () -> new LayerRow(null, 1, 1, 1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new LayerRow("fc1", 784, 300, -1, 150, 100, 50, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new LayerRow("fc1", 784, 300, 784, 150, 100, 101, 0));
        assertThrows(IllegalArgumentException.class, () -> new LayerRow("fc1", 784, 300, 784, 150, -1, 0, 0));
    }

    @Test
    void modelStatsHoldCountsThatFit() {
        ModelStats s = new ModelStats(0.9, 0.3, 1000, 400L, 2000, null, null, null, null);
        assertEquals(1234, s.withFileBytes(1234).fileBytes());
        new ModelStats(null, null, 0, null, 0, null, null, null, null, null);
        assertThrows(IllegalArgumentException.class, () -> new ModelStats(0.9, 0.3, -1, null, 2000, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ModelStats(0.9, 0.3, 1000, 1001L, 2000, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> new ModelStats(0.9, 0.3, 1000, null, -5, null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> s.withFileBytes(-1));
        assertThrows(IllegalArgumentException.class, () -> new ModelStats(0.9, 0.3, 1000, 400L, 2000, null, null, null, null, -1L));
    }

    @Test
    void measuresAndWritersRefuseNull() {
        refusesNull("net", () -> Measure.effectiveFlops(null));
        refusesNull("net", () -> Measure.layerShapes(null));
        refusesNull("net", () -> Measure.stats(null, null, null, 1.0));
        refusesNull("report", () -> Reports.toJson(null));
        refusesNull("file", () -> Reports.write(null, new LayerRow("fc1", 1, 1, 1, 1, 1, 1, 0)));
    }
}
