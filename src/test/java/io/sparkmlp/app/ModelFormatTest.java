package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.ml.MlpClassificationModel;
import io.sparkmlp.ml.MlpClassifier;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.ModelFiles;
import io.sparkmlp.train.TrainingResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One model format: what submit/train writes loads as an MlpClassificationModel, and the CLI reads what the Estimator saves. */
@Tag("spark")
class ModelFormatTest {

    @TempDir
    Path dir;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);

    @Test
    void aModelTheCliTrainedLoadsAsAnMlpClassificationModelAndPredictsAsTheCliModel() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path data = dir.resolve("data");
        TinyMnist.write(data, 300, 60);
        Path out = dir.resolve("out");
        TrainingResult result = TrainApp.run(spark, TrainOptions.parse(TrainAppTest.tinyRun(data, out)), quiet);

        Path folder = out.resolve("model");
        assertTrue(Files.isDirectory(folder.resolve("metadata")) && Files.isDirectory(folder.resolve("data")),
                "not the Spark ML layout: " + List.of(folder.toFile().list()));
        MlpClassificationModel loaded = MlpClassificationModel.load(folder.toString());
        assertArrayEquals(result.model().weights(), loaded.weights());
        assertTrue(loaded.uid().startsWith("mlpc_"), loaded.uid());
        assertEquals("features", loaded.getFeaturesCol());

        Dataset<Row> test = TrainApp.read(spark, data.resolve("t10k-images-idx3-ubyte").toString(),
                data.resolve("t10k-labels-idx1-ubyte").toString(), 2);
        List<Row> scored = loaded.transform(test).select("features", "prediction").collectAsList();
        assertEquals(60, scored.size());
        for (Row row : scored) {
            double[] features = ((Vector) row.get(0)).toArray();
            assertEquals(result.model().predict(features), row.getDouble(1), 0.0, "row " + row);
        }
        // the readers of sparkmlp's own files (evaluate, --init-from) take the folder too
        assertArrayEquals(result.model().weights(), ModelFiles.load(folder.toString(), new Configuration()).weights());
    }

    @Test
    void anOldCliModelFolderOfModelFilesStillLoadsAsAnMlpClassificationModel() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path data = dir.resolve("data");
        TinyMnist.write(data, 300, 60);
        TrainingResult result = TrainApp.run(spark, TrainOptions.parse(TrainAppTest.tinyRun(data, dir.resolve("out"))),
                quiet);
        Path old = dir.resolve("old-model");
        ModelFiles.save(result.model(), old.toString(), new Configuration());

        MlpClassificationModel loaded = MlpClassificationModel.load(old.toString());
        assertArrayEquals(result.model().weights(), loaded.weights());
        assertEquals(result.model().scaling(), loaded.mlpModel().scaling());
    }

    @Test
    void theCliStartsFromAModelTheEstimatorSaved() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path data = dir.resolve("data");
        TinyMnist.write(data, 300, 60);
        Dataset<Row> train = TrainApp.read(spark, data.resolve("train-images-idx3-ubyte.gz").toString(),
                data.resolve("train-labels-idx1-ubyte.gz").toString(), 2);
        MlpClassificationModel fitted = new MlpClassifier().setLayers(new int[] {16, 8, 3}).setEpochs(2)
                .setBatchSize(32).setSeed(4).fit(train);
        Path saved = dir.resolve("estimator-model");
        fitted.write().save(saved.toString());

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainApp.run(spark, TrainOptions.parse(TrainAppTest.tinyRun(data, dir.resolve("warm"), "--init-from",
                saved.toString(), "--epochs", "1")), new PrintStream(console, true));
        assertTrue(console.toString().contains("starting from the weights of " + saved), console.toString());
        float[] start = TrainApp.initialWeights(saved.toString(), TrainOptions.parse(TrainAppTest.tinyRun(data,
                dir.resolve("x"))).training(), new Configuration(), quiet);
        assertArrayEquals(fitted.weights(), start);
        MlpModel warm = ModelFiles.load(dir.resolve("warm").resolve("model").toString(), new Configuration());
        assertEquals(fitted.mlpModel().network(), warm.network());
    }
}
