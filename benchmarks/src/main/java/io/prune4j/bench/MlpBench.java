package io.prune4j.bench;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
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
 * The MNIST multilayer perceptron {@code 784 → hidden… → 10} on the CPU backend: one training step,
 * batched inference and single-example latency. {@code benchmarks/torch_mlp.py} measures the same
 * three things in PyTorch, and {@code benchmarks/compare-cpu.sh} puts the two side by side.
 *
 * <p>Units: {@link #trainStep} and {@link #inferB256} run in throughput mode with
 * {@link OperationsPerInvocation} set to the batch size, so JMH divides by the batch and their score
 * ("ops/s") is <em>examples per second</em>. {@link #inferB1} is the average time of one forward pass
 * of a single example, in microseconds.
 *
 * <p>Runs are short on purpose (3 warm-up and 5 measured iterations of 2 s, one fork): the reference
 * machine has two cores, which the OpenBLAS threads already occupy.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
// A fixed heap, so that heap resizing cannot land inside a measured iteration.
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class MlpBench {
    static final int INPUTS = 784;
    static final int CLASSES = 10;
    static final int TRAIN_BATCH = 128;
    static final int INFER_BATCH = 256;
    static final long SEED = 42;

    /**
     * Hidden layer sizes. "300,100" is the default LeNet-300-100 style MLP; "150,50" is that model
     * after structured pruning removed half of every hidden layer's neurons. JMH's {@code -p} splits its
     * values at commas, so on the command line write {@code -p hidden=300x100} ('x', ':' and '-' are
     * accepted as separators too).
     */
    @Param({"300,100", "150,50"})
    public String hidden;

    /** OpenBLAS threads of the backend; the element-wise Java loops always run on the caller's thread. */
    @Param({"2"})
    public int threads;

    private Backend backend;
    private Graph net;
    private TrainingStep training;
    private Tensor inferX;
    private Tensor singleX;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        net = Models.mlp(backend, INPUTS, parseHidden(hidden), CLASSES, SEED);
        // Fixed, seeded inputs created once: the benchmark measures the network, not data loading or
        // batch gathering, every invocation does exactly the same work, and a run is reproducible.
        SplittableRandom rng = new SplittableRandom(SEED);
        training = new TrainingStep(backend, net, TRAIN_BATCH, rng);
        inferX = backend.fromArray(TrainingStep.uniform(rng, INFER_BATCH * INPUTS), INFER_BATCH, INPUTS);
        singleX = backend.fromArray(TrainingStep.uniform(rng, INPUTS), 1, INPUTS);
    }

    /** Every iteration starts again from the seeded initial weights and a fresh Adam ({@link TrainingStep#reset}). */
    @Setup(Level.Iteration)
    public void resetTraining() {
        training.reset();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        training.close();
        net.close();
        inferX.close();
        singleX.close();
        backend.close();
    }

    // The results of every benchmark land in tensors reachable from this state object and pass
    // through native OpenBLAS calls, so the JIT cannot discard the work as dead code. The methods still
    // return a result, which JMH feeds to its Blackhole, the standard guard against dead-code elimination.

    /**
     * One training step at batch 128, as {@code Trainer} does it: forward, fused softmax–cross-entropy
     * with its gradient (mean over the batch), backward, Adam step. Score: training examples per second.
     */
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

    /** Latency of one inference forward pass of a single example. Score: microseconds per example. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public Tensor inferB1() {
        return net.forward(singleX, false);
    }

    /** "300,100" (or "300x100", "300:100", "300-100") to {300, 100}. */
    static int[] parseHidden(String spec) {
        String[] parts = spec.trim().split("[,x:\\-\\s]+");
        int[] sizes = Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
        for (int s : sizes) {
            if (s < 1) {
                throw new IllegalArgumentException("hidden sizes must be positive, got \"" + spec + "\"");
            }
        }
        return sizes;
    }
}
