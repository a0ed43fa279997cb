/**
 * The CPU backend, {@link io.prune4j.backend.cpu.CpuBackend}: OpenBLAS for matrix products, oneDNN
 * ({@link io.prune4j.backend.cpu.DnnlConv}) where it loads for convolutions with kernels larger than
 * 1×1, plain Java loops for the rest.
 */
package io.prune4j.backend.cpu;
