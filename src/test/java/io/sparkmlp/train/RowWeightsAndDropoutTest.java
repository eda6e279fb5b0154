package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Dropout;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Dropout, sample weights and class weights on Spark: exact over any partitioning, and refused when bad. */
@Tag("spark")
class RowWeightsAndDropoutTest {

    private static final StructType WEIGHTED = new StructType()
            .add("label", DataTypes.DoubleType, false)
            .add("features", SQLDataTypes.VectorType(), false)
            .add("weight", DataTypes.DoubleType, true);

    private final SparkSession spark = SparkTestSession.get();
    private final JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    private static TrainingParams smallParams() {
        return new TrainingParams().layers(6, 8, 7, 3).activation(Activation.TANH).epochs(3).batchSize(16)
                .learningRate(0.1).schedule("constant").momentum(0.9).seed(11).standardize(false);
    }

    /** The rows with a weight column; a null weight stays null. */
    private Dataset<Row> weightedFrame(List<Row> rows, double[] weights, int partitions) {
        List<Row> withWeights = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            withWeights.add(RowFactory.create(rows.get(i).get(0), rows.get(i).get(1),
                    weights == null ? null : weights[i]));
        }
        List<Integer> indices = java.util.stream.IntStream.range(0, rows.size()).boxed().toList();
        return spark.createDataFrame(jsc.parallelize(indices, partitions).map(withWeights::get), WEIGHTED);
    }

    private static double[] someWeights(int rows) {
        double[] w = new double[rows];
        for (int i = 0; i < rows; i++) {
            w[i] = i % 7 == 0 ? 0 : 0.5 + i % 4; // zeros among them
        }
        return w;
    }

    /** The same step's weighted, masked gradient in one process, from the rows in the epoch's order. */
    private static GradientSum localStep(List<Row> rows, double[] sampleWeights, float[] classWeights, Network network,
                                         Dropout dropout, float[] weights, long seed, int epoch, int step, int batch) {
        int[] order = TaskBuffers.epochOrder(seed, epoch, rows.size());
        int from = step * batch;
        int n = Math.min(from + batch, rows.size()) - from;
        Workspace ws = new Workspace(network.layout(), n);
        int features = network.layout().inputSize();
        for (int j = 0; j < n; j++) {
            int row = order[from + j];
            double[] x = ((Vector) rows.get(row).getAs(1)).toArray();
            for (int k = 0; k < features; k++) {
                ws.input()[j * features + k] = (float) x[k];
            }
            int label = (int) rows.get(row).getDouble(0);
            ws.labels()[j] = label;
            ws.rowIds()[j] = row;
            float w = sampleWeights == null ? 1f : (float) sampleWeights[row];
            ws.weights()[j] = classWeights == null ? w : w * classWeights[label];
        }
        float[] gradient = new float[weights.length];
        boolean weighted = sampleWeights != null || classWeights != null;
        double weightedLoss = network.lossAndGradient(weights, ws, n, gradient, dropout,
                Dropout.maskSeed(seed, epoch, step), weighted);
        return new GradientSum(0, gradient, ws.unweightedLossSum(), n, ws.correct(), ws.weightSum(), weightedLoss, 0, 0);
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

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"dropout", "sample weights", "class weights", "balanced class weights", "all together"})
    void theStepSummedOverOneTwoAndThreePartitionsEqualsTheSingleProcessStep(String setting) {
        List<Row> rows = TestData.blobs(301, 6, 3, 1.0, 5);
        boolean dropout = setting.equals("dropout") || setting.equals("all together");
        boolean sample = setting.equals("sample weights") || setting.equals("all together");
        String classes = setting.equals("class weights") || setting.equals("all together") ? "1,2.5,0.5"
                : setting.equals("balanced class weights") ? "balanced" : "none";
        TrainingParams params = smallParams().batchSize(64).dropout(dropout ? new double[] {0.3, 0.2} : new double[] {0})
                .classWeights(classes);
        double[] sampleWeights = sample ? someWeights(rows.size()) : null;
        float[] classWeights = switch (classes) {
            case "none" -> null;
            case "balanced" -> balanced(rows, 3);
            default -> new float[] {1f, 2.5f, 0.5f};
        };
        Network network = new Network(params.layout(), params.activation());
        float[] weights = network.initialParameters(3, params.initialization());
        GradientSum[] first = new GradientSum[2];
        for (int partitions : new int[] {1, 2, 3}) {
            Trainer trainer = new Trainer(params, new ClusterParams());
            String weightCol = sample ? "weight" : null;
            PackedData data = PackedData.pack(weightedFrame(rows, sampleWeights, partitions), "label", "features",
                    weightCol, 6, 3, 0);
            try {
                assertEquals(partitions, data.numPartitions());
                trainer.prepareRowWeights(data, weightCol);
                int[] steps = {0, 4}; // a full batch and the short last one (301 = 4 * 64 + 45)
                for (int s = 0; s < 2; s++) {
                    int step = steps[s];
                    GradientSum sum = trainer.gradientSum(jsc, data, network, InputScaling.IDENTITY, weights, 1, step);
                    GradientSum expected = localStep(rows, sampleWeights, classWeights, network, params.dropout(), weights,
                            params.seed(), 1, step, 64);
                    String where = setting + ", " + partitions + " partitions, step " + step;
                    assertEquals(expected.count(), sum.count(), where);
                    assertEquals(expected.weightSum(), sum.weightSum(), 1e-9 * expected.weightSum(), where);
                    assertEquals(expected.weightedLossSum(), sum.weightedLossSum(), 1e-6 * Math.abs(expected.weightedLossSum()), where);
                    assertEquals(expected.lossSum(), sum.lossSum(), 1e-4, where);
                    double error = relativeError(expected.gradient(), sum.gradient());
                    assertTrue(error <= 1e-5, where + ": relative error " + error);
                    if (partitions == 1) {
                        first[s] = sum;
                    } else {
                        assertTrue(relativeError(first[s].gradient(), sum.gradient()) <= 1e-5, where + " against 1");
                    }
                }
            } finally {
                data.unpersist();
            }
        }
        if (!sample && classWeights == null) {
            assertEquals(first[0].count(), first[0].weightSum(), 0.0, "unweighted: the weight sum is the count");
        }
    }

    /** n / (k · n_c) over the classes that occur. */
    private static float[] balanced(List<Row> rows, int classes) {
        double[] counts = new double[classes];
        for (Row r : rows) {
            counts[(int) r.getDouble(0)]++;
        }
        int present = 0;
        for (double c : counts) {
            present += c > 0 ? 1 : 0;
        }
        float[] w = new float[classes];
        for (int c = 0; c < classes; c++) {
            w[c] = counts[c] > 0 ? (float) (rows.size() / (present * counts[c])) : 0f;
        }
        return w;
    }

    @Test
    void dropoutChangesTrainingButTheSameSeedRepeatsItBitForBit() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(200, 6, 3, 1.0, 9), 3);
        TrainingParams params = smallParams().dropout(0.25);
        float[] first = new Trainer(params, new ClusterParams()).fit(data, null, "label", "features").model().weights();
        float[] second = new Trainer(params, new ClusterParams()).fit(data, null, "label", "features").model().weights();
        float[] plain = new Trainer(smallParams(), new ClusterParams()).fit(data, null, "label", "features").model()
                .weights();
        assertArrayEquals(first, second);
        assertFalse(Arrays.equals(first, plain));
        // the same run on 2 partitions ends within float noise of the 3-partition run
        Dataset<Row> two = TestData.frame(spark, TestData.blobs(200, 6, 3, 1.0, 9), 2);
        float[] onTwo = new Trainer(params, new ClusterParams()).fit(two, null, "label", "features").model().weights();
        assertTrue(relativeError(first, onTwo) < 1e-4, "relative difference " + relativeError(first, onTwo));
    }

    @Test
    void weightsOfOneTrainBitForBitAsNoWeights() {
        List<Row> rows = TestData.blobs(200, 6, 3, 1.0, 9);
        double[] ones = new double[rows.size()];
        Arrays.fill(ones, 1.0);
        Dataset<Row> data = weightedFrame(rows, ones, 3);
        TrainingResult weighted = new Trainer(smallParams().dropout(0.2), new ClusterParams())
                .fit(data, null, "label", "features", "weight");
        TrainingResult plain = new Trainer(smallParams().dropout(0.2), new ClusterParams())
                .fit(data, null, "label", "features");
        assertArrayEquals(plain.model().weights(), weighted.model().weights());
        assertEquals(plain.history().get(2).trainLoss(), weighted.history().get(2).trainLoss(), 0.0);
        TrainingResult classOnes = new Trainer(smallParams().dropout(0.2).classWeights("1,1,1"), new ClusterParams())
                .fit(data, null, "label", "features");
        assertArrayEquals(plain.model().weights(), classOnes.model().weights());
    }

    @Test
    void anIntegerWeightOfTwoTrainsAsTheRowTwice() {
        List<Row> rows = TestData.blobs(40, 6, 3, 1.0, 13);
        double[] weights = new double[40];
        List<Row> duplicated = new ArrayList<>(rows);
        double[] ones = new double[50];
        Arrays.fill(ones, 1.0);
        for (int i = 0; i < 40; i++) {
            weights[i] = i < 10 ? 2 : 1;
            if (i < 10) {
                duplicated.add(rows.get(i));
            }
        }
        // full batches: every step sees all rows, so only the summation order differs
        TrainingParams params = smallParams().epochs(6).learningRate(0.2);
        float[] weighted = new Trainer(params.batchSize(40), new ClusterParams())
                .fit(weightedFrame(rows, weights, 2), null, "label", "features", "weight").model().weights();
        float[] twice = new Trainer(params.batchSize(50), new ClusterParams())
                .fit(TestData.frame(spark, duplicated, 2), null, "label", "features").model().weights();
        assertTrue(relativeError(twice, weighted) < 1e-5, "relative difference " + relativeError(twice, weighted));
        float[] unweighted = new Trainer(params.batchSize(40), new ClusterParams())
                .fit(TestData.frame(spark, rows, 2), null, "label", "features").model().weights();
        assertTrue(relativeError(twice, unweighted) > 1e-3, "the weights changed nothing");
    }

    @Test
    void aRunWithDropoutAndWeightsStoppedAndResumedEqualsTheUninterruptedRun(@TempDir Path dir) {
        List<Row> rows = TestData.blobs(200, 6, 3, 1.0, 17);
        Dataset<Row> data = weightedFrame(rows, someWeights(rows.size()), 2);
        TrainingParams params = smallParams().dropout(0.3, 0.1).classWeights("balanced");
        TrainingResult uninterrupted = new Trainer(params, new ClusterParams())
                .fit(data, null, "label", "features", "weight");
        CheckpointParams checkpoints = new CheckpointParams().dir(dir.toString()).everySteps(5);
        assertThrows(TrainingStoppedException.class, () -> new Trainer(params, new ClusterParams())
                .checkpoints(checkpoints).stopRequest(new StopRequest().afterStep(17))
                .fit(data, null, "label", "features", "weight"));
        TrainingResult resumed = new Trainer(params, new ClusterParams())
                .checkpoints(checkpoints.resumeFrom(CheckpointParams.LATEST))
                .fit(data, null, "label", "features", "weight");
        assertArrayEquals(uninterrupted.model().weights(), resumed.model().weights());
        assertEquals(TrainingListenersTest.figures(uninterrupted.history()),
                TrainingListenersTest.figures(resumed.history()));
        // other weights on the same rows are other data: the resume is refused
        double[] other = someWeights(rows.size());
        other[5] += 1;
        Dataset<Row> reweighted = weightedFrame(rows, other, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer(params,
                new ClusterParams()).checkpoints(checkpoints.resumeFrom(CheckpointParams.LATEST))
                .fit(reweighted, null, "label", "features", "weight"));
        assertTrue(e.getMessage().contains("training labels (CRC32"), e.getMessage());
    }

    private IllegalArgumentException fitFails(TrainingParams params, Dataset<Row> data, String weightCol) {
        return assertThrows(IllegalArgumentException.class,
                () -> new Trainer(params, new ClusterParams()).fit(data, null, "label", "features", weightCol));
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "'" + part + "' is not in: " + message);
        }
    }

    @Test
    void badWeightsAreRefusedNamingTheValue() {
        List<Row> rows = TestData.blobs(30, 6, 3, 1.0, 1);
        double[] w = new double[30];
        Arrays.fill(w, 1.0);
        w[4] = -1;
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 1), "weight").getMessage(),
                "weight -1.0 in row 4 of partition 0 must be finite and >= 0");
        w[4] = Double.NaN;
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 1), "weight").getMessage(), "weight NaN in row 4");
        w[4] = Double.POSITIVE_INFINITY;
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 1), "weight").getMessage(), "weight Infinity");
        w[4] = 1e300; // finite as a double, infinite as the float the step uses
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 1), "weight").getMessage(), "weight 1.0E300");
        Arrays.fill(w, 0.0);
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 2), "weight").getMessage(),
                "the training rows' weights sum to 0.0 (weight column 'weight')", "at least one row needs a weight > 0");
        assertContains(fitFails(smallParams(), weightedFrame(rows, null, 1), "weight").getMessage(),
                "row 0 of partition 0 has a null weight");
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 1), "w").getMessage(),
                "weight column 'w' is not in the data");
        assertContains(fitFails(smallParams(), weightedFrame(rows, w, 1), "features").getMessage(),
                "Column features must be of type numeric");
        // class weights that give every row 0, a count that is not the classes', and dropout for other layers
        List<Row> onlyClassOne = new ArrayList<>();
        for (Row r : rows) {
            onlyClassOne.add(RowFactory.create(1.0, r.get(1)));
        }
        assertContains(fitFails(smallParams().classWeights("1,0,1"), TestData.frame(spark, onlyClassOne, 2), null)
                .getMessage(), "weights sum to 0.0 (class weights 1,0,1)");
        assertContains(fitFails(smallParams().classWeights("1, 2"), TestData.frame(spark, rows, 2), null).getMessage(),
                "class weights 1,2 give 2 weights, but the output layer has 3 classes");
        assertContains(fitFails(smallParams().dropout(0.1, 0.2, 0.3), TestData.frame(spark, rows, 2), null)
                .getMessage(), "dropout has 3 rates", "have 2 hidden layers");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> smallParams().classWeights("1,-2,1"));
        assertContains(e.getMessage(), "class weights must be none, balanced or one weight >= 0 per class", "1,-2,1");
        e = assertThrows(IllegalArgumentException.class, () -> smallParams().dropout(0.5, 1.0));
        assertContains(e.getMessage(), "dropout must be one rate or one per hidden layer, each in [0, 1), got [0.5, 1.0]");
    }
}
