package io.sparkmlp.train;

import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.SparkStatusTracker;

/**
 * Progress of long Spark work that is not a training step (packing the rows, evaluating a model):
 * while open, a daemon thread reads Spark's status tracker every {@code everyMillis} and reports
 * {@code sparkmlp pack: 12 of 32 tasks done after 40 s} for the running jobs of a job group (or of
 * the whole application when the group is null). Work shorter than one interval reports nothing.
 */
public final class JobProgress implements AutoCloseable {

    /** How often packing and evaluation report their tasks done, when they last that long. */
    public static final long EVERY_MILLIS = 10_000;

    private final Thread watcher;

    private JobProgress(Thread watcher) {
        this.watcher = watcher;
    }

    /** Starts watching; {@link #close} stops it. */
    public static JobProgress watch(SparkContext sc, String group, String what, long everyMillis, Consumer<String> out) {
        Objects.requireNonNull(sc, "sc");
        Objects.requireNonNull(out, "out");
        if (everyMillis < 1) {
            throw new IllegalArgumentException("progress interval must be >= 1 ms, got " + everyMillis);
        }
        long start = System.nanoTime();
        Thread watcher = new Thread(() -> {
            SparkStatusTracker tracker = sc.statusTracker();
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(everyMillis);
                    int[] tasks = tasks(tracker, group);
                    if (tasks[1] > 0) {
                        out.accept(String.format(Locale.ROOT, "%s: %d of %d tasks done after %.0f s", what, tasks[0],
                                tasks[1], (System.nanoTime() - start) / 1e9));
                    }
                }
            } catch (InterruptedException e) {
                // closed: the work is over
            }
        }, "sparkmlp-progress");
        watcher.setDaemon(true);
        watcher.start();
        return new JobProgress(watcher);
    }

    /** Tasks done and in all over the active stages of the group's (or every) running job. */
    static int[] tasks(SparkStatusTracker tracker, String group) {
        int[] jobs = group == null ? tracker.getActiveJobIds() : tracker.getJobIdsForGroup(group);
        int done = 0;
        int total = 0;
        for (int job : jobs) {
            SparkJobInfo info = tracker.getJobInfo(job).getOrElse(() -> null);
            if (info == null || info.status() != org.apache.spark.JobExecutionStatus.RUNNING) {
                continue;
            }
            for (int stage : info.stageIds()) {
                SparkStageInfo s = tracker.getStageInfo(stage).getOrElse(() -> null);
                if (s != null) {
                    done += s.numCompletedTasks();
                    total += s.numTasks();
                }
            }
        }
        return new int[] {done, total};
    }

    @Override
    public void close() {
        watcher.interrupt();
        try {
            watcher.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
