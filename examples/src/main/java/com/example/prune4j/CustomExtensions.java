package com.example.prune4j;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * The extension points: a network with a layer of our own ({@link ChannelScale}) pruned by a criterion of
 * our own ({@link MaxAbsCriterion}), saved through its codec ({@link ChannelScaleCodec}) and loaded back.
 * Arguments as {@link QuickStart}'s: the data folder, the file to write, the number of training images.
 */
public final class CustomExtensions {
    public static void main(String[] args) {
        Path dataDir = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
        Path saveTo = Path.of(args.length > 1 ? args[1] : "custom.safetensors");
        int trainImages = args.length > 2 ? Integer.parseInt(args[2]) : 60_000;
        ModelFile.register(new ChannelScaleCodec());   // before saving or loading a network with ChannelScale layers
        Mnist.Splits data = Mnist.load(dataDir);
        try (CpuBackend cpu = new CpuBackend(2);
             DeviceData train = DeviceData.upload(cpu, data.train().head(trainImages));
             DeviceData test = DeviceData.upload(cpu, data.test())) {
            GraphBuilder g = Graph.builder(cpu, 7, 1, 28, 28);
            String x = g.conv("conv1", Graph.INPUT, 16, 3, 1, 1);
            x = g.maxPool("pool1", g.relu("relu1", g.add(ChannelScale.ones("scale1", cpu, 16), x)), 2, 2, 0);
            x = g.maxPool("pool2", g.relu("relu2", g.conv("conv2", x, 32, 3, 1, 1)), 2, 2, 0);
            g.dense("fc", g.flatten("flat", x), 10);
            try (Graph net = g.build();
                 Trainer trainer = new Trainer(net, TrainConfig.builder().optEpochs(1).build())) {
                trainer.fit(train, test);
                long before = net.parameterCount();
                // by default half of the channels of every group go
                PruneConfig cfg = PruneConfig.builder().setCriterion(new MaxAbsCriterion())
                        .optFinetune(TrainConfig.builder().optEpochs(1).build())
                        .build();
                Pruner.Outcome out = new Pruner(cfg).run(net, train, test);
                ChannelScale scale = (ChannelScale) net.layer("scale1");
                System.out.printf("max-abs: test accuracy %.4f, %d of %d parameters, scale1 keeps %d channels%n",
                        out.last().test().accuracy(), net.parameterCount(), before, scale.channels());
                ModelFile.save(net, saveTo, Map.of());
                try (Graph reloaded = ModelFile.load(saveTo, cpu);
                     Tensor batch = cpu.fromArray(Arrays.copyOf(data.test().features(), 16 * 784), 16, 1, 28, 28)) {
                    float[] a = net.forward(batch, false).toFloatArray();
                    float[] b = reloaded.forward(batch, false).toFloatArray();
                    System.out.printf("reloaded with its ChannelScale: %s outputs%n", Arrays.equals(a, b) ? "the same" : "DIFFERENT");
                    if (!Arrays.equals(a, b)) {
                        System.exit(1);
                    }
                }
            }
        }
    }
}
