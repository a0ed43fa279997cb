/**
 * Networks: layers ({@link io.prune4j.nn.Dense}, {@link io.prune4j.nn.Relu}), the
 * {@link io.prune4j.nn.Graph} container with forward and backward hooks for importance
 * scorers, and optimisers ({@link io.prune4j.nn.Sgd}, {@link io.prune4j.nn.Adam}).
 */
package io.prune4j.nn;
