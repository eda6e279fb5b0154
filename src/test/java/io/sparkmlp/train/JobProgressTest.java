package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("spark")
class JobProgressTest {

    private final SparkContext sc = SparkTestSession.get().sparkContext();
    private static final Pattern LINE = Pattern.compile("sparkmlp pack: (\\d+) of (\\d+) tasks done after \\d+ s");

    @Test
    void longWorkReportsItsTasksDoneOfItsTasksAndShortWorkNothing() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        try (SparkJobs jobs = SparkJobs.enter(sc, "progress-test", "progress test");
             JobProgress progress = JobProgress.watch(sc, "progress-test", "sparkmlp pack", 100, lines::add)) {
            // 6 tasks of 300 ms on 2 cores: about 0.9 s, several intervals
            jsc.parallelize(List.of(1, 2, 3, 4, 5, 6), 6).foreach(x -> Thread.sleep(300));
        }
        assertFalse(lines.isEmpty(), "no progress over about a second of work");
        for (String line : lines) {
            Matcher m = LINE.matcher(line);
            assertTrue(m.matches(), line);
            assertTrue(Integer.parseInt(m.group(2)) == 6 && Integer.parseInt(m.group(1)) <= 6, line);
        }
        List<String> quiet = new CopyOnWriteArrayList<>();
        try (JobProgress progress = JobProgress.watch(sc, "progress-test", "sparkmlp pack", 60_000, quiet::add)) {
            jsc.parallelize(List.of(1, 2), 2).count();
        }
        assertTrue(quiet.isEmpty(), quiet.toString());
        List<String> otherGroup = new CopyOnWriteArrayList<>();
        try (JobProgress progress = JobProgress.watch(sc, "no-such-group", "sparkmlp pack", 100, otherGroup::add)) {
            jsc.parallelize(List.of(1, 2, 3, 4), 4).foreach(x -> Thread.sleep(200));
        }
        assertTrue(otherGroup.isEmpty(), "only the group's jobs count: " + otherGroup);
    }
}
