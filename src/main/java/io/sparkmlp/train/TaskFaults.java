package io.sparkmlp.train;

import java.io.Serializable;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A test-only fault injector: fails chosen step tasks on their first attempt, so that tests can
 * show a retried task computes the same gradient. Off unless the Spark setting (or a local
 * property of the training thread) {@value #KEY} names tasks as {@code epoch:step:partition,...},
 * each counted from 0 as the step task numbers them. Needs a master that retries tasks, e.g.
 * {@code local[2,2]}.
 */
final class TaskFaults implements Serializable {

    static final String KEY = "spark.sparkmlp.test.failTasks";

    private static final long serialVersionUID = 1L;

    private final Set<String> tasks;

    private TaskFaults(Set<String> tasks) {
        this.tasks = tasks;
    }

    /** The faults the setting names; null when it names none (the usual case). Read once per fit. */
    static TaskFaults fromSettings(JavaSparkContext jsc) {
        String spec = jsc.getLocalProperty(KEY);
        if (spec == null) {
            spec = jsc.getConf().get(KEY, "");
        }
        return parse(spec);
    }

    static TaskFaults parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return null;
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
        return new TaskFaults(tasks);
    }

    private static String key(int epoch, int step, int partition) {
        return String.format(Locale.ROOT, "%d:%d:%d", epoch, step, partition);
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
