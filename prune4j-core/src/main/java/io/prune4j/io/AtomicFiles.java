package io.prune4j.io;

import io.prune4j.Prune4jException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes files so that a reader (or a crash) never sees half of one: the bytes go to a temporary
 * file in the same folder, are forced to disk, and the file is renamed over the target in one step.
 * A process killed mid-write leaves the old file as it was and only a stray {@code .tmp} file.
 */
public final class AtomicFiles {
    /** Writes the whole content through {@code body}. */
    @FunctionalInterface
    public interface Body {
        /**
         * Writes the file's whole content.
         *
         * @param out the temporary file's stream (buffered; closed by {@link #write}, not by the body)
         * @throws IOException when writing fails; nothing of it reaches the target
         */
        void write(OutputStream out) throws IOException;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private AtomicFiles() {}

    /**
     * Writes {@code target} atomically: the content goes to a temporary file in the same folder, is
     * forced to disk and then renamed over {@code target}, so the file is either the old one or the
     * whole new one, also when the process is killed; the temporary file is removed on failure.
     *
     * @param target the file to write (not null); its folder must exist
     * @param body writes the content (not null)
     * @throws Prune4jException when the folder does not exist or writing or renaming fails (the
     *     message names the file and the reason)
     */
    public static void write(Path target, Body body) {
        java.util.Objects.requireNonNull(target, "target");
        java.util.Objects.requireNonNull(body, "body");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new Prune4jException(target + ": folder " + dir + " does not exist");
        }
        if (Files.isDirectory(abs)) {
            throw new Prune4jException(target + ": is a folder, expected a file name");
        }
        Path tmp;
        try {
            tmp = createTemporary(dir, abs);
        } catch (AccessDeniedException e) {
            throw new Prune4jException(target + ": folder " + dir + " is not writable");
        } catch (IOException e) {
            throw new Prune4jException(target + ": cannot create a file in " + dir + " (" + e.getMessage() + ")");
        }
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 16)) {
                body.write(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } catch (NoSuchFileException e) {
            throw new Prune4jException(target + ": " + e.getMessage() + " disappeared while writing");
        } catch (IOException e) {
            throw new Prune4jException(target + ": write failed (" + e.getMessage() + ")");
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the write already failed; a leftover .tmp file does not damage the target
                }
            }
        }
    }

    /**
     * An empty {@code .<name>.<random>.tmp} beside {@code target}. Not {@code Files.createTempFile}:
     * that makes the file 0600, and after the rename a model or report would be unreadable to the
     * rest of a group that could read the file it replaced. This one gets the permissions any new
     * file gets (the umask), or those of the file it replaces.
     */
    private static Path createTemporary(Path dir, Path target) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                Files.createFile(tmp);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt < 100) {
                    continue;
                }
                throw e;
            }
            if (Files.exists(target)) {
                try {
                    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target));
                } catch (UnsupportedOperationException | IOException e) {
                    // not a POSIX file system, or not ours to change: the new file keeps the default permissions
                }
            }
            return tmp;
        }
    }

    /**
     * Writes {@code content} as UTF-8 to {@code target}, atomically as {@link #write} does.
     *
     * @param target the file to write (not null)
     * @param content the text (not null)
     * @throws Prune4jException as {@link #write}
     */
    public static void writeString(Path target, String content) {
        java.util.Objects.requireNonNull(content, "content");
        write(target, out -> out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
