package io.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler.LegendPosition;

/** The sweep plot: a series per criterion plus the baseline, the legend in the corner the curves leave empty. */
class SweepPlotTest {
    @Test
    void legendSitsWhereTheCurvesAreNot() {
        Map<String, List<double[]>> curves = new LinkedHashMap<>();
        curves.put("taylor", List.of(new double[] {0.3, 0.90}, new double[] {0.9, 0.92}));
        curves.put("random", List.of(new double[] {0.3, 0.89}, new double[] {0.9, 0.92}));
        XYChart flops = SweepCommand.chart("t", curves, 0.925, true);
        XYChart sparsity = SweepCommand.chart("t", curves, 0.925, false);
        // accuracy rises with the FLOPs kept (lower right empty) and falls with sparsity (lower left empty)
        assertEquals(LegendPosition.InsideSE, flops.getStyler().getLegendPosition());
        assertEquals(LegendPosition.InsideSW, sparsity.getStyler().getLegendPosition());
        assertEquals(3, flops.getSeriesMap().size());
        assertEquals(0.3, flops.getSeriesMap().get("baseline").getXData()[0], 0);
    }
}
