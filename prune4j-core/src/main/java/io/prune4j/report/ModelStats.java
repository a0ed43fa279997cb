package io.prune4j.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Measured figures of one model: test accuracy and loss, size, cost and speed. Fields that were not
 * measured are null and left out of the JSON (accuracy and loss when a model is pruned without data).
 * {@code flops} counts every multiply-add of the layers' shapes (two FLOPs each); {@code effective_flops}
 * only those of weights a mask keeps, what a sparse product performs ({@link Measure#effectiveFlops}).
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

    /** The figures without effective FLOPs (what a dense network performs is its {@code flops}). */
    public ModelStats(Double accuracy, Double loss, long params, Long nonzeroParams, long flops, Double trainSamplesPerSecond,
                      Double inferSamplesPerSecondB256, Double latencyMillisB1, Long fileBytes) {
        this(accuracy, loss, params, nonzeroParams, flops, trainSamplesPerSecond, inferSamplesPerSecondB256, latencyMillisB1, fileBytes,
                null);
    }

    /** The same figures with the size of the file actually written. */
    public ModelStats withFileBytes(long bytes) {
        return new ModelStats(accuracy, loss, params, nonzeroParams, flops, trainSamplesPerSecond, inferSamplesPerSecondB256,
                latencyMillisB1, bytes, effectiveFlops);
    }
}
