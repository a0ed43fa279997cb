package io.prune4j.cli;

import io.prune4j.Prune4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code prune4j} command line. Errors we expect (bad files, bad options, no GPU) print one
 * line and exit with status 1; {@code --verbose} adds the stack trace. Usage errors (an unknown
 * option, a value of the wrong type) print one line too and exit with 2.
 */
@Command(name = "prune4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Importance-score-based pruning of neural networks.",
        subcommands = {TrainCommand.class, PruneCommand.class, SweepCommand.class, InspectCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit status (for tests and embedding). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // the last of a repeated option wins, as in most command lines (handy in scripts that append overrides)
        cli.setOverwrittenOptionsAllowed(true);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean verbose = parseResult.hasMatchedOption("--verbose")
                    || (parseResult.subcommand() != null && parseResult.subcommand().hasMatchedOption("--verbose"));
            if (verbose) {
                e.printStackTrace();
            }
            commandLine.getErr().println("prune4j: error: " + oneLine(e));
            return 1;
        });
        // picocli prints the whole usage after a bad option; one line that names the problem and the help is easier to read
        cli.setParameterExceptionHandler((e, badArgs) -> {
            CommandLine where = e.getCommandLine();
            String msg = oneLine(e).replaceFirst("^Error: ", "");
            if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
                msg += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            }
            where.getErr().println("prune4j: error: " + msg + " (see " + where.getCommandSpec().qualifiedName() + " --help)");
            return 2;
        });
        return cli.execute(args);
    }

    /** Our own exceptions carry a complete message; for others add the type so the line still says something. */
    static String oneLine(Throwable e) {
        String msg = e.getMessage();
        if (e instanceof Prune4jException || e instanceof IllegalArgumentException || e instanceof CommandLine.ParameterException) {
            return msg == null ? e.getClass().getSimpleName() : msg.replace('\n', ' ');
        }
        if (e instanceof OutOfMemoryError) {
            return "out of Java heap memory; raise it with JAVA_OPTS=-Xmx8g";
        }
        return e.getClass().getSimpleName() + (msg == null ? "" : ": " + msg.replace('\n', ' '));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"prune4j " + version()};
        }
    }

    /** The project version Maven wrote into {@code io/prune4j/version.properties}, or "dev" when it is missing or unfiltered. */
    static String version() {
        try (java.io.InputStream in = Main.class.getResourceAsStream("/io/prune4j/version.properties")) {
            if (in != null) {
                java.util.Properties p = new java.util.Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isBlank() && !v.contains("${")) {
                    return v;
                }
            }
        } catch (java.io.IOException e) {
            // fall through: a report with "dev" is better than none
        }
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
