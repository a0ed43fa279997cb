package io.prune4j;

/**
 * Base of every exception prune4j throws on purpose. The message is one line that names the
 * problem (file, field, option or device) and what was expected, so a command-line front end can
 * print it as it is.
 */
public class Prune4jException extends RuntimeException {
    public Prune4jException(String message) {
        super(message);
    }

    public Prune4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
