package io.sparkmlp.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Progress within an epoch, as a listener on the training state: the step done of the epoch's
 * steps, samples per second, the epoch's running loss and the time left in the epoch and in the
 * run. On a terminal one line is rewritten in place (at most every {@code terminalEveryMillis});
 * into a log or a pipe a plain line goes out every {@code plainEveryMillis}, so a long epoch is
 * never silent. The per-epoch summary lines are {@link Progress}'s.
 */
public final class StepProgress implements TrainingListener {

    private final PrintStream out;
    private final boolean terminal;
    private final long everyNanos;
    private final LongSupplier clock;
    private long lastShown;
    private int shownWidth;

    StepProgress(PrintStream out, boolean terminal, long everyMillis, LongSupplier clock) {
        this.out = Objects.requireNonNull(out, "out");
        if (everyMillis < 0) {
            throw new IllegalArgumentException("progress interval must be >= 0 ms, got " + everyMillis);
        }
        this.terminal = terminal;
        this.everyNanos = everyMillis * 1_000_000L;
        this.clock = clock;
        this.lastShown = clock.getAsLong();
    }

    /**
     * Progress to {@code out}: a live line when the JVM has a terminal ({@code System.console()}),
     * redrawn at most 4 times a second, else a plain line every {@code plainEverySeconds}.
     */
    public static StepProgress to(PrintStream out, double plainEverySeconds) {
        if (!(plainEverySeconds >= 0) || Double.isInfinite(plainEverySeconds)) {
            throw new IllegalArgumentException("progress interval must be finite and >= 0 seconds, got "
                    + plainEverySeconds);
        }
        boolean terminal = System.console() != null;
        return new StepProgress(out, terminal, terminal ? 250 : Math.round(plainEverySeconds * 1000), System::nanoTime);
    }

    @Override
    public void afterStep(TrainingState state) {
        if (state.step() == state.stepsPerEpoch()) {
            clear(); // the epoch's summary line follows, on a clean line
            return;
        }
        long now = clock.getAsLong();
        if (now - lastShown < everyNanos) {
            return;
        }
        lastShown = now;
        String line = line(state);
        if (terminal) {
            // pad over what the previous, longer line left
            out.print("\r" + line + " ".repeat(Math.max(0, shownWidth - line.length())));
            shownWidth = line.length();
            out.flush();
        } else {
            out.println(line);
        }
    }

    @Override
    public void afterEpoch(TrainingState state) {
        clear();
    }

    private void clear() {
        if (terminal && shownWidth > 0) {
            out.print("\r" + " ".repeat(shownWidth) + "\r");
            out.flush();
            shownWidth = 0;
        }
    }

    /** {@code epoch 3/15 · step 120/469 · 11,800 samples/s · loss 0.4123 · epoch left 0:42 · run left 9:10}. */
    static String line(TrainingState state) {
        int epochs = state.params().epochs();
        int steps = state.stepsPerEpoch();
        double seconds = state.epochTrainSeconds();
        double perStep = state.step() == 0 ? Double.NaN : seconds / state.step();
        long stepsLeftInEpoch = steps - state.step();
        long stepsLeftInRun = stepsLeftInEpoch + (long) (epochs - state.epoch() - 1) * steps;
        double samplesPerSecond = seconds > 0 ? state.epochSamples() / seconds : Double.NaN;
        return String.format(Locale.ROOT, "epoch %d/%d · step %d/%d · %,.0f samples/s · loss %.4f · epoch left %s"
                        + " · run left %s", state.epoch() + 1, epochs, state.step(), steps, samplesPerSecond,
                state.epochLoss(), duration(perStep * stepsLeftInEpoch), duration(perStep * stepsLeftInRun));
    }

    /** {@code 9:05}, {@code 1:02:03}; {@code ?} before there is a rate to go by. */
    static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
