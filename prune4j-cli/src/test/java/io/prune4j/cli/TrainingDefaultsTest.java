package io.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.prune4j.backend.cpu.CpuBackend;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Models;
import io.prune4j.prune.Criterion;
import io.prune4j.prune.PruneConfig;
import io.prune4j.prune.Ranking;
import io.prune4j.train.TrainConfig;
import io.prune4j.train.TrainConfig.OptimizerKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The defaults the command line fills in from the architecture and the network: the training
 * recipe (SGD 0.1 with weight decay for the residual networks, Adam 1e-3 for the rest; each option
 * given replaces its part only) and fine-tuning (Adam, no weight decay, 3e-3 for unstructured
 * pruning and for networks with BatchNorm, 1e-3 for the others).
 */
class TrainingDefaultsTest {
    private static PruneCommand parse(String line) {
        PruneCommand cmd = new PruneCommand();
        new CommandLine(cmd).parseArgs(line.isBlank() ? new String[0] : line.trim().split(" +"));
        return cmd;
    }

    @ParameterizedTest(name = "[{0}] -> {1} lr {2} decay {3}")
    @CsvSource({
        "'',                                      ADAM, 1e-3,  0",
        "--arch cnn,                              ADAM, 1e-3,  0",
        "--arch resnet,                           SGD,  0.1,   5e-4",
        "--arch mobilenet,                        SGD,  0.1,   5e-4",
        "--arch resnet --optimizer adam,          ADAM, 1e-3,  0",
        "--arch resnet --lr 0.05,                 SGD,  0.05,  5e-4",
        "--arch resnet --weight-decay 0,          SGD,  0.1,   0",
        "--optimizer sgd,                         SGD,  0.05,  0",
        "--arch mlp --optimizer sgd --weight-decay 1e-4, SGD, 0.05, 1e-4"})
    void trainingRecipe(String line, OptimizerKind kind, float lr, float decay) {
        TrainConfig c = parse(line).training.config(42);
        assertEquals(kind, c.optimizer());
        assertEquals(lr, c.learningRate(), 0f);
        assertEquals(decay, c.weightDecay(), 0f);
    }

    @ParameterizedTest(name = "[{0}] on {1} -> {2} lr {3} decay {4}")
    @CsvSource({
        "'',                                    mlp,    ADAM, 1e-3, 0",
        "--unstructured,                        mlp,    ADAM, 3e-3, 0",
        "'',                                    resnet, ADAM, 3e-3, 0",
        "--arch resnet,                         resnet, ADAM, 3e-3, 0",
        "--finetune-lr 2e-3,                    resnet, ADAM, 2e-3, 0",
        "--optimizer sgd --weight-decay 5e-4,   resnet, SGD,  3e-3, 5e-4",
        "'',                                    none,   ADAM, 1e-3, 0"})
    void fineTuning(String line, String network, OptimizerKind kind, float lr, float decay) {
        PruneCommand cmd = parse(line);
        try (CpuBackend cpu = new CpuBackend(1)) {
            Graph net = switch (network) {
                case "mlp" -> Models.mlp(cpu, 784, new int[] {30}, 10, 1);
                case "resnet" -> Models.resnet(cpu, new int[] {1, 28, 28}, 1, 4, 10, 1);
                default -> null;
            };
            PruneConfig cfg = cmd.pruning.config(Criterion.TAYLOR, Ranking.Mode.RATIO, 0.5, cmd.training, 42, net);
            assertEquals(kind, cfg.finetune().optimizer());
            assertEquals(lr, cfg.finetune().learningRate(), 0f);
            assertEquals(decay, cfg.finetune().weightDecay(), 0f);
            if (net != null) {
                net.close();
            }
        }
    }
}
