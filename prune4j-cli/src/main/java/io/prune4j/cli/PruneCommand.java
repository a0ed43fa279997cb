package io.prune4j.cli;

import io.prune4j.backend.Backend;
import io.prune4j.backend.TransferStats;
import io.prune4j.InvalidSettingException;
import io.prune4j.data.Dataset;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.onnx.Agreement;
import io.prune4j.onnx.ModelFormat;
import io.prune4j.onnx.OnnxModel;
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
    /** Compact JSON for the saved file's metadata values ({@code {"fc1": [300, 150], …}}). */
    private static final com.fasterxml.jackson.databind.ObjectMapper METADATA_JSON = new com.fasterxml.jackson.databind.ObjectMapper();

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

    @Option(names = "--save", paramLabel = "FILE", description = "Write the pruned model: ONNX (opset 17) for a name ending in .onnx, "
            + "else prune4j's safetensors layout.")
    Path save;

    @Option(names = "--verify", paramLabel = "N", arity = "0..1", fallbackValue = "64",
            description = "Run the pruned model's ONNX export in ONNX Runtime on N test examples (default N: 64) and as many random "
                    + "inputs, and report the largest difference from prune4j's outputs.")
    Integer verify;

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
        if (verify != null && verify < 1) {
            throw new InvalidSettingException("--verify needs at least 1 example, got " + verify);
        }
        pruning.pattern(target != null);
        PruneConfig checked = pruning.config(crit, mode, value, budget, fraction, training, common.seed, null);
        OutputPaths.check(report, save);
        long start = System.nanoTime();
        int[] givenShape = source.inputShape();
        try (Backend backend = common.openBackend()) {
            OnnxModel model = source.model == null ? null : ModelFormat.load(source.model, backend, givenShape);
            Mnist.Splits data;
            try {
                data = DataFree.data(common, model, source.model, crit, checked);
                if (data == null) {
                    pruning.bnRecalibration = false; // random inputs would give BatchNorm random statistics
                }
            } catch (RuntimeException e) {
                if (model != null) {
                    model.close();
                }
                throw e;
            }
            boolean withData = data != null;
            Dataset trainSet = withData ? data.train() : DataFree.inputs(model.graph(), common.seed);
            Dataset testSet = withData ? data.test() : trainSet;
            return run(backend, model, trainSet, testSet, withData, crit, mode, value, budget, fraction, checked, start);
        }
    }

    private int run(Backend backend, OnnxModel model, Dataset trainSet, Dataset testSet, boolean withData, Criterion crit, Ranking.Mode mode,
                    double value, PruneConfig.Budget budget, double fraction, PruneConfig checked, long start) {
        DeviceData uploadedTrain = null;
        DeviceData uploadedTest;
        try {
            uploadedTrain = DeviceData.upload(backend, trainSet);
            uploadedTest = DeviceData.upload(backend, testSet);
        } catch (RuntimeException e) {
            // out of device memory, say: nothing owns the loaded model yet
            if (uploadedTrain != null) {
                uploadedTrain.close();
            }
            if (model != null) {
                model.close();
            }
            throw e;
        }
        try (DeviceData train = uploadedTrain;
             DeviceData test = uploadedTest;
             Baseline base = model != null ? Baseline.loaded(model, source.model, withData ? train : null, training)
                     : Baseline.trained(backend, train, test, training, common, checked.rewind(), save, report)) {
            // every device->host copy so far was the baseline's training (uploads are host->device)
            TransferStats trainCopies = backend.transfers();
            long t0 = System.nanoTime();
            ModelStats before = Measure.stats(base.net, test, withData, base.trainSamplesPerSecond, 1.0);
            List<int[]> shapes = Measure.layerShapes(base.net);
            Map<String, Integer> groupsBefore = groupUnits(base.net);
            // the same options again, now with the defaults that depend on the network (fine-tuning rate)
            PruneConfig cfg = pruning.config(crit, mode, value, budget, fraction, training, common.seed, base.net);
            double measureSeconds = (System.nanoTime() - t0) / 1e9;

            Pruner.Outcome outcome;
            TransferStats beforePruning = backend.transfers();
            try {
                outcome = new Pruner(cfg, new PruneProgress(!common.noProgress, cfg.finetune().epochs()))
                        .run(base.net, base.initial, train, withData ? test : null);
            } catch (TrainingDivergedException e) {
                throw Diverged.error(e, "fine-tuning", "--finetune-lr", save, report);
            }

            TransferStats pruneCopies = backend.transfers().minus(beforePruning);
            t0 = System.nanoTime();
            ModelStats measured = Measure.stats(base.net, test, withData, null, 1.0);
            List<LayerRow> layers = Measure.layerTable(base.net, shapes);
            measureSeconds += (System.nanoTime() - t0) / 1e9;
            ModelStats after = measured;
            if (save != null) {
                ModelFormat.save(base.net, save, base.names, metadata(crit, layers, groupsBefore, groupUnits(base.net)));
                after = measured.withFileBytes(ModelFile.sizeOf(save));
                System.err.println("saved " + save + (ModelFormat.of(save) == ModelFormat.ONNX && !cfg.structured()
                        ? " (ONNX keeps masked weights dense: ONNX Runtime runs zeros as fast as any weight)" : ""));
            }
            Agreement verified = null;
            if (verify != null) {
                verified = Verify.run(base.net, base.names, save, withData ? testSet : null, verify, common.seed);
                System.out.printf("verify: ONNX Runtime against prune4j on %d examples: largest difference %.3g (%.3g of the largest output)%n",
                        verified.examples(), verified.maxAbs(), verified.maxRelative());
            }
            Map<String, Double> timings = new LinkedHashMap<>();
            timings.put("train_s", base.trainSeconds);
            timings.put("score_s", outcome.scoreSeconds());
            timings.put("prune_s", outcome.pruneSeconds());
            timings.put("finetune_s", outcome.finetuneSeconds());
            timings.put("measure_s", measureSeconds);
            timings.put("total_s", (System.nanoTime() - start) / 1e9);

            System.out.print(Tables.report(before, after, layers, timings));
            if (budget != null) {
                double reached = budget == PruneConfig.Budget.FLOPS ? (double) after.flops() / before.flops()
                        : (double) after.params() / before.params();
                if (reached > fraction + 1e-9) {
                    // the allocation keeps at least --min-keep and rounds to --round-to: a budget below what that allows is not met
                    System.out.printf("note: the %s budget %.3f was not reached: the pruned network has %.3f of the baseline's (every "
                            + "group keeps at least --min-keep units, rounded to --round-to %d)%n", budget == PruneConfig.Budget.FLOPS
                            ? "FLOPs" : "parameter", fraction, reached, cfg.roundTo());
                }
            }
            System.out.print(Measure.sparseInferenceLines(base.net));
            if (trainCopies.copies() + pruneCopies.copies() > 0) {
                System.out.printf("device->host copies: training %d (%d bytes), scoring + pruning + fine-tuning %d (%d bytes)%n",
                        trainCopies.copies(), trainCopies.bytes(), pruneCopies.copies(), pruneCopies.bytes());
            }
            if (!withData) {
                System.out.println("no data: accuracy not measured (pruned without data; speeds measured on random inputs)");
            }
            if (report != null) {
                Map<String, Object> r = common.reportHeader(backend, trainSet);
                if (source.model != null) {
                    r.put("model_file", source.model.toString());
                }
                r.put("config", cfg);
                r.put("baseline", before);
                r.put("pruned", after);
                r.put("layers", layers);
                r.put("sparse_inference", Measure.sparseInference(base.net));
                r.put("rounds", outcome.rounds());
                r.put("timings", timings);
                // measurement (latency, throughput, accuracy of the report) is left out: it reads outputs by design
                r.put("device_to_host", Map.of("train", trainCopies, "prune", pruneCopies));
                if (verified != null) {
                    r.put("verify", Map.of("engine", "onnxruntime", "examples", verified.examples(), "max_abs_diff", verified.maxAbs(),
                            "max_rel_diff", verified.maxRelative()));
                }
                Reports.write(report, r);
                System.err.println("report written to " + report);
            }
            return 0;
        }
    }

    /** What the saved file records about the pruning: criterion, target, kept units per layer, seed (the version is added by the writers). */
    /** Units of each prunable channel group, by the group's name. */
    private Map<String, Integer> groupUnits(io.prune4j.nn.Graph net) {
        Map<String, Integer> units = new LinkedHashMap<>();
        for (io.prune4j.prune.ChannelGroups.Group g : io.prune4j.prune.ChannelGroups.of(net, new java.util.LinkedHashSet<>(pruning.ignore))
                .prunable()) {
            units.put(g.name(), g.units());
        }
        return units;
    }

    private Map<String, String> metadata(Criterion crit, List<LayerRow> layers, Map<String, Integer> groupsBefore,
                                         Map<String, Integer> groupsAfter) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("prune4j.criterion", crit.cliName());
        m.put("prune4j.seed", Long.toString(common.seed));
        m.put("prune4j.target", targetDescription());
        Map<String, int[]> kept = new LinkedHashMap<>();
        for (LayerRow l : layers) {
            kept.put(l.name(), new int[] {l.outBefore(), l.out()});
        }
        Map<String, int[]> groups = new LinkedHashMap<>();
        groupsBefore.forEach((g, before) -> groups.put(g, new int[] {before, groupsAfter.getOrDefault(g, 0)}));
        try {
            m.put("prune4j.kept_units", METADATA_JSON.writeValueAsString(kept));
            m.put("prune4j.kept_groups", METADATA_JSON.writeValueAsString(groups));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("node names and counts always serialise", e);
        }
        m.put("prune4j.version", io.prune4j.Version.get());
        return m;
    }

    private String targetDescription() {
        if (target == null) {
            return "sparsity 0.5";
        }
        if (target.targetFlops != null) {
            return "flops " + target.targetFlops;
        }
        if (target.targetParams != null) {
            return "params " + target.targetParams;
        }
        if (target.threshold != null) {
            return "threshold " + target.threshold;
        }
        if (target.keep != null) {
            return "keep " + target.keep;
        }
        return "sparsity " + target.sparsity;
    }
}
