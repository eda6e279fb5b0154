package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Layout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

@Tag("unit")
class AdamTest {

    // Layout 1-2: two weights at [0, 2), two biases at [2, 4).
    private final Layout layout = new Layout(1, 2);

    @Test
    void theFirstStepMovesEachParameterByTheRateAgainstItsGradientsSign() {
        Adam adam = new Adam(layout, 0.9, 0.999, 1e-8, 0);
        float[] w = {1f, 1f, 1f, 1f};
        adam.step(w, new float[] {0.5f, -3f, 1e-3f, 0f}, 0.01);
        // t = 1: m̂ = g, v̂ = g², so the step is η·g / (|g| + ε) ≈ η·sign(g)
        assertEquals(0.99f, w[0], 1e-6);
        assertEquals(1.01f, w[1], 1e-6);
        assertEquals(0.99f, w[2], 1e-5);
        assertEquals(1f, w[3]);
        assertEquals(1, adam.steps());
    }

    @Test
    void weightDecayReachesTheWeightsButNotTheBiases() {
        Adam adam = new Adam(layout, 0.9, 0.999, 1e-8, 0.1);
        float[] w = {2f, -2f, 2f, -2f};
        adam.step(w, new float[4], 0.01);
        // d = λw on the weights: a full step of η against w's sign; the biases see d = 0
        assertEquals(1.99f, w[0], 1e-6);
        assertEquals(-1.99f, w[1], 1e-6);
        assertEquals(2f, w[2]);
        assertEquals(-2f, w[3]);
    }

    @Test
    void outOfRangeSettingsAreRejectedWithTheValue() {
        assertRejected(() -> new Adam(layout, 1.0, 0.999, 1e-8, 0), "beta1", "1.0");
        assertRejected(() -> new Adam(layout, -0.1, 0.999, 1e-8, 0), "beta1", "-0.1");
        assertRejected(() -> new Adam(layout, 0.9, 1.0, 1e-8, 0), "beta2", "1.0");
        assertRejected(() -> new Adam(layout, 0.9, Double.NaN, 1e-8, 0), "beta2", "NaN");
        assertRejected(() -> new Adam(layout, 0.9, 0.999, 0, 0), "epsilon", "0.0");
        assertRejected(() -> new Adam(layout, 0.9, 0.999, Double.POSITIVE_INFINITY, 0), "epsilon", "Infinity");
        assertRejected(() -> new Adam(layout, 0.9, 0.999, 1e-50, 0), "epsilon", "1.0E-50");
        assertRejected(() -> new Adam(layout, 0.9, 0.999, 1e-8, -1e-4), "weight decay", "-1.0E-4");
        assertRejected(() -> new Adam(layout, 0.9, 0.999, 1e-8, Double.POSITIVE_INFINITY), "weight decay", "Infinity");
        Adam adam = new Adam(layout, 0.9, 0.999, 1e-8, 0);
        assertRejected(() -> adam.step(new float[4], new float[4], Double.NaN), "learning rate", "NaN");
        assertRejected(() -> adam.step(new float[4], new float[4], 0), "learning rate", "0.0");
        assertRejected(() -> adam.step(new float[3], new float[4], 0.1), "(3)", "4 parameters");
        assertRejected(() -> adam.step(new float[4], new float[5], 0.1), "(5)", "4 parameters");
        assertEquals(0, adam.steps(), "a refused step does not count");
    }

    @Test
    void anExportedStateRestoredIntoAFreshOptimizerContinuesBitForBit() {
        Layout net = new Layout(5, 7, 3);
        OptimizerChecks.resumedRunContinuesBitForBit(() -> new Adam(net, 0.9, 0.999, 1e-8, 1e-3), net, 0.01);
        Adam adam = new Adam(layout, 0.9, 0.999, 1e-8, 0);
        adam.step(new float[4], new float[] {1, 2, 3, 4}, 0.01);
        adam.step(new float[4], new float[] {1, 2, 3, 4}, 0.01);
        OptimizerState state = adam.exportState();
        assertEquals(Map.of("step", 2.0), state.scalars());
        assertEquals(List.of("firstMoment", "secondMoment"), List.copyOf(state.vectors().keySet()));
    }

    @Test
    void aStateOfAnotherOptimizerOrShapeIsRefusedWithWhatDiffers() {
        Adam adam = new Adam(layout, 0.9, 0.999, 1e-8, 0);
        assertRejected(() -> adam.restoreState(new MomentumSgd(layout, 0.9, false, 0).exportState()),
                "momentum-sgd", "adam");
        assertRejected(() -> adam.restoreState(new AdamW(layout, 0.9, 0.999, 1e-8, 0).exportState()), "adamw's",
                "uses adam");
        assertRejected(() -> adam.restoreState(new Adam(new Layout(1, 3), 0.9, 0.999, 1e-8, 0).exportState()),
                "6 values", "4 parameters");
        assertRejected(() -> adam.restoreState(new OptimizerState(Adam.NAME, Map.of(),
                AdaptiveMoments.orderedVectors("firstMoment", new float[4], "secondMoment", new float[4]))),
                "scalars []", "expected scalars [step]");
        assertRejected(() -> adam.restoreState(new OptimizerState(Adam.NAME, Map.of("step", 3.0),
                AdaptiveMoments.orderedVectors("secondMoment", new float[4], "firstMoment", new float[4]))),
                "[secondMoment, firstMoment]", "[firstMoment, secondMoment]");
        for (double badStep : new double[] {-1, 2.5, Double.NaN}) {
            assertRejected(() -> adam.restoreState(new OptimizerState(Adam.NAME, Map.of("step", badStep),
                    AdaptiveMoments.orderedVectors("firstMoment", new float[4], "secondMoment", new float[4]))),
                    "step count", String.valueOf(badStep));
        }
        assertEquals(0, adam.steps(), "a refused state changes nothing");
    }

    @Test
    void aStepAllocatesNothing() {
        Layout net = new Layout(50, 30, 10);
        long bytes = OptimizerChecks.bytesAllocatedBySteps(new Adam(net, 0.9, 0.999, 1e-8, 1e-4), net, 100);
        // one array of the layout's 1,840 floats per step would be 736,000 bytes over 100 steps
        assertTrue(bytes < 16_384, "100 steps allocated " + bytes + " bytes");
    }

    @Test
    void adamAndAdamWAgreeWithoutDecayAndDifferWithIt() {
        Layout net = new Layout(3, 2, 2);
        float[] g = new float[net.numParameters()];
        for (int i = 0; i < g.length; i++) {
            g[i] = (i % 3 - 1) * 0.5f + 0.1f;
        }
        for (double decay : new double[] {0, 0.1}) {
            float[] a = new float[net.numParameters()];
            java.util.Arrays.fill(a, 1f);
            float[] b = a.clone();
            Adam adam = new Adam(net, 0.9, 0.999, 1e-8, decay);
            AdamW adamW = new AdamW(net, 0.9, 0.999, 1e-8, decay);
            for (int step = 0; step < 3; step++) {
                adam.step(a, g, 0.01);
                adamW.step(b, g, 0.01);
            }
            if (decay == 0) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
            } else {
                assertNotEquals(a[0], b[0], "L2 decay through the moments and decoupled decay differ");
            }
        }
    }

    static void assertRejected(Executable call, String... mustContain) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String part : mustContain) {
            assertTrue(e.getMessage().contains(part), "'" + e.getMessage() + "' should contain '" + part + "'");
        }
    }
}
