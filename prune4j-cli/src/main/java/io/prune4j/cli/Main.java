package io.prune4j.cli;

import io.prune4j.InvalidSettingException;
import io.prune4j.Prune4jException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code prune4j} command line and its exit statuses (shown by every {@code --help}):
 * <ul>
 *   <li>1: an error we expected, the user's input or the machine: a bad file ({@link Prune4jException}
 *       and its subclasses), a bad setting ({@link InvalidSettingException}), no GPU, no disk space,
 *       the Java heap too small. One {@code prune4j: error:} line; {@code --verbose} adds the stack trace;</li>
 *   <li>2: a malformed command line (an unknown option, a value of the wrong type): one line too;</li>
 *   <li>3: anything else is a bug in prune4j (an internal check that failed, such as a backend
 *       operation's {@link IllegalArgumentException}, a {@link NullPointerException}, an
 *       {@link IllegalStateException}): it says so, asks for a report with the command line and the
 *       version, and prints the stack trace.</li>
 * </ul>
 */
@Command(name = "prune4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Importance-score-based pruning of neural networks.",
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_INTERNAL},
        subcommands = {TrainCommand.class, PruneCommand.class, EvaluateCommand.class, SweepCommand.class, InspectCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    /** Bad input or a problem of the machine, reported in one line. */
    public static final int ERROR = 1;
    /** A malformed command line. */
    public static final int USAGE = 2;
    /** A bug in prune4j. */
    public static final int INTERNAL = 3;

    // the exit statuses as --help lists them (picocli's "key:description" lines); every command shows them
    static final String EXIT_OK = "0:the job is done";
    static final String EXIT_ERROR = "1:bad input (a file, an option's value, settings that do not fit together or"
            + " the model or data) or a problem of the machine (no GPU, no space, too little Java heap): one error line";
    static final String EXIT_USAGE = "2:a malformed command line (an unknown option, a value of the wrong type)";
    static final String EXIT_INTERNAL = "3:an internal error, a bug in prune4j: please report it with the message and the"
            + " stack trace it prints";

    /**
     * Runs the command line and exits the JVM with its status.
     *
     * @param args the command line's arguments
     */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the command line and returns the exit status (for tests and embedding).
     *
     * @param args the command line's arguments
     * @return 0 when the job is done, {@link #ERROR}, {@link #USAGE} or {@link #INTERNAL} otherwise
     */
    public static int run(String... args) {
        return execute(new CommandLine(new Main()), args);
    }

    /**
     * Runs {@code args} on {@code cli}, a {@code prune4j} command line (tests add commands to it), with
     * the error handling and exit statuses of the class comment.
     */
    static int execute(CommandLine cli, String... args) {
        // the last of a repeated option wins, as in most command lines (handy in scripts that append overrides)
        cli.setOverwrittenOptionsAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || (parseResult.subcommand() != null && parseResult.subcommand().hasMatchedOption("--verbose"));
            return failed(e, verbose, commandLine.getErr(), args);
        });
        // picocli prints the whole usage after a bad option; one line that names the problem and the help is easier to read
        cli.setParameterExceptionHandler((e, badArgs) -> {
            CommandLine where = e.getCommandLine();
            String msg = oneLine(e).replaceFirst("^Error: ", "");
            if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                msg += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            }
            where.getErr().println("prune4j: error: " + msg + " (see " + where.getCommandSpec().qualifiedName() + " --help)");
            return USAGE;
        });
        try {
            return cli.execute(args);
        } catch (Error e) {
            // picocli hands only Exceptions to the handler; an Error (out of heap, a stack overflow) comes here
            PrintWriter err = cli.getErr();
            int status = failed(e, Arrays.asList(args).contains("--verbose"), err, args);
            err.flush();
            return status;
        }
    }

    /** Reports what {@code e} says went wrong and returns the exit status for it. */
    private static int failed(Throwable e, boolean verbose, PrintWriter err, String[] args) {
        if (expected(e)) {
            if (verbose) {
                e.printStackTrace(err);
            }
            err.println("prune4j: error: " + oneLine(e));
            return ERROR;
        }
        String msg = e.getMessage();
        err.println("prune4j: internal error: " + e.getClass().getName() + (msg == null ? "" : ": " + msg.replace('\n', ' ')));
        err.println("prune4j: this is a bug in prune4j, not a problem with your input; please report it with this output,"
                + " the command line and the version:");
        err.println("prune4j:   " + commandLine(args));
        err.println("prune4j:   prune4j " + version() + ", Java " + System.getProperty("java.version") + ", "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        e.printStackTrace(err);
        return INTERNAL;
    }

    /**
     * Errors prune4j expects: its own (bad files, no device), the user's settings, and the machine
     * running out of Java heap. Everything else is an internal error.
     */
    static boolean expected(Throwable e) {
        return e instanceof Prune4jException || e instanceof InvalidSettingException || e instanceof OutOfMemoryError;
    }

    /** Our own exceptions carry a complete message; for others add the type so the line still says something. */
    static String oneLine(Throwable e) {
        String msg = e.getMessage();
        if (e instanceof Prune4jException || e instanceof InvalidSettingException || e instanceof CommandLine.ParameterException) {
            return msg == null ? e.getClass().getSimpleName() : withHint(msg.replace('\n', ' '));
        }
        if (e instanceof OutOfMemoryError) {
            return "out of Java heap memory; raise it with JAVA_OPTS=-Xmx8g";
        }
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg.replace('\n', ' '));
    }

    /**
     * Library messages speak of settings, never of flags; where one asks for a setting the command line
     * has an option for, the line names the option too.
     */
    private static final String[][] HINTS = {
        {"give the input shape", "--input-shape C,H,W"},
        {"N:M pattern must be", "--pattern N:M"},
        {"out of pruning", "--ignore NODE"},
        {"rank within each layer, not globally", "--scope layer"},
        {"cannot be combined with reconstruction", "drop --reconstruct"},
        {"prune without reconstruction", "drop --reconstruct"},
        {"the input mean", "--input-mean"},
        {"input standard deviation", "--input-std"},
    };

    static String withHint(String msg) {
        for (String[] h : HINTS) {
            if (msg.contains(h[0]) && !msg.contains(h[1])) {
                return msg + " (" + h[1] + ")";
            }
        }
        return msg;
    }

    /** {@code args} as the user would type them again: {@code prune4j prune --data 'my data'}. */
    static String commandLine(String[] args) {
        return "prune4j " + Arrays.stream(args)
                .map(a -> a.isEmpty() || a.chars().anyMatch(c -> Character.isWhitespace(c) || "'\"\\$`;&|<>()*?!#~".indexOf(c) >= 0)
                        ? "'" + a.replace("'", "'\\''") + "'" : a)
                .collect(Collectors.joining(" "));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"prune4j " + version()};
        }
    }

    /** The project version (see {@link io.prune4j.Version#get}). */
    static String version() {
        return io.prune4j.Version.get();
    }
}
