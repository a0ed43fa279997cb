package io.prune4j;

/**
 * Base of every exception prune4j throws on purpose. The message is one line that names the
 * problem (file, field, option or device) and what was expected, so a command-line front end can
 * print it as it is.
 *
 * <p>Messages quote what they were given (tensor names from a file header, paths), and that can hold
 * anything: control characters are escaped ({@code \n}, {@code \u0000}) so the message stays one
 * line, and a message longer than {@value #MAX_LENGTH} characters keeps its start and end (where the
 * file and the verdict are) around an ellipsis.
 */
public class Prune4jException extends RuntimeException {
    static final int MAX_LENGTH = 2000;

    /**
     * @param message one line naming the problem; control characters are escaped and an overlong
     *     message is shortened around an ellipsis
     */
    public Prune4jException(String message) {
        super(oneLine(message));
    }

    /**
     * @param message one line naming the problem, as for {@link #Prune4jException(String)}
     * @param cause what led to it, or null
     */
    public Prune4jException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (sb == null) {
                    sb = new StringBuilder(message.length() + 16).append(message, 0, i);
                }
                sb.append(switch (c) {
                    case '\n' -> "\\n";
                    case '\r' -> "\\r";
                    case '\t' -> "\\t";
                    default -> String.format("\\u%04x", (int) c);
                });
            } else if (sb != null) {
                sb.append(c);
            }
        }
        String s = sb == null ? message : sb.toString();
        if (s.length() > MAX_LENGTH) {
            int head = MAX_LENGTH * 2 / 3;
            int tail = MAX_LENGTH - head - 3;
            s = s.substring(0, head) + " … " + s.substring(s.length() - tail);
        }
        return s;
    }
}
