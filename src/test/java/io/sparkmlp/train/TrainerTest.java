package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("spark")
class TrainerTest {

    private final SparkSession spark = SparkTestSession.get();
    private final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    private static TrainingParams smallParams() {
        return new TrainingParams().layers(6, 8, 3).activation(Activation.TANH).epochs(3).batchSize(16)
                .learningRate(0.1).schedule("constant").momentum(0.9).seed(11).standardize(false);
    }

    /** The same mini-batch's gradient, computed in one process from the packed rows in the epoch's order. */
    private static float[] localGradient(List<Row> rows, Network network, float[] weights, long seed, int epoch,
                                         int step, int batch) {
        int[] order = TaskBuffers.epochOrder(seed, epoch, rows.size());
        int from = step * batch;
        int to = Math.min(from + batch, rows.size());
        Workspace ws = new Workspace(network.layout(), to - from);
        int features = network.layout().inputSize();
        for (int j = 0; j < to - from; j++) {
            Row row = rows.get(order[from + j]);
            double[] x = ((org.apache.spark.ml.linalg.Vector) row.getAs(1)).toArray();
            for (int k = 0; k < features; k++) {
                ws.input()[j * features + k] = (float) x[k];
            }
            ws.labels()[j] = (int) row.getDouble(0);
        }
        float[] gradient = new float[weights.length];
        network.lossAndGradient(weights, ws, to - from, gradient);
        return gradient;
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

    @Test
    void gradientSummedOverOneTwoAndThreePartitionsEqualsTheSingleProcessGradient() {
        List<Row> rows = TestData.blobs(301, 6, 3, 1.0, 5);
        TrainingParams params = smallParams().batchSize(64);
        Network network = new Network(params.layout(), params.activation());
        float[] weights = network.initialParameters(3, params.initialization());
        for (int partitions : new int[] {1, 2, 3}) {
            Trainer trainer = new Trainer(params, new ClusterParams());
            PackedData data = PackedData.pack(TestData.frame(spark, rows, partitions), "label", "features", 6, 3, 0);
            try {
                assertEquals(partitions, data.numPartitions());
                for (int step : new int[] {0, 4}) { // a full batch and the short last one (301 = 4 * 64 + 45)
                    GradientSum sum = trainer.gradientSum(jsc, data, network, InputScaling.IDENTITY, weights, 1, step);
                    float[] expected = localGradient(rows, network, weights, params.seed(), 1, step, 64);
                    assertEquals(step == 4 ? 45 : 64, sum.count(), "rows in step " + step);
                    double error = relativeError(expected, sum.gradient());
                    assertTrue(error <= 1e-5, partitions + " partitions, step " + step + ": relative error " + error);
                }
            } finally {
                data.unpersist();
            }
        }
    }

    @Test
    void theSameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(200, 6, 3, 1.0, 9), 3);
        float[] first = new Trainer(smallParams(), new ClusterParams()).fit(data, null, "label", "features").model().weights();
        float[] second = new Trainer(smallParams(), new ClusterParams()).fit(data, null, "label", "features").model().weights();
        float[] other = new Trainer(smallParams().seed(12), new ClusterParams()).fit(data, null, "label", "features")
                .model().weights();
        assertArrayEquals(first, second);
        assertFalse(Arrays.equals(first, other));
    }

    @Test
    void theLinearScalingRuleAndWarmUpSetTheRatesTheStepsUse() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(160, 6, 3, 1.0, 8), 2);
        // batch 32 against a reference of 16 doubles the rate; 160 rows are 5 steps an epoch, warm-up 10 steps
        TrainingParams params = smallParams().batchSize(32).learningRate(0.1).referenceBatchSize(16).warmupEpochs(2);
        assertEquals(0.2, params.scaledLearningRate(), 1e-12);
        List<EpochMetrics> history = new Trainer(params, new ClusterParams()).fit(data, null, "label", "features").history();
        // each epoch reports the rate of its last step: step 5 of 10 warm-up steps, then the full rate
        assertEquals(0.2 * 5 / 10, history.get(0).learningRate(), 1e-12);
        assertEquals(0.2, history.get(1).learningRate(), 1e-12);
        assertEquals(0.2, history.get(2).learningRate(), 1e-12);
    }

    @Test
    void theElapsedTimeOfAnEpochCountsPackingAndStepsButNotValidation() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(200, 6, 3, 1.0, 10), 2);
        Dataset<Row> validation = TestData.frame(spark, TestData.blobs(60, 6, 3, 1.0, 11), 2);
        List<EpochMetrics> history = new Trainer(smallParams(), new ClusterParams()).fit(data, validation, "label",
                "features").history();
        double previous = 0;
        for (EpochMetrics m : history) {
            // packing comes before the first step, so the elapsed time runs ahead of the steps' own time
            assertTrue(m.elapsedSeconds() > m.cumulativeTrainSeconds(), m.toString());
            // and between two epochs it grows by at least the later epoch's steps
            assertTrue(m.elapsedSeconds() - previous >= m.trainSeconds(), m.toString());
            previous = m.elapsedSeconds();
        }
    }

    @Test
    void xorIsLearned() {
        List<Row> xor = new ArrayList<>();
        for (int copy = 0; copy < 8; copy++) {
            xor.add(RowFactory.create(0.0, Vectors.dense(0, 0)));
            xor.add(RowFactory.create(1.0, Vectors.dense(0, 1)));
            xor.add(RowFactory.create(1.0, Vectors.dense(1, 0)));
            xor.add(RowFactory.create(0.0, Vectors.dense(1, 1)));
        }
        TrainingParams params = new TrainingParams().layers(2, 8, 2).activation(Activation.TANH).epochs(60)
                .batchSize(8).learningRate(0.2).schedule("constant").momentum(0.9).seed(3).standardize(false);
        TrainingResult result = new Trainer(params, new ClusterParams()).fit(TestData.frame(spark, xor, 2), null,
                "label", "features");
        MlpModel model = result.model();
        assertEquals(0, model.predict(new double[] {0, 0}));
        assertEquals(1, model.predict(new double[] {0, 1}));
        assertEquals(1, model.predict(new double[] {1, 0}));
        assertEquals(0, model.predict(new double[] {1, 1}));
        EpochMetrics last = result.history().get(result.history().size() - 1);
        assertEquals(1.0, last.trainAccuracy());
        assertTrue(last.trainLoss() < 0.05, "final training loss " + last.trainLoss());
    }

    @Test
    void earlyStoppingKeepsTheWeightsOfTheBestValidationEpoch() {
        // labels unrelated to the features: the network can only memorise, so validation loss soon rises
        List<Row> rows = TestData.blobs(240, 6, 3, 1.0, 21);
        List<Row> shuffledLabels = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            shuffledLabels.add(RowFactory.create((double) (i * 7 % 3), rows.get(i).get(1)));
        }
        Dataset<Row> train = TestData.frame(spark, shuffledLabels.subList(0, 160), 2);
        Dataset<Row> validation = TestData.frame(spark, shuffledLabels.subList(160, 240), 2);
        TrainingParams params = smallParams().layers(6, 32, 3).epochs(40).patience(2).learningRate(0.2);
        TrainingResult result = new Trainer(params, new ClusterParams()).fit(train, validation, "label", "features");
        assertTrue(result.stoppedEarly(), "history " + result.history());
        assertTrue(result.history().size() < 40);
        assertEquals(result.bestEpoch() + 2, result.history().size());
        double bestLoss = result.history().get(result.bestEpoch() - 1).validationLoss();
        for (EpochMetrics m : result.history()) {
            assertTrue(m.validationLoss() >= bestLoss);
        }
        Evaluation kept = result.model().evaluate(validation, "label", "features", new ClusterParams());
        assertEquals(bestLoss, kept.loss(), 1e-9);
    }

    @Test
    void aHeldOutValidationShareIsSplitOffTheTrainingRows() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(400, 6, 3, 0.5, 4), 2);
        TrainingResult result = new Trainer(smallParams().validationFraction(0.25), new ClusterParams())
                .fit(data, null, "label", "features");
        assertEquals(400, result.trainRows() + result.validationRows());
        assertTrue(Math.abs(result.validationRows() - 100) < 30, "validation rows " + result.validationRows());
        assertTrue(result.history().get(2).validationAccuracy() > 0.9, result.history().toString());
    }

    @Test
    void badRowsAreReportedWithTheirValues() {
        List<Row> rows = new ArrayList<>(TestData.blobs(20, 6, 3, 1.0, 1));
        rows.set(7, RowFactory.create(3.0, Vectors.dense(new double[6])));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(smallParams(), new ClusterParams()).fit(TestData.frame(spark, rows, 1), null, "label", "features"));
        assertTrue(e.getMessage().contains("label 3.0 in row 7") && e.getMessage().contains("[0, 3)"), e.getMessage());

        rows.set(7, RowFactory.create(1.0, Vectors.dense(0, 0, Double.NaN, 0, 0, 0)));
        e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(smallParams(), new ClusterParams()).fit(TestData.frame(spark, rows, 1), null, "label", "features"));
        assertTrue(e.getMessage().contains("feature 2 = NaN"), e.getMessage());

        rows.set(7, RowFactory.create(1.0, Vectors.dense(1, 2, 3)));
        e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(smallParams(), new ClusterParams()).fit(TestData.frame(spark, rows, 1), null, "label", "features"));
        assertTrue(e.getMessage().contains("has 3 features") && e.getMessage().contains("input layer has 6"), e.getMessage());
    }

    @Test
    void impossibleSettingsAreRejectedWithTheNumbers() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(50, 6, 3, 1.0, 1), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(smallParams().batchSize(70), new ClusterParams()).fit(data, null, "label", "features"));
        assertEquals("batch size (70) must not exceed the number of training rows (50)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(smallParams().patience(3), new ClusterParams()).fit(data, null, "label", "features"));
        assertTrue(e.getMessage().contains("patience 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () ->
                new Trainer(smallParams(), new ClusterParams()).fit(data, null, "label", "pixels"));
        assertTrue(e.getMessage().contains("'pixels'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TrainingParams().momentum(1.5));
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new TrainingParams().validationFraction(1.0));
        assertTrue(e.getMessage().contains("1.0"), e.getMessage());
    }

    @Test
    void aDivergingLossStopsTrainingWithAClearError() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(64, 6, 3, 1.0, 2), 2);
        TrainingParams params = smallParams().activation(Activation.RELU).learningRate(1e12).epochs(5);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () ->
                new Trainer(params, new ClusterParams()).fit(data, null, "label", "features"));
        assertTrue(e.getMessage().contains("diverged") && e.getMessage().contains("1.000e+12"), e.getMessage());
    }
}
