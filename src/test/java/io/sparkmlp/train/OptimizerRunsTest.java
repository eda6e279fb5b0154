package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.optim.Adam;
import io.sparkmlp.optim.AdamW;
import io.sparkmlp.optim.MomentumSgd;
import io.sparkmlp.optim.RmsProp;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every optimizer the hyper-parameters name, through the whole trainer on Spark: each is built as
 * named, continues bit for bit from a checkpoint, refuses a checkpoint of another optimizer, and
 * gives the same weights over 1, 2 and 3 partitions; the elastic net and clipping too.
 */
@Tag("spark")
class OptimizerRunsTest {

    @TempDir
    Path dir;

    /** 250 rows, a fifth held out: about 200 training rows, 13 steps of 16 an epoch (as ResumeTest's run). */
    private static TrainingParams params(String optimizer) {
        boolean sgd = optimizer.equals("sgd");
        return new TrainingParams().layers(6, 10, 3).activation(Activation.TANH).epochs(3).batchSize(16)
                .learningRate(sgd ? 0.1 : 0.01).schedule("cosine").warmupEpochs(0.5).momentum(0.9).nesterov(sgd)
                .weightDecay(1e-3).validationFraction(0.2).patience(3).seed(5)
                .set(HyperParameters.OPTIMIZER, optimizer);
    }

    private static Dataset<Row> data(SparkSession spark, int partitions) {
        return TestData.frame(spark, TestData.blobs(250, 6, 3, 1.0, 3), partitions);
    }

    @Test
    void theTrainerBuildsTheOptimizerTheHyperParametersName() {
        assertEquals(MomentumSgd.NAME, Trainer.optimizer(params("sgd")).name());
        assertEquals(Adam.NAME, Trainer.optimizer(params("adam")).name());
        assertEquals(AdamW.NAME, Trainer.optimizer(params("adamw")).name());
        assertEquals(RmsProp.NAME, Trainer.optimizer(params("rmsprop")).name());
        // rmsprop reads momentum: with it, its state has a momentum buffer; without, only the square average
        assertEquals(List.of("squareAverage", "momentumBuffer"),
                List.copyOf(Trainer.optimizer(params("rmsprop")).exportState().vectors().keySet()));
        assertEquals(List.of("squareAverage"),
                List.copyOf(Trainer.optimizer(params("rmsprop").momentum(0)).exportState().vectors().keySet()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Trainer.optimizer(params("adam").nesterov(true)));
        assertTrue(e.getMessage().contains("nesterov (true) applies to optimizer sgd only; this run's optimizer is adam"),
                e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sgd", "adam", "adamw", "rmsprop"})
    void aRunStoppedAndResumedFromACheckpointEqualsTheUninterruptedRunBitForBit(String optimizer) {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = data(spark, 2);
        TrainingResult uninterrupted = new Trainer(params(optimizer), new ClusterParams()).fit(data, null, "label",
                "features");
        Path folder = dir.resolve(optimizer);
        CheckpointParams checkpoints = new CheckpointParams().dir(folder.toString()).everySteps(5);
        TrainingStoppedException stopped = assertThrows(TrainingStoppedException.class, () ->
                new Trainer(params(optimizer), new ClusterParams()).checkpoints(checkpoints)
                        .stopRequest(new StopRequest().afterStep(17)).fit(data, null, "label", "features"));
        Checkpoint saved = CheckpointFiles.read(stopped.checkpoint(), new org.apache.hadoop.conf.Configuration());
        assertEquals(17, saved.globalStep());
        assertEquals(Trainer.optimizer(params(optimizer)).name(), saved.optimizer().optimizer());

        TrainingResult resumed = new Trainer(params(optimizer), new ClusterParams())
                .checkpoints(checkpoints.resumeFrom(CheckpointParams.LATEST)).fit(data, null, "label", "features");
        assertArrayEquals(uninterrupted.model().weights(), resumed.model().weights(), optimizer);
        assertEquals(TrainingListenersTest.figures(uninterrupted.history()),
                TrainingListenersTest.figures(resumed.history()), optimizer);
    }

    @Test
    void resumingUnderAnotherOptimizerIsRefusedNamingBoth() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = data(spark, 2);
        CheckpointParams checkpoints = new CheckpointParams().dir(dir.toString()).everySteps(3);
        assertThrows(TrainingStoppedException.class, () -> new Trainer(params("adam"), new ClusterParams())
                .checkpoints(checkpoints).stopRequest(new StopRequest().afterStep(3)).fit(data, null, "label", "features"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(params("adamw"), new ClusterParams()).checkpoints(checkpoints.resumeFrom(dir.toString()))
                        .fit(data, null, "label", "features"));
        assertTrue(e.getMessage().contains("other hyper-parameters")
                && e.getMessage().contains("optimizer (adam in the checkpoint, adamw here)"), e.getMessage());
    }

    /** Weights of the same run over 1, 2 and 3 partitions, relative to the 1-partition run's. */
    private static double[] partitionErrors(TrainingParams params) {
        SparkSession spark = SparkTestSession.get();
        float[] one = null;
        double[] errors = new double[2];
        for (int partitions : new int[] {1, 2, 3}) {
            float[] w = new Trainer(params, new ClusterParams()).fit(data(spark, partitions), null, "label", "features")
                    .model().weights();
            if (one == null) {
                one = w;
            } else {
                errors[partitions - 2] = relativeError(one, w);
            }
        }
        return errors;
    }

    private static double relativeError(float[] expected, float[] actual) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += Math.pow(expected[i] - actual[i], 2);
            norm += Math.pow(expected[i], 2);
        }
        return Math.sqrt(diff / norm);
    }

    // Partitions change only the order in which float partial sums are added, about 1e-7 relative
    // in the gradient; over 39 steps the weights stayed as close. Measured over 2 and 3 partitions:
    // sgd 1.0e-7, adam 4.5e-8, adamw 4.7e-8, rmsprop 2.1e-7, adam with elastic net and clipping
    // 5.6e-8; the tolerance leaves a factor of about 50.
    private static final double PARTITION_TOLERANCE = 1e-5;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sgd", "adam", "adamw", "rmsprop"})
    void theSameRunOverOneTwoAndThreePartitionsGivesTheSameWeights(String optimizer) {
        double[] errors = partitionErrors(params(optimizer).validationFraction(0).patience(0));
        assertTrue(errors[0] <= PARTITION_TOLERANCE && errors[1] <= PARTITION_TOLERANCE,
                optimizer + ": relative errors " + Arrays.toString(errors));
    }

    @Test
    void theElasticNetAndClippingAreTheSameOverOneTwoAndThreePartitions() {
        TrainingParams params = params("adam").validationFraction(0).patience(0).set(HyperParameters.L1, 1e-3)
                .set(HyperParameters.ELASTIC_NET, 0.5).set(HyperParameters.CLIP_NORM, 0.05)
                .set(HyperParameters.CLIP_VALUE, 0.5);
        double[] errors = partitionErrors(params);
        assertTrue(errors[0] <= PARTITION_TOLERANCE && errors[1] <= PARTITION_TOLERANCE,
                "relative errors " + Arrays.toString(errors));
        // and they change the run: the same without them ends elsewhere
        SparkSession spark = SparkTestSession.get();
        float[] with = new Trainer(params, new ClusterParams()).fit(data(spark, 2), null, "label", "features").model()
                .weights();
        float[] without = new Trainer(params("adam").validationFraction(0).patience(0), new ClusterParams())
                .fit(data(spark, 2), null, "label", "features").model().weights();
        assertTrue(relativeError(without, with) > 1e-3, "relative difference " + relativeError(without, with));
    }

    @Test
    void theDriverAddsTheElasticNetThenClipsThenSteps() {
        TrainingParams params = new TrainingParams().layers(2, 2).schedule("constant").momentum(0);
        io.sparkmlp.optim.Optimizer sgd = Trainer.optimizer(params);
        // 2-2: weights at [0, 4), biases at [4, 6)
        float[] weights = {1f, -1f, 0f, 2f, 1f, 1f};
        float[] sum = {4f, 0f, 0f, 0f, 0f, -8f};
        // average: {2, 0, 0, 0, 0, -4}; elastic net λ = 1, α = 1: + sign(w) on the weights = {3, -1, 0, 1, 0, -4};
        // clip value 2: {2, -1, 0, 1, 0, -2}; clip norm 1 of norm √10: × 1 / (√10 + 1e-6)
        GradientSum total = new GradientSum(0, sum, 1, 2, 0, 0, 0); // a loss sum of 1 over 2 rows
        assertTrue(Trainer.update(sgd, new io.sparkmlp.optim.ElasticNet(params.layout(), 1, 1),
                new io.sparkmlp.optim.GradientClipping(2, 1), weights, total, 1.0));
        double scale = 1 / (Math.sqrt(10) + 1e-6);
        float[] expected = {(float) (1 - 2 * scale), (float) (-1 + scale), 0f, (float) (2 - scale), 1f,
                (float) (1 + 2 * scale)};
        assertArrayEquals(expected, weights, 1e-6f);
    }
}
