package io.prune4j.bench;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.io.ModelFile;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
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
 * The ResNet of {@code --arch resnet} on the CPU backend: one training step at batch 128 (forward in
 * training mode, softmax cross-entropy, backward, Adam at 1e-3: the peer of
 * {@code benchmarks/torch_resnet.py}) and inference at batch 256, the score in examples per second.
 *
 * <p>{@code model} is {@code resnet:W:D} (a freshly initialised ResNet of stem width {@code W} and
 * {@code D} blocks per stage; {@code resnet:16:1} is the default one) or the path of a saved model
 * file, to time a real pruned network against its dense baseline in the same run. Inputs are seeded
 * random images created once; training restores the initial weights and a fresh Adam before every
 * iteration ({@link TrainingStep#reset}, shared with {@link MlpBench}).
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 3, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class ResNetBench {
    static final int TRAIN_BATCH = 128;
    static final int INFER_BATCH = 256;

    @Param({"resnet:16:1"})
    public String model;

    @Param({"2"})
    public int threads;

    private Backend backend;
    private Graph net;
    private TrainingStep training;
    private Tensor inferX;

    @Setup(Level.Trial)
    public void setUp() {
        CpuBackend cpu = new CpuBackend(threads);
        backend = cpu;
        // which convolutions are timed (oneDNN's or the Java ones) is part of the result
        System.err.println("ResNetBench: " + model + ", " + threads + " threads, convolutions " + cpu.convPath());
        if (model.startsWith("resnet:")) {
            String[] p = model.split(":");
            net = Models.resnet(backend, new int[] {1, 28, 28}, Integer.parseInt(p[2]), Integer.parseInt(p[1]), 10, 42);
        } else {
            net = ModelFile.load(Path.of(model), backend);
        }
        SplittableRandom rng = new SplittableRandom(42);
        training = new TrainingStep(backend, net, TRAIN_BATCH, rng);
        inferX = backend.fromArray(TrainingStep.uniform(rng, INFER_BATCH * net.inputSize()), INFER_BATCH, net.inputSize());
    }

    @Setup(Level.Iteration)
    public void resetTraining() {
        training.reset();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        training.close();
        net.close();
        inferX.close();
        backend.close();
    }

    /** One training step at batch 128. Score: training examples per second. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(TRAIN_BATCH)
    public Tensor trainStep() {
        return training.run();
    }

    /** One inference forward pass at batch 256. Score: examples per second. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(INFER_BATCH)
    public Tensor inferB256() {
        return net.forward(inferX, false);
    }
}
