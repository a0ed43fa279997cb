package io.prune4j.backend;

import io.prune4j.Prune4jException;

/** Asked for a CUDA device where there is none, or the CUDA libraries could not be loaded. */
public class DeviceUnavailableException extends Prune4jException {
    public DeviceUnavailableException(String message) {
        super(message);
    }

    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
