/**
 * Networks: the {@link io.prune4j.nn.Layer} contract (and {@link io.prune4j.nn.UnaryLayer} for one
 * input), the built-in layers ({@link io.prune4j.nn.Dense}, {@link io.prune4j.nn.Conv2d},
 * {@link io.prune4j.nn.BatchNorm}, activations, pooling, {@link io.prune4j.nn.Add},
 * {@link io.prune4j.nn.Mul}, {@link io.prune4j.nn.Concat}, …), the {@link io.prune4j.nn.Graph}
 * container with forward and backward hooks for importance scorers, built node by node with a
 * {@link io.prune4j.nn.GraphBuilder} or as one of the {@link io.prune4j.nn.Models}, and optimisers
 * ({@link io.prune4j.nn.Sgd}, {@link io.prune4j.nn.Adam}). Layers own their parameters and buffers;
 * a graph owns its layers.
 */
package io.prune4j.nn;
