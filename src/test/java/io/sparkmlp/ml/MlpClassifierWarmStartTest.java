package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.HyperParameters;
import java.nio.file.Path;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Estimator's warm start ({@code initialWeights}, as MLlib's MLP has it) and its new optimizer Params. */
@Tag("spark")
class MlpClassifierWarmStartTest {

    @TempDir
    Path dir;

    private final SparkSession spark = SparkTestSession.get();

    /** Batch 120 of 120 rows: one step an epoch, so the first epoch's loss is the loss at the initial weights. */
    private static MlpClassifier small() {
        return new MlpClassifier().setLayers(6, 10, 3).setActivation("tanh").setEpochs(1).setBatchSize(120)
                .setLearningRate(0.1).setLrSchedule("constant").setStandardize(false).setSeed(5);
    }

    private static Vector vector(float[] weights) {
        double[] values = new double[weights.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = weights[i];
        }
        return Vectors.dense(values);
    }

    @Test
    void aFitWithInitialWeightsStartsFromThemAndTheyArePartOfTheEstimatorsSaveAndLoad() throws Exception {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(120, 6, 3, 0.8, 2), 2);
        MlpClassificationModel first = small().setEpochs(15).set(HyperParameters.OPTIMIZER, "adam").fit(data);
        double firstLoss = first.mlpModel().evaluate(data, "label", "features", new ClusterParams()).loss();

        MlpClassifier warm = small().setInitialWeights(vector(first.weights()));
        warm.save(dir.resolve("estimator").toString());
        MlpClassifier loaded = MlpClassifier.load(dir.resolve("estimator").toString());
        assertEquals(warm.getInitialWeights(), loaded.getInitialWeights());
        MlpClassifier unset = small();
        assertFalse(unset.isDefined(unset.initialWeights()), "unset by default");

        double warmLoss = loaded.fit(data).history().get(0).trainLoss();
        assertEquals(firstLoss, warmLoss, 1e-5 * firstLoss);
        double coldLoss = small().fit(data).history().get(0).trainLoss();
        assertTrue(coldLoss - warmLoss > 0.1, "cold start's first loss " + coldLoss + ", warm start's " + warmLoss);
    }

    @Test
    void initialWeightsOfTheWrongLengthAreRefusedNamingBothLengths() {
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(120, 6, 3, 0.8, 2), 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small().setInitialWeights(Vectors.zeros(70)).fit(data));
        // 6-10-3: 6·10 + 10 + 10·3 + 3 = 103 parameters
        assertEquals("initialWeights has 70 values; layers 6-10-3 have 103 parameters", e.getMessage());
    }
}
