package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints, resumes, refused resumes, retried tasks and divergence, through the whole trainer on Spark. */
@Tag("spark")
class ResumeTest {

    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();

    /** 250 rows, a fifth held out: about 200 training rows, 13 steps of 16 an epoch. */
    private static TrainingParams params() {
        return new TrainingParams().layers(6, 10, 3).activation(Activation.TANH).epochs(4).batchSize(16)
                .learningRate(0.1).schedule("cosine").warmupEpochs(0.5).momentum(0.9).nesterov(true)
                .weightDecay(1e-4).validationFraction(0.2).patience(3).seed(5);
    }

    private static Dataset<Row> data(SparkSession spark, long seed, int partitions) {
        return TestData.frame(spark, TestData.blobs(250, 6, 3, 1.0, seed), partitions);
    }

    private static List<List<Double>> figures(List<EpochMetrics> history) {
        return TrainingListenersTest.figures(history);
    }

    @Test
    void aRunStoppedAtOddStepsAndResumedTwiceEqualsTheUninterruptedRun() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = data(spark, 3, 2);
        TrainingResult uninterrupted = new Trainer(params(), new ClusterParams()).fit(data, null, "label", "features");

        CheckpointParams checkpoints = new CheckpointParams().dir(dir.toString()).everySteps(5).keep(2);
        TrainingStoppedException first = assertThrows(TrainingStoppedException.class, () ->
                new Trainer(params(), new ClusterParams()).checkpoints(checkpoints)
                        .stopRequest(new StopRequest().afterStep(7)).fit(data, null, "label", "features"));
        assertTrue(first.checkpoint().endsWith("checkpoint-000000-00000007.ckpt"), first.getMessage());
        assertTrue(first.getMessage().contains("epoch 1, step 7 of"), first.getMessage());

        StopRequest second = new StopRequest().afterStep(19);
        TrainingStoppedException again = assertThrows(TrainingStoppedException.class, () ->
                new Trainer(params(), new ClusterParams()).checkpoints(checkpoints.resumeFrom(CheckpointParams.LATEST))
                        .stopRequest(second).fit(data, null, "label", "features"));
        Checkpoint atStop = CheckpointFiles.read(again.checkpoint(), conf);
        assertEquals(19, atStop.globalStep(), again.getMessage());
        assertEquals(1, atStop.history().size()); // the first epoch closed in the middle run
        assertFalse(second.running());

        TrainingResult resumed = new Trainer(params(), new ClusterParams())
                .checkpoints(checkpoints.resumeFrom(CheckpointParams.LATEST)).fit(data, null, "label", "features");
        assertArrayEquals(uninterrupted.model().weights(), resumed.model().weights());
        assertEquals(figures(uninterrupted.history()), figures(resumed.history()));
        assertEquals(uninterrupted.bestEpoch(), resumed.bestEpoch());
        assertEquals(uninterrupted.stoppedEarly(), resumed.stoppedEarly());
        assertEquals(uninterrupted.samplesSeen(), resumed.samplesSeen());
        assertEquals(uninterrupted.validationRows(), resumed.validationRows());
        // keep 2: the newest two of this folder's checkpoints, the last one at the run's end
        List<org.apache.hadoop.fs.Path> left = CheckpointFiles.list(dir.toString(), conf);
        assertEquals(2, left.size(), left.toString());
        assertEquals(CheckpointFiles.fileName(uninterrupted.history().size(), 0), left.get(1).getName());
    }

    @Test
    void resumingUnderOtherHyperParametersOrOntoOtherDataIsRefusedNamingWhatDiffers() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = data(spark, 3, 2);
        CheckpointParams checkpoints = new CheckpointParams().dir(dir.toString()).everySteps(3);
        assertThrows(TrainingStoppedException.class, () -> new Trainer(params(), new ClusterParams())
                .checkpoints(checkpoints).stopRequest(new StopRequest().afterStep(3)).fit(data, null, "label", "features"));
        CheckpointParams resume = new CheckpointParams().resumeFrom(dir.toString());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(params().learningRate(0.2).epochs(5), new ClusterParams()).checkpoints(resume)
                        .fit(data, null, "label", "features"));
        assertTrue(e.getMessage().contains("other hyper-parameters")
                && e.getMessage().contains("learning-rate (0.1 in the checkpoint, 0.2 here)")
                && e.getMessage().contains("epochs (4 in the checkpoint, 5 here)"), e.getMessage());

        // the same number of rows, other labels
        e = assertThrows(IllegalArgumentException.class, () -> new Trainer(params(), new ClusterParams())
                .checkpoints(resume).fit(data(spark, 4, 2), null, "label", "features"));
        assertTrue(e.getMessage().contains("other data") && e.getMessage().contains("training labels (CRC32"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> new Trainer(params(), new ClusterParams())
                .checkpoints(resume).fit(data(spark, 3, 3), null, "label", "features"));
        assertTrue(e.getMessage().contains("training partitions (2 in the checkpoint, 3 here)"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> new Trainer(params(), new ClusterParams())
                .checkpoints(new CheckpointParams().resumeFrom(CheckpointParams.LATEST)).fit(data, null, "label",
                        "features"));
        assertTrue(e.getMessage().contains("needs a checkpoint folder"), e.getMessage());
    }

    /** With an epoch's steps in one job, the failed task's retry takes up the step the driver waits on. */
    @ParameterizedTest(name = "steps in jobs {0}")
    @ValueSource(strings = {"per-epoch", "per-epoch over the socket", "per-step"})
    void injectedTaskFailuresAreRetriedAndLeaveTheWeightsBitIdentical(String stepJobs) throws Exception {
        SparkSession spark = SparkTestSession.restart("local[2,2]"); // a failed task is tried once more
        try {
            Dataset<Row> data = data(spark, 3, 2);
            spark.sparkContext().setLocalProperty(StepLoop.KEY, "per-step");
            TrainingResult clean = new Trainer(params(), new ClusterParams()).fit(data, null, "label", "features");
            spark.sparkContext().setLocalProperty(StepLoop.KEY, stepJobs.startsWith("per-epoch") ? "per-epoch" : stepJobs);
            // the socket a cluster's tasks use, here under a local master: a retry must connect again
            spark.sparkContext().setLocalProperty(StepLoop.TEST_SOCKET_KEY, String.valueOf(stepJobs.endsWith("socket")));
            AtomicInteger failed = new AtomicInteger();
            List<String> reasons = new ArrayList<>();
            SparkListener counter = new SparkListener() {
                @Override
                public void onTaskEnd(SparkListenerTaskEnd end) {
                    if (!end.taskInfo().successful()) {
                        failed.incrementAndGet();
                        synchronized (reasons) {
                            reasons.add(end.reason().toString());
                        }
                    }
                }
            };
            spark.sparkContext().addSparkListener(counter);
            spark.sparkContext().setLocalProperty(TaskFaults.KEY, "0:0:0,0:1:1,1:4:0,1:4:1,3:12:1");
            TrainingResult retried;
            try {
                retried = new Trainer(params(), new ClusterParams()).fit(data, null, "label", "features");
            } finally {
                spark.sparkContext().setLocalProperty(TaskFaults.KEY, null);
                spark.sparkContext().setLocalProperty(StepLoop.KEY, null);
                spark.sparkContext().setLocalProperty(StepLoop.TEST_SOCKET_KEY, null);
            }
            spark.sparkContext().listenerBus().waitUntilEmpty();
            spark.sparkContext().removeSparkListener(counter);
            assertEquals(5, failed.get(), reasons.toString());
            assertTrue(reasons.get(0).contains("injected failure"), reasons.get(0));
            assertArrayEquals(clean.model().weights(), retried.model().weights());
            assertEquals(figures(clean.history()), figures(retried.history()));
        } finally {
            SparkTestSession.get(); // back to local[2] for the other tests
        }
    }

    /**
     * The epoch's loop task of partition 1 fails at the first epoch's fifth step (fault 0:4:1 counts from 0)
     * and its retry takes its slot only after the loop's join timeout (held back 3 s; the timeout is 1 s),
     * as a retry that finds no free slot would: the loop gives up in the middle of the epoch and kills the
     * held-back retry, and the fit takes the fifth step again with a job of its own (whose first attempt
     * fails too, by the same fault) and goes on a job a step, ending with the weights and history of a run
     * a job a step. In the driver's JVM and over the socket alike.
     */
    @ParameterizedTest(name = "over the socket: {0}")
    @ValueSource(booleans = {false, true})
    void aLoopWhoseRetriedTaskComesTooLateGivesTheRestOfTheFitToAJobAStepFromTheSameStep(boolean socket)
            throws Exception {
        SparkSession spark = SparkTestSession.restart("local[2,2]"); // a failed task is tried once more
        SparkContext sc = spark.sparkContext();
        Map<String, String> faults = Map.of(StepLoop.TEST_SOCKET_KEY, String.valueOf(socket),
                StepLoop.JOIN_TIMEOUT_KEY, "1", TaskFaults.KEY, "0:4:1", TaskFaults.RETRY_DELAY_KEY, "3000");
        List<String> jobs = new CopyOnWriteArrayList<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onJobStart(SparkListenerJobStart start) {
                jobs.add(String.valueOf(start.properties().getProperty(SparkJobs.GROUP_DESCRIPTION_KEY)));
            }

            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failures.add(end.reason().toString());
                }
            }
        };
        try {
            sc.addSparkListener(listener);
            Dataset<Row> data = data(spark, 3, 2);
            sc.setLocalProperty(StepLoop.KEY, "per-step");
            TrainingResult perStep = new Trainer(params(), new ClusterParams()).fit(data, null, "label", "features");
            sc.setLocalProperty(StepLoop.KEY, null); // auto: loop where it can, else a job a step
            sc.listenerBus().waitUntilEmpty();
            long steps = jobs.stream().filter(d -> d.startsWith("sparkmlp fit · epoch")).count();
            jobs.clear();
            failures.clear();
            faults.forEach(sc::setLocalProperty);
            TrainingResult fellBack = new Trainer(params(), new ClusterParams()).fit(data, null, "label", "features");
            sc.listenerBus().waitUntilEmpty();

            assertEquals(List.of("sparkmlp fit · epoch 1/4 · steps 1–13/13"),
                    jobs.stream().filter(d -> d.contains("· steps ")).toList(), "one loop, in the first epoch only");
            List<String> stepJobs = jobs.stream().filter(d -> d.startsWith("sparkmlp fit · epoch") && d.contains("· step "))
                    .toList();
            assertEquals("sparkmlp fit · epoch 1/4 · step 5/13", stepJobs.get(0), "the fit went on from the same step");
            assertEquals(steps - 4, stepJobs.size(), "steps 1 to 4 of the first epoch were the loop's, the rest a job each");
            // the loop's task, its held-back retry (killed as the loop gave up), and the first attempt of step 5's job
            assertEquals(2, failures.stream().filter(r -> r.contains("injected failure of step task 0:4:1")).count(),
                    failures.toString());
            assertEquals(1, failures.stream().filter(r -> r.startsWith("TaskKilled(killed while its retry waited")).count(),
                    failures.toString());
            // and, by timing, the other partition's loop task: it ends as the loop gives up, or the loop's job is
            // cancelled first and kills it (seen once in a clean-clone CI run)
            List<String> others = failures.stream().filter(r -> !r.contains("injected failure of step task 0:4:1")
                    && !r.startsWith("TaskKilled(killed while its retry waited")).toList();
            assertTrue(others.size() <= 1 && others.stream().allMatch(r -> r.startsWith("TaskKilled(") && r.contains("cancelled")),
                    failures.toString());
            assertArrayEquals(perStep.model().weights(), fellBack.model().weights());
            assertEquals(figures(perStep.history()), figures(fellBack.history()));
        } finally {
            sc.removeSparkListener(listener);
            faults.keySet().forEach(key -> sc.setLocalProperty(key, null));
            sc.setLocalProperty(StepLoop.KEY, null);
            SparkTestSession.get(); // back to local[2] for the other tests
        }
    }

    @Test
    void aDivergingRunStopsAtOnceKeepsTheLastGoodCheckpointAndWritesNoDivergedOne() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = data(spark, 3, 2);
        TrainingParams params = params().activation(Activation.RELU).learningRate(1e12).warmupEpochs(0)
                .validationFraction(0).patience(0).schedule("constant");
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> new Trainer(params,
                new ClusterParams()).checkpoints(new CheckpointParams().dir(dir.toString()).everySteps(1).keep(50))
                .fit(data, null, "label", "features"));
        assertTrue(e.getMessage().contains("diverged at epoch 1, step ") && e.getMessage().contains("1.000e+12")
                && e.getMessage().contains("lower the learning rate (e.g. to 1.000e+11)"), e.getMessage());
        List<org.apache.hadoop.fs.Path> kept = CheckpointFiles.list(dir.toString(), conf);
        assertFalse(kept.isEmpty());
        org.apache.hadoop.fs.Path last = kept.get(kept.size() - 1);
        assertTrue(e.getMessage().contains("The last good checkpoint is kept: ") && e.getMessage().contains(last.getName()),
                e.getMessage());
        for (org.apache.hadoop.fs.Path p : kept) {
            assertTrue(Trainer.finite(CheckpointFiles.read(p.toString(), conf).weights()), p.toString());
        }
        // the step that diverged is the one after the last checkpoint
        int failedStep = Integer.parseInt(e.getMessage().replaceAll("(?s).*step (\\d+) of.*", "$1"));
        assertEquals(failedStep - 1, CheckpointFiles.read(last.toString(), conf).step(), e.getMessage());
    }

    @Test
    void aNonFiniteGradientLeavesTheWeightsAndTheOptimizerUntouched() {
        TrainingParams params = params();
        io.sparkmlp.optim.Optimizer optimizer = Trainer.optimizer(params);
        float[] weights = new float[params.layout().numParameters()];
        java.util.Arrays.fill(weights, 0.5f);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] gradient = new float[weights.length];
            java.util.Arrays.fill(gradient, 1f);
            gradient[weights.length - 1] = bad;
            assertFalse(Trainer.update(optimizer, weights, new GradientSum(0, gradient, 1, 4, 2, 0, 0), 0.1));
            for (float w : weights) {
                assertEquals(0.5f, w);
            }
            for (float v : optimizer.exportState().vectors().get("momentumBuffer")) {
                assertEquals(0f, v);
            }
        }
        assertTrue(Trainer.finite(weights));
        weights[3] = Float.POSITIVE_INFINITY;
        assertFalse(Trainer.finite(weights));
    }
}
