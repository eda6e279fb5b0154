package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.train.EpochMetrics;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark-style training summary and evaluate(), checked against figures computed by hand from transform. */
@Tag("spark")
class MlpTrainingSummaryTest {

    private static final int CLASSES = 3;

    @TempDir
    Path dir;

    /** Overlapping clusters, so the model makes mistakes and the per-label figures differ from 1. */
    private static Dataset<Row> blobs(int rows, long seed) {
        return TestData.frame(SparkTestSession.get(), TestData.blobs(rows, 6, CLASSES, 1.3, seed), 2);
    }

    private static MlpClassifier small() {
        return new MlpClassifier().setLayers(6, 8, CLASSES).setActivation("tanh").setEpochs(3).setBatchSize(32)
                .setLearningRate(0.05).setLrSchedule("constant").setSeed(11);
    }

    /** counts[true][predicted] over the rows of a transformed frame. */
    private static long[][] confusion(Dataset<Row> transformed) {
        long[][] counts = new long[CLASSES][CLASSES];
        for (Row r : transformed.select("label", "prediction").collectAsList()) {
            counts[(int) r.getDouble(0)][(int) r.getDouble(1)]++;
        }
        return counts;
    }

    private static double accuracy(long[][] counts) {
        long right = 0;
        long all = 0;
        for (int i = 0; i < CLASSES; i++) {
            for (int j = 0; j < CLASSES; j++) {
                all += counts[i][j];
                right += i == j ? counts[i][j] : 0;
            }
        }
        return (double) right / all;
    }

    @Test
    void theTrainingSummaryMatchesFiguresComputedByHandFromTheTrainingRowsPredictions() {
        Dataset<Row> train = blobs(400, 3);
        MlpClassificationModel model = small().fit(train);
        assertTrue(model.hasSummary());
        MlpTrainingSummary summary = model.summary();
        long[][] counts = confusion(model.transform(train));
        double accuracy = accuracy(counts);
        assertTrue(accuracy > 0.4 && accuracy < 1.0, "the data should leave some mistakes, accuracy " + accuracy);
        assertEquals(accuracy, summary.accuracy(), 1e-12);
        assertEquals(400, summary.predictions().count());

        double[] precision = summary.precisionByLabel();
        double[] recall = summary.recallByLabel();
        assertEquals(CLASSES, precision.length);
        for (int k = 0; k < CLASSES; k++) {
            long predictedK = 0;
            long trueK = 0;
            for (int i = 0; i < CLASSES; i++) {
                predictedK += counts[i][k];
                trueK += counts[k][i];
            }
            assertEquals(predictedK == 0 ? 0.0 : (double) counts[k][k] / predictedK, precision[k], 1e-12, "precision " + k);
            assertEquals((double) counts[k][k] / trueK, recall[k], 1e-12, "recall " + k);
        }
        for (double v : new double[] {summary.weightedPrecision(), summary.weightedRecall(),
                summary.weightedFMeasure(), summary.weightedTruePositiveRate(), summary.weightedFalsePositiveRate()}) {
            assertTrue(Double.isFinite(v) && v >= 0 && v <= 1, "weighted figure " + v);
        }
        // Spark's weighted recall is the accuracy
        assertEquals(accuracy, summary.weightedRecall(), 1e-12);

        List<EpochMetrics> history = model.history();
        assertArrayEquals(history.stream().mapToDouble(EpochMetrics::trainLoss).toArray(), summary.objectiveHistory());
        assertEquals(3, summary.totalIterations());
        assertEquals(history.size(), summary.totalIterations());
        assertEquals(400, summary.trainRows());
        assertEquals(history, summary.history());
        assertEquals("prediction", summary.predictionCol());
        assertEquals("label", summary.labelCol());
        assertSame(summary, model.summary(), "built once");
    }

    @Test
    void evaluateOnTestRowsMatchesTheHandComputedAccuracyAndHonoursTheWeightColumn() {
        MlpClassificationModel model = small().fit(blobs(300, 5));
        Dataset<Row> test = blobs(200, 6);
        double accuracy = accuracy(confusion(model.transform(test)));
        MlpClassificationSummary evaluated = model.evaluate(test);
        assertEquals(accuracy, evaluated.accuracy(), 1e-12);
        assertEquals("", evaluated.weightCol());
        assertTrue(Double.isFinite(evaluated.weightedPrecision()) && Double.isFinite(evaluated.weightedFMeasure()));

        // weight 0 drops the rows of class 0: the weighted accuracy is the accuracy on the other rows
        Dataset<Row> weighted = test.withColumn("w", functions.when(functions.col("label").equalTo(0.0), 0.0)
                .otherwise(1.0));
        long[][] counts = confusion(model.transform(test.filter(functions.col("label").notEqual(0.0))));
        model.setWeightCol("w");
        MlpClassificationSummary byWeight = model.evaluate(weighted);
        assertEquals("w", byWeight.weightCol());
        assertEquals(accuracy(counts), byWeight.accuracy(), 1e-12);
        // set but not in the data: each row counts once
        assertEquals(accuracy, model.evaluate(test).accuracy(), 1e-12);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.evaluate(test.withColumnRenamed("label", "y")));
        assertTrue(e.getMessage().contains("'label'") && e.getMessage().contains("y"), e.getMessage());
    }

    @Test
    void theClassifiersWeightColumnWeightsTheTrainingSummary() {
        Dataset<Row> train = blobs(300, 8).withColumn("w", functions.when(functions.col("label").equalTo(1.0), 0.0)
                .otherwise(1.0));
        MlpClassificationModel model = small().setWeightCol("w").fit(train);
        assertEquals("w", model.getWeightCol());
        long[][] counts = confusion(model.transform(train.filter(functions.col("label").notEqual(1.0))));
        assertEquals(accuracy(counts), model.summary().accuracy(), 1e-12);
    }

    @Test
    void aCopyKeepsTheSummaryAndALoadedModelHasNone() throws Exception {
        MlpClassificationModel model = small().fit(blobs(200, 9));
        MlpTrainingSummary summary = model.summary();
        MlpClassificationModel copy = model.copy(new ParamMap().put(model.probabilityCol().w("p")));
        assertTrue(copy.hasSummary());
        assertSame(summary, copy.summary());
        MlpClassificationModel unbuilt = small().fit(blobs(200, 9)).copy(new ParamMap());
        assertEquals(unbuilt.history().size(), unbuilt.summary().totalIterations());

        String path = dir.resolve("model").toString();
        model.write().overwrite().save(path);
        MlpClassificationModel loaded = MlpClassificationModel.load(path);
        assertFalse(loaded.hasSummary());
        IllegalStateException e = assertThrows(IllegalStateException.class, loaded::summary);
        assertTrue(e.getMessage().contains("loaded, not fitted"), e.getMessage());
        assertEquals(model.evaluate(blobs(100, 10)).accuracy(), loaded.evaluate(blobs(100, 10)).accuracy(), 1e-12);
    }

    @Test
    void theSummaryWorksWhenThePredictionColumnIsSwitchedOff() {
        MlpClassificationModel model = small().fit(blobs(200, 12));
        model.setPredictionCol("");
        Dataset<Row> test = blobs(100, 13);
        model.setPredictionCol("prediction");
        double accuracy = accuracy(confusion(model.transform(test)));
        model.setPredictionCol("");
        assertEquals(accuracy, model.evaluate(test).accuracy(), 1e-12);
    }
}
