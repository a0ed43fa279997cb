package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.Prune4jException;
import io.prune4j.backend.Backend;
import io.prune4j.data.Mnist;
import io.prune4j.io.AtomicFiles;
import io.prune4j.nn.Sequential;
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
        training.validate();
        Path plotFile = noPlot ? null : plot;
        OutputPaths.check(plotFile, json);
        Mnist.Splits data = io.prune4j.data.DataSets.load(common.data);
        try (Backend backend = common.openBackend();
             DeviceData train = DeviceData.upload(backend, data.train());
             DeviceData test = DeviceData.upload(backend, data.test());
             Baseline base = Baseline.obtain(source.model, backend, train, test, training, common, false, plotFile, json)) {
            Metrics baseline = Trainer.evaluate(base.net, test);
            System.err.printf("baseline test accuracy %.4f%n", baseline.accuracy());
            Map<String, List<double[]>> curves = new LinkedHashMap<>();
            for (Criterion c : crits) {
                List<double[]> points = new ArrayList<>();
                for (double s : sparsities) {
                    PruneConfig cfg = pruning.config(c, Ranking.Mode.RATIO, s, training, common.seed);
                    try (Sequential copy = base.net.copy()) {
                        Pruner.Outcome o;
                        try {
                            o = new Pruner(cfg, null).run(copy, null, train, test);
                        } catch (TrainingDivergedException e) {
                            throw Diverged.error(e, "fine-tuning (" + c.cliName() + ", sparsity " + s + ")", "--finetune-lr", plotFile, json);
                        }
                        double acc = o.rounds().get(o.rounds().size() - 1).test().accuracy();
                        points.add(new double[] {s, acc});
                        System.err.printf("%-18s sparsity %.2f: test accuracy %.4f%n", c, s, acc);
                    }
                }
                curves.put(c.cliName(), points);
            }
            Map<String, Object> r = common.reportHeader(backend, data.train());
            r.put("structured", pruning.structured());
            r.put("scope", pruning.scope);
            r.put("finetune_epochs", pruning.finetuneEpochs);
            r.put("reconstruct", pruning.reconstruct);
            r.put("baseline_accuracy", baseline.accuracy());
            Map<String, Object> series = new LinkedHashMap<>();
            curves.forEach((k, v) -> {
                List<Map<String, Double>> pts = new ArrayList<>();
                for (double[] p : v) {
                    pts.add(Map.of("sparsity", p[0], "accuracy", p[1]));
                }
                series.put(k, pts);
            });
            r.put("criteria", series);
            // the numbers first: they cost the whole sweep, the picture is drawn from them
            Reports.write(json, r);
            System.err.println("wrote " + json);
            if (plotFile != null) {
                writePlot(curves, baseline.accuracy());
                System.err.println("wrote " + plotFile);
            }
            return 0;
        }
    }

    private void writePlot(Map<String, List<double[]>> curves, double baseline) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(600)
                .title((pruning.structured() ? "Structured (neurons)" : "Unstructured (weights)") + " pruning, " + pruning.scope
                        + " scope, " + (pruning.reconstruct ? "least-squares refit, " : "") + pruning.finetuneEpochs + " fine-tune epoch(s)")
                .xAxisTitle("sparsity (fraction removed)").yAxisTitle("test accuracy").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSW);
        chart.getStyler().setYAxisDecimalPattern("0.000");
        double lo = sparsities.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double hi = sparsities.stream().mapToDouble(Double::doubleValue).max().orElse(1);
        chart.addSeries("baseline", new double[] {lo, hi}, new double[] {baseline, baseline}).setMarker(SeriesMarkers.NONE);
        for (Map.Entry<String, List<double[]>> e : curves.entrySet()) {
            double[] x = e.getValue().stream().mapToDouble(p -> p[0]).toArray();
            double[] y = e.getValue().stream().mapToDouble(p -> p[1]).toArray();
            chart.addSeries(e.getKey(), x, y);
        }
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
}
