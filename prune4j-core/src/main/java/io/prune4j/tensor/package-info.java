/** Tensors: shape, element type and the backend that owns the storage. */
package io.prune4j.tensor;
