package io.prune4j.bench;

import io.prune4j.backend.Backend;
import io.prune4j.backend.Normalization;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Pruner;
import io.prune4j.prune.Ranking;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.TrainConfig;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Inference of a masked (unstructured-pruned) MLP: the dense product on the masked weights against
 * the sparse product ({@code Graph.inferenceScope}), batch-1 latency and batch-256 throughput, in one
 * run. {@code model} is a prune4j file (the default MLP pruned by {@code prune4j prune --unstructured
 * --scope global --criterion magnitude --sparsity 0.9 --save …}), or {@code random:S}: the seeded
 * 784-300-100-10 MLP pruned by global magnitude to sparsity S in the setup (untrained weights, so the
 * layers' densities differ from a trained model's). {@code path=dense} runs outside an inference
 * scope (OpenBLAS on the masked weights, what prune4j did before), {@code sparse} inside one (each
 * layer below the crossover density on the sparse product). Same settings as {@link MlpBench}.
 *
 * <pre>
 *   java -jar benchmarks/target/benchmarks.jar SparseMlpBench -p model=g90.safetensors,g95.safetensors -p threads=1
 * </pre>
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SparseMlpBench {
    static final int INFER_BATCH = 256;

    @Param({"random:0.9", "random:0.95"})
    public String model;

    @Param({"dense", "sparse"})
    public String path;

    @Param({"2"})
    public int threads;

    private Backend backend;
    private Graph net;
    private Graph.InferenceScope scope;
    private Tensor inferX;
    private Tensor singleX;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        if (model.startsWith("random:")) {
            net = Models.mlp(backend, 784, new int[] {300, 100}, 10, 42);
            double sparsity = Double.parseDouble(model.substring("random:".length()));
            PruneConfig cfg = PruneConfig.builder().setCriterion(Criterion.MAGNITUDE).optStructured(false)
                    .optRanking(Ranking.Config.ratio(Ranking.Scope.GLOBAL, Normalization.NONE, sparsity))
                    .optFinetune(TrainConfig.builder().optEpochs(0).build()).build();
            new Pruner(cfg, null).run(net, null, null, null);
        } else {
            net = ModelFile.load(Path.of(model), backend);
        }
        if (!path.equals("dense") && !path.equals("sparse")) {
            throw new IllegalArgumentException("path must be dense or sparse, got " + path);
        }
        SplittableRandom rng = new SplittableRandom(42);
        int in = net.inputSize();
        inferX = backend.fromArray(TrainingStep.uniform(rng, INFER_BATCH * in), INFER_BATCH, in);
        singleX = backend.fromArray(TrainingStep.uniform(rng, in), 1, in);
        scope = path.equals("sparse") ? net.inferenceScope() : null;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (scope != null) {
            scope.close();
        }
        net.close();
        inferX.close();
        singleX.close();
        backend.close();
    }

    /** One inference forward pass at batch 256. Score: examples per second. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(INFER_BATCH)
    public Tensor inferB256() {
        return net.forward(inferX, false);
    }

    /** Latency of one inference forward pass of a single example. Score: microseconds. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Tensor inferB1() {
        return net.forward(singleX, false);
    }
}
