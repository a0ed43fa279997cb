package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.Prune4jException;
import io.prune4j.backend.Backend;
import io.prune4j.data.Mnist;
import io.prune4j.io.AtomicFiles;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.report.Reports;
import io.prune4j.train.DeviceData;
import io.prune4j.train.Metrics;
import io.prune4j.train.Trainer;
import io.prune4j.train.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code prune4j sweep}: prunes copies of one baseline with several criteria at several sparsities
 * and plots test accuracy against sparsity, the comparison pruning papers draw.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_INTERNAL},
        description = "Compare criteria: accuracy against sparsity for each, as a PNG plot and the JSON behind it.")
final class SweepCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    TrainOptions training;

    @Mixin
    PruneOptions pruning;

    @Mixin
    ModelOption source;

    @Option(names = "--criteria", split = ",", description = "Criteria to compare (default: taylor,magnitude,sensitivity,obd,apoz,composite,random).")
    List<String> criteria = List.of("taylor", "magnitude", "sensitivity", "obd", "apoz", "composite", "random");

    @Option(names = "--sparsities", split = ",", description = "Sparsities to try (default: 0.3,0.5,0.7,0.8,0.9,0.95).")
    List<Double> sparsities = List.of(0.3, 0.5, 0.7, 0.8, 0.9, 0.95);

    @Option(names = "--flops-targets", split = ",", paramLabel = "F,F,…",
            description = "Structured: prune to these fractions of the baseline's FLOPs (by the global ranking of every group) instead of "
                    + "to --sparsities, and plot accuracy against the FLOPs kept.")
    List<Double> flopsTargets;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Where to write the plot (default: ${DEFAULT-VALUE}).")
    Path plot = Path.of("sweep.png");

    @Option(names = "--json", paramLabel = "FILE", description = "Where to write the numbers (default: ${DEFAULT-VALUE}).")
    Path json = Path.of("sweep.json");

    @Option(names = "--no-plot", description = "Write only the numbers (for headless machines without the fonts Java's 2D graphics need).")
    boolean noPlot;

    @Override
    public Integer call() throws IOException {
        List<Criterion> crits = new ArrayList<>();
        for (String c : criteria) {
            Criterion k = Criterion.parse(c);
            if (!pruning.structured() && !k.scoresWeights()) {
                throw new InvalidSettingException("criterion " + k + " scores units only; drop it or sweep --structured");
            }
            crits.add(k);
        }
        for (double s : sparsities) {
            Ranking.Config.ratio(Ranking.Scope.LAYER, io.prune4j.backend.Normalization.NONE, s); // validates the range
        }
        if (pruning.pattern != null) {
            throw new InvalidSettingException("--pattern fixes the sparsity, so there is nothing to sweep: use prune4j prune --pattern");
        }
        boolean budget = flopsTargets != null;
        if (budget) {
            if (!pruning.structured()) {
                throw new InvalidSettingException("--flops-targets applies to structured pruning");
            }
            for (double f : flopsTargets) {
                if (!(f > 0 && f <= 1)) {
                    throw new InvalidSettingException("--flops-targets must be fractions in (0, 1], got " + f);
                }
            }
        }
        List<Double> targets = budget ? flopsTargets : sparsities;
        training.validate();
        Path plotFile = noPlot ? null : plot;
        OutputPaths.check(plotFile, json);
        Mnist.Splits data = common.loadData();
        try (Backend backend = common.openBackend();
             DeviceData train = DeviceData.upload(backend, data.train());
             DeviceData test = DeviceData.upload(backend, data.test());
             Baseline base = Baseline.obtain(source.model, backend, train, test, training, common, false, plotFile, json)) {
            Metrics baseline = Trainer.evaluate(base.net, test);
            System.err.printf("baseline test accuracy %.4f%n", baseline.accuracy());
            double baselineFlops = base.net.flopsPerExample();
            Map<String, List<double[]>> curves = new LinkedHashMap<>();
            for (Criterion c : crits) {
                List<double[]> points = new ArrayList<>();
                for (double s : targets) {
                    PruneConfig cfg = budget ? pruning.config(c, Ranking.Mode.RATIO, 0.5, PruneConfig.Budget.FLOPS, s, training, common.seed, base.net)
                            : pruning.config(c, Ranking.Mode.RATIO, s, training, common.seed, base.net);
                    String what = budget ? String.format("FLOPs target %.2f", s) : String.format("sparsity %.2f", s);
                    try (Graph copy = base.net.copy()) {
                        Pruner.Outcome o;
                        try {
                            o = new Pruner(cfg, null).run(copy, null, train, test);
                        } catch (TrainingDivergedException e) {
                            throw Diverged.error(e, "fine-tuning (" + c.cliName() + ", " + what + ")", "--finetune-lr", plotFile, json);
                        }
                        double acc = o.rounds().get(o.rounds().size() - 1).test().accuracy();
                        double flops = copy.flopsPerExample() / baselineFlops;
                        points.add(new double[] {budget ? flops : s, acc, s});
                        System.err.printf("%-18s %s: test accuracy %.4f, %.3f of the FLOPs%n", c, what, acc, flops);
                    }
                }
                curves.put(c.cliName(), points);
            }
            Map<String, Object> r = common.reportHeader(backend, data.train());
            r.put("structured", pruning.structured());
            if (budget) {
                r.put("flops_budget", true);
                r.put("baseline_flops", (long) baselineFlops);
            }
            r.put("scope", pruning.scope);
            r.put("finetune_epochs", pruning.finetuneEpochs);
            r.put("reconstruct", pruning.reconstruct);
            r.put("baseline_accuracy", baseline.accuracy());
            Map<String, Object> series = new LinkedHashMap<>();
            curves.forEach((k, v) -> {
                List<Map<String, Double>> pts = new ArrayList<>();
                for (double[] p : v) {
                    pts.add(budget ? Map.of("flops_target", p[2], "flops_fraction", p[0], "accuracy", p[1])
                            : Map.of("sparsity", p[0], "accuracy", p[1]));
                }
                series.put(k, pts);
            });
            r.put("criteria", series);
            // the numbers first: they cost the whole sweep, the picture is drawn from them
            Reports.write(json, r);
            System.err.println("wrote " + json);
            if (plotFile != null) {
                writePlot(curves, baseline.accuracy(), budget);
                System.err.println("wrote " + plotFile);
            }
            return 0;
        }
    }

    private void writePlot(Map<String, List<double[]>> curves, double baseline, boolean budget) throws IOException {
        String title = (pruning.structured() ? "Structured (channels)" : "Unstructured (weights)") + " pruning, "
                + (budget ? "FLOPs budget" : pruning.scope + " scope") + ", "
                + (pruning.reconstruct ? "least-squares refit, " : "") + pruning.finetuneEpochs + " fine-tune epoch(s)";
        XYChart chart = chart(title, curves, baseline, budget);
        byte[] png;
        try {
            png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (LinkageError | java.awt.AWTError | RuntimeException e) {
            // a runtime without the system's font libraries (libfreetype, libharfbuzz, fontconfig) fails here,
            // with an Error that would otherwise end the JVM with a stack trace
            throw new Prune4jException("cannot draw " + plot + ": Java's 2D graphics failed (" + Main.oneLine(e)
                    + "); the numbers are in " + json + "; install the fonts and font libraries, or pass --no-plot", e);
        }
        AtomicFiles.write(plot, out -> out.write(png));
    }

    /**
     * The plot: one curve per criterion and the baseline as a line. Accuracy falls with sparsity and
     * rises with the FLOPs kept, so the legend goes in the lower corner the curves leave empty (lower
     * left for sparsities, lower right for FLOPs targets).
     */
    static XYChart chart(String title, Map<String, List<double[]>> curves, double baseline, boolean budget) {
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title)
                .xAxisTitle(budget ? "FLOPs kept (fraction of the baseline)" : "sparsity (fraction removed)").yAxisTitle("test accuracy").build();
        chart.getStyler().setLegendPosition(budget ? org.knowm.xchart.style.Styler.LegendPosition.InsideSE
                : org.knowm.xchart.style.Styler.LegendPosition.InsideSW);
        chart.getStyler().setYAxisDecimalPattern("0.000");
        double lo = curves.values().stream().flatMap(List::stream).mapToDouble(p -> p[0]).min().orElse(0);
        double hi = curves.values().stream().flatMap(List::stream).mapToDouble(p -> p[0]).max().orElse(1);
        chart.addSeries("baseline", new double[] {lo, hi}, new double[] {baseline, baseline}).setMarker(SeriesMarkers.NONE);
        for (Map.Entry<String, List<double[]>> e : curves.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(e.getKey(), x, y);
        }
        return chart;
    }
}
