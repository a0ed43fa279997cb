package io.prune4j.train;

/**
 * What one epoch did: training loss/accuracy (averaged over the epoch's batches as the weights
 * moved), test metrics after the epoch, and the throughput of the training steps alone.
 */
public record EpochResult(int epoch, Metrics train, Metrics test, double seconds, double trainSamplesPerSecond) {}
