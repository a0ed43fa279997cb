package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.onnx.ModelFormat;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.train.DeviceData;
import io.prune4j.train.EpochResult;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import io.prune4j.train.TrainingDivergedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The model a pruning command starts from: loaded from a file, or trained here (the default MLP),
 * with its initial weights kept when rewinding needs them.
 */
final class Baseline implements AutoCloseable {
    final Graph net;
    final Graph initial;
    /** What an ONNX file called the network's parts (defaults for other models), for an ONNX export that keeps them. */
    final io.prune4j.onnx.OnnxNames names;
    final Double trainSamplesPerSecond;
    final double trainSeconds;

    private Baseline(Graph net, Graph initial, Double trainSamplesPerSecond, double trainSeconds) {
        this(net, initial, trainSamplesPerSecond, trainSeconds, io.prune4j.onnx.OnnxNames.defaults());
    }

    private Baseline(Graph net, Graph initial, Double trainSamplesPerSecond, double trainSeconds, io.prune4j.onnx.OnnxNames names) {
        this.names = names;
        this.net = net;
        this.initial = initial;
        this.trainSamplesPerSecond = trainSamplesPerSecond;
        this.trainSeconds = trainSeconds;
    }

    /** {@code outputs}: the files the command writes at the end, named in the error when training diverges. */
    static Baseline obtain(Path model, Backend backend, DeviceData train, DeviceData test, TrainOptions options, CommonOptions common,
                           boolean keepInitial, Path... outputs) {
        if (model != null) {
            return loaded(ModelFormat.load(model, backend, null), model, train, options);
        }
        return trained(backend, train, test, options, common, keepInitial, outputs);
    }

    /**
     * The model read from {@code model} (owned by the baseline from here on), checked against the
     * options and, unless {@code train} is null (pruning without data), against the data.
     */
    static Baseline loaded(io.prune4j.onnx.OnnxModel loaded, Path model, DeviceData train, TrainOptions options) {
        Graph net = loaded.graph();
        String mismatch;
        try {
            options.checkLoaded(net, model);
            mismatch = train == null ? null : mismatch(net, model, train, options);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        if (mismatch != null) {
            net.close();
            throw new InvalidSettingException(mismatch);
        }
        System.err.println("model: " + net.describe() + " (loaded from " + model + ")");
        return new Baseline(net, null, null, 0, loaded.names());
    }

    /** Trains the network the options describe on {@code train}. */
    static Baseline trained(Backend backend, DeviceData train, DeviceData test, TrainOptions options, CommonOptions common,
                            boolean keepInitial, Path... outputs) {
        TrainConfig config = options.config(common.seed);
        Graph net = options.network(backend, train.sampleShape(), train.classes(), common.seed);
        Graph initial = keepInitial ? net.copy() : null;
        System.err.println("model: " + net.describe() + ", " + net.parameterCount() + " parameters");
        long t0 = System.nanoTime();
        try (Trainer trainer = new Trainer(net, config)) {
            List<EpochResult> epochs = trainer.fit(train, test, new Progress("train", config.epochs(), !common.noProgress));
            double speed = epochs.stream().mapToDouble(EpochResult::trainSamplesPerSecond).max().orElse(Double.NaN);
            return new Baseline(net, initial, speed, (System.nanoTime() - t0) / 1e9);
        } catch (RuntimeException e) {
            net.close();
            if (initial != null) {
                initial.close();
            }
            if (e instanceof TrainingDivergedException d) {
                throw Diverged.error(d, "training the baseline", "--lr", outputs);
            }
            throw e;
        }
    }

    /** Why a loaded model does not fit the data or the options given, or null when it does. */
    private static String mismatch(Graph net, Path model, DeviceData train, TrainOptions options) {
        if (!net.classifies()) {
            return model + ": the model outputs " + java.util.Arrays.toString(net.outputShape()) + " per example, not class scores;"
                    + " prune it without data (--data none --finetune-epochs 0) with a data-free criterion (magnitude, magnitude-l1,"
                    + " bn-scale, fpgm, lamp, random)";
        }
        if (net.inputSize() != train.featureSize()) {
            return model + ": the model takes " + net.inputSize() + " inputs but the data has " + train.featureSize()
                    + " features per example";
        }
        if (net.outputSize() != train.classes()) {
            // a smaller output would fail on the first larger label, a larger one would score classes the data never has
            return model + ": the model has " + net.outputSize() + " outputs but the data has " + train.classes() + " classes";
        }
        if (options.hidden != null) {
            List<Integer> hidden = new ArrayList<>();
            for (io.prune4j.nn.Layer l : net.layers()) {
                if (l instanceof io.prune4j.nn.Dense d) {
                    hidden.add(d.outFeatures());
                }
            }
            if (!hidden.isEmpty()) {
                hidden.remove(hidden.size() - 1); // the output layer
            }
            if (!hidden.equals(Arrays.stream(options.hidden).boxed().toList())) {
                return "--hidden " + join(options.hidden) + " does not match " + model + " (hidden layers "
                        + hidden.stream().map(String::valueOf).collect(Collectors.joining(",")) + "); drop --hidden when loading a model";
            }
        }
        return null;
    }

    private static String join(int[] v) {
        return Arrays.stream(v).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        net.close();
        if (initial != null) {
            initial.close();
        }
    }
}
