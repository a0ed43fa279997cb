package io.prune4j.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Measured figures of one model: test accuracy and loss, size, cost and speed. Fields that were not
 * measured are null and left out of the JSON (accuracy and loss when a model is pruned without data).
 * {@code flops} counts every multiply-add of the layers' shapes (two FLOPs each); {@code effective_flops}
 * only those of weights a mask keeps, what a sparse product performs ({@link Measure#effectiveFlops}).
 *
 * @param accuracy                  test accuracy, the fraction of examples classified right, or null when not measured
 * @param loss                      mean test cross-entropy, or null when not measured
 * @param params                    trainable scalars (masked ones included), at least 0
 * @param nonzeroParams             parameters not held at zero by a mask, from 0 to {@code params}, or null
 * @param flops                     FLOPs of one example's inference pass, at least 0
 * @param trainSamplesPerSecond     training throughput, or null when the model was not trained here
 * @param inferSamplesPerSecondB256 inference throughput at batch 256, or null
 * @param latencyMillisB1           median latency of one example in milliseconds, or null
 * @param fileBytes                 size of the saved model file, at least 0, or null
 * @param effectiveFlops            FLOPs of the multiply-adds a mask keeps, at least 0, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelStats(
        @JsonProperty("accuracy") Double accuracy,
        @JsonProperty("loss") Double loss,
        @JsonProperty("params") long params,
        @JsonProperty("nonzero_params") Long nonzeroParams,
        @JsonProperty("flops") long flops,
        @JsonProperty("train_samples_per_s") Double trainSamplesPerSecond,
        @JsonProperty("infer_samples_per_s_b256") Double inferSamplesPerSecondB256,
        @JsonProperty("latency_ms_b1") Double latencyMillisB1,
        @JsonProperty("file_bytes") Long fileBytes,
        @JsonProperty("effective_flops") Long effectiveFlops) {

    /**
     * Checks the counts.
     *
     * @param accuracy                  test accuracy, or null
     * @param loss                      mean test loss, or null
     * @param params                    trainable scalars, at least 0
     * @param nonzeroParams             parameters not held at zero, from 0 to {@code params}, or null
     * @param flops                     FLOPs per example, at least 0
     * @param trainSamplesPerSecond     training throughput, or null
     * @param inferSamplesPerSecondB256 inference throughput at batch 256, or null
     * @param latencyMillisB1           latency of one example in milliseconds, or null
     * @param fileBytes                 model file size, at least 0, or null
     * @param effectiveFlops            FLOPs a mask keeps, at least 0, or null
     * @throws IllegalArgumentException when a count is negative or {@code nonzeroParams} exceeds {@code params}
     */
    public ModelStats {
        if (params < 0 || flops < 0 || (nonzeroParams != null && (nonzeroParams < 0 || nonzeroParams > params))
                || (fileBytes != null && fileBytes < 0) || (effectiveFlops != null && effectiveFlops < 0)) {
            throw new IllegalArgumentException("model stats: counts must be ≥ 0 and nonzero parameters at most the parameters, got "
                    + nonzeroParams + " of " + params + " parameters, " + flops + " FLOPs, " + effectiveFlops + " effective FLOPs, "
                    + fileBytes + " file bytes");
        }
    }

    /**
     * The figures without effective FLOPs (what a dense network performs is its {@code flops}).
     *
     * @param accuracy                  test accuracy, or null
     * @param loss                      mean test loss, or null
     * @param params                    trainable scalars, at least 0
     * @param nonzeroParams             parameters not held at zero, from 0 to {@code params}, or null
     * @param flops                     FLOPs per example, at least 0
     * @param trainSamplesPerSecond     training throughput, or null
     * @param inferSamplesPerSecondB256 inference throughput at batch 256, or null
     * @param latencyMillisB1           latency of one example in milliseconds, or null
     * @param fileBytes                 model file size, at least 0, or null
     * @throws IllegalArgumentException when a count is negative or {@code nonzeroParams} exceeds {@code params}
     */
    public ModelStats(Double accuracy, Double loss, long params, Long nonzeroParams, long flops, Double trainSamplesPerSecond,
                      Double inferSamplesPerSecondB256, Double latencyMillisB1, Long fileBytes) {
        this(accuracy, loss, params, nonzeroParams, flops, trainSamplesPerSecond, inferSamplesPerSecondB256, latencyMillisB1, fileBytes,
                null);
    }

    /**
     * The same figures with the size of the file actually written.
     *
     * @param bytes the file's size, at least 0
     * @return a new record with {@code fileBytes} replaced
     * @throws IllegalArgumentException when {@code bytes} is negative
     */
    public ModelStats withFileBytes(long bytes) {
        return new ModelStats(accuracy, loss, params, nonzeroParams, flops, trainSamplesPerSecond, inferSamplesPerSecondB256,
                latencyMillisB1, bytes, effectiveFlops);
    }
}
