package io.sparkmlp.app;

import io.sparkmlp.data.IdxDataSource;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.ml.MlpClassifier;
import io.sparkmlp.train.SparkSetup;
import java.io.IOException;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * A runnable example of sparkmlp inside a Spark ML pipeline:
 * {@code spark-submit --class io.sparkmlp.app.PipelineExample sparkmlp.jar [DATA_DIR [OUT_DIR [EPOCHS]]]}.
 * Reads the four MNIST files of a folder with the {@code idx} source, fits a pipeline ending in
 * {@link MlpClassifier} (a tenth of the rows marked for validation and early stopping), scores the
 * test files with {@link MulticlassClassificationEvaluator}, and saves the fitted pipeline.
 */
public final class PipelineExample {

    private PipelineExample() {
    }

    public static void main(String[] args) throws IOException {
        String data = args.length > 0 ? args[0] : TrainOptions.DEFAULT_DATA;
        String out = args.length > 1 ? args[1] : "out/pipeline";
        int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        SparkSession spark = SparkSession.builder().appName("sparkmlp-pipeline-example")
                .config(SparkSetup.withDefaults(new SparkConf())).getOrCreate();
        try {
            double accuracy = run(spark, data, out, epochs);
            System.out.printf("test accuracy %.4f; pipeline saved to %s%n", accuracy, out);
        } finally {
            spark.stop();
        }
    }

    /** Fits, evaluates and saves the pipeline; returns the test accuracy. */
    public static double run(SparkSession spark, String dataDir, String outDir, int epochs) throws IOException {
        MnistFiles files = MnistFiles.find(dataDir, spark.sparkContext().hadoopConfiguration());
        Dataset<Row> train = spark.read().format(IdxDataSource.SHORT_NAME).option(IdxDataSource.LABELS, files.trainLabels())
                .load(files.trainImages())
                .withColumn("isValidation", functions.rand(7).lt(0.1));
        Dataset<Row> test = spark.read().format(IdxDataSource.SHORT_NAME).option(IdxDataSource.LABELS, files.testLabels())
                .load(files.testImages());
        int features = train.first().<Vector>getAs("features").size();
        int classes = (int) train.agg(functions.max("label")).first().getDouble(0) + 1;

        MlpClassifier mlp = new MlpClassifier()
                .setLayers(features, 128, classes)
                .setEpochs(epochs)
                .setValidationIndicatorCol("isValidation")
                .setPatience(3);
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {mlp}).fit(train);
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(test));
        model.write().overwrite().save(outDir);
        return accuracy;
    }
}
