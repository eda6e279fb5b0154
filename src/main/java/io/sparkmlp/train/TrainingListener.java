package io.sparkmlp.train;

/**
 * Called by the driver loop at fixed points of a run, on the driver's thread, with the live state:
 * after every step (the position already advanced), after every epoch's end (its metrics already the
 * last of the history), and when a stop is requested ({@link StopRequest}) before the run ends.
 * Listeners must not change the weights.
 */
public interface TrainingListener {

    /**
     * After each step. When an epoch's steps share one Spark job ({@link StepLoop}, the default
     * where it can), that job's tasks hold every task slot while this runs, so it must not run a
     * Spark job of its own: the job would wait for a slot that frees only at the epoch's end. Run
     * Spark jobs in {@link #afterEpoch}, or set {@code spark.sparkmlp.stepJobs=per-step}.
     */
    default void afterStep(TrainingState state) {
    }

    default void afterEpoch(TrainingState state) {
    }

    /** The run stops here at a requested stop; what must survive it is written now. */
    default void beforeStop(TrainingState state) {
    }
}
