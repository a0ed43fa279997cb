package io.prune4j.cli;

import io.prune4j.prune.Pruner;
import io.prune4j.train.EpochResult;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars for scoring and fine-tuning during a pruning run. */
final class PruneProgress implements Pruner.Listener {
    private final boolean bars;
    private final Progress finetune;
    private ProgressBar scoring;

    PruneProgress(boolean bars, int finetuneEpochs) {
        this.bars = bars;
        this.finetune = new Progress("fine-tune", finetuneEpochs, bars);
    }

    @Override
    public void scoring(int round, int batches) {
        if (bars && batches > 0) {
            scoring = new ProgressBarBuilder().setTaskName("score " + round).setInitialMax(batches).setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250).continuousUpdate().build();
        }
    }

    @Override
    public void scoredBatch() {
        if (scoring != null) {
            scoring.step();
            if (scoring.getCurrent() >= scoring.getMax()) {
                scoring.close();
                scoring = null;
            }
        }
    }

    @Override
    public void pruned(Pruner.Round r) {
        if (scoring != null) {
            scoring.close();
            scoring = null;
        }
        System.err.printf("round %d: target sparsity %.3f, %d parameters (%d non-zero)%s%n", r.round(), r.targetSparsity(), r.params(),
                r.nonzeroParams(), r.test() == null ? "" : String.format(", test accuracy %.4f", r.test().accuracy()));
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
