package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.data.Dataset;
import io.prune4j.data.Mnist;
import io.prune4j.nn.Graph;
import io.prune4j.onnx.OnnxModel;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Pruning a model without its data: {@code --data none}, or a data set whose examples are not the
 * model's input. Only what needs no data runs then: a criterion that scores weights alone (magnitude,
 * BatchNorm scale, FPGM, LAMP, random) and no fine-tuning, calibration or BatchNorm re-estimation;
 * speeds are measured on random inputs and no accuracy is reported.
 */
final class DataFree {
    /**
     * Random examples for the speed measurements and checks: 256, or fewer when one example is large,
     * so that a batch of 224×224 images (32 of them) keeps every layer's activations within a few GiB;
     * the throughput is then measured at that batch.
     */
    private static final int EXAMPLES = 256;
    private static final long MAX_VALUES = 5L << 20;

    private DataFree() {}

    static boolean none(Path data) {
        return data != null && data.toString().equals("none");
    }

    /**
     * The data to prune {@code model} with, or null to prune without data: for {@code --data none},
     * and (said in one line on stderr) for data whose examples do not fit a model that can be pruned
     * without them under {@code cfg}. Data that does not fit a configuration needing data is returned,
     * for the mismatch error that follows.
     */
    static Mnist.Splits data(CommonOptions common, OnnxModel model, Path modelFile, Criterion crit, PruneConfig cfg) {
        Path dir = common.data;
        if (none(dir)) {
            if (model == null) {
                throw new InvalidSettingException("--data none needs --model FILE: without data there is no model to train");
            }
            check(crit, cfg);
            return null;
        }
        Mnist.Splits data = common.loadData();
        if (model != null && reason(crit, cfg) == null && !fits(dir, data.train(), model.graph(), modelFile, "pruning without data (no accuracy)")) {
            return null;
        }
        return data;
    }

    /** Whether {@code data}'s examples are {@code net}'s input; when not, says so on stderr, and what follows ({@code then}). */
    static boolean fits(Path dir, Dataset data, Graph net, Path modelFile, String then) {
        if (!net.classifies()) {
            System.err.println("note: " + modelFile + " outputs " + Arrays.toString(net.outputShape()) + " per example, not class scores,"
                    + " so " + dir + "'s labels do not apply: " + then);
            return false;
        }
        if (net.inputSize() == data.featureSize()) {
            return true;
        }
        System.err.println("note: " + dir + " has examples of shape " + Arrays.toString(data.sampleShape()) + " but " + modelFile
                + " takes " + Arrays.toString(net.inputShape()) + ": " + then);
        return false;
    }

    /** Refuses a configuration that needs data. */
    static void check(Criterion crit, PruneConfig cfg) {
        String why = reason(crit, cfg);
        if (why != null) {
            throw new InvalidSettingException("pruning without data: " + why);
        }
    }

    private static String reason(Criterion crit, PruneConfig cfg) {
        if (crit.needsData()) {
            return "criterion " + crit.cliName() + " scores with calibration batches; give --data DIR, or choose magnitude, bn-scale, fpgm,"
                    + " lamp or random";
        }
        if (cfg.finetune().epochs() > 0) {
            return "fine-tuning needs data; give --data DIR or --finetune-epochs 0";
        }
        if (cfg.reconstruct() || cfg.biasCompensation()) {
            return "--reconstruct and --bias-compensation need calibration data; give --data DIR";
        }
        if (cfg.distill() || cfg.rewind()) {
            return "distillation and rewinding train the network; give --data DIR";
        }
        return null;
    }

    /** Random inputs of the model's shape, labelled 0, 1, … in turn (all 0 for a network that does not end in class scores). */
    static Dataset inputs(Graph net, long seed) {
        int n = (int) Math.max(8, Math.min(EXAMPLES, MAX_VALUES / net.inputSize()));
        if (n < EXAMPLES) {
            System.err.println("note: speeds measured on " + n + " random inputs of " + java.util.Arrays.toString(net.inputShape())
                    + " (throughput at batch " + n + ", not 256, to bound the activations' memory)");
        }
        return Dataset.random(net.inputShape(), net.classifies() ? net.outputSize() : 1, n, seed);
    }
}
