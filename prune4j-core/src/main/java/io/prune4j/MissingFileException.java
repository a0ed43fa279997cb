package io.prune4j;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A file or folder that prune4j was asked to read does not exist (a model, a data set, an ONNX
 * file). Distinct from the format exceptions ({@code ModelFormatException},
 * {@code DataFormatException}), which say that a file exists but cannot be read as what it claims
 * to be. The message is {@code "<path>: file not found"} (or another noun than "file", such as
 * "data folder"), with a hint after a semicolon where there is one.
 */
public class MissingFileException extends Prune4jException {
    private final transient Path path;

    /**
     * A missing file, with no hint.
     *
     * @param path the path that does not exist, as the caller gave it (not null)
     */
    public MissingFileException(Path path) {
        this(path, null);
    }

    /**
     * A missing file, with a hint on what was expected there.
     *
     * @param path the path that does not exist, as the caller gave it (not null)
     * @param hint what was expected or how to get it, for the message; null for none
     */
    public MissingFileException(Path path, String hint) {
        this(path, "file", hint);
    }

    /**
     * A missing file or folder of a named kind: the message is {@code "<path>: <what> not found"}
     * and the hint after a semicolon.
     *
     * @param path the path that does not exist, as the caller gave it (not null)
     * @param what what was to be there, such as {@code "data folder"} (not null)
     * @param hint what was expected or how to get it, for the message; null for none
     */
    public MissingFileException(Path path, String what, String hint) {
        super(Objects.requireNonNull(path, "path") + ": " + Objects.requireNonNull(what, "what") + " not found"
                + (hint == null ? "" : "; " + hint));
        this.path = path;
    }

    /**
     * The path that does not exist.
     *
     * @return the path as the caller gave it
     */
    public Path path() {
        return path;
    }
}
