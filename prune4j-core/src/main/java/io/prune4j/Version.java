package io.prune4j;

/** The library's version, for reports, file metadata and the command line's {@code --version}. */
public final class Version {
    private Version() {}

    /**
     * The project version Maven wrote into {@code io/prune4j/version.properties}, or "dev" when it is
     * missing or unfiltered.
     *
     * @return the version, such as {@code 0.1.0-SNAPSHOT}
     */
    public static String get() {
        try (java.io.InputStream in = Version.class.getResourceAsStream("/io/prune4j/version.properties")) {
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
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
