package io.prune4j.train;

import io.prune4j.Prune4jException;

/** The loss turned NaN or infinite; the message says when and what to try. */
public class TrainingDivergedException extends Prune4jException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
