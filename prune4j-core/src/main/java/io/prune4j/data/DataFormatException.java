package io.prune4j.data;

import io.prune4j.Prune4jException;

/**
 * A data file that is unreadable or not in the expected format, or a data folder that is missing;
 * the message names the file. (A missing data file is an {@link io.prune4j.MissingFileException}.)
 */
public class DataFormatException extends Prune4jException {
    /**
     * A format problem.
     *
     * @param message one line that names the file and what is wrong
     */
    public DataFormatException(String message) {
        super(message);
    }

    /**
     * A format problem caused by another exception (an I/O error, say).
     *
     * @param message one line that names the file and what is wrong
     * @param cause   what went wrong underneath, or null
     */
    public DataFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
