package io.prune4j.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * One line of the per-layer table: a weight layer before and after pruning; in/out are features (Dense) or channels (Conv2d).
 * Written to JSON under the names in the annotations ({@code in_before}, {@code nonzero_weights}, …).
 *
 * @param name           the layer's node name (not null)
 * @param inBefore       inputs before pruning: features (Dense) or input channels of a group (Conv2d), at least 0
 * @param outBefore      units before pruning: neurons or output channels, at least 0
 * @param in             inputs after pruning, at least 0
 * @param out            units after pruning, at least 0
 * @param weights        weight elements after pruning (masked ones included), at least 0
 * @param nonzeroWeights weight elements not held at zero by a mask, from 0 to {@code weights}
 * @param sparsity       the fraction of the weights before pruning that are gone or masked:
 *                       {@code 1 − nonzeroWeights / weights before}
 */
public record LayerRow(
        @JsonProperty("name") String name,
        @JsonProperty("in_before") int inBefore,
        @JsonProperty("out_before") int outBefore,
        @JsonProperty("in") int in,
        @JsonProperty("out") int out,
        @JsonProperty("weights") long weights,
        @JsonProperty("nonzero_weights") long nonzeroWeights,
        @JsonProperty("sparsity") double sparsity) {

    /**
     * Checks the counts.
     *
     * @param name           the layer's node name (not null)
     * @param inBefore       inputs before pruning, at least 0
     * @param outBefore      units before pruning, at least 0
     * @param in             inputs after pruning, at least 0
     * @param out            units after pruning, at least 0
     * @param weights        weight elements after pruning, at least 0
     * @param nonzeroWeights weight elements not held at zero, from 0 to {@code weights}
     * @param sparsity       the fraction of the weights before pruning that are gone or masked
     * @throws IllegalArgumentException when a count is negative or {@code nonzeroWeights} exceeds {@code weights}
     */
    public LayerRow {
        Objects.requireNonNull(name, "name");
        if (inBefore < 0 || outBefore < 0 || in < 0 || out < 0 || weights < 0 || nonzeroWeights < 0 || nonzeroWeights > weights) {
            throw new IllegalArgumentException("layer row " + name + ": counts must be ≥ 0 and nonzero weights at most the weights, got in "
                    + inBefore + "→" + in + ", out " + outBefore + "→" + out + ", " + nonzeroWeights + " of " + weights + " weights");
        }
    }
}
