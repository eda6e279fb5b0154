package io.sparkmlp.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A request, from another thread (a signal's shutdown hook), that a run stop at the next step
 * boundary with a checkpoint. The loop checks it between steps, writes the checkpoint, and then
 * reports it stopped ({@link #awaitStopped}); a run that is not inside its loop (packing data,
 * or finished) reports at once, since it has nothing to save.
 */
public final class StopRequest {

    private volatile boolean requested;
    private volatile long atGlobalStep = -1;
    private volatile boolean looping;
    private volatile String checkpoint;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Asks the run to stop at the next step boundary. */
    public void request() {
        requested = true;
    }

    /** Asks the run to stop once {@code steps} steps of the whole run are done (a step budget). */
    public StopRequest afterStep(long steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("a stop after a step needs a step >= 1, got " + steps);
        }
        this.atGlobalStep = steps;
        return this;
    }

    /** Whether the loop should stop now, with {@code globalStep} steps done. */
    boolean due(long globalStep) {
        return requested || (atGlobalStep > 0 && globalStep >= atGlobalStep);
    }

    public boolean requested() {
        return requested;
    }

    /** Whether a run is inside its loop now. */
    public boolean running() {
        return looping;
    }

    void loopStarted() {
        looping = true;
    }

    /** The loop is over: stopped by this request (with {@code checkpoint}, or null without one), finished or failed. */
    void loopEnded(String checkpoint) {
        this.checkpoint = checkpoint;
        looping = false;
        stopped.countDown();
    }

    /**
     * Waits until the loop has stopped (or ended) or {@code timeout} passes; true when it did. A run
     * not inside its loop answers true at once.
     */
    public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
        return !looping || stopped.await(timeout, unit);
    }

    /** The checkpoint the stopped run wrote; null when none was. */
    public String checkpoint() {
        return checkpoint;
    }
}
