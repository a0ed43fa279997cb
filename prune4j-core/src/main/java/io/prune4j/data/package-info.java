/** Data sets: the IDX reader for MNIST-format files and in-memory labelled {@link io.prune4j.data.Dataset}s. */
package io.prune4j.data;
