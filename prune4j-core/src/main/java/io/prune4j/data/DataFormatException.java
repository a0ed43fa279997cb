package io.prune4j.data;

import io.prune4j.Prune4jException;

/** A data file that is missing, unreadable or not in the expected format; the message names the file. */
public class DataFormatException extends Prune4jException {
    public DataFormatException(String message) {
        super(message);
    }

    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
