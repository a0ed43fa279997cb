package io.prune4j.prune;

import io.prune4j.InvalidSettingException;
import io.prune4j.nn.BatchNorm;
import io.prune4j.nn.Graph;
import io.prune4j.nn.Layer;
import io.prune4j.train.DeviceData;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-estimates the running statistics of every {@link BatchNorm} of a graph on calibration batches.
 * After channels are removed, a BatchNorm's running mean and variance no longer describe what reaches
 * it (a residual sum lost some of its terms, a later layer lost some inputs), and the network at
 * inference normalises with the wrong numbers; a few forward passes in training mode, averaging the
 * batch statistics (PyTorch's {@code momentum=None}), give it the right ones without any training.
 */
public final class BatchNormRecalibration {
    private BatchNormRecalibration() {}

    /** Whether {@code net} has any BatchNorm to re-estimate. */
    public static boolean applies(Graph net) {
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
     * Parameters do not change. Returns the number of batches used.
     */
    public static int run(Graph net, DeviceData data, int batches, long seed) {
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
