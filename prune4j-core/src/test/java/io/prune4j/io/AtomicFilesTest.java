package io.prune4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Written files get ordinary permissions: those of any new file (umask), or those of the file they replace. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void newFilesGetTheUmaskPermissionsAndReplacedFilesKeepTheirs() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path written = dir.resolve("report.json");
        AtomicFiles.writeString(written, "{}");
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written), "as any new file");

        Files.setPosixFilePermissions(written, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.writeString(written, "{\"again\":1}");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(written)), "as the file it replaced");
        assertEquals("{\"again\":1}", Files.readString(written));
    }
}
