package io.sparkmlp.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where the command line reads rows from when they are not MNIST-format IDX files: any source Spark reads
 * ({@code --format parquet|csv|json|libsvm|orc}, a path or a table name), with a numeric label column and
 * either a Vector column or numeric columns that {@link VectorAssembler} joins into one.
 */
public final class TableSource {

    /** The formats the command line takes; {@code idx} is sparkmlp's own (a folder of the four MNIST files). */
    public static final List<String> FORMATS = List.of("idx", "parquet", "csv", "json", "libsvm", "orc");
    public static final String IDX = "idx";
    static final String DEFAULT_LABEL_COL = "label";
    static final String DEFAULT_FEATURES_COL = "features";
    /** The assembled vector's column when {@code --feature-cols} is given and the data has a {@code features} column already. */
    static final String ASSEMBLED_COL = "sparkmlp_features";

    private final String format;
    private final String labelCol;
    private final String featuresCol;
    private final List<String> featureCols;

    /**
     * A source of {@code format} (one of {@link #FORMATS}); {@code featureCols}, when not empty, are assembled
     * into the features vector and {@code featuresCol} must then be null.
     */
    public TableSource(String format, String labelCol, String featuresCol, List<String> featureCols) {
        String f = format == null ? IDX : format.trim().toLowerCase(Locale.ROOT);
        if (!FORMATS.contains(f)) {
            throw new IllegalArgumentException("--format needs one of " + String.join(", ", FORMATS) + "; got '"
                    + format + "'");
        }
        if (featuresCol != null && featureCols != null && !featureCols.isEmpty()) {
            throw new IllegalArgumentException("--features-col " + featuresCol + " and --feature-cols "
                    + String.join(",", featureCols) + " cannot be combined: give the vector column, or the numeric"
                    + " columns to assemble into one");
        }
        if (featureCols != null && featureCols.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("--feature-cols needs column names separated by commas, got '"
                    + String.join(",", featureCols) + "'");
        }
        this.format = f;
        this.labelCol = labelCol != null ? labelCol : DEFAULT_LABEL_COL;
        this.featuresCol = featuresCol;
        this.featureCols = featureCols == null ? List.of() : List.copyOf(featureCols);
    }

    /** The column settings' options, which mean something only with a table {@code --format}. */
    static final List<String> COLUMN_OPTIONS = List.of("label-col", "features-col", "feature-cols");

    /**
     * The source a command's options name, by the rules {@code submit/train} and {@code submit/evaluate} share:
     * with IDX files (no {@code --format}, or {@code idx}) none of the table options; with a table format no
     * {@code --data} and each of {@code tables} given. {@code given} maps each option given (its name without
     * dashes) to its value; {@code tables} maps the options that name the tables to what their rows are
     * ("training", "test").
     */
    static TableSource fromOptions(Map<String, String> given, Map<String, String> tables) {
        String features = given.get("feature-cols");
        TableSource source = new TableSource(given.get("format"), given.get("label-col"), given.get("features-col"),
                features == null ? null : List.of(features.split(",", -1)).stream().map(String::trim).toList());
        List<String> tableOptions = new ArrayList<>(tables.keySet());
        if (source.isIdx()) {
            List<String> keys = new ArrayList<>(tableOptions);
            keys.addAll(COLUMN_OPTIONS);
            for (String key : keys) {
                if (given.containsKey(key)) {
                    throw new IllegalArgumentException("--" + key + " reads a table: give --format "
                            + String.join("|", FORMATS.subList(1, FORMATS.size()))
                            + "; MNIST-format IDX files come from --data DIR");
                }
            }
            return source;
        }
        if (given.containsKey("data")) {
            throw new IllegalArgumentException("--data " + given.get("data") + " is a folder of IDX files, but"
                    + " --format is " + source.format() + ": give the rows with "
                    + tableOptions.stream().map(k -> "--" + k).collect(Collectors.joining(" and ")));
        }
        for (Map.Entry<String, String> table : tables.entrySet()) {
            String value = given.get(table.getKey());
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("--format " + source.format() + " needs --" + table.getKey()
                        + " PATH_OR_TABLE (the " + table.getValue() + " rows)");
            }
        }
        return source;
    }

    public boolean isIdx() {
        return format.equals(IDX);
    }

    public String format() {
        return format;
    }

    public String labelCol() {
        return labelCol;
    }

    /** Whether any of the column settings differs from its default (they mean nothing for IDX folders). */
    boolean setsColumns() {
        return !labelCol.equals(DEFAULT_LABEL_COL) || featuresCol != null || !featureCols.isEmpty();
    }

    /**
     * Reads {@code pathOrTable}: a path (any Hadoop path) when one exists, else a table of the session's catalogue;
     * csv with a header and inferred types; libsvm with {@code features} features, so the training and the test
     * files have the same width whatever their largest index. {@code option} names the setting in messages.
     */
    public Dataset<Row> read(SparkSession spark, String pathOrTable, int features, String option) {
        if (isIdx()) {
            throw new IllegalStateException("IDX folders are read by TrainApp, not as a table");
        }
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        if (exists(pathOrTable, hadoop)) {
            DataFrameReader reader = spark.read().format(format);
            if (format.equals("csv")) {
                reader = reader.option("header", "true").option("inferSchema", "true");
            } else if (format.equals("libsvm")) {
                reader = reader.option("numFeatures", String.valueOf(features));
            }
            return reader.load(pathOrTable);
        }
        if (tableExists(spark, pathOrTable)) {
            return spark.table(pathOrTable);
        }
        throw new IllegalArgumentException(option + " " + pathOrTable + ": there is no such path and no table of that"
                + " name (--format " + format + " reads a path, or a table of the session's catalogue)");
    }

    private static boolean exists(String path, Configuration hadoop) {
        try {
            Path p = new Path(path);
            return p.getFileSystem(hadoop).exists(p);
        } catch (IllegalArgumentException e) {
            return false; // not a path Hadoop can parse: perhaps a table name
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look at " + path + ": " + e.getMessage(), e);
        }
    }

    private static boolean tableExists(SparkSession spark, String name) {
        try {
            return spark.catalog().tableExists(name);
        } catch (Exception e) { // Spark's ParseException is a checked exception Scala throws unannounced
            return false; // not a table identifier Spark can parse
        }
    }

    /** The column that holds the features vector once {@link #prepare} has run on {@code data}'s schema. */
    public String featuresColumn(StructType schema) {
        if (featuresCol != null) {
            return featuresCol;
        }
        if (featureCols.isEmpty()) {
            return DEFAULT_FEATURES_COL;
        }
        return Arrays.asList(schema.fieldNames()).contains(DEFAULT_FEATURES_COL) ? ASSEMBLED_COL : DEFAULT_FEATURES_COL;
    }

    /**
     * Checks the columns of {@code data} (the label, when {@code withLabel}, numeric; the features a Vector column,
     * or numeric columns) and assembles {@code --feature-cols} into one vector; a missing or mistyped column is an
     * error that names the columns there are, with their types.
     */
    public Dataset<Row> prepare(Dataset<Row> data, boolean withLabel, String option) {
        StructType schema = data.schema();
        if (withLabel) {
            StructField label = column(schema, labelCol, "--label-col", option);
            if (!(label.dataType() instanceof NumericType)) {
                throw new IllegalArgumentException("--label-col " + labelCol + " of " + option + " has type "
                        + label.dataType().simpleString() + "; the label must be numeric (class indices 0, 1, 2, ...)."
                        + " Columns: " + describe(schema));
            }
        }
        if (featureCols.isEmpty()) {
            String name = featuresColumn(schema);
            StructField features = column(schema, name, featuresCol != null ? "--features-col" : "the features column"
                    + " (default; or --features-col, --feature-cols)", option);
            if (!features.dataType().equals(SQLDataTypes.VectorType())) {
                throw new IllegalArgumentException("features column " + name + " of " + option + " has type "
                        + features.dataType().simpleString() + "; it must be an ML Vector, or give numeric columns with"
                        + " --feature-cols a,b,c. Columns: " + describe(schema));
            }
            return data;
        }
        List<String> wrong = new ArrayList<>();
        for (String name : featureCols) {
            StructField field = column(schema, name, "--feature-cols", option);
            if (!(field.dataType() instanceof NumericType)) {
                wrong.add(name + " (" + field.dataType().simpleString() + ")");
            }
        }
        if (!wrong.isEmpty()) {
            throw new IllegalArgumentException("--feature-cols of " + option + ": " + String.join(", ", wrong)
                    + (wrong.size() == 1 ? " is" : " are") + " not numeric; feature columns must be numbers. Columns: "
                    + describe(schema));
        }
        return new VectorAssembler().setInputCols(featureCols.toArray(String[]::new))
                .setOutputCol(featuresColumn(schema)).setHandleInvalid("error").transform(data);
    }

    private static StructField column(StructType schema, String name, String setting, String option) {
        if (!Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new IllegalArgumentException(setting + ": " + option + " has no column '" + name + "'; its columns: "
                    + describe(schema));
        }
        return schema.apply(name);
    }

    /** {@code label int, features vector, ...}: the columns with their types. */
    static String describe(StructType schema) {
        return Arrays.stream(schema.fields()).map(f -> f.name() + " " + f.dataType().simpleString())
                .collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return format + " (label " + labelCol + ", features " + (featureCols.isEmpty()
                ? (featuresCol != null ? featuresCol : DEFAULT_FEATURES_COL) : String.join(",", featureCols)) + ")";
    }
}
