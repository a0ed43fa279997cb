/** The {@code prune4j} command line (picocli): {@code train}, and the pruning commands. */
package io.prune4j.cli;
