package io.prune4j.cli;

import io.prune4j.prune.Pruner;
import io.prune4j.train.EpochResult;
import me.tongfei.progressbar.ProgressBar;

/** Progress bars for scoring, the least-squares refit and fine-tuning during a pruning run. */
final class PruneProgress implements Pruner.Listener {
    private final boolean bars;
    private final Progress finetune;
    private ProgressBar scoring;
    private ProgressBar refit;

    PruneProgress(boolean bars, int finetuneEpochs) {
        this.bars = bars;
        this.finetune = new Progress("fine-tune", finetuneEpochs, bars);
    }

    @Override
    public void scoring(int round, int batches) {
        scoring = bar("score " + round, batches);
    }

    @Override
    public void scoredBatch() {
        scoring = step(scoring);
    }

    @Override
    public void refitting(int round, int layers, int batches) {
        refit = bar("refit " + round + " (" + layers + (layers == 1 ? " layer)" : " layers)"), (long) layers * batches);
    }

    @Override
    public void layerwise(int round, io.prune4j.prune.Criterion criterion, int layers, int batches) {
        refit = bar(criterion.cliName() + " " + round + " (" + layers + (layers == 1 ? " layer)" : " layers)"), (long) layers * batches);
    }

    @Override
    public void refitBatch() {
        refit = step(refit);
    }

    /** A bar of {@code max} steps, or none without bars or work. */
    private ProgressBar bar(String task, long max) {
        return bars && max > 0 ? Progress.bar(task, max) : null;
    }

    /** Steps {@code bar}; closes it when full (returns null then). */
    private static ProgressBar step(ProgressBar bar) {
        if (bar == null) {
            return null;
        }
        bar.step();
        if (bar.getCurrent() >= bar.getMax()) {
            bar.close();
            return null;
        }
        return bar;
    }

    @Override
    public void pruned(Pruner.Round r) {
        for (ProgressBar open : new ProgressBar[] {scoring, refit}) {
            if (open != null) {
                open.close();
            }
        }
        scoring = null;
        refit = null;
        System.err.printf("round %d: target %.3f, %d parameters (%d non-zero), %d FLOPs per example%s%s%n", r.round(), r.target(),
                r.params(), r.nonzeroParams(), r.flops(),
                r.beforeFinetune() == null ? "" : String.format(", test accuracy before fine-tuning %.4f", r.beforeFinetune().accuracy()),
                r.test() == null ? "" : String.format(", test accuracy %.4f", r.test().accuracy()));
    }

    @Override
    public void permuted(io.prune4j.prune.ChannelPermutation.Result r) {
        System.err.printf("channel permutation: %d layers reordered; the pattern keeps %.4f of their score mass, %.4f without%n", r.layers(),
                r.total() == 0 ? 0 : r.keptAfter() / r.total(), r.total() == 0 ? 0 : r.keptBefore() / r.total());
    }

    @Override
    public void budgetMissed(int round, double achieved, double target) {
        System.err.printf("prune4j: warning: round %d left %.3f of the baseline where the budget asked for %.3f: every group is at"
                + " its smallest (one channel, --min-keep, --round-to)%n", round, achieved, target);
    }

    @Override
    public void epochStarted(int epoch, int batches) {
        finetune.epochStarted(epoch, batches);
    }

    @Override
    public void batchDone(int epoch, int batch) {
        finetune.batchDone(epoch, batch);
    }

    @Override
    public void epochDone(EpochResult r) {
        finetune.epochDone(r);
    }
}
