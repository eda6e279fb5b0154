package io.sparkmlp.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.data.IdxDataSource;
import io.sparkmlp.data.IdxFiles;
import io.sparkmlp.data.IdxHeader;
import io.sparkmlp.data.IdxReader;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.ml.MlpClassificationModel;
import io.sparkmlp.nn.Blas;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.report.ClassNames;
import io.sparkmlp.report.HistoryCsv;
import io.sparkmlp.report.HistoryListener;
import io.sparkmlp.report.HyperParameterJson;
import io.sparkmlp.report.TrainingReport;
import io.sparkmlp.train.CheckpointParams;
import io.sparkmlp.train.DetailedEvaluation;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.Evaluation;
import io.sparkmlp.train.JobProgress;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.ModelFiles;
import io.sparkmlp.train.SparkSetup;
import io.sparkmlp.train.StepProgress;
import io.sparkmlp.train.StopRequest;
import io.sparkmlp.train.Trainer;
import io.sparkmlp.train.TrainingDivergedException;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import io.sparkmlp.train.TrainingStoppedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code spark-submit --class io.sparkmlp.app.TrainApp sparkmlp.jar [options]}: trains on the four
 * MNIST-format files of a folder, prints one line per epoch, evaluates on the test files, and writes
 * the model, {@code summary.json}, {@code history.csv} (rewritten every epoch) and, unless
 * {@code --no-report}, the picture report {@code report/} into {@code --out}. With {@code --checkpoint-dir} it writes
 * checkpoints as it goes, and a last one when SIGTERM or SIGINT stops it; {@code --resume} continues
 * from one.
 */
public final class TrainApp {

    private TrainApp() {
    }

    public static void main(String[] args) {
        TrainOptions options;
        try {
            options = TrainOptions.parse(args);
        } catch (RuntimeException e) {
            System.err.println("sparkmlp: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(TrainOptions.USAGE);
            return;
        }
        StopRequest stop = new StopRequest();
        if (options.checkpoint().dir() != null) {
            stopOnSignal(stop);
        }
        // no master here: spark-submit (or submit/train) decides where this runs
        SparkSession spark = SparkSession.builder().appName("sparkmlp-train")
                .config(SparkSetup.withDefaults(new org.apache.spark.SparkConf())).getOrCreate();
        int status = 0;
        try {
            run(spark, options, System.out, stop);
        } catch (TrainingStoppedException e) {
            System.err.println("sparkmlp: " + e.getMessage());
            status = 143; // as a JVM ended by SIGTERM
        } catch (RuntimeException e) {
            // our own errors say what is wrong in one line; anything else needs its stack trace
            if (e instanceof IllegalArgumentException || e instanceof TrainingDivergedException
                    || e.getClass().getName().startsWith("io.sparkmlp.")) {
                System.err.println("sparkmlp: " + e.getMessage());
            } else {
                System.err.println("sparkmlp: unexpected " + e);
                e.printStackTrace();
            }
            status = 1;
        } finally {
            spark.stop();
        }
        if (status != 0) {
            System.exit(status);
        }
    }

    /**
     * On SIGTERM or SIGINT (a JVM shutdown), asks the run to stop at the next step and waits, up to
     * {@value #STOP_SECONDS} s, until its checkpoint is written; the JVM then exits with 143 (130 for
     * SIGINT). The hook runs through Hadoop's shutdown-hook manager ahead of Spark's own hook, which
     * stops the SparkContext (priority {@code FileSystem.SHUTDOWN_HOOK_PRIORITY + 30}), and of the
     * hook that closes Hadoop file systems ({@code FileSystem.SHUTDOWN_HOOK_PRIORITY}), so the step
     * can finish and the checkpoint be written while both still work. Cluster managers wait a grace
     * period between SIGTERM and SIGKILL (Kubernetes: 30 s by default): a step and a checkpoint must
     * fit in it.
     */
    static void stopOnSignal(StopRequest stop) {
        ShutdownHookManager.get().addShutdownHook(() -> {
            if (!stop.running()) {
                return; // finished, failed, or not yet training: nothing to save
            }
            stop.request();
            System.err.println("sparkmlp: stop requested; finishing the step and writing a checkpoint");
            try {
                if (stop.awaitStopped(STOP_SECONDS, TimeUnit.SECONDS)) {
                    System.err.println(stop.checkpoint() != null
                            ? "sparkmlp: checkpoint " + stop.checkpoint() + " written; continue with --resume"
                            : "sparkmlp: stopped without a checkpoint");
                } else {
                    System.err.println("sparkmlp: no checkpoint within " + STOP_SECONDS + " s; exiting without one");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, STOP_HOOK_PRIORITY, STOP_SECONDS + 5, TimeUnit.SECONDS);
    }

    /** Above Spark's shutdown hook (FileSystem.SHUTDOWN_HOOK_PRIORITY + 30 = 40): Hadoop runs higher priorities first. */
    static final int STOP_HOOK_PRIORITY = 100;
    static final int STOP_SECONDS = 120;

    /** The whole job on a given session; returns the result and writes the model and summary into {@code --out}. */
    public static TrainingResult run(SparkSession spark, TrainOptions options, PrintStream console) {
        return run(spark, options, console, null);
    }

    /**
     * As above; {@code stop}, when not null, can stop the run between steps with a checkpoint
     * (then a {@link TrainingStoppedException} is thrown and no model is written).
     */
    public static TrainingResult run(SparkSession spark, TrainOptions options, PrintStream console, StopRequest stop) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        TrainingParams params = options.training();
        int requested = options.cluster().partitions();
        // 0 keeps the data's own partitioning: the IDX reader's is the default parallelism, a table's its files'
        int idxPartitions = requested > 0 ? requested : spark.sparkContext().defaultParallelism();
        Rows rows = options.source().isIdx() ? readIdxFolder(spark, options, params, idxPartitions)
                : readTables(spark, options, params);
        Dataset<Row> train = rows.train();
        Dataset<Row> test = rows.test();
        String partitions = requested > 0 || options.source().isIdx() ? idxPartitions + " partitions"
                : "the table's own partitions";
        console.printf("sparkmlp: %s on %s, %s, %s%n", params.layout(), spark.sparkContext().master(), partitions,
                Blas.report().describe());
        console.println("sparkmlp: " + params);
        CheckpointParams checkpoints = options.checkpoint();
        if (checkpoints.dir() != null || checkpoints.resumeFrom() != null) {
            console.println("sparkmlp: " + checkpoints);
        }

        Trainer trainer = new Trainer(params, options.cluster())
                .initialWeights(initialWeights(options.initFrom(), params, hadoop, console))
                .checkpoints(checkpoints)
                .stopRequest(stop)
                .onEpoch(m -> console.println(m.describe(params.epochs())))
                .listener(new HistoryListener(new Path(options.out(), HISTORY), hadoop))
                .listener(StepProgress.to(console, PROGRESS_EVERY_SECONDS));
        console.println("sparkmlp: reading and packing the training rows");
        TrainingResult result = trainer.fit(train, null, rows.labelCol(), rows.featuresCol());
        console.println("sparkmlp: evaluating on the test rows");
        DetailedEvaluation detailed;
        try (JobProgress evaluating = JobProgress.watch(spark.sparkContext(), null, "sparkmlp evaluate",
                JobProgress.EVERY_MILLIS, console::println)) {
            detailed = result.model().evaluateInDetail(test, rows.labelCol(), rows.featuresCol(), options.cluster(),
                    TrainingReport.MISCLASSIFIED_SHOWN);
        }
        Evaluation evaluation = detailed.summary();
        console.printf("test loss %.4f accuracy %.4f (%d rows) | %d epochs in %.1f s, %.0f samples/s%n",
                evaluation.loss(), evaluation.accuracy(), evaluation.rows(), result.epochsRun(), result.trainSeconds(),
                result.samplesPerSecond());

        String out = options.out();
        saveModel(spark, result.model(), new Path(out, "model").toString());
        writeSummary(spark, options, result, detailed, new Path(out, "summary.json"), hadoop);
        console.println("sparkmlp: model, summary.json and " + HISTORY + " written to " + out);
        if (options.report()) {
            writeReport(options, rows, result, detailed, hadoop);
            console.println("sparkmlp: report written to " + new Path(new Path(out, TrainingReport.FOLDER), "index.html"));
        }
        return result;
    }

    /** Seconds between progress lines within an epoch when the output is not a terminal. */
    static final double PROGRESS_EVERY_SECONDS = 30;

    /** The per-epoch history's file in the output folder, rewritten at every epoch's end. */
    static final String HISTORY = "history.csv";

    /**
     * The pictures and index.html into OUT/report: with the test images' shape (IDX images; a table's
     * rows are not drawn as images) and the data's class names.
     */
    private static void writeReport(TrainOptions options, Rows rows, TrainingResult result, DetailedEvaluation test,
                                    Configuration hadoop) {
        TrainingReport report = TrainingReport.of(result, test).params(options.training())
                .classNames(ClassNames.forData(rows.dataFolder(), test.classes()));
        if (rows.imageShape() != null) {
            report.imageShape(rows.imageShape()[0], rows.imageShape()[1]);
        }
        report.write(new Path(options.out(), TrainingReport.FOLDER).toString(), hadoop);
    }

    /**
     * The training and test rows and the columns that hold their labels and features; for IDX files
     * also their folder and the images' rows and columns (null for a table).
     */
    record Rows(Dataset<Row> train, Dataset<Row> test, String labelCol, String featuresCol, String dataFolder,
                int[] imageShape) {
    }

    /** The four MNIST files of {@code --data} (by default Fashion-MNIST's folder), checked against the network. */
    private static Rows readIdxFolder(SparkSession spark, TrainOptions options, TrainingParams params, int partitions) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        String folder = options.data() != null ? options.data() : TrainOptions.DEFAULT_DATA;
        MnistFiles files;
        try {
            files = MnistFiles.find(folder, hadoop);
        } catch (IOException | RuntimeException e) {
            if (options.data() == null) {
                throw new IllegalArgumentException("no --data given and Fashion-MNIST is not in " + TrainOptions.DEFAULT_DATA
                        + ": install it with 'apt-get install dataset-fashion-mnist', or pass --data DIR with the four"
                        + " MNIST files (" + e.getMessage() + ")", e);
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        checkFiles(files, params, hadoop);
        Dataset<Row> train = read(spark, files.trainImages(), files.trainLabels(), partitions);
        Dataset<Row> test = read(spark, files.testImages(), files.testLabels(), partitions);
        IdxHeader header;
        try {
            header = IdxFiles.readHeader(files.testImages(), hadoop);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + e.getMessage(), e);
        }
        int[] shape = header.rank() >= 3 ? new int[] {header.dim(1), header.dim(2)} : null;
        return new Rows(train, test, "label", "features", folder, shape);
    }

    /** The tables of {@code --train} and {@code --test} in {@code --format}, their columns checked (and assembled). */
    private static Rows readTables(SparkSession spark, TrainOptions options, TrainingParams params) {
        TableSource source = options.source();
        int inputs = params.layout().inputSize();
        Dataset<Row> train = source.read(spark, options.trainTable(), inputs, "--train");
        Dataset<Row> test = source.read(spark, options.testTable(), inputs, "--test");
        // named before assembling: with --feature-cols, the vector goes to a free column of each table
        String features = source.featuresColumn(train.schema());
        String testFeatures = source.featuresColumn(test.schema());
        train = source.prepare(train, true, "--train " + options.trainTable());
        test = source.prepare(test, true, "--test " + options.testTable());
        if (!features.equals(testFeatures)) {
            // one has a column named features beside --feature-cols, the other not: name the vectors alike
            test = test.drop(features).withColumnRenamed(testFeatures, features);
        }
        return new Rows(train, test, source.labelCol(), features, null, null);
    }

    /**
     * Writes {@code model} into folder {@code path} as the Estimator saves its models (Spark ML's {@code metadata/}
     * with the Params, {@code data/} with {@link ModelFiles}), so {@code MlpClassificationModel.load(path)} reads it.
     * Everything is written from the driver, as {@link ModelFiles} always was: Spark's own writer would write
     * {@code metadata/} from an executor, which on a cluster without a shared file system puts a local
     * {@code --out} on another machine.
     */
    static void saveModel(SparkSession spark, MlpModel model, String path) {
        MlpClassificationModel wrapped = new MlpClassificationModel(Identifiable.randomUID("mlpc"), model);
        // one line of JSON in metadata/part-00000, as DefaultParamsWriter.saveMetadata writes it
        String metadata = DefaultParamsWriter.getMetadataToSave(wrapped, spark);
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path folder = new Path(path);
        try {
            FileSystem fs = folder.getFileSystem(hadoop);
            if (fs.exists(folder)) {
                fs.delete(folder, true); // replaces what a previous run left there, as MLWriter.overwrite() does
            }
            ModelFiles.save(model, new Path(folder, ModelFiles.SPARK_ML_DATA).toString(), hadoop);
            Path metadataFolder = new Path(folder, ModelFiles.SPARK_ML_METADATA);
            try (OutputStream out = fs.create(new Path(metadataFolder, "part-00000"), true)) {
                out.write((metadata + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            fs.create(new Path(metadataFolder, "_SUCCESS"), true).close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the model to " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * The weights of the model in folder {@code model} (a model folder submit/train wrote, an
     * {@code MlpClassificationModel} the Estimator saved, or {@link ModelFiles}' two files), for a warm start of a
     * run with {@code params}; null when {@code model} is null. Its layers must be the run's.
     */
    static float[] initialWeights(String model, TrainingParams params, Configuration hadoop, PrintStream console) {
        if (model == null) {
            return null;
        }
        MlpModel saved = ModelFiles.load(model, hadoop);
        Layout savedLayout = saved.network().layout();
        if (!java.util.Arrays.equals(savedLayout.sizes(), params.layout().sizes())) {
            throw new IllegalArgumentException("--init-from " + model + " has layers " + savedLayout + ", but --layers is "
                    + params.layout() + ": a warm start needs the same layer sizes");
        }
        console.println("sparkmlp: starting from the weights of " + model);
        return saved.weights();
    }

    /**
     * Checks the files against the network on the driver before any job runs: the image size against the first
     * layer, every label (one byte a row, read in chunks) against the last; the test files too, which are
     * otherwise read only after training.
     */
    static void checkFiles(MnistFiles files, TrainingParams params, Configuration hadoop) {
        Layout layout = params.layout();
        try {
            for (String images : new String[] {files.trainImages(), files.testImages()}) {
                IdxHeader header = IdxFiles.readHeader(images, hadoop);
                IdxReader.requireImages(header, images);
                long pixels = (long) header.dim(1) * header.dim(2);
                if (pixels != layout.inputSize()) {
                    throw new IllegalArgumentException("--layers " + layout + " takes " + layout.inputSize()
                            + " inputs, but the images in " + images + " have " + header.dim(1) + " x " + header.dim(2)
                            + " = " + pixels + " pixels: the first layer size must be " + pixels);
                }
            }
            for (String labels : new String[] {files.trainLabels(), files.testLabels()}) {
                checkLabels(labels, layout, hadoop);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + e.getMessage(), e);
        }
    }

    private static void checkLabels(String file, Layout layout, Configuration hadoop) throws IOException {
        int classes = layout.outputSize();
        try (InputStream in = IdxFiles.open(file, hadoop)) {
            IdxHeader header = IdxHeader.read(in, file);
            IdxReader.requireLabels(header, file);
            byte[] chunk = new byte[1 << 16];
            long count = header.dim(0);
            long row = 0;
            while (row < count) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, count - row));
                if (n < 0) {
                    throw header.sizeMismatch(file, row);
                }
                for (int i = 0; i < n; i++) {
                    int label = chunk[i] & 0xFF;
                    if (label >= classes) {
                        throw new IllegalArgumentException("label " + label + " in row " + (row + i) + " of " + file
                                + " is not a class of --layers " + layout + ": expected an integer in [0, " + classes
                                + "), the output layer's size");
                    }
                }
                row += n;
            }
        }
    }

    /** An IDX image file and its label file as a DataFrame of {@code label} and {@code features}, in {@code partitions}. */
    public static Dataset<Row> read(SparkSession spark, String images, String labels, int partitions) {
        return spark.read().format(IdxDataSource.SHORT_NAME)
                .option(IdxDataSource.LABELS, labels)
                .option(IdxDataSource.NUM_PARTITIONS, partitions)
                .load(images);
    }

    private static void writeSummary(SparkSession spark, TrainOptions options, TrainingResult result,
                                     DetailedEvaluation detailed, Path file, Configuration hadoop) {
        Evaluation test = detailed.summary();
        ObjectMapper json = new ObjectMapper();
        ObjectNode summary = json.createObjectNode();
        summary.put("test_accuracy", test.accuracy());
        summary.put("test_loss", test.loss());
        summary.put("test_rows", test.rows());
        summary.put("epochs", result.epochsRun());
        summary.put("best_epoch", result.bestEpoch());
        summary.put("stopped_early", result.stoppedEarly());
        summary.put("train_seconds", result.trainSeconds());
        summary.put("samples_per_second", result.samplesPerSecond());
        summary.put("train_rows", result.trainRows());
        summary.put("validation_rows", result.validationRows());
        summary.put("master", spark.sparkContext().master());
        summary.put("partitions", result.partitions());
        Blas.Report blas = Blas.report();
        summary.put("blas", blas.used().id() + " " + blas.version() + " " + blas.coreType() + " " + blas.implementation());
        summary.set("hyper_parameters", HyperParameterJson.of(options.training()));
        ArrayNode matrix = summary.putArray("test_confusion_matrix");
        for (long[] row : detailed.confusionMatrix()) {
            ArrayNode counts = matrix.addArray();
            for (long c : row) {
                counts.add(c);
            }
        }
        ArrayNode history = summary.putArray("history");
        for (EpochMetrics m : result.history()) {
            ObjectNode e = history.addObject();
            e.put("epoch", m.epoch());
            e.put("train_loss", m.trainLoss());
            e.put("train_accuracy", m.trainAccuracy());
            putNumber(e, "validation_loss", m.validationLoss());
            putNumber(e, "validation_accuracy", m.validationAccuracy());
            e.put("learning_rate", m.learningRate());
            e.put("seconds", m.trainSeconds());
            e.put("samples_per_second", HistoryCsv.samplesPerSecond(m, result.trainRows()));
            e.put("elapsed_seconds", m.elapsedSeconds());
        }
        try (OutputStream out = file.getFileSystem(hadoop).create(file, true)) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** JSON has no NaN: a missing figure is null. */
    private static void putNumber(ObjectNode node, String key, double value) {
        if (Double.isNaN(value)) {
            node.putNull(key);
        } else {
            node.put(key, value);
        }
    }
}
