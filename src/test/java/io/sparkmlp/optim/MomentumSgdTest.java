package io.sparkmlp.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Rng;
import java.util.Map;
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
        // b = g; w -= 0.1 b
        assertEquals(0.95f, w[0], 1e-6);
        assertEquals(2.1f, w[1], 1e-6);
        assertEquals(2.8f, w[2], 1e-6);
        sgd.step(w, g, 0.1);
        // b = 0.9 * 0.5 + 0.5 = 0.95; w -= 0.1 * 0.95
        assertEquals(0.95f - 0.095f, w[0], 1e-6);
    }

    @Test
    void nesterovLooksAheadByOneMomentumStep() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.5, true, 0.0);
        float[] w = {1f, 0f, 0f, 0f};
        float[] g = {1f, 0f, 0f, 0f};
        sgd.step(w, g, 0.1);
        // b = 1; w -= 0.1 * (1 + 0.5 * 1) = 0.15
        assertEquals(0.85f, w[0], 1e-6);
        sgd.step(w, g, 0.1);
        // b = 0.5 + 1 = 1.5; w -= 0.1 * (1 + 0.5 * 1.5) = 0.175
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
    void theBufferHoldsGradientsSoEachStepsRateAppliesToIt() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.5, false, 0.0);
        float[] w = {1f, 0f, 0f, 0f};
        float[] g = {1f, 0f, 0f, 0f};
        sgd.step(w, g, 0.1);
        sgd.step(w, g, 0.4);
        // b = 1, w = 1 - 0.1; b = 0.5 + 1 = 1.5, w -= 0.4 * 1.5 (torch.optim.SGD); the velocity form would take 0.45
        assertEquals(1f - 0.1f - 0.6f, w[0], 1e-6);
        assertEquals(1.5f, sgd.exportState().vectors().get("momentumBuffer")[0], 1e-6);
    }

    @Test
    void aCheckpointOfTheEarlierVelocityFormIsRefusedWithTheReason() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.9, false, 0.0);
        OptimizerState old = new OptimizerState(MomentumSgd.NAME, Map.of(), Map.of("velocity", new float[4]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.restoreState(old));
        assertTrue(e.getMessage().contains("velocity") && e.getMessage().contains("torch.optim.SGD"), e.getMessage());
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

    @Test
    void anExportedStateRestoredIntoAFreshOptimizerContinuesBitForBit() {
        Layout net = new Layout(5, 7, 3);
        Rng rng = new Rng(42);
        float[][] gradients = new float[9][net.numParameters()];
        for (float[] g : gradients) {
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rng.nextGaussian();
            }
        }
        for (boolean nesterov : new boolean[] {false, true}) {
            MomentumSgd uninterrupted = new MomentumSgd(net, 0.9, nesterov, 1e-3);
            float[] w = new float[net.numParameters()];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rng.nextGaussian();
            }
            float[] resumedWeights = null;
            MomentumSgd resumed = null;
            for (int step = 0; step < gradients.length; step++) {
                if (step == 4) {
                    OptimizerState saved = uninterrupted.exportState();
                    assertEquals(MomentumSgd.NAME, saved.optimizer());
                    assertEquals(java.util.List.of("momentumBuffer"), java.util.List.copyOf(saved.vectors().keySet()));
                    resumed = new MomentumSgd(net, 0.9, nesterov, 1e-3);
                    resumed.restoreState(saved);
                    resumedWeights = w.clone();
                    // the export is a copy: later steps do not change it
                    float before = saved.vectors().get("momentumBuffer")[0];
                    uninterrupted.step(w, gradients[step], 0.05);
                    assertEquals(before, saved.vectors().get("momentumBuffer")[0]);
                    resumed.step(resumedWeights, gradients[step], 0.05);
                    continue;
                }
                uninterrupted.step(w, gradients[step], 0.05);
                if (resumed != null) {
                    resumed.step(resumedWeights, gradients[step], 0.05);
                }
            }
            assertArrayEquals(w, resumedWeights, "Nesterov " + nesterov);
            assertArrayEquals(uninterrupted.exportState().vectors().get("momentumBuffer"),
                    resumed.exportState().vectors().get("momentumBuffer"));
            assertNotSame(uninterrupted.exportState().vectors().get("momentumBuffer"),
                    uninterrupted.exportState().vectors().get("momentumBuffer"));
        }
    }

    @Test
    void aStateOfAnotherOptimizerOrShapeIsRefusedWithWhatDiffers() {
        MomentumSgd sgd = new MomentumSgd(layout, 0.9, false, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sgd.restoreState(
                new OptimizerState("adam", Map.of("t", 3.0), Map.of("m", new float[4], "v", new float[4]))));
        assertTrue(e.getMessage().contains("adam") && e.getMessage().contains("momentum-sgd"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sgd.restoreState(
                new OptimizerState(MomentumSgd.NAME, Map.of(), Map.of("momentumBuffer", new float[5]))));
        assertTrue(e.getMessage().contains("5 values") && e.getMessage().contains("4 parameters"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> sgd.restoreState(
                new OptimizerState(MomentumSgd.NAME, Map.of(), Map.of("speed", new float[4]))));
        assertTrue(e.getMessage().contains("[speed]") && e.getMessage().contains("[momentumBuffer]"), e.getMessage());
    }
}
