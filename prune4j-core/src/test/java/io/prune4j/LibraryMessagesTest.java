package io.prune4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Library messages name settings, never command-line flags ({@code --data DIR}, {@code --device cpu}):
 * a Java caller has no such flags, and the command line adds its own hints. Every string literal in the
 * main sources of prune4j-core and prune4j-cuda is checked for a {@code --word}; comments are not.
 */
class LibraryMessagesTest {
    private static final Pattern LITERAL = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final Pattern FLAG = Pattern.compile("(?<![\\w-])--[a-z][a-z-]+");

    @Test
    void noStringLiteralNamesACommandLineFlag() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (Path root : List.of(Path.of("src/main/java"), Path.of("../prune4j-cuda/src/main/java"))) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path f : (Iterable<Path>) s.filter(p -> p.toString().endsWith(".java"))::iterator) {
                    files++;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        String line = lines.get(i).strip();
                        if (line.startsWith("*") || line.startsWith("//") || line.startsWith("/*")) {
                            continue;
                        }
                        Matcher m = LITERAL.matcher(line);
                        while (m.find()) {
                            if (FLAG.matcher(m.group()).find()) {
                                found.add(f + ":" + (i + 1) + ": " + m.group());
                            }
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "the sources were found (" + files + " files)");
        assertTrue(found.isEmpty(), "library strings that name command-line flags:\n" + String.join("\n", found));
    }
}
