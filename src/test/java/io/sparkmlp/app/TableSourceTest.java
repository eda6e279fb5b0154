package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** submit/train on any table Spark reads: Parquet, LIBSVM, CSV columns, a table name; wrong columns are named. */
@Tag("spark")
class TableSourceTest {

    @TempDir
    Path dir;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);

    /** TinyMnist's training and test rows (label, features) as DataFrames. */
    private Dataset<Row>[] tinyRows(SparkSession spark) throws Exception {
        Path data = dir.resolve("idx");
        TinyMnist.write(data, 300, 60);
        @SuppressWarnings("unchecked")
        Dataset<Row>[] rows = new Dataset[] {
            TrainApp.read(spark, data.resolve("train-images-idx3-ubyte.gz").toString(),
                    data.resolve("train-labels-idx1-ubyte.gz").toString(), 2),
            TrainApp.read(spark, data.resolve("t10k-images-idx3-ubyte").toString(),
                    data.resolve("t10k-labels-idx1-ubyte").toString(), 2)};
        return rows;
    }

    /** A short run's options on the tables of {@code format}, plus {@code extra}. */
    private String[] run(String format, String train, String test, String... extra) {
        List<String> args = new ArrayList<>(List.of("--format", format, "--train", train, "--test", test,
                "--out", dir.resolve("out-" + format).toString(), "--layers", "16,8,3", "--epochs", "3",
                "--batch-size", "16", "--learning-rate", "0.1", "--partitions", "2", "--validation-fraction", "0.2",
                "--seed", "9"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    private JsonNode summary(String format) throws Exception {
        return new ObjectMapper().readTree(dir.resolve("out-" + format).resolve("summary.json").toFile());
    }

    @Test
    void theCliTrainsAndEvaluatesOnAParquetTable() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row>[] rows = tinyRows(spark);
        rows[0].withColumnRenamed("label", "kind").write().parquet(dir.resolve("train.parquet").toString());
        rows[1].withColumnRenamed("label", "kind").write().parquet(dir.resolve("test.parquet").toString());

        TrainApp.run(spark, TrainOptions.parse(run("parquet", dir.resolve("train.parquet").toString(),
                dir.resolve("test.parquet").toString(), "--label-col", "kind")), quiet);
        JsonNode summary = summary("parquet");
        assertEquals(60, summary.get("test_rows").asInt(), summary.toString());
        assertTrue(summary.get("test_accuracy").asDouble() > 0.9, summary.toString());
    }

    @Test
    void withPartitionsZeroATableTrainsOnItsOwnPartitionsAndTheSummarySaysHowMany() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row>[] rows = tinyRows(spark);
        String train = dir.resolve("train1.parquet").toString();
        rows[0].coalesce(1).write().parquet(train);
        int own = spark.read().parquet(train).rdd().getNumPartitions();
        assertNotEquals(spark.sparkContext().defaultParallelism(), own, "the test needs a count unlike the default");

        String[] args = run("parquet", train, train);
        args[List.of(args).indexOf("--partitions") + 1] = "0";
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        TrainApp.run(spark, TrainOptions.parse(args), new PrintStream(console, true, StandardCharsets.UTF_8));
        assertEquals(own, summary("parquet").get("partitions").asInt());
        assertTrue(console.toString(StandardCharsets.UTF_8).contains(", the table's own partitions, "), console.toString());
    }

    @Test
    void theCliTrainsAndEvaluatesOnALibsvmFile() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row>[] rows = tinyRows(spark);
        rows[0].write().format("libsvm").save(dir.resolve("train.libsvm").toString());
        rows[1].write().format("libsvm").save(dir.resolve("test.libsvm").toString());

        TrainApp.run(spark, TrainOptions.parse(run("libsvm", dir.resolve("train.libsvm").toString(),
                dir.resolve("test.libsvm").toString())), quiet);
        JsonNode summary = summary("libsvm");
        assertEquals(60, summary.get("test_rows").asInt(), summary.toString());
        assertTrue(summary.get("test_accuracy").asDouble() > 0.9, summary.toString());
    }

    @Test
    void csvAndJsonColumnsAreAssembledIntoTheFeaturesAndATableIsFoundByName() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row>[] rows = tinyRows(spark);
        List<Column> columns = new ArrayList<>(List.of(rows[0].col("label").cast("int").as("y")));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            columns.add(functions.vector_to_array(rows[0].col("features"), "float64").getItem(i).as("p" + i));
            names.add("p" + i);
        }
        rows[0].select(columns.toArray(Column[]::new)).write().option("header", "true")
                .csv(dir.resolve("train.csv").toString());
        List<Column> testColumns = new ArrayList<>(List.of(rows[1].col("label").cast("int").as("y")));
        for (int i = 0; i < 16; i++) {
            testColumns.add(functions.vector_to_array(rows[1].col("features"), "float64").getItem(i).as("p" + i));
        }
        rows[1].select(testColumns.toArray(Column[]::new)).createOrReplaceTempView("tiny_test");
        rows[0].select(columns.toArray(Column[]::new)).write().json(dir.resolve("train.json").toString());

        TrainApp.run(spark, TrainOptions.parse(run("csv", dir.resolve("train.csv").toString(), "tiny_test",
                "--label-col", "y", "--feature-cols", String.join(",", names))), quiet);
        JsonNode summary = summary("csv");
        assertEquals(60, summary.get("test_rows").asInt(), summary.toString());
        assertTrue(summary.get("test_accuracy").asDouble() > 0.9, summary.toString());

        TrainApp.run(spark, TrainOptions.parse(run("json", dir.resolve("train.json").toString(), "tiny_test",
                "--label-col", "y", "--feature-cols", String.join(",", names))), quiet);
        summary = summary("json");
        assertEquals(60, summary.get("test_rows").asInt(), summary.toString());
        assertTrue(summary.get("test_accuracy").asDouble() > 0.9, summary.toString());
    }

    @Test
    void aMistypedOrNonNumericColumnIsAnErrorNamingTheColumnsThereAre() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row>[] rows = tinyRows(spark);
        String train = dir.resolve("train.parquet").toString();
        rows[0].withColumn("name", org.apache.spark.sql.functions.lit("x")).write().parquet(train);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainApp.run(spark,
                TrainOptions.parse(run("parquet", train, train, "--label-col", "lable")), quiet));
        assertEquals("--label-col: --train " + train + " has no column 'lable'; its columns: label double,"
                + " features vector, name string", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainApp.run(spark,
                TrainOptions.parse(run("parquet", train, train, "--features-col", "feature")), quiet));
        assertTrue(e.getMessage().startsWith("--features-col: --train " + train + " has no column 'feature'; its"
                + " columns: label double, features vector"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainApp.run(spark,
                TrainOptions.parse(run("parquet", train, train, "--feature-cols", "label,name")), quiet));
        assertTrue(e.getMessage().startsWith("--feature-cols of --train " + train + ": name (string) is not numeric"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainApp.run(spark,
                TrainOptions.parse(run("parquet", dir.resolve("absent").toString(), train)), quiet));
        assertTrue(e.getMessage().contains("there is no such path and no table of that name"), e.getMessage());
    }

    @Test
    void tableSettingsAndIdxSettingsAreNotMixed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--train", "t.parquet"));
        assertTrue(e.getMessage().startsWith("--train reads a table: give --format"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--format", "parquet", "--train", "a"));
        assertEquals("--format parquet needs --test PATH_OR_TABLE (the test rows)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--format", "parquet", "--train", "a",
                "--test", "b", "--data", "d"));
        assertTrue(e.getMessage().startsWith("--data d is a folder of IDX files, but --format is parquet"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--format", "xls"));
        assertEquals("--format needs one of idx, parquet, csv, json, libsvm, orc; got 'xls'", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainOptions.parse("--format", "csv", "--train", "a",
                "--test", "b", "--features-col", "v", "--feature-cols", "x,y"));
        assertTrue(e.getMessage().contains("cannot be combined"), e.getMessage());
    }
}
