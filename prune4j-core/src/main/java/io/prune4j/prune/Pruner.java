package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.backend.Backend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Parameter;
import io.prune4j.nn.WeightLayer;
import io.prune4j.tensor.Tensor;
import io.prune4j.train.DeviceData;
import io.prune4j.train.EpochResult;
import io.prune4j.train.Metrics;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainListener;
import io.prune4j.train.Trainer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs a {@link PruneConfig} on a trained network: score → rank → prune (compact or mask) →
 * fine-tune, once or in rounds, and records what each round did and how long each phase took.
 * The network is changed in place.
 *
 * <p>Structured pruning works on the network's dependency groups ({@link ChannelGroups}): each
 * scored member of a group is scored by the criterion, the group's units get the reduction of their
 * members' normalised scores ({@link GroupScores}), and the groups are ranked like layers (per group
 * or globally), or by a FLOPs or parameter budget ({@link Allocation}). After each structured step
 * BatchNorm statistics are re-estimated on calibration batches ({@link BatchNormRecalibration}),
 * unless the configuration turns that off. Unstructured pruning masks the weights of every weight
 * layer, chosen by the ranking or, with an N:M pattern, within every group of M weights of a row
 * ({@link NmPattern}).
 *
 * <p>Without a test set ({@code test == null} in {@link #run}) nothing is evaluated: every
 * {@link Round}'s {@code test} and {@code beforeFinetune} are null, whatever the schedule and the
 * number of fine-tuning epochs, and so are the fine-tuning epochs' test metrics.
 */
public final class Pruner {
    /**
     * What one pruning step left: its target (a sparsity, a threshold or a count as the ranking asks,
     * or with a budget the fraction of the baseline's FLOPs or parameters), the parameters still there
     * and the FLOPs per example, test metrics after its fine-tuning, and test metrics right after
     * pruning (and BatchNorm re-estimation), before any fine-tuning (null when not measured: masks
     * applied while training, or no test set).
     *
     * @param round          the round (one-shot, iterative) or pruning step (gradual), from 1
     * @param target         the round's target: a sparsity, a threshold or a count, or a fraction of the baseline's cost
     * @param params         the network's parameters after the round, ≥ 0
     * @param nonzeroParams  those of them not held at zero by a mask, in [0, params]
     * @param flops          floating-point operations per example after the round, ≥ 0
     * @param test           test metrics after the round's fine-tuning (or after pruning, with no fine-tuning);
     *                       null without a test set, and for the gradual schedule's steps before the last
     * @param beforeFinetune test metrics right after pruning, before fine-tuning; null when not measured
     */
    public record Round(int round, double target, long params, long nonzeroParams, long flops, Metrics test, Metrics beforeFinetune) {
        /**
         * Checks the counts.
         *
         * @param round          the round (one-shot, iterative) or pruning step (gradual), from 1
         * @param target         the round's target: a sparsity, a threshold or a count, or a fraction of the baseline's cost
         * @param params         the network's parameters after the round, ≥ 0
         * @param nonzeroParams  those of them not held at zero by a mask, in [0, params]
         * @param flops          floating-point operations per example after the round, ≥ 0
         * @param test           test metrics after the round's fine-tuning (or after pruning, with no fine-tuning);
         *                       null without a test set, and for the gradual schedule's steps before the last
         * @param beforeFinetune test metrics right after pruning, before fine-tuning; null when not measured
         * @throws IllegalArgumentException when {@code round} is below 1, a count is negative, or
         *                                  {@code nonzeroParams} exceeds {@code params}
         */
        public Round {
            if (round < 1 || params < 0 || nonzeroParams < 0 || nonzeroParams > params || flops < 0) {
                throw new IllegalArgumentException("round " + round + ": " + nonzeroParams + " of " + params + " parameters, "
                        + flops + " FLOPs");
            }
        }
    }

    /**
     * All rounds and the seconds spent scoring, selecting/compacting and fine-tuning.
     *
     * @param rounds          one entry per round or pruning step, in order; not null, kept unmodifiable
     * @param scoreSeconds    seconds spent scoring (calibration included), ≥ 0
     * @param pruneSeconds    seconds spent selecting, refitting, compacting or masking and re-estimating BatchNorm, ≥ 0
     * @param finetuneSeconds seconds spent fine-tuning and evaluating after it, ≥ 0
     */
    public record Outcome(List<Round> rounds, double scoreSeconds, double pruneSeconds, double finetuneSeconds) {
        /**
         * Checks the components; keeps an unmodifiable copy of {@code rounds}.
         *
         * @param rounds          one entry per round or pruning step, in order; not null, kept unmodifiable
         * @param scoreSeconds    seconds spent scoring (calibration included), ≥ 0
         * @param pruneSeconds    seconds spent selecting, refitting, compacting or masking and re-estimating BatchNorm, ≥ 0
         * @param finetuneSeconds seconds spent fine-tuning and evaluating after it, ≥ 0
         * @throws NullPointerException     when {@code rounds} is, or holds, null
         * @throws IllegalArgumentException when a duration is negative or NaN
         */
        public Outcome {
            rounds = List.copyOf(Objects.requireNonNull(rounds, "rounds"));
            if (!(scoreSeconds >= 0 && pruneSeconds >= 0 && finetuneSeconds >= 0)) {
                throw new IllegalArgumentException("durations must be ≥ 0: " + scoreSeconds + ", " + pruneSeconds + ", " + finetuneSeconds);
            }
        }

        /**
         * The last round: after a one-shot schedule the only one, after an iterative or gradual one
         * the final network's.
         *
         * @return the last entry of {@link #rounds()}
         * @throws java.util.NoSuchElementException when there are no rounds
         */
        public Round last() {
            if (rounds.isEmpty()) {
                throw new java.util.NoSuchElementException("the outcome has no rounds");
            }
            return rounds.get(rounds.size() - 1);
        }
    }

    /**
     * Progress of a run, for progress bars; fine-tuning epochs report through the {@link TrainListener}.
     * Every method does nothing by default (except {@link #layerwise}, which calls {@link #refitting}).
     */
    public interface Listener extends TrainListener {
        /**
         * Scoring of a round starts.
         *
         * @param round   the round or pruning step, from 1
         * @param batches the calibration batches it will run (0 for a data-free criterion)
         */
        default void scoring(int round, int batches) {}

        /** One calibration batch of scoring is done. */
        default void scoredBatch() {}

        /**
         * A least-squares refit ({@link PruneConfig#reconstruct()}) starts: {@code layers} layers of
         * {@code batches} calibration batches each.
         *
         * @param round   the round, from 1
         * @param layers  the layers to refit
         * @param batches the calibration batches each is fitted on
         */
        default void refitting(int round, int layers, int batches) {}

        /**
         * Wanda or SparseGPT starts pruning {@code layers} layers one after the other, each measured on
         * {@code batches} calibration batches (each reported by {@link #refitBatch}); by default as a refit.
         *
         * @param round     the round, from 1
         * @param criterion {@link Criterion#WANDA} or {@link Criterion#SPARSEGPT}
         * @param layers    the layers to prune
         * @param batches   the calibration batches each is measured on
         */
        default void layerwise(int round, Criterion criterion, int layers, int batches) {
            refitting(round, layers, batches);
        }

        /** One calibration batch of one refitted layer is done. */
        default void refitBatch() {}

        /**
         * A budget was not met: the guards (at least one channel, or {@code minKeep}, per group; kept
         * counts rounded to a multiple) leave {@code achieved} of the baseline's FLOPs or parameters where
         * round {@code round} asked for {@code target}.
         *
         * @param round    the round, from 1
         * @param achieved the fraction of the baseline's cost left
         * @param target   the fraction the round asked for
         */
        default void budgetMissed(int round, double achieved, double target) {}

        /**
         * The channel permutation before an N:M selection ran ({@link NmPattern#permute}): what it gained.
         *
         * @param result what the permutation did
         */
        default void permuted(ChannelPermutation.Result result) {}

        /**
         * A round or pruning step is done (with its fine-tuning, for one-shot and iterative schedules).
         *
         * @param round what it left
         */
        default void pruned(Round round) {}
    }

    private final PruneConfig cfg;
    private final Listener listener;
    private double scoreSeconds;
    private double pruneSeconds;
    private double finetuneSeconds;
    /** Structured: the unit count of each group (by name) before the first round, what a ratio refers to. */
    private final Map<String, Integer> referenceUnits = new HashMap<>();
    /** Structured pruning by masks (gradual): each group's mask so far, by group name. */
    private final Map<String, Tensor> groupMasks = new LinkedHashMap<>();
    private double baselineCost;

    /**
     * A pruner of one configuration, with no progress callbacks.
     *
     * @param cfg what to do (not null)
     */
    public Pruner(PruneConfig cfg) {
        this(cfg, null);
    }

    /**
     * A pruner of one configuration. It keeps state between rounds of one {@link #run}: use one
     * pruner per run.
     *
     * @param cfg      what to do
     * @param listener progress callbacks, or null for none
     */
    public Pruner(PruneConfig cfg, Listener listener) {
        Objects.requireNonNull(cfg, "cfg");
        this.cfg = cfg;
        this.listener = listener == null ? new Listener() {} : listener;
    }

    /**
     * Runs the configured schedule on {@code net}, the common case: no initial weights (so no
     * lottery-ticket rewinding), as {@code run(net, null, train, test)}.
     *
     * @param net   the trained network; pruned in place (not null)
     * @param train the calibration and fine-tuning data (see {@link #run(Graph, Graph, DeviceData, DeviceData)})
     * @param test  the test set for each round's metrics, or null for none
     * @return the rounds and the time spent
     * @throws InvalidSettingException as {@link #run(Graph, Graph, DeviceData, DeviceData)}
     * @throws io.prune4j.train.TrainingDivergedException when fine-tuning diverges
     */
    public Outcome run(Graph net, DeviceData train, DeviceData test) {
        return run(net, null, train, test);
    }

    /**
     * Runs the configured schedule on {@code net}.
     *
     * @param net     the trained network; pruned in place
     * @param initial the network's initial weights (same shape), needed for rewinding, else may be null;
     *                compacted along with {@code net} (when given, also without rewinding)
     * @param train   the calibration and fine-tuning data; may be null only when the run reads no data: a criterion
     *                that {@linkplain ScorerFactory#needsData() needs none}, no fine-tuning epochs, no
     *                reconstruction, and (structured, with BatchNorm layers) no BatchNorm re-estimation
     * @param test    the test set for the metrics of each round, or null: then nothing is evaluated, and every
     *                round's {@code test} and {@code beforeFinetune} are null
     * @return the rounds and the time spent
     * @throws InvalidSettingException when rewinding has no initial weights, {@code train} is null but the run needs data,
     *                                 the network has nothing to prune, or a setting does not fit the network
     * @throws io.prune4j.train.TrainingDivergedException when fine-tuning diverges
     */
    public Outcome run(Graph net, Graph initial, DeviceData train, DeviceData test) {
        Objects.requireNonNull(net, "net");
        if (cfg.rewind() && initial == null) {
            throw new InvalidSettingException("rewinding needs the initial weights: train from scratch instead of loading a model");
        }
        if (train == null) {
            String why = whyDataIsNeeded(net);
            if (why != null) {
                throw new InvalidSettingException("pruning without training data (train is null), but " + why);
            }
        }
        List<String> weightLayers = null;
        if (cfg.structured()) {
            ChannelGroups groups = ChannelGroups.of(net, cfg.keep());
            List<ChannelGroups.Group> targets = groups.prunable();
            if (targets.isEmpty()) {
                throw new InvalidSettingException("the network has no channels that can be pruned" + whyNot(groups));
            }
            for (ChannelGroups.Group g : targets) {
                referenceUnits.put(g.name(), g.units());
            }
            for (String node : cfg.nodeSparsity().keySet()) {
                groupOf(groups, targets, node); // fails here, before any work, on a node that writes no prunable channels
            }
            if (cfg.budget() != null) {
                baselineCost = cfg.budget() == PruneConfig.Budget.FLOPS ? net.flopsPerExample() : net.parameterCount();
            }
        } else {
            weightLayers = Compaction.prunableWeightLayers(net, cfg.keep());
            if (weightLayers.isEmpty()) {
                throw new InvalidSettingException("the network has no weights that can be pruned");
            }
            if (cfg.pattern() != null) {
                cfg.pattern().check(net, weightLayers);
            }
            if (cfg.criterion() instanceof Criterion c && c.layerwise()) {
                LayerwisePruning.check(net, weightLayers, c);
            }
        }
        int[] reference = weightLayers == null ? null : weightSizes(net, weightLayers);
        List<Round> rounds = new ArrayList<>();
        Distillation distillation = cfg.distill() ? new Distillation(net.copy(), cfg.distillTemperature(), cfg.distillAlpha()) : null;
        try {
            switch (cfg.schedule()) {
                case ONESHOT, ITERATIVE -> {
                    int n = cfg.schedule() == Schedule.ONESHOT ? 1 : cfg.rounds();
                    for (int r = 1; r <= n; r++) {
                        double target = roundTarget(r, n);
                        Metrics before = pruneStep(net, weightLayers, reference, target, r, false, initial, train, test);
                        if (cfg.rewind() && r == n) {
                            rewind(net, initial);
                        }
                        Metrics m = cfg.finetune().epochs() == 0 && before != null ? before
                                : finetune(net, train, test, cfg.finetune(), distillation, null);
                        Round round = new Round(r, target, net.parameterCount(), nonzero(net), net.flopsPerExample(), m, before);
                        rounds.add(round);
                        listener.pruned(round);
                    }
                }
                case GRADUAL -> rounds.addAll(gradual(net, weightLayers, reference, train, test, distillation));
            }
        } finally {
            if (distillation != null) {
                distillation.close();
            }
            groupMasks.values().forEach(Tensor::close);
            groupMasks.clear();
        }
        return new Outcome(rounds, scoreSeconds, pruneSeconds, finetuneSeconds);
    }

    /**
     * Round {@code r} of {@code n}'s target: a threshold or count as given; a sparsity or a budget
     * reached geometrically over the rounds (each round removes the same fraction of what is left).
     */
    private double roundTarget(int r, int n) {
        if (cfg.budget() != null) {
            return Math.pow(cfg.budgetFraction(), (double) r / n);
        }
        if (cfg.pattern() != null) {
            return cfg.pattern().sparsity();
        }
        return cfg.ranking().mode() != Ranking.Mode.RATIO ? cfg.ranking().value()
                : 1 - Math.pow(1 - cfg.ranking().value(), (double) r / n);
    }

    /** What in this run reads the training data, or null when nothing does. */
    private String whyDataIsNeeded(Graph net) {
        if (cfg.criterion().needsData()) {
            return "criterion " + cfg.criterion().label() + " scores on calibration batches";
        }
        if (cfg.finetune().epochs() > 0) {
            return "fine-tuning runs " + cfg.finetune().epochs() + " epoch" + (cfg.finetune().epochs() == 1 ? "" : "s");
        }
        if (cfg.reconstruct()) {
            return "reconstruction fits on calibration batches";
        }
        if (cfg.structured() && cfg.bnRecalibration() && BatchNormRecalibration.applies(net)) {
            return "BatchNorm statistics are re-estimated on calibration batches (unless BatchNorm recalibration is turned off)";
        }
        return null;
    }

    private static String whyNot(ChannelGroups groups) {
        StringBuilder sb = new StringBuilder();
        for (ChannelGroups.Group g : groups.all()) {
            if (!g.prunable() && g.reason() != null && sb.indexOf(g.reason()) < 0) {
                sb.append(sb.length() == 0 ? ": " : "; ").append(g.name()).append(": ").append(g.reason());
            }
        }
        return sb.toString();
    }

    private List<Round> gradual(Graph net, List<String> weightLayers, int[] reference, DeviceData train, DeviceData test,
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
                    pruneStep(net, weightLayers, reference, st, k[0], true, null, train, null);
                    Round r = new Round(k[0], st, net.parameterCount(), nonzero(net), net.flopsPerExample(), null, null);
                    rounds.add(r);
                    listener.pruned(r);
                }
                listener.batchDone(epoch, batch);
            }
        };
        Metrics m = finetune(net, train, test, ft, distillation, pruneDuring);
        while (k[0] < n) { // fewer steps than pruning points (tiny data): finish the schedule
            k[0]++;
            pruneStep(net, weightLayers, reference, gradualSparsity(sf, k[0], n), k[0], true, null, train, null);
        }
        if (cfg.structured()) {
            long t0 = System.nanoTime();
            ChannelGroups groups = ChannelGroups.of(net, cfg.keep());
            List<ChannelGroups.Group> targets = new ArrayList<>();
            List<Tensor> masks = new ArrayList<>();
            for (ChannelGroups.Group g : groups.prunable()) {
                Tensor mask = groupMasks.get(g.name());
                if (mask != null) {
                    targets.add(g);
                    masks.add(mask);
                }
            }
            Map<String, Tensor> channels = Compaction.channelMasks(groups, targets, masks);
            try {
                Compaction.compact(net, channels);
            } finally {
                channels.values().forEach(Tensor::close);
            }
            pruneSeconds += (System.nanoTime() - t0) / 1e9;
            m = evaluate(net, test);
        }
        // the last pruning step already has its row; it gets the final test metrics rather than a second row
        Round last = new Round(n, sf, net.parameterCount(), nonzero(net), net.flopsPerExample(), m, null);
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

    /**
     * Scores, ranks with the target, and prunes: compaction, channel masks ({@code maskOnly}) or
     * weight masks. Returns the test metrics right after a structured step that re-estimated
     * BatchNorm statistics or compacted, or null.
     */
    private Metrics pruneStep(Graph net, List<String> weightLayers, int[] reference, double target, int round, boolean maskOnly,
                              Graph initial, DeviceData train, DeviceData test) {
        return cfg.structured() ? structuredStep(net, target, round, maskOnly, initial, train, test)
                : unstructuredStep(net, weightLayers, reference, target, round, maskOnly, train, test);
    }

    private Metrics structuredStep(Graph net, double target, int round, boolean maskOnly, Graph initial, DeviceData train,
                                   DeviceData test) {
        long t0 = System.nanoTime();
        ChannelGroups groups = ChannelGroups.of(net, cfg.keep());
        List<ChannelGroups.Group> targets = groups.prunable();
        List<String> scored = GroupScores.scoredNodes(net, targets, cfg.criterion());
        List<Tensor> scores;
        ActivationMeans means = cfg.biasCompensation() && !maskOnly ? new ActivationMeans(net, scored) : null;
        try {
            int batches = cfg.criterion().needsData() ? cfg.calibrationBatches() : 0;
            listener.scoring(round, batches);
            scores = Calibration.score(cfg.criterion(), cfg.seed() + round, net, scored, Granularity.UNIT, train, batches,
                    cfg.seed() + 7919L * round, listener::scoredBatch);
        } catch (RuntimeException e) {
            if (means != null) {
                means.close();
            }
            throw e;
        } finally {
            if (means != null) {
                means.detach();
            }
        }
        long t1 = System.nanoTime();
        List<Tensor> groupScores = null;
        List<Tensor> masks = null;
        Map<String, Tensor> channels = null;
        try {
            groupScores = GroupScores.reduce(net, targets, scored, scores, cfg.ranking().normalization(), cfg.groupReduction());
            int[] reference = new int[targets.size()];
            List<Tensor> prior = new ArrayList<>();
            for (int t = 0; t < targets.size(); t++) {
                reference[t] = referenceUnits.getOrDefault(targets.get(t).name(), targets.get(t).units());
                prior.add(groupMasks.get(targets.get(t).name()));
            }
            if (cfg.hostAllocation()) {
                double[] own = new double[targets.size()];
                java.util.Arrays.fill(own, Double.NaN);
                for (Map.Entry<String, Double> e : cfg.nodeSparsity().entrySet()) {
                    own[groupOf(groups, targets, e.getKey())] = e.getValue();
                }
                Allocation.Request req = new Allocation.Request(cfg.budget(), cfg.budgetFraction(), cfg.roundTo(), own, cfg.ranking());
                masks = Allocation.select(groups, targets, groupScores, reference, req, target, baselineCost);
            } else {
                masks = Ranking.select(groupScores, prior, reference, cfg.ranking().withValue(target));
            }
            channels = Compaction.channelMasks(groups, targets, masks);
            if (cfg.reconstruct() && !maskOnly) {
                long seed = cfg.seed() + 7919L * round + 1;
                Reconstruction.refitUnits(net, channels, train, cfg.calibrationBatches(), seed, refitProgress(round));
            }
            if (maskOnly) {
                Compaction.maskUnits(net, channels);
                for (int t = 0; t < targets.size(); t++) {
                    Tensor old = groupMasks.put(targets.get(t).name(), masks.get(t));
                    if (old != null) {
                        old.close();
                    }
                    masks.set(t, null);
                }
            } else {
                if (means != null) {
                    means.compensate(channels);
                }
                if (initial != null) {
                    Compaction.compact(net, channels, initial);
                } else {
                    Compaction.compact(net, channels);
                }
            }
        } finally {
            scores.forEach(Tensor::close);
            if (groupScores != null) {
                groupScores.forEach(Tensor::close);
            }
            if (masks != null) {
                masks.stream().filter(java.util.Objects::nonNull).forEach(Tensor::close);
            }
            if (channels != null) {
                channels.values().forEach(Tensor::close);
            }
            if (means != null) {
                means.close();
            }
        }
        if (cfg.budget() != null && !maskOnly) {
            double achieved = (cfg.budget() == PruneConfig.Budget.FLOPS ? net.flopsPerExample() : net.parameterCount()) / baselineCost;
            if (achieved > target * (1 + 1e-9)) {
                listener.budgetMissed(round, achieved, target);
            }
        }
        boolean recalibrated = false;
        if (!maskOnly && cfg.bnRecalibration() && BatchNormRecalibration.applies(net)) {
            BatchNormRecalibration.run(net, train, cfg.calibrationBatches(), cfg.seed() + 7919L * round + 2);
            recalibrated = true;
        }
        scoreSeconds += (t1 - t0) / 1e9;
        pruneSeconds += (System.nanoTime() - t1) / 1e9;
        // what pruning alone left: measured where it tells something fine-tuning would hide (BatchNorm
        // statistics re-estimated) or where it is the result (no fine-tuning)
        return !maskOnly && test != null && (recalibrated || cfg.finetune().epochs() == 0) ? evaluate(net, test) : null;
    }

    private Metrics unstructuredStep(Graph net, List<String> layers, int[] reference, double target, int round, boolean maskOnly,
                                     DeviceData train, DeviceData test) {
        long t0 = System.nanoTime();
        if (cfg.criterion() instanceof Criterion c && c.layerwise()) {
            // masks chosen (and SparseGPT's weights updated) layer by layer: all of it counts as pruning time
            LayerwisePruning.prune(net, layers, c, target, cfg.pattern(), train, cfg.calibrationBatches(), cfg.seed() + 7919L * round,
                    new Reconstruction.Progress() {
                        @Override
                        public void started(int count, int batches) {
                            listener.layerwise(round, c, count, batches);
                        }

                        @Override
                        public void batchDone() {
                            listener.refitBatch();
                        }
                    });
            pruneSeconds += (System.nanoTime() - t0) / 1e9;
            return !maskOnly && test != null && cfg.finetune().epochs() == 0 ? evaluate(net, test) : null;
        }
        int batches = cfg.criterion().needsData() ? cfg.calibrationBatches() : 0;
        listener.scoring(round, batches);
        List<Tensor> scores = Calibration.score(cfg.criterion(), cfg.seed() + round, net, layers, Granularity.WEIGHT, train, batches,
                cfg.seed() + 7919L * round, listener::scoredBatch);
        long t1 = System.nanoTime();
        List<Tensor> prior = new ArrayList<>();
        for (String n : layers) {
            prior.add(Compaction.weightLayer(net, n).weight().mask());
        }
        if (cfg.pattern() != null && cfg.pattern().permute()) {
            listener.permuted(ChannelPermutation.apply(net, layers, scores, cfg.pattern()));
        }
        List<Tensor> masks = cfg.pattern() != null ? cfg.pattern().select(scores, prior)
                : Ranking.select(scores, prior, reference, cfg.ranking().withValue(target));
        try {
            if (cfg.reconstruct() && !maskOnly) {
                long seed = cfg.seed() + 7919L * round + 1;
                Reconstruction.refitWeights(net, layers, masks, train, cfg.calibrationBatches(), seed, refitProgress(round));
            }
            Compaction.maskWeights(net, layers, masks);
        } finally {
            scores.forEach(Tensor::close);
            masks.forEach(Tensor::close);
        }
        scoreSeconds += (t1 - t0) / 1e9;
        pruneSeconds += (System.nanoTime() - t1) / 1e9;
        return !maskOnly && test != null && cfg.finetune().epochs() == 0 ? evaluate(net, test) : null;
    }

    private Reconstruction.Progress refitProgress(int round) {
        return new Reconstruction.Progress() {
            @Override
            public void started(int refitted, int batches) {
                listener.refitting(round, refitted, batches);
            }

            @Override
            public void batchDone() {
                listener.refitBatch();
            }
        };
    }

    /** The position in {@code targets} of the group whose channels node {@code node} writes. */
    private static int groupOf(ChannelGroups groups, List<ChannelGroups.Group> targets, String node) {
        if (!groups.network().hasNode(node)) {
            throw new InvalidSettingException("no node named " + node + " to give a sparsity of its own");
        }
        for (int t = 0; t < targets.size(); t++) {
            if (targets.get(t).output(node) != null) {
                return t;
            }
        }
        throw new InvalidSettingException("node " + node + " writes no channels that can be pruned, so it cannot have a sparsity of its own");
    }

    /** Lottery-ticket rewinding (Frankle &amp; Carbin 2019): survivors go back to their initial values; masks stay. */
    private static void rewind(Graph net, Graph initial) {
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

    private static Metrics evaluate(Graph net, DeviceData test) {
        return test == null ? null : Trainer.evaluate(net, test);
    }

    private Metrics finetune(Graph net, DeviceData train, DeviceData test, TrainConfig ft, Distillation distillation,
                             TrainListener during) {
        long t0 = System.nanoTime();
        Metrics m;
        if (ft.epochs() == 0) {
            m = evaluate(net, test);
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

    /** Weights per layer (unstructured): what a sparsity is a fraction of. */
    private static int[] weightSizes(Graph net, List<String> layers) {
        int[] s = new int[layers.size()];
        for (int i = 0; i < s.length; i++) {
            WeightLayer d = Compaction.weightLayer(net, layers.get(i));
            s[i] = d.weight().size();
        }
        return s;
    }

    /**
     * Parameters that are not held at zero by a mask.
     *
     * @param net the network
     * @return the sum of {@link #nonzero(Parameter)} over its parameters
     */
    public static long nonzero(Graph net) {
        Objects.requireNonNull(net, "net");
        long n = 0;
        for (Parameter p : net.parameters()) {
            n += nonzero(p);
        }
        return n;
    }

    /**
     * Elements of {@code p} not held at zero by its mask (all of them when it has none).
     *
     * @param p the parameter
     * @return the count; one device read when it has a mask
     */
    public static long nonzero(Parameter p) {
        Objects.requireNonNull(p, "p");
        return p.mask() == null ? p.size() : Ranking.count(p.value().backend(), p.mask());
    }
}
