package io.prune4j.backend;

import io.prune4j.Prune4jException;

/** Asked for a CUDA device where there is none, or the CUDA libraries could not be loaded. */
public class DeviceUnavailableException extends Prune4jException {
    /**
     * An unavailable device, without a cause.
     *
     * @param message one line saying which device and why it cannot be used; null for none
     */
    public DeviceUnavailableException(String message) {
        super(message);
    }

    /**
     * An unavailable device, with the error that made it so.
     *
     * @param message one line saying which device and why it cannot be used; null for none
     * @param cause the error behind it (a failed library load, a driver error); null when unknown
     */
    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
