package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks output paths before any work starts, so a typo does not cost a training run. */
final class OutputPaths {
    private OutputPaths() {}

    static void check(Path... paths) {
        for (Path p : paths) {
            if (p == null) {
                continue;
            }
            Path dir = p.toAbsolutePath().getParent();
            if (dir == null || !Files.isDirectory(dir)) {
                throw new InvalidSettingException(p + ": folder " + dir + " does not exist");
            }
            if (!Files.isWritable(dir)) {
                throw new InvalidSettingException(p + ": folder " + dir + " is not writable");
            }
            if (Files.isDirectory(p)) {
                throw new InvalidSettingException(p + ": is a folder, expected a file name");
            }
        }
    }
}
