package io.prune4j.onnx;

import io.prune4j.io.ModelFormatException;

/**
 * An ONNX file prune4j cannot read as it is: not a model, inconsistent, or outside the supported set
 * (an operator, an attribute value, a data type, external data). The message is one line naming the
 * file, the node and its operator, and what is supported.
 */
public class OnnxFormatException extends ModelFormatException {
    /**
     * An ONNX file that cannot be read.
     *
     * @param message one line naming the file, the node and its operator, and what is supported
     */
    public OnnxFormatException(String message) {
        super(message);
    }
}
