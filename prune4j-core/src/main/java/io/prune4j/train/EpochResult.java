package io.prune4j.train;

import java.util.Objects;

/**
 * What one epoch did: training loss/accuracy (averaged over the epoch's batches as the weights
 * moved), test metrics after the epoch, and the throughput of the training steps alone.
 *
 * @param epoch                 the epoch's number, as given to {@link Trainer#runEpoch} ({@link Trainer#fit} counts from 1)
 * @param train                 loss and accuracy over the epoch's training batches; not null
 * @param test                  loss and accuracy on the test set after the epoch, or null when there was no test set
 * @param seconds               wall-clock seconds of the training steps (not the evaluation), ≥ 0
 * @param trainSamplesPerSecond training examples per second of those steps, ≥ 0
 */
public record EpochResult(int epoch, Metrics train, Metrics test, double seconds, double trainSamplesPerSecond) {
    /**
     * Checks the components.
     *
     * @param epoch                 the epoch's number, as given to {@link Trainer#runEpoch} ({@link Trainer#fit} counts from 1)
     * @param train                 loss and accuracy over the epoch's training batches; not null
     * @param test                  loss and accuracy on the test set after the epoch, or null when there was no test set
     * @param seconds               wall-clock seconds of the training steps (not the evaluation), ≥ 0
     * @param trainSamplesPerSecond training examples per second of those steps, ≥ 0
     * @throws NullPointerException     when {@code train} is null
     * @throws IllegalArgumentException when {@code seconds} or {@code trainSamplesPerSecond} is negative or NaN
     */
    public EpochResult {
        Objects.requireNonNull(train, "train");
        if (!(seconds >= 0) || !(trainSamplesPerSecond >= 0)) {
            throw new IllegalArgumentException("epoch " + epoch + ": " + seconds + " s and " + trainSamplesPerSecond
                    + " examples/s must be ≥ 0");
        }
    }
}
