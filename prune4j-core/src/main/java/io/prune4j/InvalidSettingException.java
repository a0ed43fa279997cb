package io.prune4j;

/**
 * A setting the caller chose is invalid: out of range (a sparsity of 1.5, zero epochs), in conflict
 * with another (a gradual schedule without fine-tuning), or not fitting what it is applied to (a
 * keep count larger than the layer, a model of 784 inputs for data of 64). The message is one line
 * that names the setting and what it must be, as {@link Prune4jException}'s are.
 *
 * <p>It is a {@link Prune4jException}, like every exception prune4j throws on purpose: the command
 * line prints it as one line with exit status 1, whereas a plain {@code IllegalArgumentException}
 * (an internal argument check, such as a backend operation's) is reported there as an internal
 * error. Throw this one only where the value came from the user's settings.
 */
public class InvalidSettingException extends Prune4jException {
    /**
     * @param message one line naming the setting and what it must be
     */
    public InvalidSettingException(String message) {
        super(message);
    }
}
