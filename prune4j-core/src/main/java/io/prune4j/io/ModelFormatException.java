package io.prune4j.io;

import io.prune4j.Prune4jException;

/** A model file that is truncated, inconsistent or describes another architecture; the message names the file and field. */
public class ModelFormatException extends Prune4jException {
    /**
     * @param message one line naming the file, the field and the problem
     */
    public ModelFormatException(String message) {
        super(message);
    }
}
