package io.prune4j.bench;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Adam;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Parameter;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The training step the CPU benchmarks time, as {@code Trainer} does it: forward in training mode,
 * fused softmax–cross-entropy with its gradient (mean over the batch), backward, Adam at 1e-3, on one
 * fixed batch of seeded pixel-like inputs in [0, 1) and uniform labels (dense cost does not depend on
 * the values). Holds a copy of the initial weights so that {@link #reset} can start again from them.
 */
final class TrainingStep implements AutoCloseable {
    static final float LEARNING_RATE = 1e-3f;

    private final Backend backend;
    private final Graph net;
    private final Graph initial;
    private final List<Parameter> params;
    private final List<Parameter> initialParams;
    private final Adam adam = new Adam();
    private final Tensor x;
    private final Tensor y;
    private final Tensor gradLogits;
    private final Tensor metrics;
    private final float scale;

    /** A batch of {@code batch} examples for {@code net}, drawn from {@code rng} (inputs first, then labels). */
    TrainingStep(Backend backend, Graph net, int batch, SplittableRandom rng) {
        this.backend = backend;
        this.net = net;
        this.initial = net.copy();
        this.params = net.parameters();
        this.initialParams = initial.parameters();
        int in = net.inputSize();
        x = backend.fromArray(uniform(rng, batch * in), batch, in);
        int[] labels = new int[batch];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = rng.nextInt(net.outputSize());
        }
        y = backend.fromArray(labels, batch);
        gradLogits = backend.zeros(DType.FLOAT32, batch, net.outputSize());
        metrics = backend.zeros(DType.FLOAT32, 2);
        scale = 1f / batch;
    }

    /** {@code n} seeded values in [0, 1). */
    static float[] uniform(SplittableRandom rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rng.nextDouble();
        }
        return v;
    }

    /**
     * Training on one fixed batch memorises it: after some thousands of steps the softmax
     * probabilities of the wrong classes, the gradients and Adam's second moments shrink towards
     * float subnormals, which are many times slower on x86 and would make later iterations measure a
     * different (and unrealistic) workload. So every iteration starts again from the seeded initial
     * weights with a fresh Adam state; an iteration (a few seconds) is far too short to get there.
     * The benchmarks call this outside the measured time; the PyTorch scripts do the same per round.
     */
    void reset() {
        for (int i = 0; i < params.size(); i++) {
            backend.copy(params.get(i).value(), initialParams.get(i).value());
        }
        adam.reset();
        backend.fill(metrics, 0f);
    }

    /** One step; returns the metrics tensor it writes (for JMH's Blackhole). */
    Tensor run() {
        Tensor logits = net.forward(x, true);
        backend.softmaxCrossEntropy(gradLogits, metrics, logits, y, scale);
        net.backward(gradLogits);
        adam.step(params, LEARNING_RATE);
        return metrics;
    }

    /** Frees the copy, the optimiser state and the batch; the network and the backend stay the caller's. */
    @Override
    public void close() {
        adam.close();
        initial.close();
        for (Tensor t : new Tensor[] {x, y, gradLogits, metrics}) {
            t.close();
        }
    }
}
