package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.data.Dataset;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.onnx.ModelFormat;
import io.prune4j.onnx.OnnxModel;
import io.prune4j.onnx.OnnxRuntime;
import io.prune4j.onnx.OnnxWriter;
import io.prune4j.report.Measure;
import io.prune4j.report.ModelStats;
import io.prune4j.report.Reports;
import io.prune4j.train.DeviceData;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code prune4j evaluate}: a model's test accuracy and loss, size, FLOPs and measured speed, run by
 * prune4j or by ONNX Runtime (what a user deploys).
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_INTERNAL},
        description = "Measure a model (prune4j's safetensors layout or ONNX): test accuracy and loss, parameters, FLOPs, latency and "
                + "throughput.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    ModelOption source;

    @Option(names = "--engine", paramLabel = "prune4j|onnxruntime", description = "What runs the model: prune4j (on --device), or "
            + "ONNX Runtime on the CPU (an ONNX file as it is; another model through its ONNX export) (default: ${DEFAULT-VALUE}).")
    String engine = "prune4j";

    @Option(names = "--report", paramLabel = "FILE", description = "Write the figures as JSON (the keys of train's \"baseline\").")
    java.nio.file.Path report;

    @Option(names = "--seconds", description = "Length of each speed measurement in seconds (default: ${DEFAULT-VALUE}).")
    double seconds = 1.0;

    @Override
    public Integer call() {
        if (source.model == null) {
            throw new InvalidSettingException("evaluate needs --model FILE");
        }
        if (!engine.equals("prune4j") && !engine.equals("onnxruntime")) {
            throw new InvalidSettingException("--engine must be prune4j or onnxruntime, got '" + engine + "'");
        }
        if (!(seconds > 0) || seconds > 600) {
            throw new InvalidSettingException("--seconds must be in (0, 600], got " + seconds);
        }
        OutputPaths.check(report);
        boolean ort = engine.equals("onnxruntime");
        if (ort && !OnnxRuntime.available()) {
            throw new InvalidSettingException("--engine onnxruntime: ONNX Runtime is not on the class path (com.microsoft.onnxruntime:"
                    + "onnxruntime; the command line's target/lib has it)");
        }
        try (Backend backend = ort ? new io.prune4j.backend.cpu.CpuBackend(1) : common.openBackend();
             OnnxModel model = ModelFormat.load(source.model, backend, source.inputShape())) {
            Graph net = model.graph();
            Mnist.Splits data = DataFree.none(common.data) ? null : common.loadData();
            if (data != null && !DataFree.fits(common.data, data.test(), net, source.model, "no accuracy")) {
                data = null;
            }
            if (data != null && data.test().classes() != net.outputSize()) {
                throw new InvalidSettingException(source.model + ": the model has " + net.outputSize() + " outputs but the data has "
                        + data.test().classes() + " classes");
            }
            Dataset test = data != null ? data.test() : DataFree.inputs(net, common.seed);
            ModelStats stats;
            long file = ModelFile.sizeOf(source.model);
            long fileBytes = file < 0 ? file : file + model.dataBytes(); // with the external data files it read
            if (ort) {
                // a file of ONNX's runs as it is (ONNX Runtime finds its external data beside it); a safetensors file as its export
                try (OnnxRuntime session = ModelFormat.of(source.model) == ModelFormat.ONNX
                        ? OnnxRuntime.open(source.model, common.threadCount())
                        : OnnxRuntime.open(OnnxWriter.toModel(net, model.names(), Map.of()).toByteArray(), common.threadCount())) {
                    stats = OrtMeasure.stats(session, net, model.names().outputFunction(), test, data != null, seconds, fileBytes);
                }
            } else {
                try (DeviceData d = DeviceData.upload(backend, test)) {
                    stats = Measure.stats(net, d, data != null, null, seconds).withFileBytes(fileBytes);
                }
            }
            String acc = stats.accuracy() == null ? "no data: accuracy not measured"
                    : String.format("test accuracy %.4f, loss %.4f", stats.accuracy(), stats.loss());
            System.out.printf("%s (%s), %d parameters (%d non-zero), %d FLOPs/example, latency batch 1 %.3f ms, throughput batch 256 %.0f/s%n",
                    acc, engine, stats.params(), stats.nonzeroParams(), stats.flops(), stats.latencyMillisB1(), stats.inferSamplesPerSecondB256());
            if (report != null) {
                Map<String, Object> r = common.reportHeader(backend, data != null ? data.train() : test);
                r.put("model_file", source.model.toString());
                r.put("model", net.describe());
                r.put("engine", engine);
                if (ort) {
                    r.put("onnxruntime_threads", common.threadCount());
                }
                r.put("baseline", stats);
                Reports.write(report, r);
                System.err.println("report written to " + report);
            }
            return 0;
        }
    }
}
