package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.WeightLayer;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.Sequential;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import io.prune4j.train.EpochResult;
import io.prune4j.train.Metrics;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainListener;
import io.prune4j.train.Trainer;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link PruneConfig} on a trained network: score → rank → prune (compact or mask) →
 * fine-tune, once or in rounds, and records what each round did and how long each phase took.
 * The network is changed in place.
 */
public final class Pruner {
    /** What one pruning step left: the target, the parameters still there, and test metrics after its fine-tuning. */
    public record Round(int round, double targetSparsity, long params, long nonzeroParams, Metrics test) {}

    /** All rounds and the seconds spent scoring, selecting/compacting and fine-tuning. */
    public record Outcome(List<Round> rounds, double scoreSeconds, double pruneSeconds, double finetuneSeconds) {}

    /** Progress of a run, for progress bars; fine-tuning epochs report through the {@link TrainListener}. */
    public interface Listener extends TrainListener {
        default void scoring(int round, int batches) {}

        default void scoredBatch() {}

        /** A least-squares refit ({@code --reconstruct}) starts: {@code layers} layers of {@code batches} calibration batches each. */
        default void refitting(int round, int layers, int batches) {}

        /** One calibration batch of one refitted layer is done. */
        default void refitBatch() {}

        default void pruned(Round round) {}
    }

    private final PruneConfig cfg;
    private final Listener listener;
    private double scoreSeconds;
    private double pruneSeconds;
    private double finetuneSeconds;

    public Pruner(PruneConfig cfg, Listener listener) {
        this.cfg = cfg;
        this.listener = listener == null ? new Listener() {} : listener;
    }

    /**
     * @param net     the trained network; pruned in place
     * @param initial the network's initial weights (same shape), needed for rewinding, else may be null;
     *                compacted along with {@code net}
     */
    public Outcome run(Sequential net, Sequential initial, DeviceData train, DeviceData test) {
        if (cfg.rewind() && initial == null) {
            throw new InvalidSettingException("rewinding needs the initial weights: train from scratch instead of loading a model");
        }
        List<Integer> layers = cfg.structured() ? Compaction.prunableUnitLayers(net) : Compaction.prunableWeightLayers(net);
        if (layers.isEmpty()) {
            throw new InvalidSettingException("the network has no prunable layers (a single weight layer has no hidden units)");
        }
        int[] reference = sizes(net, layers, cfg.structured());
        List<Round> rounds = new ArrayList<>();
        Distillation distillation = cfg.distill() ? new Distillation(net.copy(), cfg.distillTemperature(), cfg.distillAlpha()) : null;
        try {
            switch (cfg.schedule()) {
                case ONESHOT, ITERATIVE -> {
                    int n = cfg.schedule() == Schedule.ONESHOT ? 1 : cfg.rounds();
                    for (int r = 1; r <= n; r++) {
                        // a threshold or count applies as given; a sparsity is reached geometrically over the rounds
                        double target = cfg.ranking().mode() != Ranking.Mode.RATIO ? cfg.ranking().value()
                                : 1 - Math.pow(1 - cfg.ranking().value(), (double) r / n);
                        pruneStep(net, layers, reference, target, r, false, initial, train);
                        if (cfg.rewind() && r == n) {
                            rewind(net, initial);
                        }
                        Metrics m = finetune(net, train, test, cfg.finetune(), distillation, null);
                        Round round = new Round(r, target, net.parameterCount(), nonzero(net), m);
                        rounds.add(round);
                        listener.pruned(round);
                    }
                }
                case GRADUAL -> rounds.addAll(gradual(net, layers, reference, train, test, distillation));
            }
        } finally {
            if (distillation != null) {
                distillation.close();
            }
        }
        return new Outcome(rounds, scoreSeconds, pruneSeconds, finetuneSeconds);
    }

    private List<Round> gradual(Sequential net, List<Integer> layers, int[] reference, DeviceData train, DeviceData test,
                                Distillation distillation) {
        TrainConfig ft = cfg.finetune();
        long total = ft.totalSteps(train.count());
        int n = cfg.rounds();
        long dt = Math.max(1, (2 * total) / (3L * n));
        double sf = cfg.ranking().value();
        List<Round> rounds = new ArrayList<>();
        long[] step = {0};
        int[] k = {0};
        TrainListener pruneDuring = new TrainListener() {
            @Override
            public void batchDone(int epoch, int batch) {
                step[0]++;
                if (k[0] < n && step[0] % dt == 0) {
                    k[0]++;
                    double st = gradualSparsity(sf, k[0], n);
                    pruneStep(net, layers, reference, st, k[0], true, null, train);
                    Round r = new Round(k[0], st, net.parameterCount(), nonzero(net), null);
                    rounds.add(r);
                    listener.pruned(r);
                }
                listener.batchDone(epoch, batch);
            }
        };
        Metrics m = finetune(net, train, test, ft, distillation, pruneDuring);
        while (k[0] < n) { // fewer steps than pruning points (tiny data): finish the schedule
            k[0]++;
            pruneStep(net, layers, reference, gradualSparsity(sf, k[0], n), k[0], true, null, train);
        }
        if (cfg.structured()) {
            long t0 = System.nanoTime();
            List<Tensor> masks = new ArrayList<>();
            for (int li : layers) {
                masks.add(Compaction.weightLayer(net, li).bias().mask());
            }
            Compaction.compact(net, layers, masks);
            pruneSeconds += (System.nanoTime() - t0) / 1e9;
            m = Trainer.evaluate(net, test);
        }
        // the last pruning step already has its row; it gets the final test metrics rather than a second row
        Round last = new Round(n, sf, net.parameterCount(), nonzero(net), m);
        if (!rounds.isEmpty() && rounds.get(rounds.size() - 1).round() == n) {
            rounds.set(rounds.size() - 1, last);
        } else {
            rounds.add(last);
        }
        return rounds;
    }

    /**
     * Zhu &amp; Gupta's cubic schedule at pruning step {@code k} of {@code n}, starting from
     * {@code s_i = 0}: {@code s_f + (s_i − s_f)·(1 − k/n)³}.
     */
    static double gradualSparsity(double finalSparsity, int k, int n) {
        double initialSparsity = 0;
        return finalSparsity + (initialSparsity - finalSparsity) * Math.pow(1 - (double) k / n, 3);
    }

    /** Scores, ranks with the target sparsity, and prunes: compaction, unit masks ({@code maskOnly}) or weight masks. */
    private void pruneStep(Sequential net, List<Integer> layers, int[] reference, double target, int round, boolean maskOnly,
                           Sequential initial, DeviceData train) {
        Granularity g = cfg.structured() ? Granularity.UNIT : Granularity.WEIGHT;
        long t0 = System.nanoTime();
        List<Tensor> scores;
        ActivationMeans means = cfg.biasCompensation() && cfg.structured() && !maskOnly ? new ActivationMeans(net, layers) : null;
        try (Scorer scorer = Scorers.create(cfg.criterion(), cfg.seed() + round)) {
            int batches = cfg.criterion().needsData() ? cfg.calibrationBatches() : 0;
            listener.scoring(round, batches);
            scores = Calibration.score(scorer, net, layers, g, train, batches, cfg.seed() + 7919L * round, listener::scoredBatch);
        } finally {
            if (means != null) {
                means.detach();
            }
        }
        long t1 = System.nanoTime();
        List<Tensor> prior = new ArrayList<>();
        for (int li : layers) {
            WeightLayer d = Compaction.weightLayer(net, li);
            prior.add(cfg.structured() ? d.bias().mask() : d.weight().mask());
        }
        List<Tensor> masks = Ranking.select(scores, prior, reference, cfg.ranking().withValue(target));
        try {
            if (cfg.reconstruct() && !maskOnly) {
                long seed = cfg.seed() + 7919L * round + 1;
                Reconstruction.Progress progress = new Reconstruction.Progress() {
                    @Override
                    public void started(int refitted, int batches) {
                        listener.refitting(round, refitted, batches);
                    }

                    @Override
                    public void batchDone() {
                        listener.refitBatch();
                    }
                };
                if (cfg.structured()) {
                    Reconstruction.refitUnits(net, layers, masks, train, cfg.calibrationBatches(), seed, progress);
                } else {
                    Reconstruction.refitWeights(net, layers, masks, train, cfg.calibrationBatches(), seed, progress);
                }
            }
            if (!cfg.structured()) {
                Compaction.maskWeights(net, layers, masks);
            } else if (maskOnly) {
                Compaction.maskUnits(net, layers, masks);
            } else {
                if (means != null) {
                    means.compensate(masks);
                }
                if (initial != null) {
                    Compaction.compact(net, layers, masks, initial);
                } else {
                    Compaction.compact(net, layers, masks);
                }
            }
        } finally {
            scores.forEach(Tensor::close);
            masks.forEach(Tensor::close);
            if (means != null) {
                means.close();
            }
        }
        scoreSeconds += (t1 - t0) / 1e9;
        pruneSeconds += (System.nanoTime() - t1) / 1e9;
    }

    /** Lottery-ticket rewinding (Frankle &amp; Carbin 2019): survivors go back to their initial values; masks stay. */
    private static void rewind(Sequential net, Sequential initial) {
        Backend b = net.backend();
        List<Parameter> now = net.parameters();
        List<Parameter> init = initial.parameters();
        for (int i = 0; i < now.size(); i++) {
            Parameter p = now.get(i);
            b.copy(p.value(), init.get(i).value());
            if (p.mask() != null) {
                b.mul(p.value(), p.mask());
            }
        }
    }

    private Metrics finetune(Sequential net, DeviceData train, DeviceData test, TrainConfig ft, Distillation distillation,
                             TrainListener during) {
        long t0 = System.nanoTime();
        Metrics m;
        if (ft.epochs() == 0) {
            m = Trainer.evaluate(net, test);
        } else {
            try (Trainer trainer = new Trainer(net, ft)) {
                if (distillation != null) {
                    trainer.setLoss(distillation);
                }
                List<EpochResult> epochs = trainer.fit(train, test, during == null ? listener : new TrainListener() {
                    @Override
                    public void epochStarted(int epoch, int batches) {
                        listener.epochStarted(epoch, batches);
                    }

                    @Override
                    public void batchDone(int epoch, int batch) {
                        during.batchDone(epoch, batch);
                    }

                    @Override
                    public void epochDone(EpochResult r) {
                        listener.epochDone(r);
                    }
                });
                m = epochs.get(epochs.size() - 1).test();
            }
        }
        finetuneSeconds += (System.nanoTime() - t0) / 1e9;
        return m;
    }

    /** Units (structured) or weights (unstructured) per layer: what a sparsity is a fraction of. */
    private static int[] sizes(Sequential net, List<Integer> layers, boolean units) {
        int[] s = new int[layers.size()];
        for (int i = 0; i < s.length; i++) {
            WeightLayer d = Compaction.weightLayer(net, layers.get(i));
            s[i] = units ? d.units() : d.weight().size();
        }
        return s;
    }

    /** Parameters that are not held at zero by a mask. */
    public static long nonzero(Sequential net) {
        long n = 0;
        for (Parameter p : net.parameters()) {
            n += nonzero(p);
        }
        return n;
    }

    /** Elements of {@code p} not held at zero by its mask (all of them when it has none). */
    public static long nonzero(Parameter p) {
        return p.mask() == null ? p.size() : Ranking.count(p.value().backend(), p.mask());
    }
}
