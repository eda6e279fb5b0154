package io.sparkmlp.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.data.IdxFiles;
import io.sparkmlp.data.IdxHeader;
import io.sparkmlp.data.IdxReader;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.report.ClassNames;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.DetailedEvaluation;
import io.sparkmlp.train.JobProgress;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.ModelFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code submit/evaluate MODEL --data DIR}: loads a model folder as {@code submit/train} writes it
 * ({@code OUT/model}, see {@link ModelFiles}), evaluates it on the test files of {@code DIR}
 * ({@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, raw or .gz), or with {@code --format} on a
 * table ({@code --test PATH_OR_TABLE} and the columns, as {@code submit/train} reads them), in one Spark job, prints
 * the accuracy, each class's precision, recall and F1 and the confusion matrix, and writes the same as
 * JSON ({@code --out FILE}, else {@code evaluation.json} beside the model folder).
 */
public final class EvaluateApp {

    static final String DEFAULT_JSON = "evaluation.json";

    private EvaluateApp() {
    }

    public static void main(String[] args) {
        Launcher.main(args, "sparkmlp-evaluate", EvaluateOptions::parse, EvaluateOptions::help, EvaluateOptions.USAGE, (spark, options) -> run(spark, options,
                System.out));
    }

    /** Evaluates, prints the figures to {@code console} and writes them as JSON; returns them. */
    public static DetailedEvaluation run(SparkSession spark, EvaluateOptions options, PrintStream console) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        MlpModel model = ModelFiles.load(options.model(), hadoop);
        Layout layout = model.network().layout();
        ClusterParams cluster = options.cluster();
        TableSource source = options.source();
        String data;
        Dataset<Row> test;
        String labelCol = "label";
        String featuresCol = "features";
        List<String> names;
        if (source.isIdx()) {
            data = testFile(options.data(), MnistFiles.TEST_IMAGES, hadoop);
            String labels = testFile(options.data(), MnistFiles.TEST_LABELS, hadoop);
            checkImages(data, layout, options.model(), hadoop);
            int partitions = cluster.partitions() > 0 ? cluster.partitions() : spark.sparkContext().defaultParallelism();
            test = TrainApp.read(spark, data, labels, partitions);
            names = ClassNames.forData(options.data(), layout.outputSize());
        } else {
            // as submit/train reads its --test: the same checks of the columns, the same assembly of --feature-cols
            data = options.testTable();
            test = source.read(spark, data, layout.inputSize(), "--test");
            featuresCol = source.featuresColumn(test.schema());
            test = source.prepare(test, true, "--test " + data);
            labelCol = source.labelCol();
            names = ClassNames.forData(null, layout.outputSize());
        }
        DetailedEvaluation result;
        try (JobProgress evaluating = JobProgress.watch(spark.sparkContext(), null, "sparkmlp evaluate",
                JobProgress.EVERY_MILLIS, console::println)) {
            result = model.evaluateInDetail(test, labelCol, featuresCol, cluster, 0);
        }
        console.printf("sparkmlp: model %s (layers %s) on %s%n", options.model(), layout, data);
        console.print(text(result, names));
        Path json = options.out() != null ? new Path(options.out())
                : new Path(new Path(options.model()).getParent(), DEFAULT_JSON);
        writeJson(result, names, options, data, json, hadoop);
        console.println("sparkmlp: evaluation written to " + json);
        return result;
    }

    /** The file {@code name} of {@code folder}, raw or .gz (the raw one when both are there). */
    private static String testFile(String folder, String name, Configuration hadoop) {
        try {
            for (String candidate : new String[] {name, name + ".gz"}) {
                String path = new Path(folder, candidate).toString();
                if (IdxFiles.exists(path, hadoop)) {
                    return path;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look into " + folder + ": " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("--data " + folder + " has no " + name + " (raw or .gz): evaluate reads the"
                + " test files " + MnistFiles.TEST_IMAGES + " and " + MnistFiles.TEST_LABELS);
    }

    private static void checkImages(String images, Layout layout, String model, Configuration hadoop) {
        try {
            IdxHeader header = IdxFiles.readHeader(images, hadoop);
            IdxReader.requireImages(header, images);
            long pixels = (long) header.dim(1) * header.dim(2);
            if (pixels != layout.inputSize()) {
                throw new IllegalArgumentException("the model " + model + " (layers " + layout + ") takes "
                        + layout.inputSize() + " inputs, but the images in " + images + " have " + header.dim(1) + " x "
                        + header.dim(2) + " = " + pixels + " pixels");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + e.getMessage(), e);
        }
    }

    /** Accuracy, a table of precision, recall and F1 per class, and the confusion matrix, as plain text. */
    static String text(DetailedEvaluation e, List<String> names) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "accuracy %.4f (%d of %d rows), loss %.4f%n", e.accuracy(), e.correct(),
                e.rows(), e.loss()));
        int nameWidth = 5;
        for (int k = 0; k < e.classes(); k++) {
            nameWidth = Math.max(nameWidth, (k + " " + names.get(k)).length());
        }
        t.append(String.format(Locale.ROOT, "%-" + nameWidth + "s  %9s  %9s  %9s  %8s%n", "class", "precision", "recall",
                "F1", "rows"));
        for (int k = 0; k < e.classes(); k++) {
            t.append(String.format(Locale.ROOT, "%-" + nameWidth + "s  %9.4f  %9.4f  %9.4f  %8d%n", k + " " + names.get(k),
                    e.precision(k), e.recall(k), e.f1(k), e.support(k)));
        }
        long[][] m = e.confusionMatrix();
        int width = 4;
        for (long[] row : m) {
            for (long c : row) {
                width = Math.max(width, Long.toString(c).length() + 1);
            }
        }
        t.append("confusion matrix (rows: true class, columns: predicted class)\n");
        t.append(String.format(Locale.ROOT, "%6s", "true"));
        for (int j = 0; j < m.length; j++) {
            t.append(String.format(Locale.ROOT, "%" + width + "d", j));
        }
        t.append('\n');
        for (int i = 0; i < m.length; i++) {
            t.append(String.format(Locale.ROOT, "%6d", i));
            for (long c : m[i]) {
                t.append(String.format(Locale.ROOT, "%" + width + "d", c));
            }
            t.append('\n');
        }
        return t.toString();
    }

    private static void writeJson(DetailedEvaluation e, List<String> names, EvaluateOptions options, String images,
                                  Path file, Configuration hadoop) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("model", options.model());
        root.put("data", images);
        // which rows these are: the IDX test files, or a table and the columns read from it
        TableSource source = options.source();
        root.put("format", source.format());
        if (!source.isIdx()) {
            root.put("source", source.toString());
        }
        root.put("rows", e.rows());
        root.put("correct", e.correct());
        root.put("accuracy", e.accuracy());
        root.put("loss", e.loss());
        ArrayNode classes = root.putArray("classes");
        for (int k = 0; k < e.classes(); k++) {
            ObjectNode c = classes.addObject();
            c.put("label", k);
            c.put("name", names.get(k));
            c.put("precision", e.precision(k));
            c.put("recall", e.recall(k));
            c.put("f1", e.f1(k));
            c.put("rows", e.support(k));
        }
        ArrayNode matrix = root.putArray("confusion_matrix");
        for (long[] row : e.confusionMatrix()) {
            ArrayNode r = matrix.addArray();
            for (long c : row) {
                r.add(c);
            }
        }
        try (OutputStream out = file.getFileSystem(hadoop).create(file, true)) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write " + file + ": " + ex.getMessage(), ex);
        }
    }
}
