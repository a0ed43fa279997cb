package io.prune4j.prune;

/** What a score is for: a whole unit (neuron or channel: structured pruning) or a single weight (unstructured). */
public enum Granularity {
    /** One score per output unit of a layer: {@code [units]}. */
    UNIT,
    /** One score per weight, shaped like the weight: {@code [out, in]}. */
    WEIGHT
}
