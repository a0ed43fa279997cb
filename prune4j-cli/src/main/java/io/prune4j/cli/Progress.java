package io.prune4j.cli;

import io.prune4j.train.EpochResult;
import io.prune4j.train.TrainListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Draws one progress bar per epoch and prints the epoch's metrics when it ends. */
final class Progress implements TrainListener {
    private final String task;
    private final int epochs;
    private final boolean bars;
    private ProgressBar bar;

    Progress(String task, int epochs, boolean bars) {
        this.task = task;
        this.epochs = epochs;
        this.bars = bars;
    }

    @Override
    public void epochStarted(int epoch, int batches) {
        if (bars) {
            bar = bar(String.format("%s %d/%d", task, epoch, epochs), batches);
        }
    }

    /** A console progress bar of {@code max} steps in the style every bar of the command line uses. */
    static ProgressBar bar(String task, long max) {
        return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250)
                .continuousUpdate().build();
    }

    @Override
    public void batchDone(int epoch, int batch) {
        if (bar != null) {
            bar.step();
        }
    }

    @Override
    public void epochDone(EpochResult r) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        System.err.printf("%s %d/%d: train loss %.4f acc %.4f | test loss %.4f acc %.4f | %.0f samples/s%n", task, r.epoch(), epochs,
                r.train().loss(), r.train().accuracy(), r.test() == null ? Double.NaN : r.test().loss(),
                r.test() == null ? Double.NaN : r.test().accuracy(), r.trainSamplesPerSecond());
    }
}
