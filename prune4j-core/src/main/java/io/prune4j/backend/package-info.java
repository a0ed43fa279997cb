/**
 * The {@link io.prune4j.backend.Backend} interface that every numeric operation goes through, and
 * {@link io.prune4j.backend.Backends} to pick one ({@code cpu}, {@code cuda} or {@code auto}).
 * Implementations live in {@code backend.cpu} and {@code backend.cuda}.
 */
package io.prune4j.backend;
