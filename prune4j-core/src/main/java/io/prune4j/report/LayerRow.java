package io.prune4j.report;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One line of the per-layer table: a weight layer before and after pruning; in/out are features (Dense) or channels (Conv2d). */
public record LayerRow(
        @JsonProperty("name") String name,
        @JsonProperty("in_before") int inBefore,
        @JsonProperty("out_before") int outBefore,
        @JsonProperty("in") int in,
        @JsonProperty("out") int out,
        @JsonProperty("weights") long weights,
        @JsonProperty("nonzero_weights") long nonzeroWeights,
        @JsonProperty("sparsity") double sparsity) {}
