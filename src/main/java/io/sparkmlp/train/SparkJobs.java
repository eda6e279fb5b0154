package io.sparkmlp.train;

import java.util.Locale;
import java.util.UUID;
import org.apache.spark.SparkContext;

/**
 * How a fit appears in the Spark UI: all its jobs in one job group (so that
 * {@code SparkContext.cancelJobGroup(id)} cancels it) and every job described
 * ({@code sparkmlp pack}, {@code sparkmlp fit · epoch 3/15 · step 120/469}, {@code sparkmlp evaluate}).
 * The group and description are local properties of the calling thread; {@link #close} gives the
 * thread back the ones it had.
 */
final class SparkJobs implements AutoCloseable {

    static final String GROUP_KEY = "spark.jobGroup.id";
    static final String GROUP_DESCRIPTION_KEY = "spark.job.description";
    static final String INTERRUPT_KEY = "spark.job.interruptOnCancel";

    private final SparkContext sc;
    private final String group;
    private final String previousGroup;
    private final String previousDescription;
    private final String previousInterrupt;

    private SparkJobs(SparkContext sc, String group) {
        this.sc = sc;
        this.group = group;
        this.previousGroup = sc.getLocalProperty(GROUP_KEY);
        this.previousDescription = sc.getLocalProperty(GROUP_DESCRIPTION_KEY);
        this.previousInterrupt = sc.getLocalProperty(INTERRUPT_KEY);
    }

    /** A fresh group id: {@code sparkmlp-fit-} and 12 hex digits. */
    static String newGroupId() {
        return "sparkmlp-fit-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /**
     * Puts the calling thread's jobs into {@code group} until {@link #close}. Tasks are not
     * interrupted on cancel: a step's tasks are short, and interrupting Hadoop I/O can leave files
     * half-written.
     */
    static SparkJobs enter(SparkContext sc, String group, String what) {
        SparkJobs jobs = new SparkJobs(sc, group);
        sc.setJobGroup(group, what, false);
        return jobs;
    }

    String group() {
        return group;
    }

    /** The description of the jobs the calling thread starts next. */
    void describe(String description) {
        sc.setJobDescription(description);
    }

    /** {@code sparkmlp fit · epoch 3/15 · step 120/469}, epoch and step from 1. */
    static String stepDescription(int epoch, int epochs, int step, int steps) {
        return String.format(Locale.ROOT, "sparkmlp fit · epoch %d/%d · step %d/%d", epoch, epochs, step, steps);
    }

    /**
     * A sparkmlp setting as the calling thread sees it: its local property, else the Spark conf,
     * else {@code otherwise}; trimmed. Read once per fit or epoch: {@code getConf()} copies the conf.
     */
    static String setting(SparkContext sc, String key, String otherwise) {
        String value = sc.getLocalProperty(key);
        return (value != null ? value : sc.getConf().get(key, otherwise)).trim();
    }

    /** {@code sparkmlp fit · epoch 3/15 · steps 1–469/469}: an epoch's steps in one job ({@link StepLoop}), from 1. */
    static String epochStepsDescription(int epoch, int epochs, int firstStep, int steps) {
        return String.format(Locale.ROOT, "sparkmlp fit · epoch %d/%d · steps %d–%d/%d", epoch, epochs, firstStep, steps,
                steps);
    }

    /** Whether {@code e} (or a cause) is Spark's report that a job of {@code group} was cancelled. */
    static boolean cancelled(Throwable e, String group) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && message.contains("cancelled") && message.contains(group)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        sc.setLocalProperty(GROUP_KEY, previousGroup);
        sc.setLocalProperty(GROUP_DESCRIPTION_KEY, previousDescription);
        sc.setLocalProperty(INTERRUPT_KEY, previousInterrupt);
    }
}
