package io.prune4j.nn;

import java.util.List;

/**
 * Updates parameters from their gradients. After each step every parameter that carries a mask is
 * multiplied by it, so weights removed by unstructured pruning stay exactly zero. An optimiser keeps
 * per-parameter state (moment estimates) keyed by the {@link Parameter} object, sized to its value;
 * it owns that state and releases it in {@link #reset} and {@link #close}.
 */
public interface Optimizer extends AutoCloseable {

    /**
     * One update of every parameter, in place, from its current gradient ({@link Parameter#grad()}).
     *
     * @param parameters the parameters to update (not null, no null entries); borrowed
     * @param lr         the learning rate of this step
     */
    void step(List<Parameter> parameters, float lr);

    /** Forgets the moment estimates (after the parameters were compacted or rewound), releasing their tensors. */
    void reset();

    /** Releases the optimiser's state, as {@link #reset} does. */
    @Override
    void close();
}
