package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.Activation;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A warm start: a run that begins from given weights (a saved model's) instead of the seed's initialisation. */
@Tag("spark")
class WarmStartTest {

    @TempDir
    Path dir;

    private static final int ROWS = 200;

    /** One step an epoch (the batch is every row), so an epoch's training loss is the loss at its first weights. */
    private static TrainingParams params(int epochs) {
        return new TrainingParams().layers(6, 8, 3).activation(Activation.TANH).epochs(epochs).batchSize(ROWS)
                .learningRate(0.5).schedule("constant").momentum(0.9).seed(11).standardize(false);
    }

    @Test
    void aRunInitialisedFromASavedModelStartsFromItsWeights() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(ROWS, 6, 3, 1.0, 9), 2);
        MlpModel trained = new Trainer(params(20), new ClusterParams()).fit(data, null, "label", "features").model();
        String folder = dir.resolve("model").toString();
        ModelFiles.save(trained, folder, new Configuration());
        float[] saved = ModelFiles.load(folder, new Configuration()).weights();
        double savedLoss = trained.evaluate(data, "label", "features", new ClusterParams()).loss();

        TrainingResult warm = new Trainer(params(1), new ClusterParams()).initialWeights(saved).fit(data, null, "label",
                "features");
        TrainingResult cold = new Trainer(params(1), new ClusterParams()).fit(data, null, "label", "features");
        double warmLoss = warm.history().get(0).trainLoss();
        // the first step's loss is the saved model's loss on the same rows (summed in another order)
        assertEquals(savedLoss, warmLoss, 1e-5 * savedLoss, "warm start");
        // and not what the seed's initialisation starts from
        double coldLoss = cold.history().get(0).trainLoss();
        assertTrue(coldLoss - warmLoss > 0.1, "cold start's first loss " + coldLoss + ", warm start's " + warmLoss);
    }

    @Test
    void initialWeightsOfAnotherLengthOrTogetherWithAResumeAreRefusedWithTheNumbers() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(params(1), new ClusterParams()).initialWeights(new float[50]));
        // 6-8-3: 6·8 + 8 + 8·3 + 3 = 83 parameters
        assertEquals("the initial weights have 50 values; layers 6-8-3 have 83 parameters", e.getMessage());
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> data = TestData.frame(spark, TestData.blobs(ROWS, 6, 3, 1.0, 9), 2);
        e = assertThrows(IllegalArgumentException.class, () -> new Trainer(params(1), new ClusterParams())
                .initialWeights(new float[83]).checkpoints(new CheckpointParams().resumeFrom(dir.toString()))
                .fit(data, null, "label", "features"));
        assertTrue(e.getMessage().contains("initial weights and a resume (from " + dir + ") cannot be combined"),
                e.getMessage());
    }
}
