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
class RmsPropTest {

    // Layout 1-2: two weights at [0, 2), two biases at [2, 4).
    private final Layout layout = new Layout(1, 2);

    @Test
    void theFirstStepDividesByTheRootOfTheFirstSquareAverage() {
        RmsProp rms = new RmsProp(layout, 0.75, 1e-8, 0, 0);
        float[] w = {1f, 1f, 1f, 1f};
        rms.step(w, new float[] {2f, -2f, 0f, 0.5f}, 0.01);
        // s = (1 − α)·g² = g²/4, so the step is η·g / (|g|/2) = 2η·sign(g)
        assertEquals(0.98f, w[0], 1e-6);
        assertEquals(1.02f, w[1], 1e-6);
        assertEquals(1f, w[2]);
        assertEquals(0.98f, w[3], 1e-6);
    }

    @Test
    void momentumAccumulatesTheScaledGradient() {
        RmsProp rms = new RmsProp(layout, 0.75, 1e-8, 0.5, 0);
        float[] w = {1f, 0f, 0f, 0f};
        float[] g = {2f, 0f, 0f, 0f};
        rms.step(w, g, 0.01);
        // b = g / √(g²/4) = 2;  w = 1 − 0.02
        assertEquals(0.98f, w[0], 1e-6);
        rms.step(w, g, 0.01);
        // s = 0.75·1 + 0.25·4 = 1.75;  b = 0.5·2 + 2/√1.75;  w −= η·b
        assertEquals(0.98f - 0.01f * (1f + 2f / (float) Math.sqrt(1.75)), w[0], 1e-6);
    }

    @Test
    void weightDecayReachesTheWeightsButNotTheBiases() {
        RmsProp rms = new RmsProp(layout, 0.75, 1e-8, 0, 0.1);
        float[] w = {2f, -2f, 2f, -2f};
        rms.step(w, new float[4], 0.01);
        // d = λw on the weights: 2η against w's sign; the biases see d = 0
        assertEquals(1.98f, w[0], 1e-6);
        assertEquals(-1.98f, w[1], 1e-6);
        assertEquals(2f, w[2]);
        assertEquals(-2f, w[3]);
    }

    @Test
    void outOfRangeSettingsAreRejectedWithTheValue() {
        assertRejected(() -> new RmsProp(layout, 1.0, 1e-8, 0, 0), "rmsprop", "alpha", "1.0");
        assertRejected(() -> new RmsProp(layout, Double.NaN, 1e-8, 0, 0), "alpha", "NaN");
        assertRejected(() -> new RmsProp(layout, 0.99, 0, 0, 0), "epsilon", "0.0");
        assertRejected(() -> new RmsProp(layout, 0.99, Double.POSITIVE_INFINITY, 0, 0), "epsilon", "Infinity");
        assertRejected(() -> new RmsProp(layout, 0.99, 1e-8, 1.0, 0), "momentum", "1.0");
        assertRejected(() -> new RmsProp(layout, 0.99, 1e-8, -0.5, 0), "momentum", "-0.5");
        assertRejected(() -> new RmsProp(layout, 0.99, 1e-8, 0, -2.0), "weight decay", "-2.0");
        assertRejected(() -> new RmsProp(layout, 0.99, 1e-8, 0, Double.NaN), "weight decay", "NaN");
        RmsProp rms = new RmsProp(layout, 0.99, 1e-8, 0, 0);
        assertRejected(() -> rms.step(new float[4], new float[4], -0.1), "learning rate", "-0.1");
        assertRejected(() -> rms.step(new float[4], new float[7], 0.1), "(7)", "4 parameters");
    }

    @Test
    void anExportedStateRestoredIntoAFreshOptimizerContinuesBitForBit() {
        Layout net = new Layout(5, 7, 3);
        for (double momentum : new double[] {0, 0.9}) {
            OptimizerChecks.resumedRunContinuesBitForBit(() -> new RmsProp(net, 0.99, 1e-8, momentum, 1e-3), net,
                    0.01);
        }
        assertEquals(List.of("squareAverage"),
                List.copyOf(new RmsProp(layout, 0.99, 1e-8, 0, 0).exportState().vectors().keySet()));
        OptimizerState withMomentum = new RmsProp(layout, 0.99, 1e-8, 0.9, 0).exportState();
        assertEquals(List.of("squareAverage", "momentumBuffer"), List.copyOf(withMomentum.vectors().keySet()));
        assertEquals(Map.of(), withMomentum.scalars());
    }

    @Test
    void aStateOfAnotherOptimizerOrShapeIsRefusedWithWhatDiffers() {
        RmsProp withMomentum = new RmsProp(layout, 0.99, 1e-8, 0.9, 0);
        assertRejected(() -> withMomentum.restoreState(new RmsProp(layout, 0.99, 1e-8, 0, 0).exportState()),
                "vectors [squareAverage]", "expected scalars [] and vectors [squareAverage, momentumBuffer]");
        RmsProp plain = new RmsProp(layout, 0.99, 1e-8, 0, 0);
        assertRejected(() -> plain.restoreState(withMomentum.exportState()),
                "[squareAverage, momentumBuffer]", "expected scalars [] and vectors [squareAverage]");
        assertRejected(() -> plain.restoreState(new Adam(layout, 0.9, 0.999, 1e-8, 0).exportState()), "adam's",
                "uses rmsprop");
        assertRejected(() -> plain.restoreState(new RmsProp(new Layout(1, 3), 0.99, 1e-8, 0, 0).exportState()),
                "6 values", "4 parameters");
    }

    @Test
    void aStepAllocatesNothing() {
        Layout net = new Layout(50, 30, 10);
        for (double momentum : new double[] {0, 0.9}) {
            long bytes = OptimizerChecks.bytesAllocatedBySteps(new RmsProp(net, 0.99, 1e-8, momentum, 1e-4), net, 100);
            // one array of the layout's 1,840 floats per step would be 736,000 bytes over 100 steps
            assertTrue(bytes < 16_384, "momentum " + momentum + ": 100 steps allocated " + bytes + " bytes");
        }
    }
}
