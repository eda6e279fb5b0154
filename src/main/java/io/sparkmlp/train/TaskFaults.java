package io.sparkmlp.train;

import java.io.Serializable;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A test-only fault injector: fails chosen step tasks on their first attempt, so that tests can
 * show a retried task computes the same gradient. Off unless the Spark setting (or a local
 * property of the training thread) {@value #KEY} names tasks as {@code epoch:step:partition,...},
 * each counted from 0 as the step task numbers them. Needs a master that retries tasks, e.g.
 * {@code local[2,2]}. {@value #SLOW_KEY} (milliseconds) makes every step task's computation that
 * much longer, so that a test can check the step profile puts a known delay where it belongs.
 * {@value #RETRY_DELAY_KEY} (milliseconds) makes every retried task of an epoch's step loop wait that
 * long before it takes part, as a retry that finds no free slot for a while does, so that a test can
 * make the loop give up in the middle of an epoch ({@link StepLoop}'s join timeout).
 */
final class TaskFaults implements Serializable {

    static final String KEY = "spark.sparkmlp.test.failTasks";
    static final String SLOW_KEY = "spark.sparkmlp.test.slowTaskMillis";
    static final String RETRY_DELAY_KEY = "spark.sparkmlp.test.retryDelayMillis";
    /** How often a delayed retry looks whether Spark killed it. */
    private static final long KILL_CHECK_MILLIS = 50;

    private static final long serialVersionUID = 1L;

    private final Set<String> tasks;
    private final long computeDelayMillis;
    private final long retryDelayMillis;

    private TaskFaults(Set<String> tasks, long computeDelayMillis, long retryDelayMillis) {
        this.tasks = tasks;
        this.computeDelayMillis = computeDelayMillis;
        this.retryDelayMillis = retryDelayMillis;
    }

    /** The faults the setting names; null when it names none (the usual case). Read once per fit. */
    static TaskFaults fromSettings(JavaSparkContext jsc) {
        return parse(SparkJobs.setting(jsc.sc(), KEY, ""), SparkJobs.setting(jsc.sc(), SLOW_KEY, ""),
                SparkJobs.setting(jsc.sc(), RETRY_DELAY_KEY, ""));
    }

    static TaskFaults parse(String spec) {
        return parse(spec, "", "");
    }

    static TaskFaults parse(String spec, String slowMillis, String retryDelayMillis) {
        long delay = millis(SLOW_KEY, slowMillis);
        long retryDelay = millis(RETRY_DELAY_KEY, retryDelayMillis);
        if ((spec == null || spec.isBlank()) && delay == 0 && retryDelay == 0) {
            return null;
        }
        if (spec == null || spec.isBlank()) {
            return new TaskFaults(Set.of(), delay, retryDelay);
        }
        Set<String> tasks = new HashSet<>();
        for (String item : spec.split(",")) {
            String[] parts = item.trim().split(":");
            if (parts.length != 3) {
                throw new IllegalArgumentException(KEY + ": '" + item.trim() + "' is not epoch:step:partition");
            }
            try {
                tasks.add(key(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()),
                        Integer.parseInt(parts[2].trim())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(KEY + ": '" + item.trim() + "' is not three integers", e);
            }
        }
        return new TaskFaults(tasks, delay, retryDelay);
    }

    /** A setting's whole number of milliseconds >= 0; 0 when it is not set. */
    private static long millis(String key, String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        long millis;
        try {
            millis = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + value.trim() + "' is not a whole number of milliseconds", e);
        }
        if (millis < 0) {
            throw new IllegalArgumentException(key + " must be >= 0 milliseconds, got " + millis);
        }
        return millis;
    }

    private static String key(int epoch, int step, int partition) {
        return String.format(Locale.ROOT, "%d:%d:%d", epoch, step, partition);
    }

    /** Sleeps for the set delay, if any: called inside the part of a step task that is timed as its computation. */
    void delayComputation() {
        if (computeDelayMillis > 0) {
            try {
                Thread.sleep(computeDelayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Waits for the set retry delay, if any, when {@code context}'s task is a retry (attempt 1 or later);
     * throws {@link TaskKilledException} if Spark kills the task meanwhile.
     */
    void delayRetry(TaskContext context) {
        if (retryDelayMillis == 0 || context == null || context.attemptNumber() == 0) {
            return;
        }
        long until = System.nanoTime() + retryDelayMillis * 1_000_000L;
        try {
            while (System.nanoTime() < until) {
                if (context.isInterrupted()) {
                    throw new TaskKilledException("killed while its retry waited (" + RETRY_DELAY_KEY + ")");
                }
                Thread.sleep(Math.min(KILL_CHECK_MILLIS, Math.max(1, (until - System.nanoTime()) / 1_000_000L)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskKilledException("interrupted while its retry waited (" + RETRY_DELAY_KEY + ")");
        }
    }

    /** Throws when this task is chosen and this is its first attempt. */
    void failIfChosen(int epoch, int step, int partition) {
        TaskContext context = TaskContext.get();
        if (context != null && context.attemptNumber() == 0 && tasks.contains(key(epoch, step, partition))) {
            throw new IllegalStateException("injected failure of step task " + key(epoch, step, partition)
                    + " (attempt 0), set by " + KEY);
        }
    }
}
