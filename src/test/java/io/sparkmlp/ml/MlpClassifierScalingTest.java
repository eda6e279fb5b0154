package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TestData;
import io.sparkmlp.nn.InputScaling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Estimator on a DataFrame whose columns have very different scales: per-feature standardisation, its default, its persistence. */
@Tag("spark")
class MlpClassifierScalingTest {

    private final SparkSession spark = SparkTestSession.get();

    @TempDir
    Path dir;

    /**
     * Two classes told apart by column 0 alone, at scale 1e-3; column 1 is noise at scale 1e4 and
     * column 2 a constant (as an intercept column is). One global mean and standard deviation shrink column 0 to about 1e-7.
     */
    private Dataset<Row> mixedScales(int rows, long seed) {
        Random rng = new Random(seed);
        List<Row> data = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            int label = rng.nextInt(2);
            double[] x = {1e-3 * ((label == 0 ? -1 : 1) + 0.3 * rng.nextGaussian()), 1e4 * rng.nextGaussian(), 1};
            data.add(RowFactory.create((double) label, Vectors.dense(x)));
        }
        return TestData.frame(spark, data, 2);
    }

    private static MlpClassifier classifier() {
        return new MlpClassifier().setLayers(3, 8, 2).setActivation("tanh").setEpochs(6).setBatchSize(32).setLearningRate(0.1)
                .setLrSchedule("constant").setSeed(3);
    }

    private static double accuracy(MlpClassificationModel model, Dataset<Row> data) {
        return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(data));
    }

    @Test
    void columnsOfVeryDifferentScalesTrainWellPerFeatureAndNotWithOneGlobalScale() {
        Dataset<Row> train = mixedScales(800, 1);
        Dataset<Row> test = mixedScales(400, 2);
        double feature = accuracy(classifier().setStandardize("feature").fit(train), test);
        double global = accuracy(classifier().setStandardize("global").fit(train), test);
        MlpClassificationModel auto = classifier().fit(train);
        assertTrue(feature >= 0.95, "per-feature accuracy " + feature);
        assertTrue(global <= 0.7, "global accuracy " + global + ": column 0 should be lost at scale 1e-7");
        assertEquals("auto", classifier().getStandardize());
        assertEquals(feature, accuracy(auto, test), "auto on columns that are not image-like is per feature");
        InputScaling scaling = auto.mlpModel().scaling();
        assertFalse(scaling.isGlobal());
        // the constant column is left as it is
        assertEquals(1f, scaling.scale(2));
        assertEquals(0f, scaling.shift(2));
    }

    @Test
    void aSavedAndLoadedModelPredictsAsTheFittedOneWithItsScalePerFeature() throws Exception {
        Dataset<Row> train = mixedScales(300, 4);
        MlpClassificationModel model = classifier().setEpochs(2).setStandardize("feature").fit(train);
        String path = dir.resolve("model").toString();
        model.write().overwrite().save(path);
        MlpClassificationModel loaded = MlpClassificationModel.load(path);
        assertEquals(model.mlpModel().scaling(), loaded.mlpModel().scaling());
        List<Row> fitted = model.transform(train).select("rawPrediction", "probability", "prediction").collectAsList();
        List<Row> back = loaded.transform(train).select("rawPrediction", "probability", "prediction").collectAsList();
        assertEquals(fitted, back);
        // the row-at-a-time path scales as the batched transform does (its products are gemv, not gemm: the
        // same sums in another order)
        MlpClassifierTest.assertSameRows(fitted, loaded.transformRowByRow(train)
                .select("rawPrediction", "probability", "prediction").collectAsList(), "row at a time");
    }

    @Test
    void anEstimatorSavedWhenStandardizeWasABooleanLoadsWithTheNewNames() throws Exception {
        for (boolean old : new boolean[] {true, false}) {
            Path saved = dir.resolve("estimator-" + old);
            classifier().setStandardize("feature").write().overwrite().save(saved.toString());
            // its Params as the previous sparkmlp wrote them: "standardize": true
            Path metadata = Files.list(saved.resolve("metadata")).filter(p -> p.getFileName().toString().startsWith("part-"))
                    .findFirst().orElseThrow();
            ObjectMapper json = new ObjectMapper();
            ObjectNode meta = (ObjectNode) json.readTree(Files.readString(metadata));
            ((ObjectNode) meta.get("paramMap")).put("standardize", old);
            Files.writeString(metadata, json.writeValueAsString(meta));
            Files.deleteIfExists(metadata.resolveSibling("." + metadata.getFileName() + ".crc"));
            MlpClassifier loaded = MlpClassifier.load(saved.toString());
            assertEquals(old ? "global" : "none", loaded.getStandardize());
        }
        assertEquals("global", classifier().setStandardize(true).getStandardize());
        assertEquals("none", classifier().setStandardize(false).trainingParams().standardize());
    }
}
