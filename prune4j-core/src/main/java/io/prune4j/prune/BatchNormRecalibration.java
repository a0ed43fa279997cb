package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.train.DeviceData;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Re-estimates the running statistics of every {@link BatchNorm} of a graph on calibration batches.
 * After channels are removed, a BatchNorm's running mean and variance no longer describe what reaches
 * it (a residual sum lost some of its terms, a later layer lost some inputs), and the network at
 * inference normalises with the wrong numbers; a few forward passes in training mode, averaging the
 * batch statistics (PyTorch's {@code momentum=None}), give it the right ones without any training.
 */
public final class BatchNormRecalibration {
    private BatchNormRecalibration() {}

    /**
     * Whether {@code net} has any BatchNorm to re-estimate.
     *
     * @param net the network
     * @return true when one of its layers is a {@link BatchNorm}
     */
    public static boolean applies(Graph net) {
        Objects.requireNonNull(net, "net");
        for (Layer l : net.layers()) {
            if (l instanceof BatchNorm) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sets every BatchNorm's running statistics to the average of its batch statistics over
     * {@code batches} calibration batches (fewer when the data set is smaller) drawn with {@code seed}.
     * Parameters do not change. A network without BatchNorm is left alone, and {@code data} is not read.
     *
     * @param net     the network; its BatchNorm buffers change in place
     * @param data    the calibration examples (training data); borrowed
     * @param batches calibration batches of {@link Calibration#BATCH} examples, ≥ 1 when the network has a BatchNorm
     * @param seed    fixes which examples are drawn
     * @return the number of batches used (0 without BatchNorm)
     * @throws InvalidSettingException when the network has a BatchNorm and {@code batches} is below 1
     */
    public static int run(Graph net, DeviceData data, int batches, long seed) {
        Objects.requireNonNull(net, "net");
        Objects.requireNonNull(data, "data");
        List<BatchNorm> norms = new ArrayList<>();
        for (Layer l : net.layers()) {
            if (l instanceof BatchNorm bn) {
                norms.add(bn);
            }
        }
        if (norms.isEmpty()) {
            return 0;
        }
        if (batches < 1) {
            throw new InvalidSettingException("re-estimating BatchNorm statistics needs at least 1 calibration batch, got " + batches);
        }
        norms.forEach(BatchNorm::beginAveraging);
        int[] used = {0};
        try {
            Calibration.forEachBatch(net, data, batches, seed, (x, y) -> {
                net.forward(x, true);
                used[0]++;
            });
        } finally {
            norms.forEach(BatchNorm::endAveraging);
        }
        return used[0];
    }
}
