package io.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prune4j.InvalidSettingException;
import io.prune4j.Prune4jException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Issue 15's exit statuses: bad input (prune4j's own exceptions, a bad setting) is one
 * {@code prune4j: error:} line and status 1, and anything else is an internal error: it says so, asks
 * for a report with the command line and the version, prints the stack trace and exits with 3. The
 * errors come from a command added for the test to the real command line ({@link Main#execute}), so
 * the handling is the one every command gets; {@code --help} lists the statuses.
 */
class ExitStatusTest {
    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        @Option(names = "--with")
        String with;

        @Option(names = "--verbose")
        boolean verbose;

        @Override
        public Integer call() {
            switch (with) {
                case "internal-argument-check" -> throw new IllegalArgumentException("gemm: op(a) is 2x3, op(b) is 4x5, c is 2x5");
                case "null" -> throw new NullPointerException();
                case "state" -> throw new IllegalStateException("backend cuda:0 is closed");
                case "stack" -> throw new StackOverflowError();
                case "heap" -> throw new OutOfMemoryError("Java heap space");
                case "setting" -> throw new InvalidSettingException("sparsity must be in [0, 1), got 1.5");
                case "file" -> throw new Prune4jException("m.safetensors: truncated (5 bytes)");
                default -> throw new AssertionError(with);
            }
        }
    }

    private record Result(int rc, List<String> lines, String err) {}

    private static Result run(String... args) {
        CommandLine cli = new CommandLine(new Main()).addSubcommand("fail", new Fail());
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        int rc = Main.execute(cli, args);
        return new Result(rc, err.toString().lines().toList(), err.toString());
    }

    private static void assertInternal(Result r, String firstLine, String command) {
        assertEquals(Main.INTERNAL, r.rc(), r.err());
        assertEquals(firstLine, r.lines().get(0), r.err());
        assertTrue(r.lines().get(1).startsWith("prune4j: this is a bug in prune4j") && r.lines().get(1).contains("please report it"), r.err());
        assertEquals("prune4j:   " + command, r.lines().get(2), "the command line to report");
        assertTrue(r.lines().get(3).startsWith("prune4j:   prune4j " + Main.version() + ", Java "), "the version to report: " + r.lines().get(3));
        assertTrue(r.err().contains("\tat io.prune4j.cli.ExitStatusTest$Fail.call"), "the stack trace: " + r.err());
        assertFalse(r.err().contains("prune4j: error: "), "not reported as the user's error: " + r.err());
    }

    @Test
    void anInternalArgumentCheckIsAnInternalErrorWithItsStackTrace() {
        assertInternal(run("fail", "--with", "internal-argument-check"),
                "prune4j: internal error: java.lang.IllegalArgumentException: gemm: op(a) is 2x3, op(b) is 4x5, c is 2x5",
                "prune4j fail --with internal-argument-check");
    }

    @Test
    void otherExceptionsAndErrorsAreInternalErrorsToo() {
        assertInternal(run("fail", "--with", "null"), "prune4j: internal error: java.lang.NullPointerException", "prune4j fail --with null");
        assertInternal(run("fail", "--with", "state"), "prune4j: internal error: java.lang.IllegalStateException: backend cuda:0 is closed",
                "prune4j fail --with state");
        // an Error never reaches picocli's handler; Main catches it
        assertInternal(run("fail", "--with", "stack"), "prune4j: internal error: java.lang.StackOverflowError", "prune4j fail --with stack");
    }

    @Test
    void badInputIsOneLineAndStatusOne() {
        for (String[] c : new String[][] {{"setting", "prune4j: error: sparsity must be in [0, 1), got 1.5"},
            {"file", "prune4j: error: m.safetensors: truncated (5 bytes)"},
            {"heap", "prune4j: error: out of Java heap memory; raise it with JAVA_OPTS=-Xmx8g"}}) {
            Result r = run("fail", "--with", c[0]);
            assertEquals(Main.ERROR, r.rc(), r.err());
            assertEquals(List.of(c[1]), r.lines(), c[0]);
        }
        Result verbose = run("fail", "--with", "setting", "--verbose");
        assertEquals(Main.ERROR, verbose.rc());
        assertTrue(verbose.err().contains("\tat ") && verbose.lines().get(verbose.lines().size() - 1).startsWith("prune4j: error: "),
                "--verbose adds the stack trace: " + verbose.err());
        Result usage = run("fail", "--wiht", "setting");
        assertEquals(Main.USAGE, usage.rc(), usage.err());
        assertEquals(1, usage.lines().size(), usage.err());
    }

    @Test
    void theCommandLineToReportIsQuotedAsAShellWouldNeedIt() {
        assertEquals("prune4j prune --data 'my data' --model m.safetensors --note 'it'\\''s' ''",
                Main.commandLine(new String[] {"prune", "--data", "my data", "--model", "m.safetensors", "--note", "it's", ""}));
    }

    @Test
    void helpListsTheExitStatuses() {
        for (String[] args : new String[][] {{"--help"}, {"prune", "--help"}, {"train", "--help"}, {"sweep", "--help"}}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream old = System.out;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                assertEquals(0, Main.run(args));
            } finally {
                System.setOut(old);
            }
            String help = out.toString(StandardCharsets.UTF_8);
            assertTrue(help.contains("Exit status:") && help.contains("  1   bad input") && help.contains("  2   a malformed command line")
                    && help.contains("  3   an internal error, a bug in prune4j"), String.join(" ", args) + ":\n" + help);
        }
    }
}
