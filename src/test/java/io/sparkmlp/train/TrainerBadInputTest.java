package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Bad input to the core trainer (what the CLI and the Estimator call): columns, sizes, splits, settings. */
@Tag("spark")
class TrainerBadInputTest {

    private final SparkSession spark = SparkTestSession.get();

    private static TrainingParams small() {
        return new TrainingParams().layers(6, 8, 3).activation(Activation.TANH).epochs(2).batchSize(2)
                .learningRate(0.1).schedule("constant").seed(11).standardize(false);
    }

    private Dataset<Row> data(int rows, int partitions) {
        return TestData.frame(spark, TestData.blobs(rows, 6, 3, 0.5, 3), partitions);
    }

    private static String fitFails(TrainingParams params, Dataset<Row> data, String labelCol, String featuresCol) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(params, new ClusterParams()).fit(data, null, labelCol, featuresCol));
        assertTrue(!e.getMessage().contains("\n"), "not one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void aNonNumericLabelGetsSparksOwnWordsAndMissingOrMistypedColumnsAreNamed() {
        Dataset<Row> strings = data(20, 2).withColumn("label", functions.col("label").cast("string"));
        assertTrue(fitFails(small(), strings, "label", "features")
                .startsWith("Column label must be of type numeric but was actually of type string."));
        assertEquals("label column 'class' is not in the data; columns: [label, features]",
                fitFails(small(), data(20, 2), "class", "features"));
        Dataset<Row> arrays = data(20, 2).withColumn("features",
                org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64"));
        assertEquals("features column 'features' has type array<double>; expected an ML Vector (e.g. from VectorAssembler)",
                fitFails(small(), arrays, "label", "features"));
    }

    @Test
    void noTrainingRowLeftAfterTheSplitIsRefusedWithTheFractionAndTheCount() {
        // a seed whose split sends the only row to validation, found from the split's own rule
        long seed = 0;
        while (!PackedData.isValidationRow(seed, 0, 0.9)) {
            seed++;
        }
        String m = fitFails(small().batchSize(1).validationFraction(0.9).seed(seed), data(1, 1), "label", "features");
        assertEquals("no training rows are left after the split: validation fraction 0.9 took all 1 rows;"
                + " at least 1 training row is needed", m);
    }

    @Test
    void settingsOutOfRangeAreRefusedWhenSetWithTheValueAndTheLimit() {
        assertEquals("activation must be one of relu, leaky_relu, tanh, sigmoid, got null",
                assertThrows(IllegalArgumentException.class, () -> small().activation(null)).getMessage());
        assertEquals("layers must be given, got null",
                assertThrows(IllegalArgumentException.class, () -> small().layers((int[]) null)).getMessage());
        // every schedule setting is checked whatever schedule is named, as the Estimator's Params are
        assertEquals("schedule decay factor gamma must be in (0, 1], got 2.0", assertThrows(IllegalArgumentException.class,
                () -> small().schedule("cosine", 5, 2.0, 0.0)).getMessage());
        assertEquals("schedule step epochs must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> small().schedule("constant", 0, 0.5, 0.0)).getMessage());
        assertEquals("schedule minimum learning-rate fraction must be in [0, 1), got -0.5",
                assertThrows(IllegalArgumentException.class, () -> small().schedule("step", 5, 0.5, -0.5)).getMessage());
        assertEquals("learning-rate schedule must be one of constant, step, cosine, got null",
                assertThrows(IllegalArgumentException.class, () -> small().schedule(null)).getMessage());
        assertEquals("epochs must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> small().epochs(0)).getMessage());
        assertEquals("weight decay must be finite and >= 0, got NaN",
                assertThrows(IllegalArgumentException.class, () -> small().weightDecay(Double.NaN)).getMessage());
        assertEquals("aggregation depth must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new ClusterParams().aggregationDepth(0)).getMessage());
    }

    @Test
    void fiveRowsOnEightPartitionsTrain() {
        TrainingResult spread = new Trainer(small(), new ClusterParams().partitions(8))
                .fit(data(5, 1), null, "label", "features");
        assertEquals(5, spread.trainRows());
        assertEquals(2, spread.history().size());
        for (EpochMetrics m : spread.history()) {
            assertTrue(Double.isFinite(m.trainLoss()) && m.trainAccuracy() >= 0, m.toString());
        }
        // three steps of 2, 2 and 1 rows an epoch: every row seen once an epoch, though 3 of 8 partitions hold none
        assertEquals(10, spread.samplesSeen());
    }

    @Test
    void emptyPartitionsTrainAndValidate() {
        // 5 rows parallelized over 8 partitions: 3 hold nothing
        Dataset<Row> sparse = data(5, 8);
        assertEquals(8, sparse.rdd().getNumPartitions());
        TrainingResult result = new Trainer(small(), new ClusterParams()).fit(sparse, null, "label", "features");
        assertEquals(5, result.trainRows());
        // a filter that empties whole partitions, then a validation split of what is left
        Dataset<Row> filtered = data(60, 12).filter(functions.spark_partition_id().mod(3).notEqual(0));
        assertEquals(8, filtered.select(functions.spark_partition_id()).distinct().count(), "4 of 12 partitions hold rows");
        TrainingResult split = new Trainer(small().validationFraction(0.3), new ClusterParams())
                .fit(filtered, null, "label", "features");
        assertEquals(filtered.count(), split.trainRows() + split.validationRows());
        assertTrue(split.validationRows() > 0 && Double.isFinite(split.history().get(1).validationLoss()),
                split.history().toString());
    }
}
