/**
 * prune4j: importance-score-based pruning of neural networks on the JVM.
 *
 * <p>The packages follow the pipeline: {@code tensor} and {@code backend} hold numbers on a
 * device, {@code nn} builds networks from layers, {@code train} trains them, {@code data} reads
 * data sets, {@code io} reads and writes model files and {@code cli} is the command line.
 */
package io.prune4j;
