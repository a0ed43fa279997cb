package io.prune4j.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --model FILE}: start from a saved model instead of training one. */
final class ModelOption {
    @Option(names = "--model", paramLabel = "FILE", description = "Start from this model file instead of training one.")
    Path model;
}
