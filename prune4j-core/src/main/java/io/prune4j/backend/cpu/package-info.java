/** The CPU backend: OpenBLAS for matrix products, plain Java loops for the rest. */
package io.prune4j.backend.cpu;
