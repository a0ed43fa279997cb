package com.example.prune4j;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.data.Mnist;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.GraphBuilder;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.train.DeviceData;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.Trainer;
import java.nio.file.Path;
import java.util.Map;

/** Builds a small residual CNN, trains it on Fashion-MNIST, prunes it to half of its FLOPs, saves it and loads it back. */
public final class QuickStart {
    public static void main(String[] args) {
        Path dataDir = Path.of(args.length > 0 ? args[0] : "/usr/share/datasets/fashion-mnist");
        Path saveTo = Path.of(args.length > 1 ? args[1] : "pruned.safetensors");
        int trainImages = args.length > 2 ? Integer.parseInt(args[2]) : 60_000;   // fewer for a quick run
        Mnist.Splits data = Mnist.load(dataDir);
        try (CpuBackend cpu = new CpuBackend(2);                                    // 2 threads
             DeviceData train = DeviceData.upload(cpu, data.train().head(trainImages));
             DeviceData test = DeviceData.upload(cpu, data.test())) {
            // each call adds a node that reads the named ones and returns its own name
            GraphBuilder g = Graph.builder(cpu, 42, 1, 28, 28);                     // seed, input [1, 28, 28]
            String x = g.maxPool("pool1", g.relu("relu1", g.batchNorm("bn1", g.conv("conv1", Graph.INPUT, 32, 3, 1, 1))), 2, 2, 0);
            String y = g.relu("relu2", g.batchNorm("bn2", g.conv("conv2", x, 32, 3, 1, 1)));
            y = g.batchNorm("bn3", g.conv("conv3", y, 32, 3, 1, 1));
            x = g.relu("relu3", g.add("add", x, y));   // a residual add: conv1's and conv3's channels go together
            g.dense("fc", g.flatten("flat", g.maxPool("pool2", x, 2, 2, 0)), 10);
            try (Graph net = g.build();
                 Trainer trainer = new Trainer(net, TrainConfig.builder().optEpochs(2).build())) {
                trainer.fit(train, test);
                PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.TAYLOR)
                        .optBudget(PruneConfig.Budget.FLOPS, 0.5)                  // half of the FLOPs stay
                        .optFinetune(TrainConfig.builder().optEpochs(1).build())
                        .build();
                Pruner.Outcome out = new Pruner(cfg).run(net, train, test);     // scores on train, evaluates on test
                System.out.printf("test accuracy %.4f with %d parameters%n", out.last().test().accuracy(), net.parameterCount());
                ModelFile.save(net, saveTo, Map.of("example", "QuickStart"));    // a smaller dense network
            }
            try (Graph reloaded = ModelFile.load(saveTo, cpu)) {
                System.out.printf("reloaded: test accuracy %.4f%n", Trainer.evaluate(reloaded, test).accuracy());
            }
        }
    }
}
