package io.prune4j.cli;

import io.prune4j.backend.Backend;
import io.prune4j.backend.TransferStats;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.report.LayerRow;
import io.prune4j.report.Measure;
import io.prune4j.report.ModelStats;
import io.prune4j.report.Reports;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainingDivergedException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code prune4j prune}, the main job: train (or load) a model, score, prune, fine-tune, and report
 * what it cost and what it gained.
 */
@Command(name = "prune", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_INTERNAL},
        description = "Prune a model by importance scores, fine-tune it and report accuracy, size and speed before and after.")
final class PruneCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    TrainOptions training;

    @Mixin
    PruneOptions pruning;

    @Mixin
    ModelOption source;

    @Option(names = "--criterion", description = "taylor, taylor-abs, magnitude, magnitude-l1, sensitivity, sensitivity-global, "
            + "sensitivity-local, obd, apoz, composite, bn-scale, fpgm, lamp, wanda, sparsegpt (these three unstructured) or random (default: ${DEFAULT-VALUE}).")
    String criterion = "taylor";

    static final class Target {
        @Option(names = "--sparsity", description = "Fraction of units (or weights) to remove, in [0, 1) (default: 0.5).")
        Double sparsity;

        @Option(names = "--threshold", description = "Keep what scores at least this (after normalisation).")
        Double threshold;

        @Option(names = "--keep", description = "Keep exactly this many units or weights (per layer, or in total with --scope global).")
        Integer keep;

        @Option(names = "--target-flops", description = "Structured: prune until the network has this fraction of the baseline's FLOPs, "
                + "by the global ranking of every group (e.g. 0.4).")
        Double targetFlops;

        @Option(names = "--target-params", description = "Structured: prune until the network has this fraction of the baseline's "
                + "parameters, by the global ranking.")
        Double targetParams;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Target target;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the report as JSON.")
    Path report;

    @Option(names = "--save", paramLabel = "FILE", description = "Write the pruned model (safetensors layout).")
    Path save;

    @Override
    public Integer call() {
        Criterion crit = Criterion.parse(criterion);
        Ranking.Mode mode = Ranking.Mode.RATIO;
        double value = 0.5;
        if (target != null && target.threshold != null) {
            mode = Ranking.Mode.THRESHOLD;
            value = target.threshold;
        } else if (target != null && target.keep != null) {
            mode = Ranking.Mode.COUNT;
            value = target.keep;
        } else if (target != null && target.sparsity != null) {
            value = target.sparsity;
        }
        PruneConfig.Budget budget = null;
        double fraction = 1;
        if (target != null && target.targetFlops != null) {
            budget = PruneConfig.Budget.FLOPS;
            fraction = target.targetFlops;
        } else if (target != null && target.targetParams != null) {
            budget = PruneConfig.Budget.PARAMS;
            fraction = target.targetParams;
        }
        training.validate();
        pruning.pattern(target != null);
        PruneConfig checked = pruning.config(crit, mode, value, budget, fraction, training, common.seed, null);
        OutputPaths.check(report, save);
        long start = System.nanoTime();
        Mnist.Splits data = io.prune4j.data.DataSets.load(common.data);
        try (Backend backend = common.openBackend();
             DeviceData train = DeviceData.upload(backend, data.train());
             DeviceData test = DeviceData.upload(backend, data.test());
             Baseline base = Baseline.obtain(source.model, backend, train, test, training, common, checked.rewind(), save, report)) {
            // every device->host copy so far was the baseline's training (uploads are host->device)
            TransferStats trainCopies = backend.transfers();
            long t0 = System.nanoTime();
            ModelStats before = Measure.stats(base.net, test, base.trainSamplesPerSecond, 1.0);
            List<int[]> shapes = Measure.layerShapes(base.net);
            // the same options again, now with the defaults that depend on the network (fine-tuning rate)
            PruneConfig cfg = pruning.config(crit, mode, value, budget, fraction, training, common.seed, base.net);
            double measureSeconds = (System.nanoTime() - t0) / 1e9;

            Pruner.Outcome outcome;
            TransferStats beforePruning = backend.transfers();
            try {
                outcome = new Pruner(cfg, new PruneProgress(!common.noProgress, cfg.finetune().epochs()))
                        .run(base.net, base.initial, train, test);
            } catch (TrainingDivergedException e) {
                throw Diverged.error(e, "fine-tuning", "--finetune-lr", save, report);
            }

            TransferStats pruneCopies = backend.transfers().minus(beforePruning);
            t0 = System.nanoTime();
            ModelStats measured = Measure.stats(base.net, test, null, 1.0);
            List<LayerRow> layers = Measure.layerTable(base.net, shapes);
            measureSeconds += (System.nanoTime() - t0) / 1e9;
            ModelStats after = measured;
            if (save != null) {
                ModelFile.save(base.net, save, Map.of("prune4j.criterion", crit.cliName(), "prune4j.seed", Long.toString(common.seed)));
                after = measured.withFileBytes(ModelFile.sizeOf(save));
                System.err.println("saved " + save);
            }
            Map<String, Double> timings = new LinkedHashMap<>();
            timings.put("train_s", base.trainSeconds);
            timings.put("score_s", outcome.scoreSeconds());
            timings.put("prune_s", outcome.pruneSeconds());
            timings.put("finetune_s", outcome.finetuneSeconds());
            timings.put("measure_s", measureSeconds);
            timings.put("total_s", (System.nanoTime() - start) / 1e9);

            System.out.print(Tables.report(before, after, layers, timings));
            System.out.print(Measure.sparseInferenceLines(base.net));
            if (trainCopies.copies() + pruneCopies.copies() > 0) {
                System.out.printf("device->host copies: training %d (%d bytes), scoring + pruning + fine-tuning %d (%d bytes)%n",
                        trainCopies.copies(), trainCopies.bytes(), pruneCopies.copies(), pruneCopies.bytes());
            }
            if (report != null) {
                Map<String, Object> r = common.reportHeader(backend, data.train());
                r.put("config", cfg);
                r.put("baseline", before);
                r.put("pruned", after);
                r.put("layers", layers);
                r.put("sparse_inference", Measure.sparseInference(base.net));
                r.put("rounds", outcome.rounds());
                r.put("timings", timings);
                // measurement (latency, throughput, accuracy of the report) is left out: it reads outputs by design
                r.put("device_to_host", Map.of("train", trainCopies, "prune", pruneCopies));
                Reports.write(report, r);
                System.err.println("report written to " + report);
            }
            return 0;
        }
    }
}
