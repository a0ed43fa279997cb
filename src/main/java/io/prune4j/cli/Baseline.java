package io.prune4j.cli;

import io.prune4j.backend.Backend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Sequential;
import io.prune4j.train.DeviceData;
import io.prune4j.train.EpochResult;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import java.nio.file.Path;
import java.util.List;

/**
 * The model a pruning command starts from: loaded from a file, or trained here (the default MLP),
 * with its initial weights kept when rewinding needs them.
 */
final class Baseline implements AutoCloseable {
    final Sequential net;
    final Sequential initial;
    final Double trainSamplesPerSecond;
    final double trainSeconds;

    private Baseline(Sequential net, Sequential initial, Double trainSamplesPerSecond, double trainSeconds) {
        this.net = net;
        this.initial = initial;
        this.trainSamplesPerSecond = trainSamplesPerSecond;
        this.trainSeconds = trainSeconds;
    }

    static Baseline obtain(Path model, Backend backend, DeviceData train, DeviceData test, TrainOptions options, CommonOptions common,
                           boolean keepInitial) {
        if (model != null) {
            Sequential net = ModelFile.load(model, backend);
            try {
                options.checkLoaded(net, model);
            } catch (RuntimeException e) {
                net.close();
                throw e;
            }
            if (net.inputSize() != train.featureSize()) {
                int in = net.inputSize();
                net.close();
                throw new IllegalArgumentException(model + ": the model takes " + in + " inputs but the data has " + train.featureSize()
                        + " features per example");
            }
            System.err.println("model: " + net.describe() + " (loaded from " + model + ")");
            return new Baseline(net, null, null, 0);
        }
        TrainConfig config = options.config(common.seed);
        Sequential net = options.network(backend, train.sampleShape(), train.classes(), common.seed);
        Sequential initial = keepInitial ? net.copy() : null;
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
            throw e;
        }
    }

    @Override
    public void close() {
        net.close();
        if (initial != null) {
            initial.close();
        }
    }
}
