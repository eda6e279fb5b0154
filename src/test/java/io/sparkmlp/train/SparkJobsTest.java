package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** What a fit shows in the Spark UI, as a SparkListener sees it, and how cancelling its job group ends it. */
@Tag("spark")
class SparkJobsTest {

    private final SparkSession spark = SparkTestSession.get();
    private final SparkContext sc = spark.sparkContext();

    /** Every job's description and group, in the order Spark started them. */
    private static final class JobLabels extends SparkListener {
        final List<String[]> jobs = new CopyOnWriteArrayList<>();

        @Override
        public void onJobStart(SparkListenerJobStart start) {
            jobs.add(new String[] {start.properties().getProperty(SparkJobs.GROUP_DESCRIPTION_KEY),
                    start.properties().getProperty(SparkJobs.GROUP_KEY)});
        }
    }

    private static TrainingParams params(int epochs) {
        return new TrainingParams().layers(6, 8, 3).epochs(epochs).batchSize(32).learningRate(0.1).seed(3);
    }

    @Test
    void everyJobOfAFitIsDescribedAndInTheFitsOwnJobGroupWhichIsThenGivenBack() throws Exception {
        int steps = 256 / 32;
        // by default under local[2] an epoch's steps are one job; per-step gives each step its own
        List<String> perEpoch = describedJobsOfAFit(null);
        for (String expected : List.of("sparkmlp pack", SparkJobs.epochStepsDescription(1, 2, 1, steps),
                SparkJobs.epochStepsDescription(2, 2, 1, steps), "sparkmlp evaluate · epoch 2/2")) {
            assertTrue(perEpoch.contains(expected), expected + " is not among " + perEpoch);
        }
        assertEquals(2, perEpoch.stream().filter(d -> d.startsWith("sparkmlp fit · epoch")).count(), perEpoch.toString());
        List<String> perStep = describedJobsOfAFit("per-step");
        for (String expected : List.of("sparkmlp pack", SparkJobs.stepDescription(1, 2, 1, steps),
                SparkJobs.stepDescription(2, 2, steps, steps), "sparkmlp evaluate · epoch 2/2")) {
            assertTrue(perStep.contains(expected), expected + " is not among " + perStep);
        }
        assertEquals(2 * steps, perStep.stream().filter(d -> d.startsWith("sparkmlp fit · epoch")).count(),
                perStep.toString());

        // a second fit gets a group of its own, or the one it is given
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(256, 6, 3, 1.0, 11), 2);
        Trainer named = new Trainer(params(1), new ClusterParams()).jobGroup("nightly-mlp");
        named.fit(frame, null, "label", "features");
        assertEquals("nightly-mlp", named.jobGroup());
    }

    /** The descriptions of a 2-epoch fit's jobs, with {@link StepLoop#KEY} set to {@code stepJobs} (null: unset). */
    private List<String> describedJobsOfAFit(String stepJobs) throws Exception {
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(256, 6, 3, 1.0, 11), 2);
        Dataset<Row> validation = TestData.frame(spark, TestData.blobs(64, 6, 3, 1.0, 13), 2);
        JobLabels labels = new JobLabels();
        sc.addSparkListener(labels);
        sc.setLocalProperty(StepLoop.KEY, stepJobs);
        Trainer trainer = new Trainer(params(2), new ClusterParams());
        try {
            trainer.fit(frame, validation, "label", "features");
            sc.listenerBus().waitUntilEmpty();
        } finally {
            sc.removeSparkListener(labels);
            sc.setLocalProperty(StepLoop.KEY, null);
        }
        String group = trainer.jobGroup();
        assertTrue(group.startsWith("sparkmlp-fit-"), group);
        Set<String> groups = labels.jobs.stream().map(j -> String.valueOf(j[1])).collect(Collectors.toSet());
        assertEquals(Set.of(group), groups, "every job of the fit is in its group");
        assertNull(sc.getLocalProperty(SparkJobs.GROUP_KEY), "the thread's own (no) group is given back");
        assertNull(sc.getLocalProperty(SparkJobs.GROUP_DESCRIPTION_KEY));
        return labels.jobs.stream().map(j -> j[0]).toList();
    }

    @Test
    void cancellingTheFitsJobGroupMidStepEndsItCleanlyWithAStopThatSaysWhere() throws Exception {
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(256, 6, 3, 1.0, 12), 2);
        Trainer trainer = new Trainer(params(50), new ClusterParams());
        int cachedBefore = sc.getPersistentRDDs().size();
        Thread[] canceller = new Thread[1];
        trainer.listener(new TrainingListener() {
            @Override
            public void afterStep(TrainingState state) {
                if (state.globalStep() == 3) {
                    // from another thread while the next step's tasks sleep (see slowTaskMillis below)
                    canceller[0] = new Thread(() -> {
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        sc.cancelJobGroup(trainer.jobGroup());
                    });
                    canceller[0].start();
                }
            }
        });
        sc.setLocalProperty(TaskFaults.SLOW_KEY, "400");
        TrainingStoppedException stopped;
        try {
            stopped = assertThrows(TrainingStoppedException.class, () -> trainer.fit(frame, null, "label", "features"));
        } finally {
            sc.setLocalProperty(TaskFaults.SLOW_KEY, null);
        }
        canceller[0].join();
        assertTrue(stopped.getMessage().startsWith("training cancelled (job group " + trainer.jobGroup() + ") at epoch 1"),
                stopped.getMessage());
        assertTrue(stopped.getMessage().contains("nothing was kept"), stopped.getMessage());
        assertNull(stopped.checkpoint());
        assertEquals(cachedBefore, sc.getPersistentRDDs().size(), "the fit's cached blocks are released");
        assertNull(sc.getLocalProperty(SparkJobs.GROUP_KEY));
    }
}
