package io.sparkmlp.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * What Spark's own task metrics say about the profiled jobs, by kind of job (the local property
 * {@value #KIND_KEY} of the thread that starts it): per task, the executor's deserialisation of the
 * task, its run, its serialisation of the result, the result's size, and the transit, which is
 * the task's time from launch to its result being read on the driver minus those three, i.e. the
 * launch message, the executor's queue and the result's trip back. These come from the executors
 * and the scheduler, so they check the profiler's driver-side split rather than repeat it. Spark
 * records the three executor times in whole milliseconds, so a part under 1 ms reads 0 in one task
 * (its time then shows in transit); only means over many tasks resolve it. Every stage of a tagged
 * job counts: a step that climbs a {@code treeAggregate} tree counts its combining tasks too.
 */
final class TaskTimes extends SparkListener implements AutoCloseable {

    static final String KIND_KEY = "sparkmlp.profile.job";

    private final SparkContext sc;
    private final Map<Integer, String> stageKinds = new ConcurrentHashMap<>();
    private final Map<String, List<long[]>> tasks = new ConcurrentHashMap<>();
    private final Map<String, Integer> expectedTasks = new ConcurrentHashMap<>();

    private TaskTimes(SparkContext sc) {
        this.sc = sc;
    }

    /** Starts listening on {@code sc}; {@link #close} stops. */
    static TaskTimes listen(SparkContext sc) {
        TaskTimes times = new TaskTimes(sc);
        sc.addSparkListener(times);
        return times;
    }

    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
        String kind = jobStart.properties() == null ? null : jobStart.properties().getProperty(KIND_KEY);
        if (kind != null) {
            for (Object stage : CollectionConverters.asJava(jobStart.stageIds())) {
                stageKinds.put((Integer) stage, kind);
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
        String kind = stageKinds.get(taskEnd.stageId());
        TaskMetrics metrics = taskEnd.taskMetrics();
        TaskInfo info = taskEnd.taskInfo();
        if (kind == null || metrics == null || !info.successful()) {
            return;
        }
        long deserialize = metrics.executorDeserializeTime();
        long run = metrics.executorRunTime();
        long resultSerialization = metrics.resultSerializationTime();
        // transit = launch on the driver to the result read on the driver, less the executor's parts
        long transit = info.finishTime() - info.launchTime() - deserialize - run - resultSerialization;
        tasks.computeIfAbsent(kind, k -> Collections.synchronizedList(new ArrayList<>()))
                .add(new long[] {deserialize, run, resultSerialization, transit, metrics.resultSize()});
    }

    /** The tasks seen of jobs of {@code kind}, so far. */
    int tasks(String kind) {
        List<long[]> seen = tasks.get(kind);
        return seen == null ? 0 : seen.size();
    }

    /**
     * Waits up to {@code timeoutMillis} for {@code expected} tasks of {@code kind} to be reported
     * (Spark's listener bus delivers events after the jobs have ended), and records what it expected;
     * false when fewer came in time, which {@link #toMap} then shows.
     */
    boolean await(String kind, int expected, long timeoutMillis) throws InterruptedException {
        expectedTasks.put(kind, expected);
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (tasks(kind) < expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        return tasks(kind) >= expected;
    }

    /** Per kind: tasks seen (and expected, once awaited) and the median, 90th percentile and mean of each per-task figure. */
    Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        String[] names = {"deserialize_ms", "run_ms", "result_serialization_ms", "transit_ms", "result_bytes"};
        for (Map.Entry<String, List<long[]>> kind : new TreeMap<>(tasks).entrySet()) {
            List<long[]> seen;
            synchronized (kind.getValue()) {
                seen = new ArrayList<>(kind.getValue());
            }
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("tasks", seen.size());
            if (expectedTasks.containsKey(kind.getKey())) {
                figures.put("expected_tasks", expectedTasks.get(kind.getKey()));
            }
            for (int f = 0; f < names.length; f++) {
                long[] values = new long[seen.size()];
                for (int t = 0; t < values.length; t++) {
                    values[t] = seen.get(t)[f];
                }
                Arrays.sort(values);
                Map<String, Object> stats = new LinkedHashMap<>();
                stats.put("median", StepProfiler.Stats.percentile(values, 0.5));
                stats.put("p90", StepProfiler.Stats.percentile(values, 0.9));
                stats.put("mean", Arrays.stream(values).average().orElse(Double.NaN));
                figures.put(names[f], stats);
            }
            map.put(kind.getKey(), figures);
        }
        return map;
    }

    @Override
    public void close() {
        sc.removeSparkListener(this);
    }
}
