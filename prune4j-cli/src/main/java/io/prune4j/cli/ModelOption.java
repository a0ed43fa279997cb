package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Option;

/** {@code --model FILE}: start from a saved model (prune4j's safetensors layout, or {@code .onnx}) instead of training one. */
final class ModelOption {
    @Option(names = "--model", paramLabel = "FILE", description = "Start from this model file instead of training one: prune4j's "
            + "safetensors layout, or ONNX (a name ending in .onnx).")
    Path model;

    @Option(names = "--input-shape", paramLabel = "C,H,W", split = ",",
            description = "Shape of one example: needed for an ONNX model whose extents after the batch are symbolic, checked against "
                    + "the file otherwise; with --arch and no --model, the shape of the network built (default: the data's).")
    int[] inputShape;

    /** The shape given, checked, or null. */
    int[] inputShape() {
        if (inputShape != null && (inputShape.length == 0 || inputShape.length > 3 || Arrays.stream(inputShape).anyMatch(d -> d < 1))) {
            throw new InvalidSettingException("--input-shape needs one to three positive extents (C,H,W or F), got "
                    + Arrays.toString(inputShape));
        }
        return inputShape == null ? null : inputShape.clone();
    }
}
