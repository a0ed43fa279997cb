package io.prune4j.cli;

import io.prune4j.backend.Backend;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.report.ModelStats;
import io.prune4j.report.Reports;
import io.prune4j.train.DeviceData;
import io.prune4j.train.EpochResult;
import io.prune4j.train.Metrics;
import io.prune4j.train.Throughput;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import io.prune4j.train.TrainingDivergedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prune4j train}: trains an MLP on an MNIST-format data set and reports its figures. */
@Command(name = "train", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_INTERNAL}, description = "Train a network: --arch mlp (the default, 784-300-100-10 on Fashion-MNIST), cnn, resnet or mobilenet.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    TrainOptions training;

    @Option(names = "--report", paramLabel = "FILE", description = "Write the figures as JSON.")
    Path report;

    @Option(names = "--save", paramLabel = "FILE", description = "Write the trained model: ONNX for a name ending in .onnx, else prune4j's safetensors layout.")
    Path save;

    @Override
    public Integer call() {
        TrainConfig config = training.config(common.seed);
        training.validate();
        OutputPaths.check(report, save);
        Mnist.Splits data = common.loadData();
        try (Backend backend = common.openBackend();
             DeviceData train = DeviceData.upload(backend, data.train());
             DeviceData test = DeviceData.upload(backend, data.test());
             Graph net = training.network(backend, data.train().sampleShape(), data.train().classes(), common.seed);
             Trainer trainer = new Trainer(net, config)) {
            System.err.println("model: " + net.describe() + ", " + net.parameterCount() + " parameters");
            List<EpochResult> epochs;
            try {
                epochs = trainer.fit(train, test, new Progress("epoch", config.epochs(), !common.noProgress));
            } catch (TrainingDivergedException e) {
                throw Diverged.error(e, "training", "--lr", save, report);
            }
            Metrics m = Trainer.evaluate(net, test);
            double trainSpeed = epochs.stream().mapToDouble(EpochResult::trainSamplesPerSecond).max().orElse(Double.NaN);
            double infer = Throughput.inferSamplesPerSecond(net, test, 256, 1.0);
            ModelStats stats = new ModelStats(m.accuracy(), m.loss(), net.parameterCount(), null, net.flopsPerExample(),
                    trainSpeed, infer, null, null);
            if (save != null) {
                io.prune4j.onnx.ModelFormat.save(net, save, null, Map.of("prune4j.dataset", data.train().name(), "prune4j.seed", Long.toString(common.seed)));
                stats = stats.withFileBytes(ModelFile.sizeOf(save));
                System.err.println("saved " + save);
            }
            System.out.printf("test accuracy %.4f, loss %.4f, %d parameters, %d FLOPs/example, train %.0f samples/s, "
                            + "inference %.0f samples/s at batch 256%n",
                    m.accuracy(), m.loss(), net.parameterCount(), net.flopsPerExample(), trainSpeed, infer);
            if (report != null) {
                Map<String, Object> r = common.reportHeader(backend, data.train());
                r.put("model", net.describe());
                r.put("config", config);
                r.put("baseline", stats);
                List<Map<String, Object>> ep = new ArrayList<>();
                for (EpochResult e : epochs) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("epoch", e.epoch());
                    row.put("train_loss", e.train().loss());
                    row.put("train_accuracy", e.train().accuracy());
                    row.put("test_loss", e.test().loss());
                    row.put("test_accuracy", e.test().accuracy());
                    row.put("seconds", e.seconds());
                    ep.add(row);
                }
                r.put("epochs", ep);
                Reports.write(report, r);
                System.err.println("report written to " + report);
            }
            return 0;
        }
    }
}
