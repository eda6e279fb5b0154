package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** An epoch's steps in one Spark job ({@link StepLoop}): the same training as a job a step, in fewer jobs. */
@Tag("spark")
class StepLoopTest {

    private final SparkSession spark = SparkTestSession.get();
    private final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    /** The descriptions of the jobs Spark started, and when each started (ms). */
    private static final class JobDescriptions extends SparkListener {
        final List<String> descriptions = new CopyOnWriteArrayList<>();
        final List<Long> startedMillis = new CopyOnWriteArrayList<>();

        @Override
        public synchronized void onJobStart(SparkListenerJobStart start) {
            descriptions.add(String.valueOf(start.properties().getProperty(SparkJobs.GROUP_DESCRIPTION_KEY)));
            startedMillis.add(start.time());
        }
    }

    /**
     * A fit's result, its jobs that ran steps, how many of those were an epoch's steps in one job, and
     * the ms from the first such job's start to the first job of a single step's (-1: not both ran).
     */
    private record Fit(TrainingResult result, long stepJobs, long loopJobs, long loopToFirstStepJobMillis) {
    }

    private static TrainingParams socketParams() {
        return new TrainingParams().layers(6, 9, 3).activation(Activation.TANH).epochs(3).batchSize(8)
                .learningRate(0.05).dropout(new double[] {0.2}).seed(8).set(HyperParameters.OPTIMIZER, "adam");
    }

    /** What a cluster's tasks do, here under a local master: the weights out and the sums back over the driver's socket. */
    @Test
    void overTheDriversSocketAnEpochsStepsGiveTheWeightsOfAJobAStepBitForBit() throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(100, 6, 3, 1.0, 24), 2);
        Fit perStep = fit(socketParams(), data, "per-step");
        Fit overSocket = fit(socketParams(), data, "per-epoch", Map.of(StepLoop.TEST_SOCKET_KEY, "true"));
        assertEquals(3L, overSocket.stepJobs());
        assertArrayEquals(perStep.result().model().weights(), overSocket.result().model().weights());
        assertEquals(TrainingListenersTest.figures(perStep.result().history()),
                TrainingListenersTest.figures(overSocket.result().history()));
    }

    @Test
    void whenTheTasksCannotReachTheDriverTheFitGoesOnAJobAStepFromTheSameStep() throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(100, 6, 3, 1.0, 24), 2);
        Fit perStep = fit(socketParams(), data, "per-step");
        // port 1 on loopback refuses every connection; auto gives way to a job a step
        Fit unreachable = fit(socketParams(), data, null,
                Map.of(StepLoop.TEST_SOCKET_KEY, "true", StepLoop.TEST_ADVERTISE_KEY, "127.0.0.1:1"));
        int steps = (100 + 7) / 8;
        assertEquals(1L, unreachable.loopJobs(), "one loop was tried, and then no more");
        assertEquals(1L + 3L * steps, unreachable.stepJobs(), "every step then had a job of its own, from step 1");
        assertArrayEquals(perStep.result().model().weights(), unreachable.result().model().weights());
    }

    @Test
    void perEpochInsistsAndFailsTheFitNamingWhyTheLoopCannotGoOn() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(100, 6, 3, 1.0, 24), 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> fit(socketParams(), data,
                "per-epoch", Map.of(StepLoop.TEST_SOCKET_KEY, "true", StepLoop.TEST_ADVERTISE_KEY, "127.0.0.1:1")));
        assertTrue(e.getMessage().startsWith(StepLoop.KEY + "=per-epoch: an epoch's steps cannot share one job: the task"
                + " of partition") && e.getMessage().contains("cannot reach the driver at 127.0.0.1:1"), e.getMessage());
    }

    /**
     * Another job holds one of local[2]'s two slots for a while, so the loop's second task cannot
     * start: after the join timeout (1 s here) the fit goes on a job a step from step 1 (whose tasks
     * wait for the slot like any job's) and still ends with the weights of a job a step. In the
     * driver's JVM and over the socket alike.
     */
    @ParameterizedTest(name = "over the socket: {0}")
    @ValueSource(booleans = {false, true})
    void whenATaskFindsNoFreeSlotTheLoopGivesWayAfterTheJoinTimeout(boolean socket) throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(100, 6, 3, 1.0, 24), 2);
        Fit perStep = fit(socketParams(), data, "per-step");
        Thread hog = new Thread(() -> jsc.parallelize(List.of(1), 1).foreach(x -> Thread.sleep(4_000)));
        hog.start();
        Thread.sleep(500); // its task has the slot
        Fit starved = fit(socketParams(), data, null,
                Map.of(StepLoop.TEST_SOCKET_KEY, String.valueOf(socket), StepLoop.JOIN_TIMEOUT_KEY, "1"));
        hog.join();
        int steps = (100 + 7) / 8;
        assertEquals(1L, starved.loopJobs(), "one loop was tried, and then no more");
        assertEquals(1L + 3L * steps, starved.stepJobs(), "every step then had a job of its own, from step 1");
        assertTrue(starved.loopToFirstStepJobMillis() >= 1_000, "the first job of a single step started "
                + starved.loopToFirstStepJobMillis() + " ms after the loop's, within its 1 s join timeout");
        assertArrayEquals(perStep.result().model().weights(), starved.result().model().weights());
    }

    @Test
    void aJoinTimeoutThatIsNotAPositiveNumberIsRefusedNamingIt() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(100, 6, 3, 1.0, 24), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fit(socketParams(), data,
                "per-epoch", Map.of(StepLoop.TEST_SOCKET_KEY, "true", StepLoop.JOIN_TIMEOUT_KEY, "soon")));
        assertEquals(StepLoop.JOIN_TIMEOUT_KEY + " must be a number of seconds > 0, got 'soon'", e.getMessage());
    }

    private Fit fit(TrainingParams params, Dataset<Row> data, String stepJobs) throws Exception {
        return fit(params, data, stepJobs, Map.of());
    }

    /** A fit with {@link StepLoop#KEY} set to {@code stepJobs} and the other local properties given. */
    private Fit fit(TrainingParams params, Dataset<Row> data, String stepJobs, Map<String, String> properties)
            throws Exception {
        properties.forEach(jsc::setLocalProperty);
        try {
            return fitWith(params, data, stepJobs);
        } finally {
            properties.keySet().forEach(key -> jsc.setLocalProperty(key, null));
        }
    }

    private Fit fitWith(TrainingParams params, Dataset<Row> data, String stepJobs) throws Exception {
        JobDescriptions jobs = new JobDescriptions();
        spark.sparkContext().addSparkListener(jobs);
        jsc.setLocalProperty(StepLoop.KEY, stepJobs);
        try {
            TrainingResult result = new Trainer(params, new ClusterParams()).fit(data, null, "label", "features");
            spark.sparkContext().listenerBus().waitUntilEmpty();
            long loopStart = -1;
            long firstStepJobStart = -1;
            for (int i = 0; i < jobs.descriptions.size(); i++) {
                String d = jobs.descriptions.get(i);
                if (loopStart < 0 && d.contains("· steps ")) {
                    loopStart = jobs.startedMillis.get(i);
                } else if (firstStepJobStart < 0 && d.startsWith("sparkmlp fit · epoch") && d.contains("· step ")) {
                    firstStepJobStart = jobs.startedMillis.get(i);
                }
            }
            return new Fit(result, jobs.descriptions.stream().filter(d -> d.startsWith("sparkmlp fit · epoch")).count(),
                    jobs.descriptions.stream().filter(d -> d.startsWith("sparkmlp fit · epoch") && d.contains("· steps "))
                            .count(), loopStart < 0 || firstStepJobStart < 0 ? -1 : firstStepJobStart - loopStart);
        } finally {
            jsc.setLocalProperty(StepLoop.KEY, null);
            spark.sparkContext().removeSparkListener(jobs);
        }
    }

    /**
     * Batch 4 over 2 partitions leaves one partition without rows in many steps; dropout, class
     * weights and Adam draw on (epoch, step, row) and the optimizer's state, so any step taken
     * twice, skipped or out of order would show in the weights.
     */
    @ParameterizedTest(name = "{0} partition(s), batch {1}")
    @CsvSource({"2, 4", "2, 32", "1, 16"})
    void anEpochsStepsInOneJobGiveTheWeightsOfAJobAStepBitForBit(int partitions, int batch) throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(200, 6, 3, 1.0, 21), partitions);
        TrainingParams params = new TrainingParams().layers(6, 9, 3).activation(Activation.TANH).epochs(3)
                .batchSize(batch).learningRate(0.05).dropout(new double[] {0.2}).classWeights("balanced").seed(8)
                .set(HyperParameters.OPTIMIZER, "adam");
        Fit perStep = fit(params, data, "per-step");
        Fit perEpoch = fit(params, data, "per-epoch");
        int steps = (200 + batch - 1) / batch;
        assertEquals(3L * steps, perStep.stepJobs());
        assertEquals(3L, perEpoch.stepJobs(), "one step job an epoch");
        assertArrayEquals(perStep.result().model().weights(), perEpoch.result().model().weights());
        assertEquals(TrainingListenersTest.figures(perStep.result().history()),
                TrainingListenersTest.figures(perEpoch.result().history()));
    }

    @Test
    void autoLoopsOnlyWhenEveryPartitionsTaskCanRunAtOnceInTheDriversJvm() {
        assertTrue(StepLoop.perEpoch(jsc, SharedWeights.Transport.IN_PROCESS, 2));
        assertTrue(StepLoop.perEpoch(jsc, SharedWeights.Transport.IN_PROCESS, 1));
        assertFalse(StepLoop.perEpoch(jsc, SharedWeights.Transport.IN_PROCESS, 3), "local[2] runs 2 tasks at once");
        assertFalse(StepLoop.perEpoch(jsc, SharedWeights.Transport.BROADCAST, 2), "broadcast weights");
        jsc.setLocalProperty(StepLoop.KEY, "per-step");
        try {
            assertFalse(StepLoop.perEpoch(jsc, SharedWeights.Transport.IN_PROCESS, 2));
            jsc.setLocalProperty(StepLoop.KEY, "per-epoch");
            IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                    () -> StepLoop.perEpoch(jsc, SharedWeights.Transport.IN_PROCESS, 5));
            assertTrue(tooMany.getMessage().contains("5 partitions") && tooMany.getMessage().contains("local[2] runs 2"),
                    tooMany.getMessage());
            IllegalArgumentException task = assertThrows(IllegalArgumentException.class,
                    () -> StepLoop.perEpoch(jsc, SharedWeights.Transport.TASK, 2));
            assertTrue(task.getMessage().contains("shared by task"), task.getMessage());
            jsc.setLocalProperty(StepLoop.KEY, "sometimes");
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> StepLoop.perEpoch(jsc, SharedWeights.Transport.IN_PROCESS, 2));
            assertTrue(bad.getMessage().contains("'sometimes'"), bad.getMessage());
        } finally {
            jsc.setLocalProperty(StepLoop.KEY, null);
        }
    }

    @Test
    void moreTrainingPartitionsThanTheMastersThreadsTrainOneJobAStep() throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(120, 6, 3, 1.0, 22), 3);
        TrainingParams params = new TrainingParams().layers(6, 5, 3).epochs(2).batchSize(40).learningRate(0.1).seed(2);
        assertEquals(2L * 3, fit(params, data, null).stepJobs());
    }

    @Test
    void aTaskThatFailsForGoodEndsTheFitWithItsOwnMessage() throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(120, 6, 3, 1.0, 23), 2);
        TrainingParams params = new TrainingParams().layers(6, 5, 3).epochs(2).batchSize(40).learningRate(0.1).seed(2);
        jsc.setLocalProperty(TaskFaults.KEY, "1:2:1"); // local[2] does not retry: the fit fails at epoch 2, step 3
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> fit(params, data, "per-epoch"));
            assertTrue(e.getMessage().contains("injected failure of step task 1:2:1"), e.getMessage());
        } finally {
            jsc.setLocalProperty(TaskFaults.KEY, null);
        }
        // the session is fine afterwards: the loop's job ended with its task
        assertEquals(2L, fit(params, data, "per-epoch").stepJobs());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"local, 1", "local[4], 4", "'local[2,3]', 2", "spark://127.0.0.1:7077, 0",
            "'local-cluster[2,1,1024]', 0", "yarn, 0"})
    void theTasksALocalMasterRunsAtOnceAreReadFromItsName(String master, int threads) {
        assertEquals(threads, StepLoop.localThreads(master));
    }

    @Test
    void localStarRunsAsManyTasksAsTheMachineHasCores() {
        assertEquals(Runtime.getRuntime().availableProcessors(), StepLoop.localThreads("local[*]"));
    }
}
