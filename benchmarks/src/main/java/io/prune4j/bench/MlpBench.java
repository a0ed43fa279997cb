package io.prune4j.bench;

import io.prune4j.backend.Backend;
import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Adam;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
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
    /** torch.optim.Adam's default learning rate, as in torch_mlp.py. */
    static final float LEARNING_RATE = 1e-3f;
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
    /** The seeded initial weights, restored before every iteration (see {@link #resetTraining}). */
    private Graph initial;
    private List<Parameter> params;
    private List<Parameter> initialParams;
    private Adam adam;

    private Tensor trainX;
    private Tensor trainY;
    private Tensor gradLogits;
    private Tensor metrics;
    private Tensor inferX;
    private Tensor singleX;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        net = Models.mlp(backend, INPUTS, parseHidden(hidden), CLASSES, SEED);
        initial = net.copy();
        params = net.parameters();
        initialParams = initial.parameters();
        adam = new Adam();

        // Fixed, seeded inputs created once: the benchmark measures the network, not data loading or
        // batch gathering, every invocation does exactly the same work, and a run is reproducible.
        // Pixel-like values in [0, 1) and uniform labels; dense GEMM cost does not depend on the values.
        SplittableRandom rng = new SplittableRandom(SEED);
        trainX = backend.fromArray(uniform(rng, TRAIN_BATCH * INPUTS), TRAIN_BATCH, INPUTS);
        int[] labels = new int[TRAIN_BATCH];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(CLASSES);
        }
        trainY = backend.fromArray(labels, TRAIN_BATCH);
        gradLogits = backend.zeros(DType.FLOAT32, TRAIN_BATCH, CLASSES);
        metrics = backend.zeros(DType.FLOAT32, 2);
        inferX = backend.fromArray(uniform(rng, INFER_BATCH * INPUTS), INFER_BATCH, INPUTS);
        singleX = backend.fromArray(uniform(rng, INPUTS), 1, INPUTS);
    }

    /**
     * Training on one fixed batch memorises it: after some thousands of steps the softmax
     * probabilities of the wrong classes, the gradients and Adam's second moments shrink towards
     * float subnormals, which are many times slower on x86 and would make later iterations measure a
     * different (and unrealistic) workload. So every iteration starts again from the seeded initial
     * weights with a fresh Adam state; an iteration (about 2 s) is far too short to get there.
     * Copying the weights here is outside the measured time. torch_mlp.py does the same per round.
     */
    @Setup(Level.Iteration)
    public void resetTraining() {
        for (int i = 0; i < params.size(); i++) {
            backend.copy(params.get(i).value(), initialParams.get(i).value());
        }
        adam.reset();
        backend.fill(metrics, 0f);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        adam.close();
        net.close();
        initial.close();
        for (Tensor t : new Tensor[] {trainX, trainY, gradLogits, metrics, inferX, singleX}) {
            t.close();
        }
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
        Tensor logits = net.forward(trainX, true);
        backend.softmaxCrossEntropy(gradLogits, metrics, logits, trainY, 1f / TRAIN_BATCH);
        net.backward(gradLogits);
        adam.step(params, LEARNING_RATE);
        return metrics;
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

    private static float[] uniform(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextDouble();
        }
        return a;
    }
}
