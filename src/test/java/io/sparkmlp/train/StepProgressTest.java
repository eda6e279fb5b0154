package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.nn.Activation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class StepProgressTest {

    private static final DataFingerprint DATA = new DataFingerprint(40, 2, 1, 10, 2, 2, 1f, 0f);

    /** 4 steps an epoch, 3 epochs; each fake step takes 2 s of steps over 10 rows at loss 0.5. */
    private static TrainingState state() {
        TrainingParams params = new TrainingParams().layers(3, 4, 2).activation(Activation.TANH).epochs(3)
                .batchSize(10).seed(3);
        return TrainingState.start(params, DATA, 4, new float[params.layout().numParameters()],
                Trainer.optimizer(params));
    }

    private static void step(TrainingState state, List<TrainingListener> listeners, long[] clock) {
        float[] gradient = new float[state.weights().length];
        Arrays.fill(gradient, 0.1f);
        GradientSum total = new GradientSum(0, gradient, 5.0, 10, 7, 0, 0);
        double rate = state.nextRate();
        Trainer.update(state.optimizer(), state.weights(), total, rate);
        state.stepDone(total, rate, 2.0);
        clock[0] += 2_000_000_000L;
        listeners.forEach(l -> l.afterStep(state));
    }

    @Test
    void theLineGivesTheStepTheRateTheRunningLossAndTheTimeLeftInTheEpochAndTheRun() {
        TrainingState state = state();
        step(state, List.of(), new long[1]);
        // 1 of 4 steps in 2 s: 3 steps (6 s) left in the epoch, 3 + 2 x 4 = 11 steps (22 s) in the run
        assertEquals("epoch 1/3 · step 1/4 · 5 samples/s · loss 0.5000 · epoch left 0:06 · run left 0:22",
                StepProgress.line(state));
        assertEquals("1:02:03", StepProgress.duration(3723));
        assertEquals("?", StepProgress.duration(Double.NaN));
    }

    @Test
    void intoALogAPlainLineGoesOutAtMostEveryIntervalAndNoneForAFinishedEpoch() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long[] clock = {0};
        StepProgress progress = new StepProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), false, 3000,
                () -> clock[0]);
        TrainingState state = state();
        for (int i = 0; i < 4; i++) {
            step(state, List.of(progress), clock);
        }
        // at 2 s: too soon; at 4 s: shown; at 6 s: too soon; at 8 s: the epoch's end, left to its summary
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(1, lines.length, Arrays.toString(lines));
        assertTrue(lines[0].startsWith("epoch 1/3 · step 2/4 · "), lines[0]);
    }

    @Test
    void onATerminalTheLineIsRedrawnInPlaceAndClearedBeforeTheEpochsSummary() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        long[] clock = {0};
        StepProgress progress = new StepProgress(new PrintStream(bytes, true, StandardCharsets.UTF_8), true, 0,
                () -> clock[0]);
        TrainingState state = state();
        for (int i = 0; i < 4; i++) {
            step(state, List.of(progress), clock);
        }
        String shown = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(-1, shown.indexOf('\n'), "no new lines on a terminal");
        // three redraws, each from the line's start, and at the epoch's last step a clearing that starts
        // and ends there, before the epoch's summary line is printed
        assertEquals(5, shown.chars().filter(c -> c == '\r').count(), shown);
        assertTrue(shown.contains("step 3/4") && !shown.contains("step 4/4"), shown);
        assertTrue(shown.endsWith("\r"), "the line is cleared for the epoch's summary");
    }
}
