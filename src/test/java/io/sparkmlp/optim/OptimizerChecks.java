package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Rng;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Supplier;

/** Checks every {@link Optimizer} must pass, shared by the optimizers' tests. */
final class OptimizerChecks {

    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private OptimizerChecks() {
    }

    /**
     * Nine steps uninterrupted, against four steps, an export, a fresh optimizer from {@code fresh}
     * restored from it, and five more: the weights and the state must be bit for bit the same. A
     * fresh optimizer that is not restored must end elsewhere, or the state would not matter.
     */
    static void resumedRunContinuesBitForBit(Supplier<Optimizer> fresh, Layout net, double learningRate) {
        Rng rng = new Rng(42);
        float[][] gradients = new float[9][net.numParameters()];
        for (float[] g : gradients) {
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rng.nextGaussian();
            }
        }
        float[] start = new float[net.numParameters()];
        for (int i = 0; i < start.length; i++) {
            start[i] = (float) rng.nextGaussian();
        }
        Optimizer uninterrupted = fresh.get();
        float[] w = start.clone();
        Optimizer resumed = null;
        Optimizer notRestored = null;
        float[] resumedWeights = null;
        float[] notRestoredWeights = null;
        for (int step = 0; step < gradients.length; step++) {
            if (step == 4) {
                OptimizerState saved = uninterrupted.exportState();
                assertEquals(uninterrupted.name(), saved.optimizer());
                resumed = fresh.get();
                resumed.restoreState(saved);
                resumedWeights = w.clone();
                notRestored = fresh.get();
                notRestoredWeights = w.clone();
                // the export is a copy: a step afterwards does not change it
                Map<String, float[]> copied = copyOf(saved.vectors());
                uninterrupted.step(w, gradients[step], learningRate);
                assertVectorsEqual(copied, saved.vectors(), "the exported state after one more step");
            } else {
                uninterrupted.step(w, gradients[step], learningRate);
            }
            if (resumed != null) {
                resumed.step(resumedWeights, gradients[step], learningRate);
                notRestored.step(notRestoredWeights, gradients[step], learningRate);
            }
        }
        assertArrayEquals(w, resumedWeights, uninterrupted.name() + ": resumed weights");
        assertFalse(Arrays.equals(w, notRestoredWeights), uninterrupted.name()
                + ": a fresh optimizer without the restored state ended on the same weights");
        OptimizerState end = uninterrupted.exportState();
        OptimizerState resumedEnd = resumed.exportState();
        assertEquals(end.scalars(), resumedEnd.scalars());
        assertVectorsEqual(end.vectors(), resumedEnd.vectors(), uninterrupted.name() + ": final state");
        for (String name : end.vectors().keySet()) {
            assertTrue(end.vectors().get(name) != uninterrupted.exportState().vectors().get(name),
                    "each export is a fresh copy of " + name);
        }
    }

    /** Bytes this thread allocates over {@code steps} steps after a warm-up; a per-step array shows as kilobytes. */
    static long bytesAllocatedBySteps(Optimizer optimizer, Layout net, int steps) {
        float[] w = new float[net.numParameters()];
        float[] g = new float[net.numParameters()];
        Arrays.fill(w, 0.5f);
        Arrays.fill(g, 0.25f);
        for (int i = 0; i < 200; i++) {
            optimizer.step(w, g, 1e-3);
        }
        long before = ALLOCATION.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < steps; i++) {
            optimizer.step(w, g, 1e-3);
        }
        return ALLOCATION.getCurrentThreadAllocatedBytes() - before;
    }

    static void assertVectorsEqual(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet().stream().toList(), actual.keySet().stream().toList(), what + ": vector names");
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name), actual.get(name), what + ": " + name);
        }
    }

    private static Map<String, float[]> copyOf(Map<String, float[]> vectors) {
        Map<String, float[]> copy = new java.util.LinkedHashMap<>();
        vectors.forEach((k, v) -> copy.put(k, v.clone()));
        return copy;
    }
}
