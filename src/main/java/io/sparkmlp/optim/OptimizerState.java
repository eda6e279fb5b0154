package io.sparkmlp.optim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@link Optimizer} needs to continue: its name, named scalars (e.g. a step count) and
 * named vectors with the parameters' layout (e.g. a momentum buffer). Insertion order is kept, so a
 * checkpoint writes the vectors in the optimizer's own order.
 */
public record OptimizerState(String optimizer, Map<String, Double> scalars, Map<String, float[]> vectors) {

    public OptimizerState {
        Objects.requireNonNull(optimizer, "optimizer");
        scalars = Collections.unmodifiableMap(new LinkedHashMap<>(scalars));
        vectors = Collections.unmodifiableMap(new LinkedHashMap<>(vectors));
    }

    /** Refuses a state that is not {@code optimizer}'s with these vector names, each of {@code length} values. */
    public void check(String expectedOptimizer, List<String> expectedScalars, List<String> expectedVectors, int length) {
        if (!optimizer.equals(expectedOptimizer)) {
            throw new IllegalArgumentException("the optimizer state is " + optimizer + "'s; this run uses "
                    + expectedOptimizer);
        }
        if (!new ArrayList<>(scalars.keySet()).equals(expectedScalars)
                || !new ArrayList<>(vectors.keySet()).equals(expectedVectors)) {
            throw new IllegalArgumentException(optimizer + " state has scalars " + scalars.keySet() + " and vectors "
                    + vectors.keySet() + "; expected scalars " + expectedScalars + " and vectors " + expectedVectors);
        }
        for (Map.Entry<String, float[]> v : vectors.entrySet()) {
            if (v.getValue().length != length) {
                throw new IllegalArgumentException(optimizer + " state vector '" + v.getKey() + "' has "
                        + v.getValue().length + " values; the layout has " + length + " parameters");
            }
        }
    }
}
