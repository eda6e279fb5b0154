package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Layout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class MomentumSgdTest {

    // Layout 1-2: two weights at [0, 2), two biases at [2, 4).
    private final Layout layout = new Layout(1, 2);

    @Test
    void classicalMomentumFollowsTheFormulaOverTwoSteps() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.9, false, 0.0);
        float[] w = {1f, 2f, 3f, 4f};
        float[] g = {0.5f, -1f, 2f, 0f};
        sgd.step(w, g, 0.1);
        // v = -0.1 g; w += v
        assertEquals(0.95f, w[0], 1e-6);
        assertEquals(2.1f, w[1], 1e-6);
        assertEquals(2.8f, w[2], 1e-6);
        sgd.step(w, g, 0.1);
        // v = 0.9 * (-0.05) - 0.05 = -0.095
        assertEquals(0.95f - 0.095f, w[0], 1e-6);
    }

    @Test
    void nesterovLooksAheadByOneMomentumStep() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.5, true, 0.0);
        float[] w = {1f, 0f, 0f, 0f};
        float[] g = {1f, 0f, 0f, 0f};
        sgd.step(w, g, 0.1);
        // v = -0.1; w += 0.5 * -0.1 - 0.1 = -0.15
        assertEquals(0.85f, w[0], 1e-6);
        sgd.step(w, g, 0.1);
        // v = 0.5 * -0.1 - 0.1 = -0.15; w += 0.5 * -0.15 - 0.1 = -0.175
        assertEquals(0.675f, w[0], 1e-6);
    }

    @Test
    void weightDecayShrinksWeightsButNotBiases() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.0, false, 0.5);
        float[] w = {2f, -2f, 2f, -2f};
        sgd.step(w, new float[4], 0.1);
        assertEquals(1.9f, w[0], 1e-6);
        assertEquals(-1.9f, w[1], 1e-6);
        assertEquals(2f, w[2]);
        assertEquals(-2f, w[3]);
    }

    @Test
    void outOfRangeSettingsAreRejectedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MomentumSgd(layout, 1.0, false, 0));
        assertTrue(e.getMessage().contains("1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MomentumSgd(layout, 0.9, false, -1e-4));
        assertTrue(e.getMessage().contains("-1.0E-4"), e.getMessage());
        MomentumSgd sgd = new MomentumSgd(layout, 0.9, false, 0);
        e = assertThrows(IllegalArgumentException.class, () -> sgd.step(new float[4], new float[4], Double.NaN));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sgd.step(new float[3], new float[4], 0.1));
        assertTrue(e.getMessage().contains("(3)"), e.getMessage());
    }

    @Test
    void schedulesGiveTheirDocumentedRates() {
        assertEquals(0.1, LearningRateSchedule.constant(0.1).rate(7, 700, 1000));
        LearningRateSchedule step = LearningRateSchedule.step(0.1, 5, 0.5);
        assertEquals(0.1, step.rate(4, 0, 0), 1e-12);
        assertEquals(0.05, step.rate(5, 0, 0), 1e-12);
        assertEquals(0.025, step.rate(10, 0, 0), 1e-12);
        LearningRateSchedule cosine = LearningRateSchedule.cosine(0.1, 0.0);
        assertEquals(0.1, cosine.rate(0, 0, 100), 1e-12);
        assertEquals(0.05, cosine.rate(0, 50, 100), 1e-12);
        assertEquals(0.0, cosine.rate(0, 100, 100), 1e-12);
        LearningRateSchedule warm = LearningRateSchedule.constant(0.4).withWarmup(4);
        assertEquals(0.1, warm.rate(0, 0, 100), 1e-12);
        assertEquals(0.3, warm.rate(0, 2, 100), 1e-12);
        assertEquals(0.4, warm.rate(0, 3, 100), 1e-12);
        assertEquals(0.4, warm.rate(3, 90, 100), 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LearningRateSchedule.named("linear", 0.1, 1, 0.5, 0));
        assertTrue(e.getMessage().contains("'linear'"), e.getMessage());
    }
}
