package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Rng;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ElasticNetTest {

    // 3-4-2: weights at [0, 12) and [16, 24), biases at [12, 16) and [24, 26)
    private final Layout layout = new Layout(3, 4, 2);

    /** Weights away from zero (|w| >= 0.1), where |w| is differentiable, and biases set too. */
    private float[] weightsAwayFromZero(long seed) {
        Rng rng = new Rng(seed);
        float[] w = new float[layout.numParameters()];
        for (int i = 0; i < w.length; i++) {
            double g = rng.nextGaussian();
            w[i] = (float) (Math.signum(g) * (0.1 + Math.abs(g)));
        }
        return w;
    }

    @ParameterizedTest(name = "mixing {0}")
    @ValueSource(doubles = {1.0, 0.0, 0.3})
    void theGradientMatchesCentralFiniteDifferencesOfThePenaltyAwayFromZero(double mixing) {
        ElasticNet net = new ElasticNet(layout, 0.07, mixing);
        float[] w = weightsAwayFromZero(3);
        float[] gradient = new float[w.length];
        net.addGradient(w, gradient);
        double h = 1e-3; // below the 0.1 distance to zero, so no kink lies between w − h and w + h
        for (int i = 0; i < w.length; i++) {
            float saved = w[i];
            w[i] = (float) (saved + h);
            double up = net.penalty(w);
            w[i] = (float) (saved - h);
            double down = net.penalty(w);
            w[i] = saved;
            // ∂P/∂w ≈ (P(w + h) − P(w − h)) / 2h, with the h actually applied in float
            double numeric = (up - down) / ((double) (float) (saved + h) - (double) (float) (saved - h));
            assertEquals(numeric, gradient[i], 1e-5 + 1e-4 * Math.abs(numeric), "parameter " + i);
        }
    }

    @Test
    void theBiasesAreUntouchedAndTheirPenaltyIsZero() {
        ElasticNet net = new ElasticNet(layout, 0.5, 0.4);
        float[] w = weightsAwayFromZero(5);
        float[] gradient = new float[w.length];
        java.util.Arrays.fill(gradient, 0.25f);
        net.addGradient(w, gradient);
        for (int i : new int[] {12, 13, 14, 15, 24, 25}) {
            assertEquals(0.25f, gradient[i], "bias " + i);
        }
        for (int i : new int[] {0, 11, 16, 23}) {
            assertTrue(gradient[i] != 0.25f, "weight " + i);
        }
        float[] biasesOnly = w.clone();
        for (int l = 0; l < layout.numLayers(); l++) {
            java.util.Arrays.fill(biasesOnly, layout.weightOffset(l), layout.biasOffset(l), 0f);
        }
        assertEquals(0.0, net.penalty(biasesOnly));
    }

    @Test
    void atZeroTheL1SubgradientIsZeroAndTheFormulaHoldsExactly() {
        ElasticNet net = new ElasticNet(layout, 0.5, 0.25);
        float[] w = new float[layout.numParameters()];
        w[0] = 2f;
        w[1] = -4f;
        float[] gradient = new float[w.length];
        net.addGradient(w, gradient);
        assertEquals(0f, gradient[2]); // sign(0) = 0: a zero weight stays where it is
        // λα·sign(w) + λ(1 − α)·w = 0.125 + 0.375·2, and −0.125 + 0.375·(−4)
        assertEquals(0.875f, gradient[0]);
        assertEquals(-1.625f, gradient[1]);
        // λ(α(2 + 4) + (1 − α)/2·(4 + 16)) = 0.5·(1.5 + 7.5)
        assertEquals(4.5, net.penalty(w), 1e-12);
    }

    @Test
    void strengthZeroIsOffAndAddsNothing() {
        ElasticNet net = new ElasticNet(layout, 0, 0.5);
        assertTrue(net.off());
        float[] w = weightsAwayFromZero(7);
        float[] gradient = new float[w.length];
        net.addGradient(w, gradient);
        assertEquals(0.0, net.penalty(w));
        for (float g : gradient) {
            assertEquals(0f, g);
        }
    }

    @Test
    void outOfRangeSettingsAndWrongLengthsAreRejectedWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ElasticNet(layout, -1, 1));
        assertTrue(e.getMessage().contains("strength must be finite and >= 0, got -1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ElasticNet(layout, 0.1, 1.5));
        assertTrue(e.getMessage().contains("mixing must be in [0, 1], got 1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ElasticNet(layout, 0.1, Double.NaN));
        assertTrue(e.getMessage().contains("got NaN"), e.getMessage());
        ElasticNet net = new ElasticNet(layout, 0.1, 1);
        e = assertThrows(IllegalArgumentException.class, () -> net.addGradient(new float[26], new float[25]));
        assertTrue(e.getMessage().contains("gradient (25)") && e.getMessage().contains("26 parameters"), e.getMessage());
    }
}
