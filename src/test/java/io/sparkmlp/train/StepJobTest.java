package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The one Spark job of a step: how its weights travel, how its sums come back, what its tasks carry. */
@Tag("spark")
class StepJobTest {

    private final SparkSession spark = SparkTestSession.get();
    private final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    private static TrainingParams smallParams() {
        return new TrainingParams().layers(6, 8, 3).activation(Activation.TANH).epochs(2).batchSize(32)
                .learningRate(0.1).schedule("constant").momentum(0.9).seed(5).standardize(false);
    }

    @Test
    void aTreeLevelIsAddedExactlyWhereSparksTreeAggregateAddsOne() {
        // Spark: scale = max(ceil(P^(1/depth)), 2); a level while P > scale + ceil(P / scale)
        assertFalse(PartitionSums.treeAddsLevels(1, 2));
        assertFalse(PartitionSums.treeAddsLevels(2, 2));
        assertFalse(PartitionSums.treeAddsLevels(5, 2)); // scale 3: 5 > 3 + 2 is false
        assertTrue(PartitionSums.treeAddsLevels(6, 2)); // scale 3: 6 > 3 + 2
        assertTrue(PartitionSums.treeAddsLevels(16, 2));
        assertFalse(PartitionSums.treeAddsLevels(64, 1)); // depth 1: everything goes straight to the driver
        assertTrue(PartitionSums.treeAddsLevels(64, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PartitionSums.treeAddsLevels(4, 0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    }

    @Test
    void theDirectJobAndTheTreeAggregateGiveBitIdenticalSums() {
        List<Row> rows = TestData.blobs(400, 6, 3, 1.0, 21);
        TrainingParams params = smallParams().batchSize(400);
        Network network = new Network(params.layout(), params.activation());
        float[] weights = network.initialParameters(8, params.initialization());
        PackedData data = PackedData.pack(TestData.frame(spark, rows, 8), "label", "features", 6, 3, 0);
        try {
            Trainer trainer = new Trainer(params, new ClusterParams());
            GradientSum[] sums = new GradientSum[2];
            // 8 partitions at depth 2: a cluster would take the tree; a local master goes straight to the driver
            assertTrue(PartitionSums.treeAddsLevels(8, 2));
            for (int i = 0; i < 2; i++) {
                try (SharedWeights shared = SharedWeights.share(jsc, weights)) {
                    sums[i] = PartitionSums.sum(data, trainer.stepTask(shared, data, network, InputScaling.IDENTITY, 0, 0),
                            2, null, i == 1);
                }
            }
            assertEquals(400, sums[0].count());
            assertEquals(sums[0].count(), sums[1].count());
            assertEquals(sums[0].lossSum(), sums[1].lossSum());
            assertArrayEquals(sums[0].gradient(), sums[1].gradient());
        } finally {
            data.unpersist();
        }
    }

    @Test
    void underALocalMasterTheTasksReadTheDriversArrayAndTheOtherTransportsGiveTheSameValues() {
        float[] weights = {1f, 2f, 3f};
        try (SharedWeights inProcess = SharedWeights.share(weights, SharedWeights.Transport.IN_PROCESS, jsc)) {
            assertSame(weights, inProcess.value());
        }
        try (SharedWeights inTask = SharedWeights.share(weights, SharedWeights.Transport.TASK, jsc)) {
            assertArrayEquals(weights, inTask.value());
        }
        try (SharedWeights broadcast = SharedWeights.share(weights, SharedWeights.Transport.BROADCAST, jsc)) {
            assertArrayEquals(weights, broadcast.value());
        }
        SharedWeights closed = SharedWeights.share(weights, SharedWeights.Transport.IN_PROCESS, jsc);
        closed.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, closed::value);
        assertTrue(e.getMessage().contains(SharedWeights.TRANSPORT_KEY), e.getMessage());
    }

    @Test
    void trainingGivesBitIdenticalWeightsWhicheverWayTheWeightsTravel() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(300, 6, 3, 1.0, 4), 3);
        assertEquals(SharedWeights.Transport.IN_PROCESS, SharedWeights.transport(jsc));
        float[] inProcess = new Trainer(smallParams(), new ClusterParams()).fit(data, null, "label", "features")
                .model().weights();
        try {
            for (SharedWeights.Transport transport : new SharedWeights.Transport[] {SharedWeights.Transport.TASK,
                    SharedWeights.Transport.BROADCAST}) {
                jsc.setLocalProperty(SharedWeights.TRANSPORT_KEY, transport.id());
                assertEquals(transport, SharedWeights.transport(jsc));
                float[] other = new Trainer(smallParams(), new ClusterParams()).fit(data, null, "label", "features")
                        .model().weights();
                assertNotSame(inProcess, other);
                assertArrayEquals(inProcess, other, transport.id());
            }
            jsc.setLocalProperty(SharedWeights.TRANSPORT_KEY, "perhaps");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SharedWeights.transport(jsc));
            assertEquals(SharedWeights.TRANSPORT_KEY + " must be auto, in-process, task or broadcast, got 'perhaps'",
                    e.getMessage());
        } finally {
            jsc.setLocalProperty(SharedWeights.TRANSPORT_KEY, null);
        }
    }

    @Test
    void packedDataUnderALocalMasterHasItsLineageCutSoStepsDoNotCarryTheQueryPlan() {
        PackedData data = PackedData.pack(TestData.frame(spark, TestData.blobs(90, 6, 3, 1.0, 2), 3),
                "label", "features", 6, 3, 0);
        try {
            assertTrue(data.blocks().rdd().isCheckpointed(), data.blocks().rdd().toDebugString());
            PackedData[] parts = data.split(3, 0.2);
            try {
                for (PackedData part : parts) {
                    assertTrue(part.blocks().rdd().isCheckpointed(), part.blocks().rdd().toDebugString());
                    assertEquals(part.rows(), part.blocks().map(Block::rows).reduce(Integer::sum).longValue());
                }
            } finally {
                parts[0].unpersist();
                parts[1].unpersist();
            }
        } finally {
            data.unpersist();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theStepProfileMeasuresEveryPartOfEachStepUnderEveryTransport() {
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(256, 6, 3, 1.0, 6), 2);
        for (String transport : new String[] {"in-process", "task", "broadcast"}) {
            jsc.setLocalProperty(StepProfiler.TRANSPORT_KEY, transport);
            jsc.setLocalProperty(StepProfiler.STEP_JOBS_KEY, "per-step");
            StepProfiler.Profile profile;
            try {
                profile = StepProfiler.profile(frame, "label", "features", smallParams(), new ClusterParams(), 2, 12);
            } finally {
                jsc.setLocalProperty(StepProfiler.TRANSPORT_KEY, null);
                jsc.setLocalProperty(StepProfiler.STEP_JOBS_KEY, null);
            }
            assertEquals(transport, profile.transport());
            assertEquals("per-step", profile.stepJobs());
            assertEquals(12, profile.steps());
            assertEquals(2, profile.partitions());
            assertTrue(profile.emptyJob().medianMs() > 0, "empty job " + profile.emptyJob());
            assertTrue(profile.compute().medianMs() > 0, "compute " + profile.compute());
            assertTrue(profile.step().medianMs() >= profile.compute().medianMs(), profile.toMap().toString());
            assertTrue(profile.scheduling().medianMs() >= 0, "scheduling " + profile.scheduling());
            assertEquals(profile.overhead().medianMs() / profile.emptyJob().medianMs(), profile.overheadRatio(), 1e-12);
            assertEquals(profile.transport(), profile.toMap().get("weights_transport"));
            // Spark's own task metrics of the same jobs: the tasks of every measured step and empty job (12
            // rounds of 2 partitions), and none of the 2 warm-up rounds'
            Map<String, Map<String, Object>> tasks = (Map<String, Map<String, Object>>) (Map<?, ?>) profile.tasks();
            assertEquals(24, tasks.get("step").get("tasks"), tasks.toString());
            assertEquals(24, tasks.get("empty_job").get("tasks"), tasks.toString());
            assertEquals(24, tasks.get("step").get("expected_tasks"), tasks.toString());
        }
    }

    /**
     * "Scheduling" is the step's wall time less the parts measured directly, so a profiler that put
     * the tasks' work in the wrong place would hide it there. A known delay inside every task's
     * computation must land in compute, all of it, and in no other part.
     */
    @Test
    void aDelayAddedToEveryTasksComputationShowsInComputeAndNowhereElse() {
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(256, 6, 3, 1.0, 6), 2);
        long delayMs = 80;
        for (String transport : new String[] {"in-process", "task"}) {
            StepProfiler.Profile plain = profileWith(frame, transport, 0);
            StepProfiler.Profile slow = profileWith(frame, transport, delayMs);
            String seen = transport + ": plain " + plain.toMap() + "; with a " + delayMs + " ms delay " + slow.toMap();
            assertTrue(slow.compute().medianMs() >= delayMs, seen);
            assertTrue(slow.compute().medianMs() - plain.compute().medianMs() >= 0.9 * delayMs, seen);
            assertTrue(slow.step().medianMs() >= delayMs, seen);
            // the other parts may move with the machine's load, but not by the delay
            List<StepProfiler.Stats> before = List.of(plain.broadcast(), plain.aggregation(), plain.update(),
                    plain.scheduling(), plain.overhead());
            List<StepProfiler.Stats> after = List.of(slow.broadcast(), slow.aggregation(), slow.update(), slow.scheduling(),
                    slow.overhead());
            for (int i = 0; i < before.size(); i++) {
                assertTrue(after.get(i).medianMs() < before.get(i).medianMs() + delayMs / 2.0,
                        "the delay leaked out of compute (part " + i + "): " + seen);
            }
            // Spark's own measure of the tasks' run, taken on the executor, sees the delay in the steps' tasks
            // and not in the empty jobs'
            assertTrue(taskMean(slow, "step", "run_ms") >= delayMs, seen);
            assertTrue(taskMean(plain, "step", "run_ms") < delayMs / 2.0, seen);
            assertTrue(taskMean(slow, "empty_job", "run_ms") < delayMs / 2.0, seen);
        }
    }

    /**
     * With an epoch's steps in one job there is no step job to measure beside each empty job; the delay
     * must still land in compute, and the hand-off (the overhead) must stay free of it.
     */
    @Test
    void anEpochsStepsInOneJobAreProfiledWithTheDelayInComputeAndTheEmptyJobsApart() {
        Dataset<Row> frame = TestData.frame(spark, TestData.blobs(256, 6, 3, 1.0, 6), 2);
        long delayMs = 80;
        jsc.setLocalProperty(StepProfiler.STEP_JOBS_KEY, "per-epoch");
        StepProfiler.Profile plain;
        StepProfiler.Profile slow;
        try {
            plain = profileWith(frame, "in-process", 0);
            slow = profileWith(frame, "in-process", delayMs);
        } finally {
            jsc.setLocalProperty(StepProfiler.STEP_JOBS_KEY, null);
        }
        String seen = "plain " + plain.toMap() + "; with a " + delayMs + " ms delay " + slow.toMap();
        assertEquals("per-epoch", plain.stepJobs());
        assertEquals(10, plain.steps());
        assertTrue(plain.emptyJob().medianMs() > 0, seen);
        assertTrue(slow.compute().medianMs() - plain.compute().medianMs() >= 0.9 * delayMs, seen);
        assertTrue(slow.overhead().medianMs() < plain.overhead().medianMs() + delayMs / 2.0, seen);
        assertTrue(slow.step().medianMs() >= slow.compute().medianMs(), seen);
        assertEquals(0.0, plain.broadcast().medianMs(), "the weights are handed over by reference");
        Map<?, ?> tasks = plain.tasks();
        assertEquals(20, ((Map<?, ?>) tasks.get("empty_job")).get("tasks"), tasks.toString());
        assertFalse(tasks.containsKey("step"), "one loop task serves a whole epoch: no per-step task metrics " + tasks);
    }

    private static double taskMean(StepProfiler.Profile profile, String kind, String figure) {
        Map<?, ?> tasks = (Map<?, ?>) profile.tasks().get(kind);
        return ((Number) ((Map<?, ?>) tasks.get(figure)).get("mean")).doubleValue();
    }

    /** A profile with the transport and the compute delay given; a job a step unless the caller set {@link StepProfiler#STEP_JOBS_KEY}. */
    private StepProfiler.Profile profileWith(Dataset<Row> frame, String transport, long delayMs) {
        boolean stepJobsSet = jsc.getLocalProperty(StepProfiler.STEP_JOBS_KEY) != null;
        if (!stepJobsSet) {
            jsc.setLocalProperty(StepProfiler.STEP_JOBS_KEY, "per-step");
        }
        jsc.setLocalProperty(StepProfiler.TRANSPORT_KEY, transport);
        jsc.setLocalProperty(TaskFaults.SLOW_KEY, Long.toString(delayMs));
        try {
            return StepProfiler.profile(frame, "label", "features", smallParams(), new ClusterParams(), 2, 10);
        } finally {
            jsc.setLocalProperty(StepProfiler.TRANSPORT_KEY, null);
            jsc.setLocalProperty(TaskFaults.SLOW_KEY, null);
            if (!stepJobsSet) {
                jsc.setLocalProperty(StepProfiler.STEP_JOBS_KEY, null);
            }
        }
    }
}
