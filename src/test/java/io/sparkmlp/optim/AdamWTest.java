package io.sparkmlp.optim;

import static io.sparkmlp.optim.AdamTest.assertRejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Layout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class AdamWTest {

    // Layout 1-2: two weights at [0, 2), two biases at [2, 4).
    private final Layout layout = new Layout(1, 2);

    @Test
    void decoupledDecayShrinksTheWeightsByRateTimesDecayAndLeavesTheBiases() {
        AdamW adamW = new AdamW(layout, 0.9, 0.999, 1e-8, 0.5);
        float[] w = {2f, -2f, 2f, -2f};
        adamW.step(w, new float[4], 0.1);
        // g = 0: m = v = 0, so only w·(1 − ηλ) = w·0.95 acts, and only on the weights
        assertEquals(1.9f, w[0], 1e-6);
        assertEquals(-1.9f, w[1], 1e-6);
        assertEquals(2f, w[2]);
        assertEquals(-2f, w[3]);
    }

    @Test
    void outOfRangeSettingsAreRejectedWithTheValue() {
        assertRejected(() -> new AdamW(layout, 1.5, 0.999, 1e-8, 0.01), "adamw", "beta1", "1.5");
        assertRejected(() -> new AdamW(layout, 0.9, -0.5, 1e-8, 0.01), "beta2", "-0.5");
        assertRejected(() -> new AdamW(layout, 0.9, 0.999, -1e-8, 0.01), "epsilon", "-1.0E-8");
        assertRejected(() -> new AdamW(layout, 0.9, 0.999, Double.NaN, 0.01), "epsilon", "NaN");
        assertRejected(() -> new AdamW(layout, 0.9, 0.999, 1e-8, Double.NaN), "weight decay", "NaN");
        AdamW adamW = new AdamW(layout, 0.9, 0.999, 1e-8, 0.5);
        assertRejected(() -> adamW.step(new float[4], new float[4], 2.0), "learning rate (2.0)",
                "weight decay (0.5)", "< 1");
        assertRejected(() -> adamW.step(new float[4], new float[4], Double.POSITIVE_INFINITY), "Infinity");
        assertRejected(() -> adamW.step(new float[2], new float[4], 0.1), "(2)", "4 parameters");
        assertEquals(0, adamW.steps(), "a refused step does not count");
    }

    @Test
    void anExportedStateRestoredIntoAFreshOptimizerContinuesBitForBit() {
        Layout net = new Layout(5, 7, 3);
        OptimizerChecks.resumedRunContinuesBitForBit(() -> new AdamW(net, 0.9, 0.999, 1e-8, 0.1), net, 0.01);
        AdamW adamW = new AdamW(layout, 0.9, 0.999, 1e-8, 0.01);
        adamW.step(new float[4], new float[] {1, 2, 3, 4}, 0.01);
        OptimizerState state = adamW.exportState();
        assertEquals(AdamW.NAME, state.optimizer());
        assertEquals(Map.of("step", 1.0), state.scalars());
        assertEquals(List.of("firstMoment", "secondMoment"), List.copyOf(state.vectors().keySet()));
    }

    @Test
    void aStateOfAnotherOptimizerOrShapeIsRefusedWithWhatDiffers() {
        AdamW adamW = new AdamW(layout, 0.9, 0.999, 1e-8, 0.01);
        assertRejected(() -> adamW.restoreState(new Adam(layout, 0.9, 0.999, 1e-8, 0).exportState()), "adam's",
                "uses adamw");
        assertRejected(() -> adamW.restoreState(new RmsProp(layout, 0.99, 1e-8, 0, 0).exportState()), "rmsprop",
                "adamw");
        assertRejected(() -> adamW.restoreState(new AdamW(new Layout(2, 2), 0.9, 0.999, 1e-8, 0).exportState()),
                "6 values", "4 parameters");
        assertRejected(() -> adamW.restoreState(new OptimizerState(AdamW.NAME, Map.of("step", 1e300),
                AdaptiveMoments.orderedVectors("firstMoment", new float[4], "secondMoment", new float[4]))),
                "step count", "1.0E300");
    }

    @Test
    void aStepAllocatesNothing() {
        Layout net = new Layout(50, 30, 10);
        long bytes = OptimizerChecks.bytesAllocatedBySteps(new AdamW(net, 0.9, 0.999, 1e-8, 0.01), net, 100);
        // one array of the layout's 1,840 floats per step would be 736,000 bytes over 100 steps
        assertTrue(bytes < 16_384, "100 steps allocated " + bytes + " bytes");
    }
}
