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
 * Inference of the Fashion-MNIST CNN ({@code conv 1→c1, pool, conv c1→c2, pool, fc → h, fc → 10}) at
 * batch 256 on the CPU backend: the dense model against the one channel pruning left. The score is
 * examples per second ({@link OperationsPerInvocation} is the batch).
 *
 * <p>{@code arch} is either {@code c1xc2xh} (e.g. {@code 64x128x256}, the seeds' CNN, and
 * {@code 32x64x128}, what removing half of every hidden layer's channels and units leaves: a
 * compacted model has exactly that shape, and inference cost does not depend on the weight values),
 * or the path of a saved model file, to time a real pruned model.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 3, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class CnnBench {
    static final int BATCH = 256;

    @Param({"64x128x256", "32x64x128"})
    public String arch;

    @Param({"1"})
    public int threads;

    private Backend backend;
    private Graph net;
    private Tensor x;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        if (arch.endsWith(".safetensors")) {
            net = ModelFile.load(Path.of(arch), backend);
        } else {
            int[] s = MlpBench.parseHidden(arch);
            if (s.length != 3) {
                throw new IllegalArgumentException("arch must be c1xc2xhidden or a model file, got " + arch);
            }
            net = Models.cnn(backend, new int[] {1, 28, 28}, new int[] {s[0], s[1]}, s[2], 10, 42);
        }
        SplittableRandom rng = new SplittableRandom(42);
        float[] v = new float[BATCH * net.inputSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextDouble();
        }
        x = backend.fromArray(v, BATCH, net.inputSize());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        net.close();
        x.close();
        backend.close();
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public Tensor inferB256() {
        return net.forward(x, false);
    }
}
