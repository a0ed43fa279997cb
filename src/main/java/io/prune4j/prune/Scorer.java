package io.prune4j.prune;

import io.prune4j.nn.Sequential;
import io.prune4j.tensor.Tensor;
import java.util.List;

/**
 * Accumulates one importance score per prunable unit or weight of some layers. A scorer attaches
 * to the network's hooks in {@link #begin}, adds each calibration batch into one buffer per layer
 * (it never keeps per-batch tensors), and hands the buffers over in {@link #finish}. Higher scores
 * mean more important; ranking removes the lowest.
 *
 * <p>Life cycle: {@code begin → (forward, backward, afterBackward)* → finish → close}.
 */
public interface Scorer extends AutoCloseable {

    Criterion criterion();

    /**
     * Prepares buffers for {@code layers} (indices of {@link io.prune4j.nn.WeightLayer}s in {@code net}: Dense or Conv2d) and installs hooks.
     */
    void begin(Sequential net, List<Integer> layers, Granularity granularity);

    /** Called after each calibration batch's backward pass, when parameter gradients hold that batch. */
    default void afterBackward() {}

    /**
     * The scores, one tensor per layer given to {@link #begin}: {@code [units]} or weight-shaped.
     * The caller owns (and closes) them; hooks are removed.
     */
    List<Tensor> finish();

    /** Removes hooks and frees buffers not yet handed over. */
    @Override
    void close();
}
