package io.prune4j.train;

import io.prune4j.backend.Backend;
import io.prune4j.nn.Adam;
import io.prune4j.nn.Optimizer;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.nn.Sgd;
import io.prune4j.tensor.DType;
import io.prune4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Mini-batch training of a {@link Graph} classifier with softmax cross-entropy.
 *
 * <p>Each epoch shuffles the example order with a generator seeded from the config's seed (so a
 * seed fixes the whole run), gathers batches on the backend from the uploaded data set, and sums
 * loss and correct predictions on the device; the host reads those sums once per epoch.
 *
 * <p>The trainer changes the network's weights in place and owns its optimiser's state (moment
 * estimates), which {@link #close()} frees; the network and the data stay the caller's.
 */
public final class Trainer implements AutoCloseable {
    /** Batch size of evaluation passes; large, since no gradients are kept. */
    public static final int EVAL_BATCH = 1000;

    private final Graph net;
    private final TrainConfig config;
    private final Backend backend;
    private final Optimizer optimizer;
    private final SplittableRandom shuffleRng;
    private Loss loss = Loss.crossEntropy();
    private long step;

    /**
     * A trainer of {@code net} with the optimiser {@code config} asks for (Adam with β₁ 0.9, β₂
     * 0.999, ε 1e-8, or SGD with the config's momentum; the config's weight decay either way) and a
     * shuffling order seeded from {@code config.seed()}.
     *
     * @param net    the network to train; borrowed, its weights change in place
     * @param config how to train
     */
    public Trainer(Graph net, TrainConfig config) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(config, "config");
        net.requireClassifier("training");
        this.net = net;
        this.config = config;
        this.backend = net.backend();
        this.optimizer = config.optimizer() == TrainConfig.OptimizerKind.ADAM
                ? new Adam(0.9f, 0.999f, 1e-8f, config.weightDecay())
                : new Sgd(config.momentum(), config.weightDecay());
        this.shuffleRng = new SplittableRandom(config.seed() ^ 0x5DEECE66DL);
    }

    /**
     * The optimiser the training steps use; owned by this trainer, closed with it.
     *
     * @return the optimiser
     */
    public Optimizer optimizer() {
        return optimizer;
    }

    /**
     * Replaces the objective (e.g. with knowledge distillation); {@link Loss#crossEntropy()} by
     * default. Evaluation always measures softmax cross-entropy.
     *
     * @param loss the objective of the training steps; borrowed, not closed by the trainer
     * @return this trainer
     */
    public Trainer setLoss(Loss loss) {
        this.loss = Objects.requireNonNull(loss, "loss");
        return this;
    }

    /**
     * Training steps taken so far, over every {@link #fit} and {@link #runEpoch} of this trainer; the
     * learning-rate schedule's position.
     *
     * @return the steps
     */
    public long steps() {
        return step;
    }

    /**
     * Trains with no progress callbacks: {@code fit(train, test, null)}.
     *
     * @param train the training set; borrowed (not null)
     * @param test  the test set to evaluate on after each epoch, or null for none
     * @return one result per epoch, in order
     * @throws TrainingDivergedException when an epoch diverges (the weights are restored first)
     */
    public List<EpochResult> fit(DeviceData train, DeviceData test) {
        return fit(train, test, null);
    }

    /**
     * Runs {@code config.epochs()} epochs, numbered from 1, evaluating on {@code test} (if not null)
     * after each. With 0 epochs it takes no step and returns an empty list.
     *
     * <p>When an epoch diverges (its training loss, a weight or the test loss is NaN or infinite)
     * the weights go back to those at the end of the last good epoch, or to those before the first
     * one, and a {@link TrainingDivergedException} says which epoch, what turned non-finite and what
     * was restored. The network is left usable; masks are re-applied to the restored weights.
     *
     * @param train    the training set; borrowed
     * @param test     the test set to evaluate on after each epoch, or null: then no evaluation runs
     *                 and every result's {@link EpochResult#test() test} metrics are null
     * @param listener progress callbacks, or null for none ({@link TrainListener#NONE})
     * @return one result per epoch, in order
     * @throws TrainingDivergedException when an epoch diverges (the weights are restored first)
     * @throws io.prune4j.InvalidSettingException when the config augments but the network's examples are not images
     *                                            {@code [C, H, W]}
     */
    public List<EpochResult> fit(DeviceData train, DeviceData test, TrainListener listener) {
        Objects.requireNonNull(train, "train");
        if (listener == null) {
            listener = TrainListener.NONE;
        }
        if (config.augment() && net.inputShape().length != 3) {
            throw new io.prune4j.InvalidSettingException("augmentation shifts and mirrors images, but the network takes examples of shape "
                    + java.util.Arrays.toString(net.inputShape()));
        }
        List<EpochResult> results = new ArrayList<>();
        long totalSteps = config.totalSteps(train.count());
        List<Parameter> params = net.parameters();
        // the layers' buffers too (BatchNorm's running statistics), which a diverging epoch fills with NaN as well
        List<Tensor> buffers = new ArrayList<>();
        for (io.prune4j.nn.Layer l : net.layers()) {
            buffers.addAll(l.buffers().values());
        }
        // one copy of the weights (a forward pass's worth of memory or less), so a NaN costs one epoch, not the run
        List<Tensor> lastGood = new ArrayList<>();
        try {
            for (Parameter p : params) {
                lastGood.add(backend.zeros(p.value().dtype(), p.value().shape()));
            }
            for (Tensor t : buffers) {
                lastGood.add(backend.zeros(t.dtype(), t.shape()));
            }
            copyAll(lastGood, params, buffers, true);
            for (int e = 1; e <= config.epochs(); e++) {
                try {
                    results.add(runEpoch(e, train, test, totalSteps, listener));
                } catch (TrainingDivergedException d) {
                    copyAll(lastGood, params, buffers, false);
                    throw d.restored(e - 1);
                }
                copyAll(lastGood, params, buffers, true);
            }
        } finally {
            lastGood.forEach(Tensor::close);
        }
        return results;
    }

    /** Copies the parameter values and buffers into {@code saved} ({@code save}) or back, re-applying masks. */
    private void copyAll(List<Tensor> saved, List<Parameter> params, List<Tensor> buffers, boolean save) {
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            if (save) {
                backend.copy(saved.get(i), p.value());
            } else {
                backend.copy(p.value(), saved.get(i));
                if (p.mask() != null) {
                    // gradual pruning may have masked more since the copy was taken
                    backend.mul(p.value(), p.mask());
                }
            }
        }
        for (int i = 0; i < buffers.size(); i++) {
            Tensor s = saved.get(params.size() + i);
            if (save) {
                backend.copy(s, buffers.get(i));
            } else {
                backend.copy(buffers.get(i), s);
            }
        }
    }

    /**
     * One epoch of training steps over {@code train} (in a fresh shuffled order), then an evaluation
     * on {@code test}. Unlike {@link #fit} it restores nothing when the epoch diverges, and it does not
     * check that augmentation fits the network.
     *
     * @param epoch      the epoch's number, passed to the listener and the result
     * @param train      the training set; borrowed
     * @param test       the test set, or null: then no evaluation runs and the result's test metrics are null
     * @param totalSteps the steps of the whole run, for the learning-rate schedule ({@link TrainConfig#totalSteps})
     * @param listener   progress callbacks, or null for none
     * @return what the epoch did
     * @throws TrainingDivergedException when the training loss, a weight or the test loss is not finite
     *                                   after the epoch (the weights are left as they are)
     */
    public EpochResult runEpoch(int epoch, DeviceData train, DeviceData test, long totalSteps, TrainListener listener) {
        Objects.requireNonNull(train, "train");
        if (listener == null) {
            listener = TrainListener.NONE;
        }
        int n = train.count();
        int bs = config.batchSize();
        int batches = config.batchesPerEpoch(n);
        listener.epochStarted(epoch, batches);
        try (Tensor order = backend.fromArray(permutation(n), n);
             Tensor sums = backend.zeros(DType.FLOAT32, 2);
             Batch batch = new Batch(backend, train.featureSize())) {
            long t0 = System.nanoTime();
            for (int b = 0; b < batches; b++) {
                int offset = b * bs;
                int rows = batch.resize(Math.min(bs, n - offset));
                backend.gatherRows(batch.x, train.features(), order, offset);
                backend.gatherRows(batch.y, train.labels(), order, offset);
                // a fresh draw of shifts and mirrors every step, from the seed and the step alone
                Tensor input = config.augment() ? batch.augmented(net.inputShape(), config.seed() ^ (0x632BE59BD9B4E019L * (step + 1)))
                        : batch.x;
                Tensor logits = net.forward(input, true);
                Tensor grad = batch.gradFor(logits);
                loss.apply(grad, sums, logits, batch.y, input, 1f / rows);
                net.backward(grad);
                optimizer.step(net.parameters(), config.learningRateAt(step, totalSteps));
                step++;
                listener.batchDone(epoch, b);
            }
            backend.synchronize(); // queued device work belongs to the epoch's time
            double seconds = (System.nanoTime() - t0) / 1e9;
            // Everything the epoch's end looks at comes back in one device→host copy: the training
            // sums, one sum per parameter tensor (NaN weights need not show in the loss: the last
            // step's update is in no loss yet, and a ReLU built on fmaxf (CUDA) turns NaN into 0) and
            // the test sums.
            List<Parameter> params = net.parameters();
            float[] v;
            try (Tensor all = backend.zeros(DType.FLOAT32, 4 + params.size());
                 Tensor one = backend.zeros(DType.FLOAT32, 1);
                 Tensor testSums = backend.zeros(DType.FLOAT32, 2)) {
                backend.copyRange(all, 0, sums, 0, 2);
                for (int i = 0; i < params.size(); i++) {
                    backend.sum(one, params.get(i).value());
                    backend.copyRange(all, 2 + i, one, 0, 1);
                }
                if (test != null) {
                    accumulateEvaluation(net, test, testSums);
                    backend.copyRange(all, 2 + params.size(), testSums, 0, 2);
                }
                v = all.toFloatArray();
            }
            Metrics trainMetrics = Metrics.fromSums(new float[] {v[0], v[1]}, n);
            if (!Double.isFinite(trainMetrics.loss())) {
                throw diverged(epoch, "the training loss", trainMetrics.loss());
            }
            checkWeights(epoch, v, 2);
            Metrics testMetrics = test == null ? null
                    : Metrics.fromSums(new float[] {v[2 + params.size()], v[3 + params.size()]}, test.count());
            if (testMetrics != null && !Double.isFinite(testMetrics.loss())) {
                throw diverged(epoch, "the test loss", testMetrics.loss());
            }
            EpochResult r = new EpochResult(epoch, trainMetrics, testMetrics, seconds, n / seconds);
            listener.epochDone(r);
            return r;
        }
    }

    private TrainingDivergedException diverged(int epoch, String what, double value) {
        return new TrainingDivergedException(epoch, what, value, config.learningRate());
    }

    /**
     * Throws when a parameter holds a NaN or infinity, i.e. its sum is not finite; {@code sums[from + i]}
     * is the sum of the i-th parameter tensor in {@link Graph#parameters()} order.
     */
    private void checkWeights(int epoch, float[] sums, int from) {
        List<io.prune4j.nn.Layer> layers = net.layers();
        int i = from;
        for (int l = 0; l < layers.size(); l++) {
            for (Parameter p : layers.get(l).parameters()) {
                float v = sums[i++];
                if (!Float.isFinite(v)) {
                    throw diverged(epoch, "the " + p.name() + " of layer " + (l + 1) + " (" + layers.get(l).describe() + ")", v);
                }
            }
        }
    }

    /**
     * Mean softmax cross-entropy and accuracy of {@code net} on {@code data}: inference passes of
     * {@link #EVAL_BATCH} examples inside an {@link Graph#inferenceScope()}, one host read at the end.
     * The weights do not change.
     *
     * @param net  the network
     * @param data the examples to evaluate on; borrowed
     * @return the metrics over all of {@code data}
     */
    public static Metrics evaluate(Graph net, DeviceData data) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(data, "data");
        net.requireClassifier("accuracy and loss");
        try (Tensor sums = net.backend().zeros(DType.FLOAT32, 2);
             Graph.InferenceScope inference = net.inferenceScope()) {
            accumulateEvaluation(net, data, sums);
            return Metrics.fromSums(sums.toFloatArray(), data.count());
        }
    }

    /** Adds the summed loss and correct count of {@code net} on {@code data} to {@code sums [2]}, on the device. */
    private static void accumulateEvaluation(Graph net, DeviceData data, Tensor sums) {
        Backend backend = net.backend();
        int n = data.count();
        try (Tensor order = backend.fromArray(identity(n), n);
             Batch batch = new Batch(backend, data.featureSize())) {
            for (int offset = 0; offset < n; offset += EVAL_BATCH) {
                batch.resize(Math.min(EVAL_BATCH, n - offset));
                backend.gatherRows(batch.x, data.features(), order, offset);
                backend.gatherRows(batch.y, data.labels(), order, offset);
                Tensor logits = net.forward(batch.x, false);
                backend.softmaxCrossEntropy(null, sums, logits, batch.y, 0f);
            }
        }
    }

    private int[] permutation(int n) {
        int[] p = identity(n);
        for (int i = n - 1; i > 0; i--) {
            int j = shuffleRng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** Frees the optimiser's state; the network stays the caller's. */
    @Override
    public void close() {
        optimizer.close();
    }

    /** Input, label and logit-gradient buffers, reallocated only when the batch size changes. */
    private static final class Batch implements AutoCloseable {
        private final Backend backend;
        private final int features;
        Tensor x;
        Tensor y;
        private Tensor grad;
        private Tensor augmented;

        Batch(Backend backend, int features) {
            this.backend = backend;
            this.features = features;
        }

        /** Makes the buffers hold {@code rows} examples; returns {@code rows}. */
        int resize(int rows) {
            if (x == null || x.dim(0) != rows) {
                close();
                x = backend.zeros(DType.FLOAT32, rows, features);
                y = backend.zeros(DType.INT32, rows);
            }
            return rows;
        }

        /** {@link #x} shifted and mirrored ({@link Backend#augmentImages}), flat like it; valid until the next call. */
        Tensor augmented(int[] imageShape, long seed) {
            int rows = x.dim(0);
            int[] shape = {rows, imageShape[0], imageShape[1], imageShape[2]};
            if (augmented == null || !augmented.sameShape(x)) {
                if (augmented != null) {
                    augmented.close();
                }
                augmented = backend.zeros(DType.FLOAT32, x.shape());
            }
            backend.augmentImages(backend.reshape(augmented, shape), backend.reshape(x, shape), seed, TrainConfig.AUGMENT_SHIFT, true);
            return augmented;
        }

        Tensor gradFor(Tensor logits) {
            if (grad == null || !grad.sameShape(logits)) {
                if (grad != null) {
                    grad.close();
                }
                grad = backend.zeros(DType.FLOAT32, logits.shape());
            }
            return grad;
        }

        @Override
        public void close() {
            for (Tensor t : new Tensor[] {x, y, grad, augmented}) {
                if (t != null) {
                    t.close();
                }
            }
            x = y = grad = augmented = null;
        }
    }
}
