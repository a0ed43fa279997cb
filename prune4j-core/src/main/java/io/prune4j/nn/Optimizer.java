package io.prune4j.nn;

import java.util.List;

/**
 * Updates parameters from their gradients. After each step every parameter that carries a mask is
 * multiplied by it, so weights removed by unstructured pruning stay exactly zero.
 */
public interface Optimizer extends AutoCloseable {

    /** One update of every parameter with the learning rate {@code lr}. */
    void step(List<Parameter> parameters, float lr);

    /** Forgets the moment estimates (after the parameters were compacted or rewound). */
    void reset();

    @Override
    void close();
}
