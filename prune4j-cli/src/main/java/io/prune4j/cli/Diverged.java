package io.prune4j.cli;

import io.prune4j.Prune4jException;
import io.prune4j.train.TrainingDivergedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The one line a command prints when training or fine-tuning diverges. Nothing is written then:
 * a model at {@code --save} would look like the finished result of a run that exits with an
 * error, so the file there (if any) stays as it was, and the message says so.
 */
final class Diverged {
    private Diverged() {}

    /**
     * @param phase    what diverged, e.g. {@code fine-tuning}
     * @param lrOption the option that sets that phase's learning rate
     * @param outputs  the files the command would have written (nulls ignored)
     */
    static Prune4jException error(TrainingDivergedException e, String phase, String lrOption, Path... outputs) {
        StringBuilder sb = new StringBuilder(phase).append(" diverged in epoch ").append(e.epoch()).append(": ").append(e.what())
                .append(" became ").append(e.value());
        if (e.restoredEpoch() == 0) {
            sb.append("; the weights from before ").append(phase).append(" were restored");
        } else if (e.restoredEpoch() > 0) {
            sb.append("; the weights from epoch ").append(e.restoredEpoch()).append(" (the last good one) were restored");
        }
        List<String> kept = new ArrayList<>();
        boolean anyOutput = false;
        for (Path p : outputs) {
            if (p != null) {
                anyOutput = true;
                if (Files.exists(p)) {
                    kept.add(p.toString());
                }
            }
        }
        if (anyOutput) {
            sb.append("; nothing written");
            if (!kept.isEmpty()) {
                sb.append(" (").append(String.join(", ", kept)).append(" left as ").append(kept.size() == 1 ? "it was" : "they were")
                        .append(")");
            }
        }
        sb.append("; lower ").append(lrOption).append(" (now ").append(e.learningRate()).append(")");
        return new Prune4jException(sb.toString(), e);
    }
}
