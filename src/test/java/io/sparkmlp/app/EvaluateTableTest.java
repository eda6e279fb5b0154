package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.train.DetailedEvaluation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** submit/evaluate on a table Spark reads, with submit/train's table options and column checks. */
@Tag("spark")
class EvaluateTableTest {

    @TempDir
    Path dir;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);

    @Test
    void evaluateOnTheParquetTestTableGivesTheTrainingRunsTestAccuracy() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Path idx = dir.resolve("idx");
        TinyMnist.write(idx, 300, 60);
        Dataset<Row> train = TrainApp.read(spark, idx.resolve("train-images-idx3-ubyte.gz").toString(),
                idx.resolve("train-labels-idx1-ubyte.gz").toString(), 2);
        Dataset<Row> test = TrainApp.read(spark, idx.resolve("t10k-images-idx3-ubyte").toString(),
                idx.resolve("t10k-labels-idx1-ubyte").toString(), 2);
        String trainTable = dir.resolve("train.parquet").toString();
        String testTable = dir.resolve("test.parquet").toString();
        train.withColumnRenamed("label", "kind").write().parquet(trainTable);
        test.withColumnRenamed("label", "kind").write().parquet(testTable);
        Path out = dir.resolve("out");
        TrainApp.run(spark, TrainOptions.parse("--format", "parquet", "--train", trainTable, "--test", testTable,
                "--label-col", "kind", "--out", out.toString(), "--layers", "16,8,3", "--epochs", "3",
                "--batch-size", "16", "--learning-rate", "0.1", "--partitions", "2", "--seed", "9", "--report", "false"),
                quiet);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());

        Path json = dir.resolve("evaluation.json");
        DetailedEvaluation evaluated = EvaluateApp.run(spark, EvaluateOptions.parse(out.resolve("model").toString(),
                "--format", "parquet", "--test", testTable, "--label-col", "kind", "--out", json.toString()), quiet);
        assertEquals(60, evaluated.rows());
        assertEquals(summary.get("test_accuracy").asDouble(), evaluated.accuracy());
        assertTrue(evaluated.accuracy() > 0.5, "accuracy " + evaluated.accuracy());
        JsonNode written = new ObjectMapper().readTree(json.toFile());
        assertEquals(summary.get("test_confusion_matrix"), written.get("confusion_matrix"));
        assertEquals(testTable, written.get("data").asText());
        assertEquals("parquet", written.get("format").asText());
        assertEquals("parquet (label kind, features features)", written.get("source").asText());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluateApp.run(spark,
                EvaluateOptions.parse(out.resolve("model").toString(), "--format", "parquet", "--test", testTable,
                        "--label-col", "knid"), quiet));
        assertEquals("--label-col: --test " + testTable + " has no column 'knid'; its columns: kind double,"
                + " features vector", e.getMessage());
    }

    @Test
    void evaluatesTableOptionsFollowTrainsRules() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EvaluateOptions.parse("m", "--test", "t.parquet"));
        assertTrue(e.getMessage().startsWith("--test reads a table: give --format"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateOptions.parse("m", "--label-col", "y"));
        assertTrue(e.getMessage().startsWith("--label-col reads a table: give --format"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateOptions.parse("m", "--format", "orc"));
        assertEquals("--format orc needs --test PATH_OR_TABLE (the test rows)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateOptions.parse("m", "--format", "csv", "--test",
                "t.csv", "--data", "d"));
        assertEquals("--data d is a folder of IDX files, but --format is csv: give the rows with --test", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateOptions.parse("m", "--format", "xls"));
        assertEquals("--format needs one of idx, parquet, csv, json, libsvm, orc; got 'xls'", e.getMessage());
        assertTrue(EvaluateOptions.parse("m").source().isIdx());
        assertEquals("parquet", EvaluateOptions.parse("m", "--format", "parquet", "--test", "t").source().format());
    }
}
