package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkmlp.app.TrainApp;
import io.sparkmlp.app.TrainOptions;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.nn.Blas;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.PackedData;
import io.sparkmlp.train.SparkSetup;
import io.sparkmlp.train.StepProfiler;
import io.sparkmlp.train.Trainer;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.spark.SparkConf;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The main benchmark, in one Spark session on one master: sparkmlp in two settings (the batch-128
 * reference preset and the benchmark's own options, by default the fast preset), each run
 * {@code --repeats} times, against Spark MLlib's {@code MultilayerPerceptronClassifier} fitted from
 * scratch at increasing {@code maxIter} until it converges or stops improving (in sparkmlp's layers
 * and in 784-100-10), and against the PyTorch reference ({@code bench/torch/torch_mlp.py}) in the same
 * two settings on the same cores, with the step-time breakdown, the BLAS rates, the cached bytes per
 * row and the peak heap. Writes {@code bench/results/<date>-<machine>-main.json} (the README's
 * {@code results:main} block is rendered from it) and {@code bench.json} to {@code --out}. Run it with
 * {@code submit/bench}, or spark-submit this class from the jar.
 */
public final class Benchmark {

    /** The setting of {@code --reference-preset}: conf/fashion-mnist.properties, batch 128. */
    static final String REFERENCE = "reference";
    /** The setting of the benchmark's own training options: submit/bench passes the fast preset. */
    static final String PRESET = "preset";

    static final String USAGE = String.join("\n",
            "usage: submit/bench [--master M] [--conf k=v]... [options] [training options]",
            "",
            "Trains sparkmlp in two settings (the reference preset, and the training options given: submit/bench's",
            "default is the fast preset), Spark MLlib's MultilayerPerceptronClassifier to convergence and the PyTorch",
            "reference in both settings, on the same cached data and cores; profiles sparkmlp's step against an empty",
            "Spark job, measures BLAS and the gradient kernel, the bytes each trainer caches per row and the peak heap;",
            "writes <date>-<machine>-main.json to --results and bench.json to --out.",
            "",
            "  --repeats N              runs of every sparkmlp and PyTorch figure; the median counts (default 3;",
            "                           fewer marks the file as a quick run)",
            "  --mllib-repeats N        fits of every MLlib point (default: --repeats)",
            "  --mllib-iterations LIST  MLlib's maxIter sweep, each fitted from scratch; it stops once L-BFGS converged",
            "                           to its tolerance or, from --mllib-min-iterations on, accuracy stopped improving",
            "                           (default 25,50,100,200,300,400)",
            "  --mllib-min-iterations N (default 300)",
            "  --mllib-layers LIST      the layers of each MLlib sweep, 'same' for sparkmlp's (default same,784-100-10)",
            "  --mllib-standardized-iterations LIST",
            "                           an MLlib sweep on inputs standardised as sparkmlp standardises them, for",
            "                           reference (default 0: none)",
            "  --reference-preset FILE  the reference setting (default conf/fashion-mnist.properties; none: skip it)",
            "  --common-accuracy A      the accuracy sparkmlp and PyTorch are timed to (default 0.88)",
            "  --results DIR            where the results file goes (default bench/results)",
            "  --readme FILE            rewrite FILE's result blocks from --results afterwards",
            "  --out DIR                where bench.json and PyTorch's JSON go (default out/bench)",
            "  --profile-steps N        steps profiled after --profile-warmup unmeasured ones (default 300, 50)",
            "  --kernel-batch N         rows per task for the BLAS and kernel rates (default: batch / partitions)",
            "  --torch-script FILE      the reference script (default bench/torch/torch_mlp.py)",
            "  --torch-python LIST      Pythons to try for torch (default python3,/usr/bin/python3)",
            "  --transform-copies N     transform speed on the test rows repeated N times (default 4: 40,000 rows)",
            "  --transform-runs N       timed transform runs of each model, after a warm-up; the median counts (default 5)",
            "  --only transform         only the transform speed (sparkmlp and MLlib fitted briefly on the training rows)",
            "  --only accuracy          only the accuracy of the training options (e.g. --preset conf/fashion-mnist-best.properties),",
            "                           --repeats runs of sparkmlp and of PyTorch on the same setting, against",
            "  --accuracy-target A      (default: what the preset's comment promises, 'reaches >= A test accuracy';",
            "                           none: no verdict)",
            "  --only gzip-read         only the time to read and pack a large gzipped set at each of --gzip-partitions:",
            "  --gzip-data DIR          its folder (default " + GzipReadSpeed.DEFAULT_DIR + "), written once from --data",
            "  --gzip-copies N          as N augmented copies of the training images (default 10: 600,000 images)",
            "  --gzip-partitions LIST   partition counts (default 2,32)",
            "  --gzip-runs N            timed runs at each count, after a warm-up; the median counts (default 3)",
            "",
            "Training options (--data, --preset, --epochs, --batch-size, ...) are submit/train's; all but --preset also",
            "apply to the reference setting. PyTorch runs each setting's layers, epochs, batch, rate (scaled), schedule,",
            "warm-up, momentum, weight decay and seed.");

    private static final Map<String, String> BENCH_DEFAULTS = Map.ofEntries(
            Map.entry("out", "out/bench"),
            Map.entry("results", BenchResults.DEFAULT_DIR.toString()),
            Map.entry("repeats", "3"),
            Map.entry("mllib-iterations", "25,50,100,200,300,400"),
            Map.entry("mllib-min-iterations", "300"),
            Map.entry("mllib-layers", "same,784-100-10"),
            Map.entry("mllib-standardized-iterations", "0"),
            Map.entry("reference-preset", "conf/fashion-mnist.properties"),
            Map.entry("common-accuracy", "0.88"),
            Map.entry("profile-steps", "300"),
            Map.entry("profile-warmup", "50"),
            Map.entry("torch-script", TorchBaseline.SCRIPT.toString()),
            Map.entry("torch-python", "python3,/usr/bin/python3"),
            Map.entry("transform-copies", "4"),
            Map.entry("transform-runs", "5"),
            Map.entry("gzip-data", GzipReadSpeed.DEFAULT_DIR),
            Map.entry("gzip-copies", "10"),
            Map.entry("gzip-partitions", "2,32"),
            Map.entry("gzip-runs", "3"));

    /** Options without a default. */
    private static final List<String> OPTIONAL = List.of("readme", "kernel-batch", "only", "mllib-repeats",
            "accuracy-target");

    /** The parts that {@code --only} runs alone. */
    static final List<String> ONLY = List.of("transform", "gzip-read", "accuracy");

    private Benchmark() {
    }

    public static void main(String[] args) {
        Map<String, String> bench = new LinkedHashMap<>(BENCH_DEFAULTS);
        List<String> training = new ArrayList<>();
        try {
            split(args, bench, training);
        } catch (IllegalArgumentException e) {
            System.err.println("sparkmlp bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (bench.containsKey("help")) {
            System.out.println(USAGE);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("sparkmlp-bench")
                .config(SparkSetup.withDefaults(new SparkConf())).getOrCreate();
        int status = 0;
        try {
            run(spark, bench, training, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("sparkmlp bench: " + e.getMessage());
            status = 2;
        } catch (Exception e) {
            System.err.println("sparkmlp bench: " + e);
            e.printStackTrace();
            status = 1;
        } finally {
            spark.stop();
        }
        if (status != 0) {
            System.exit(status);
        }
    }

    /** Separates the benchmark's own options from the training options, which go on to {@link TrainOptions}. */
    static void split(String[] args, Map<String, String> bench, List<String> training) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                bench.put("help", "true");
                continue;
            }
            String key = arg.startsWith("--") ? arg.substring(2).split("=", 2)[0] : "";
            if (BENCH_DEFAULTS.containsKey(key) || OPTIONAL.contains(key)) {
                String value;
                if (arg.contains("=")) {
                    value = arg.substring(arg.indexOf('=') + 1);
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException("option --" + key + " needs a value");
                }
                bench.put(key, value);
            } else {
                training.add(arg);
            }
        }
    }

    /** The whole benchmark on a given session, {@code trainingArgs} as submit/train takes them; returns what it writes. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> run(SparkSession spark, Map<String, String> bench, List<String> trainingArgs,
                                          PrintStream console) throws IOException, InterruptedException {
        TrainOptions options = TrainOptions.parse(trainingArgs.toArray(String[]::new));
        String only = bench.get("only");
        if (only != null && !ONLY.contains(only)) {
            throw new IllegalArgumentException("--only takes one of " + ONLY + ", got '" + only + "'");
        }
        if ("gzip-read".equals(only)) {
            return gzipReadOnly(spark, bench, options, console);
        }
        int[] mllibIterations = positiveInts(option(bench, "mllib-iterations"), "mllib-iterations");
        int mllibMinIterations = nonNegativeInts(option(bench, "mllib-min-iterations"), "mllib-min-iterations")[0];
        int repeats = positiveInts(option(bench, "repeats"), "repeats")[0];
        int mllibRepeats = positiveInts(bench.getOrDefault("mllib-repeats", Integer.toString(repeats)), "mllib-repeats")[0];
        double commonAccuracy = fraction(option(bench, "common-accuracy"), "common-accuracy");
        int profileSteps = positiveInts(option(bench, "profile-steps"), "profile-steps")[0];
        int profileWarmup = nonNegativeInts(option(bench, "profile-warmup"), "profile-warmup")[0];
        Path out = Path.of(option(bench, "out"));
        Files.createDirectories(out);

        TrainingParams params = options.training();
        Layout layout = params.layout();
        // the two settings of the issue: the batch-128 reference preset, and the benchmark's own options
        // (submit/bench: the fast preset); command-line training options other than --preset apply to both
        Map<String, TrainOptions> settings = new LinkedHashMap<>();
        String referencePreset = option(bench, "reference-preset");
        if (!referencePreset.equals("none")) {
            settings.put(REFERENCE, TrainOptions.parse(withPreset(trainingArgs, referencePreset)));
        }
        settings.put(PRESET, options);
        List<int[]> mllibLayers = only == null ? mllibLayers(option(bench, "mllib-layers"), layout) : List.of();
        int partitions = options.cluster().partitions() > 0 ? options.cluster().partitions()
                : spark.sparkContext().defaultParallelism();
        ClusterParams cluster = new ClusterParams().partitions(partitions)
                .aggregationDepth(options.cluster().aggregationDepth());
        String folder = options.data() != null ? options.data() : TrainOptions.DEFAULT_DATA;
        MnistFiles files = MnistFiles.find(folder, spark.sparkContext().hadoopConfiguration());

        Map<String, Object> report = new LinkedHashMap<>();
        if (repeats < 3 || mllibRepeats < 3) {
            report.put("quick", String.format(Locale.ROOT, "a quick run: %d run(s) of each sparkmlp and PyTorch figure,"
                    + " %d of each MLlib fit; a benchmark takes at least 3", repeats, mllibRepeats));
        }
        Map<String, Object> environment = new LinkedHashMap<>();
        environment.put("date", Instant.now().toString());
        environment.put("master", spark.sparkContext().master());
        environment.put("partitions", partitions);
        environment.put("default_parallelism", spark.sparkContext().defaultParallelism());
        environment.put("available_processors", Runtime.getRuntime().availableProcessors());
        environment.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        environment.put("spark", spark.version());
        Blas.Report blasReport = Blas.report();
        environment.put("blas", blasReport.used().id() + " " + blasReport.version() + " " + blasReport.coreType()
                + " " + blasReport.implementation());
        environment.put("blas_library", blasReport.library());
        environment.put("blas_core", blasReport.coreType());
        environment.put("blas_threads", blasReport.threads());
        environment.put("openblas_num_threads", String.valueOf(System.getenv("OPENBLAS_NUM_THREADS")));
        environment.put("omp_num_threads", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        environment.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        environment.put("data", folder);
        report.put("environment", environment);
        Map<String, Object> settingsReport = new LinkedHashMap<>();
        settingsReport.put("repeats", repeats);
        settingsReport.put("mllib_repeats", mllibRepeats);
        settingsReport.put("mllib_iterations", mllibIterations);
        settingsReport.put("mllib_min_iterations", mllibMinIterations);
        settingsReport.put("mllib_layers", mllibLayers.stream().map(Benchmark::dashed).toList());
        settingsReport.put("common_accuracy", commonAccuracy);
        settingsReport.put("headline_setting", PRESET);
        for (Map.Entry<String, TrainOptions> s : settings.entrySet()) {
            settingsReport.put(s.getKey(), s.getValue().training().toString());
        }
        settingsReport.put("reference_preset", referencePreset);
        report.put("settings", settingsReport);
        console.printf("bench: %s on %s, %d partitions, %s%n", layout, spark.sparkContext().master(), partitions,
                blasReport.describe());

        // the same cached DataFrames feed every trainer
        long loadStart = System.nanoTime();
        Dataset<Row> train = TrainApp.read(spark, files.trainImages(), files.trainLabels(), partitions).cache();
        Dataset<Row> test = TrainApp.read(spark, files.testImages(), files.testLabels(), partitions).cache();
        long trainRows = train.count();
        long testRows = test.count();
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        environment.put("train_rows", trainRows);
        environment.put("test_rows", testRows);
        console.printf("bench: %d training and %d test rows read and cached in %.1f s%n", trainRows, testRows, loadSeconds);
        if ("accuracy".equals(only)) {
            report.remove("settings");
            report.put("accuracy", accuracyOnly(spark, bench, presetOf(trainingArgs), options, train, test, cluster,
                    repeats, folder, out, console));
            writeJson(report, out.resolve("accuracy.json"), console);
            console.println("bench: wrote " + BenchResults.write(resultsDir(bench), accuracyKind(presetOf(trainingArgs)),
                    report));
            train.unpersist();
            test.unpersist();
            return report;
        }
        if ("transform".equals(only)) {
            report.remove("settings");
            report.remove("quick");
            report.put("transform", measureTransform(train, test, params, bench, console));
            writeJson(report, out.resolve("transform.json"), console);
            console.println("bench: wrote " + BenchResults.write(resultsDir(bench), "transform", report));
            train.unpersist();
            test.unpersist();
            return report;
        }

        report.put("blas", measureBlas(layout, params, partitions, bench, console));
        Map<String, Object> cache = new LinkedHashMap<>();
        report.put("cache", cache);
        double[] moments = measureSparkmlpCache(spark, train, layout, partitions, cache, console);
        report.put("step_profile", profileSteps(train, params, cluster, profileWarmup, profileSteps, console));

        Map<String, Map<String, Object>> sparkmlp = new LinkedHashMap<>();
        for (Map.Entry<String, TrainOptions> s : settings.entrySet()) {
            sparkmlp.put(s.getKey(), trainSparkmlp(spark, train, test, s.getKey(), s.getValue().training(), cluster,
                    repeats, console));
        }
        report.put("sparkmlp", sparkmlp);

        Map<String, Map<String, Object>> mllib = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> sweeps = new LinkedHashMap<>();
        for (int[] sizes : mllibLayers) {
            Map<String, Object> sweep = sweepMllib(spark, train, test, sizes, params.seed(), mllibIterations,
                    mllibMinIterations, mllibRepeats, null, trainRows, console);
            mllib.put(dashed(sizes), sweep);
            sweeps.put(dashed(sizes), sweepPoints(sweep));
        }
        report.put("mllib", mllib);
        int[] standardizedIterations = Arrays.stream(nonNegativeInts(option(bench, "mllib-standardized-iterations"),
                "mllib-standardized-iterations")).filter(i -> i > 0).toArray();
        if (standardizedIterations.length > 0) {
            report.put("mllib_standardized", sweepMllib(spark, train, test, layout.sizes(), params.seed(),
                    standardizedIterations, mllibMinIterations, mllibRepeats, moments, trainRows, console));
        }
        Map<String, Object> firstMllib = mllib.values().iterator().next();
        cache.put("mllib_bytes_per_row", firstMllib.get("cached_bytes_per_row"));
        cache.put("mllib_over_sparkmlp", ((Number) firstMllib.get("cached_bytes_per_row")).doubleValue()
                / ((Number) cache.get("sparkmlp_bytes_per_row")).doubleValue());

        Map<String, Object> torch = new LinkedHashMap<>();
        Map<String, Map<String, Object>> torchRuns = new LinkedHashMap<>();
        for (Map.Entry<String, TrainOptions> s : settings.entrySet()) {
            Map<String, Object> runs = runTorch(bench, folder, s.getKey(), s.getValue().training(),
                    spark.sparkContext().defaultParallelism(), repeats, commonAccuracy, out, console);
            torch.put(s.getKey(), runs);
            if (!runs.containsKey("skipped")) {
                torchRuns.put(s.getKey(), runs);
            }
        }
        report.put("pytorch", torch);
        report.put("transform", measureTransform(train, test, params, bench, console));
        Map<String, Object> headline = MainFigures.headline(sparkmlp, sweeps, torchRuns, PRESET, commonAccuracy);
        report.put("headline", headline);
        List<Map<String, Object>> targets = new ArrayList<>((List<Map<String, Object>>) headline.get("targets"));
        targets.addAll(targets(report));
        report.put("targets", targets);

        writeJson(report, out.resolve("bench.json"), console);
        Path written = BenchResults.write(resultsDir(bench), "main", report);
        console.println("bench: wrote " + written);
        console.println();
        console.println(BenchResults.render("main", BenchResults.latest(resultsDir(bench), "main")));
        if (bench.containsKey("readme")) {
            Path readme = Path.of(bench.get("readme"));
            Files.writeString(readme, BenchResults.updateReadme(Files.readString(readme, StandardCharsets.UTF_8),
                    resultsDir(bench)), StandardCharsets.UTF_8);
            console.println("bench: rewrote the result blocks of " + readme + " from " + resultsDir(bench));
        }
        train.unpersist();
        test.unpersist();
        return report;
    }

    /** {@code args} with its {@code --preset} replaced by {@code preset}. */
    static String[] withPreset(List<String> args, String preset) {
        List<String> out = new ArrayList<>(List.of("--preset", preset));
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--preset")) {
                i++;
            } else if (!arg.startsWith("--preset=")) {
                out.add(arg);
            }
        }
        return out.toArray(String[]::new);
    }

    /** {@code same,784-100-10}: the layers of each MLlib sweep, {@code same} for sparkmlp's; duplicates once. */
    static List<int[]> mllibLayers(String list, Layout same) {
        List<int[]> layers = new ArrayList<>();
        for (String item : list.split(",")) {
            int[] sizes;
            if (item.trim().equals("same")) {
                sizes = same.sizes();
            } else {
                try {
                    sizes = Arrays.stream(item.trim().split("-")).mapToInt(Integer::parseInt).toArray();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--mllib-layers takes 'same' or sizes like 784-100-10 separated by"
                            + " commas, got '" + item + "' in '" + list + "'", e);
                }
                if (sizes.length < 2 || sizes[0] != same.inputSize() || sizes[sizes.length - 1] != same.outputSize()) {
                    throw new IllegalArgumentException("--mllib-layers " + item + " must start with the " + same.inputSize()
                            + " inputs and end with the " + same.outputSize() + " classes of the data");
                }
            }
            int[] candidate = sizes;
            if (layers.stream().noneMatch(l -> Arrays.equals(l, candidate))) {
                layers.add(sizes);
            }
        }
        return layers;
    }

    static String dashed(int[] sizes) {
        return Arrays.stream(sizes).mapToObj(Integer::toString).collect(Collectors.joining("-"));
    }

    private static Map<String, Object> measureTransform(Dataset<Row> train, Dataset<Row> test, TrainingParams params,
                                                        Map<String, String> bench, PrintStream console) {
        return TransformSpeed.measure(train, test, params, positiveInts(option(bench, "transform-copies"),
                "transform-copies")[0], positiveInts(option(bench, "transform-runs"), "transform-runs")[0], console);
    }

    /** {@code --only gzip-read}: writes the gzipped set when missing, times read + pack, writes gzip-read.json. */
    private static Map<String, Object> gzipReadOnly(SparkSession spark, Map<String, String> bench, TrainOptions options,
                                                    PrintStream console) throws IOException {
        String source = options.data() != null ? options.data() : TrainOptions.DEFAULT_DATA;
        MnistFiles files = GzipReadSpeed.prepare(source, Path.of(option(bench, "gzip-data")),
                positiveInts(option(bench, "gzip-copies"), "gzip-copies")[0], console);
        Map<String, Object> report = new LinkedHashMap<>();
        Map<String, Object> environment = new LinkedHashMap<>();
        environment.put("date", Instant.now().toString());
        environment.put("master", spark.sparkContext().master());
        environment.put("available_processors", Runtime.getRuntime().availableProcessors());
        report.put("environment", environment);
        Map<String, Object> gzip = GzipReadSpeed.measure(spark, files, options.training().layout(),
                positiveInts(option(bench, "gzip-partitions"), "gzip-partitions"),
                positiveInts(option(bench, "gzip-runs"), "gzip-runs")[0], console);
        report.put("gzip_read", gzip);
        List<Map<String, Object>> targets = new ArrayList<>();
        targets.add(target("gzip read + pack seconds, most partitions / fewest", (double) gzip.get("last_over_first"),
                "<=", 1.5));
        report.put("targets", targets);
        Path out = Path.of(option(bench, "out"));
        Files.createDirectories(out);
        writeJson(report, out.resolve("gzip-read.json"), console);
        console.println("bench: wrote " + BenchResults.write(resultsDir(bench), "gzip-read", report));
        return report;
    }

    /** Where the results files go: {@code --results DIR}, else bench/results. */
    private static Path resultsDir(Map<String, String> bench) {
        return Path.of(option(bench, "results"));
    }

    private static void writeJson(Map<String, Object> report, Path file, PrintStream console) {
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        console.println("bench: wrote " + file);
    }

    private static String option(Map<String, String> bench, String key) {
        return bench.getOrDefault(key, BENCH_DEFAULTS.get(key));
    }

    private static Map<String, Object> measureBlas(Layout layout, TrainingParams params, int partitions,
                                                   Map<String, String> bench, PrintStream console) {
        int perTask = bench.containsKey("kernel-batch") ? positiveInts(bench.get("kernel-batch"), "kernel-batch")[0]
                : (params.batchSize() + partitions - 1) / partitions;
        Network network = new Network(layout, params.activation());
        List<BlasProbe.Rate> rates = BlasProbe.measureShapes(layout, perTask, 0.4);
        double kernel = BlasProbe.kernelGflops(network, perTask, 1.5);
        // the largest product by operations; among equals, the fastest, so the fraction is not flattered
        BlasProbe.Rate largest = rates.stream().max((a, b) -> a.shape().flops() != b.shape().flops()
                ? Long.compare(a.shape().flops(), b.shape().flops())
                : Double.compare(a.sgemmGflops(), b.sgemmGflops())).orElseThrow();
        List<Map<String, Object>> shapes = new ArrayList<>();
        for (BlasProbe.Rate r : rates) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("shape", r.shape().describe());
            s.put("flops", r.shape().flops());
            s.put("sgemm_gflops", r.sgemmGflops());
            s.put("dgemm_gflops", r.dgemmGflops());
            shapes.add(s);
            console.printf("bench: %-36s sgemm %6.1f GFLOP/s  dgemm %6.1f GFLOP/s%n", r.shape().describe(),
                    r.sgemmGflops(), r.dgemmGflops());
        }
        Map<String, Object> blas = new LinkedHashMap<>();
        blas.put("implementation", Network.blas().getClass().getName());
        blas.put("rows_per_task", perTask);
        blas.put("shapes", shapes);
        blas.put("largest_shape", largest.shape().describe());
        blas.put("largest_sgemm_gflops", largest.sgemmGflops());
        blas.put("largest_dgemm_gflops", largest.dgemmGflops());
        blas.put("kernel_flops", BlasProbe.kernelFlops(layout, perTask));
        blas.put("kernel_gflops", kernel);
        blas.put("kernel_fraction_of_largest_sgemm", kernel / largest.sgemmGflops());
        console.printf("bench: gradient kernel at %d rows: %.1f GFLOP/s, %.0f%% of sgemm's %.1f on its largest product%n",
                perTask, kernel, 100 * kernel / largest.sgemmGflops(), largest.sgemmGflops());
        return blas;
    }

    /** Packs the training rows as the trainer does and reads what the cache holds; returns the pixels' mean and std. */
    private static double[] measureSparkmlpCache(SparkSession spark, Dataset<Row> train, Layout layout, int partitions,
                                                 Map<String, Object> cache, PrintStream console) {
        PackedData packed;
        double[] moments;
        Meter meter = Meter.start(spark.sparkContext());
        try {
            packed = PackedData.pack(train, "label", "features", layout.inputSize(), layout.outputSize(), partitions);
            moments = packed.meanAndStd();
            // the storage figures reach the status store through the listener bus: wait for every partition
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (meter.peakCachedPartitions() < packed.numPartitions() && System.nanoTime() < deadline) {
                Thread.sleep(20);
                meter.sample();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the cache", e);
        } finally {
            meter.close();
        }
        long bytes = meter.peakCachedBytes();
        if (meter.peakCachedPartitions() < packed.numPartitions()) {
            throw new IllegalStateException("Spark reported " + meter.peakCachedPartitions() + " of the "
                    + packed.numPartitions() + " packed partitions as cached; the cache figure would be wrong");
        }
        packed.unpersist();
        double perRow = bytes / (double) packed.rows();
        cache.put("sparkmlp_bytes", bytes);
        cache.put("sparkmlp_bytes_per_row", perRow);
        console.printf("bench: sparkmlp caches %,d bytes for %,d rows: %.1f bytes a row%n", bytes, packed.rows(), perRow);
        return moments;
    }

    private static List<Map<String, Object>> profileSteps(Dataset<Row> train, TrainingParams params, ClusterParams cluster,
                                                          int warmup, int steps, PrintStream console) {
        List<Map<String, Object>> profiles = new ArrayList<>();
        boolean local = train.sparkSession().sparkContext().isLocal();
        // the default first (in-process under a local master, in the task on a cluster), then the others
        List<String> transports = local ? List.of("in-process", "task", "broadcast") : List.of("task", "broadcast");
        for (String transport : transports) {
            train.sparkSession().sparkContext().setLocalProperty(StepProfiler.TRANSPORT_KEY, transport);
            StepProfiler.Profile p;
            try {
                p = StepProfiler.profile(train, "label", "features", params, cluster, warmup, steps);
            } finally {
                train.sparkSession().sparkContext().setLocalProperty(StepProfiler.TRANSPORT_KEY, null);
            }
            Map<String, Object> map = p.toMap();
            map.put("default", transport.equals(transports.get(0)));
            profiles.add(map);
            console.printf(Locale.ROOT, "bench: step profile (%s weights, batch %d, %d steps, medians): empty job %.2f ms,"
                            + " step %.2f ms = broadcast %.2f + compute %.2f + aggregation %.2f + update %.2f"
                            + " + scheduling %.2f; overhead %.2f ms = %.2fx the empty job%n",
                    p.transport(), p.batchSize(), p.steps(), p.emptyJob().medianMs(), p.step().medianMs(),
                    p.broadcast().medianMs(), p.compute().medianMs(), p.aggregation().medianMs(), p.update().medianMs(),
                    p.scheduling().medianMs(), p.overhead().medianMs(), p.overheadRatio());
        }
        return profiles;
    }

    /** {@code repeats} runs of one setting from scratch; the spread of each figure over them. */
    private static Map<String, Object> trainSparkmlp(SparkSession spark, Dataset<Row> train, Dataset<Row> test,
                                                     String setting, TrainingParams params, ClusterParams cluster,
                                                     int repeats, PrintStream console) {
        List<List<Map<String, Object>>> curves = new ArrayList<>();
        long peakHeap = 0;
        long peakCached = 0;
        double[] samplesPerSecond = new double[repeats];
        for (int run = 0; run < repeats; run++) {
            List<Map<String, Object>> curve = new ArrayList<>();
            int shown = run + 1;
            Trainer trainer = new Trainer(params, cluster).onEpoch(m -> {
                curve.add(point(m));
                console.printf(Locale.ROOT, "bench: sparkmlp %s run %d/%d epoch %d: test accuracy %.4f after %.1f s"
                        + " (%.1f s of steps)%n", setting, shown, repeats, m.epoch(), m.validationAccuracy(),
                        m.elapsedSeconds(), m.cumulativeTrainSeconds());
            });
            try (Meter meter = Meter.start(spark.sparkContext())) {
                // the test rows are the validation set: evaluated after every epoch, outside the timed steps
                TrainingResult result = trainer.fit(train, test, "label", "features");
                samplesPerSecond[run] = result.samplesPerSecond();
                peakHeap = Math.max(peakHeap, meter.peakHeapBytes());
                peakCached = Math.max(peakCached, meter.peakCachedBytes());
            }
            curves.add(curve);
        }
        Map<String, Object> sparkmlp = new LinkedHashMap<>();
        sparkmlp.put("params", params.toString());
        sparkmlp.put("runs", repeats);
        sparkmlp.putAll(MainFigures.summarizeRuns(curves));
        sparkmlp.put("samples_per_second", MainFigures.spread(samplesPerSecond));
        sparkmlp.put("peak_heap_bytes", peakHeap);
        sparkmlp.put("peak_cached_bytes", peakCached);
        return sparkmlp;
    }

    /**
     * A preset's accuracy: sparkmlp trained {@code repeats} times with the benchmark's options (its
     * {@code --preset}), evaluated on the test rows after every epoch, and the same setting through
     * the PyTorch reference as many times, on the same cores.
     */
    private static Map<String, Object> accuracyOnly(SparkSession spark, Map<String, String> bench, String preset,
                                                    TrainOptions options,
                                                    Dataset<Row> train, Dataset<Row> test, ClusterParams cluster,
                                                    int repeats, String folder, Path out, PrintStream console)
            throws IOException, InterruptedException {
        TrainingParams params = options.training();
        Map<String, Object> accuracy = new LinkedHashMap<>();
        accuracy.put("preset", preset == null ? "(none)" : preset);
        accuracy.put("params", params.asMap());
        accuracy.put("repeats", repeats);
        Map<String, Object> sparkmlp = trainSparkmlp(spark, train, test, "preset", params, cluster, repeats, console);
        accuracy.put("sparkmlp", sparkmlp);
        double common = fraction(option(bench, "common-accuracy"), "common-accuracy");
        accuracy.put("pytorch", runTorch(bench, folder, "preset", params, spark.sparkContext().defaultParallelism(),
                repeats, common, out, console));
        Double promised = preset == null ? null : TrainOptions.promisedAccuracy(Path.of(preset));
        double target = bench.containsKey("accuracy-target") ? fraction(bench.get("accuracy-target"), "accuracy-target")
                : promised != null ? promised : Double.NaN;
        double measured = MainFigures.median((Map<String, Object>) sparkmlp.get("final_test_accuracy"));
        accuracy.put("target", target("sparkmlp's final test accuracy (median of " + repeats + ")", measured, ">=",
                target));
        return accuracy;
    }

    /** {@code accuracy-<preset>} ({@code accuracy-fashion-mnist-best}), one results kind per preset; {@code accuracy} without one. */
    static String accuracyKind(String preset) {
        if (preset == null) {
            return "accuracy";
        }
        String name = Path.of(preset).getFileName().toString().replaceFirst("\\.properties$", "");
        return "accuracy-" + name.toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", "-").replaceAll("^-|-$", "");
    }

    /** The last {@code --preset} of the training options, or null. */
    private static String presetOf(List<String> trainingArgs) {
        String preset = null;
        for (int i = 0; i < trainingArgs.size(); i++) {
            String arg = trainingArgs.get(i);
            if (arg.startsWith("--preset=")) {
                preset = arg.substring("--preset=".length());
            } else if (arg.equals("--preset") && i + 1 < trainingArgs.size()) {
                preset = trainingArgs.get(++i);
            }
        }
        return preset;
    }

    private static Map<String, Object> point(EpochMetrics m) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("epoch", m.epoch());
        point.put("elapsed_s", m.elapsedSeconds());
        point.put("train_s", m.cumulativeTrainSeconds());
        point.put("test_accuracy", m.validationAccuracy());
        point.put("test_loss", m.validationLoss());
        return point;
    }

    /**
     * MLlib's MLP fitted from scratch at each {@code maxIter} of {@code iterations}, {@code repeats}
     * times, until {@link MainFigures#stopReason} says it has converged or stopped improving; every
     * point is the test accuracy and the seconds of fits that ran exactly that long.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> sweepMllib(SparkSession spark, Dataset<Row> train, Dataset<Row> test, int[] layers,
                                                  long seed, int[] iterations, int minIterations, int repeats,
                                                  double[] moments, long trainRows, PrintStream console) {
        // the comparison the issue asks for trains on the very DataFrame sparkmlp gets (sparkmlp standardises
        // inside the trainer, MLPC has no such option); given moments, MLlib instead gets the inputs sparkmlp
        // trains on, standardised by the same two numbers on the fly from the same cached rows, as a user
        // with a scaler in the pipeline would give it
        Dataset<Row> mllibTrain = train;
        Dataset<Row> mllibTest = test;
        if (moments != null) {
            double mean = moments[0];
            double std = moments[1];
            Column standardized = org.apache.spark.ml.functions.array_to_vector(functions.transform(
                    org.apache.spark.ml.functions.vector_to_array(functions.col("features"), "float64"),
                    x -> x.minus(mean).divide(std)));
            mllibTrain = train.select(functions.col("label"), standardized.as("features"));
            mllibTest = test.select(functions.col("label"), standardized.as("features"));
        }
        String inputs = moments == null ? "pixels as read" : "standardised inputs";
        String name = dashed(layers);
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        List<Map<String, Object>> sweep = new ArrayList<>();
        long peakHeap = 0;
        long peakCached = 0;
        // one unrecorded fit first: sparkmlp runs after the BLAS probe and the step profile, so MLlib gets a warm JIT too
        new MultilayerPerceptronClassifier().setLayers(layers).setMaxIter(1).setSeed(seed).fit(mllibTrain);
        String stopped = null;
        double tolerance = new MultilayerPerceptronClassifier().getTol();
        for (int maxIter : iterations) {
            int[] made = new int[repeats];
            double[] accuracies = new double[repeats];
            double[] seconds = new double[repeats];
            for (int run = 0; run < repeats; run++) {
                MultilayerPerceptronClassifier mlpc = new MultilayerPerceptronClassifier()
                        .setLayers(layers).setMaxIter(maxIter).setSeed(seed);
                MultilayerPerceptronClassificationModel model;
                long start = System.nanoTime();
                try (Meter meter = Meter.start(spark.sparkContext())) {
                    model = mlpc.fit(mllibTrain);
                    peakHeap = Math.max(peakHeap, meter.peakHeapBytes());
                    peakCached = Math.max(peakCached, meter.peakCachedBytes());
                }
                seconds[run] = (System.nanoTime() - start) / 1e9;
                made[run] = model.summary().totalIterations();
                accuracies[run] = accuracy.evaluate(model.transform(mllibTest));
                console.printf(Locale.ROOT, "bench: MLlib %s (%s) maxIter %d run %d/%d: %d iterations, test accuracy %.4f"
                        + " after %.1f s of fit%n", name, inputs, maxIter, run + 1, repeats, made[run], accuracies[run],
                        seconds[run]);
            }
            sweep.add(MainFigures.mllibPoint(maxIter, made, accuracies, seconds));
            stopped = MainFigures.stopReason(sweep, minIterations);
            if (stopped != null) {
                break;
            }
        }
        if (stopped == null) {
            stopped = "the iteration list ended before MLlib converged or stopped improving: the last point is a lower"
                    + " bound of its best";
        }
        Map<String, Object> best = MainFigures.bestPoint(sweep);
        console.printf(Locale.ROOT, "bench: MLlib %s (%s): best test accuracy %.4f at maxIter %s; sweep stopped: %s%n",
                name, inputs, MainFigures.accuracy(best), best.get("max_iter"), stopped);
        Map<String, Object> mllib = new LinkedHashMap<>();
        mllib.put("estimator", "org.apache.spark.ml.classification.MultilayerPerceptronClassifier (l-bfgs, tol "
                + tolerance + ", sigmoid hidden layers, blockSize 128), each maxIter fitted from scratch");
        mllib.put("layers", name);
        mllib.put("inputs", inputs);
        mllib.put("runs", repeats);
        mllib.put("sweep", sweep);
        mllib.put("stopped", stopped);
        mllib.put("converged", sweep.get(sweep.size() - 1).get("converged"));
        mllib.put("best_test_accuracy", MainFigures.accuracy(best));
        mllib.put("best_max_iter", best.get("max_iter"));
        mllib.put("peak_heap_bytes", peakHeap);
        mllib.put("peak_cached_bytes", peakCached);
        mllib.put("cached_bytes_per_row", peakCached / (double) trainRows);
        console.printf("bench: MLlib %s (%s) cached %,d bytes at its peak: %.1f bytes a row%n", name, inputs, peakCached,
                peakCached / (double) trainRows);
        return mllib;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> sweepPoints(Map<String, Object> sweep) {
        return (List<Map<String, Object>>) sweep.get("sweep");
    }

    /** {@code repeats} runs of the PyTorch reference in one sparkmlp setting, or why none ran. */
    private static Map<String, Object> runTorch(Map<String, String> bench, String data, String setting,
                                                TrainingParams params, int threads, int repeats, double commonAccuracy,
                                                Path out, PrintStream console) throws IOException, InterruptedException {
        Map<String, Object> torch = new LinkedHashMap<>();
        String script = option(bench, "torch-script");
        String python = Files.isRegularFile(Path.of(script))
                ? TorchBaseline.findPython(Arrays.asList(option(bench, "torch-python").split(","))) : null;
        List<String> args = null;
        if (!Files.isRegularFile(Path.of(script))) {
            torch.put("skipped", "no script at " + script);
        } else if (python == null) {
            torch.put("skipped", "none of " + option(bench, "torch-python") + " imports torch");
        } else {
            try {
                args = TorchBaseline.arguments(params, data, threads, new double[] {0.85, commonAccuracy, 0.89});
            } catch (IllegalArgumentException e) {
                torch.put("skipped", e.getMessage());
            }
        }
        if (args == null) {
            console.println("bench: PyTorch reference (" + setting + ") skipped: " + torch.get("skipped"));
            return torch;
        }
        List<List<Map<String, Object>>> curves = new ArrayList<>();
        Set<String> blas = new TreeSet<>(); // every run's: the same Python and environment, but say so if not
        for (int run = 0; run < repeats; run++) {
            console.printf("bench: PyTorch %s run %d/%d%n", setting, run + 1, repeats);
            JsonNode result = TorchBaseline.run(python, Path.of(script), args, threads,
                    out.resolve("torch-" + setting + "-" + (run + 1) + ".json"), console);
            curves.add(TorchBaseline.curve(result));
            blas.addAll(TorchBaseline.blas(result));
        }
        String reference = TorchBaseline.referenceBlas(new ArrayList<>(blas));
        if (reference != null) {
            console.println("bench: WARNING: PyTorch ran on the reference BLAS " + reference + ", about 10x slower than"
                    + " OpenBLAS, so its times flatter sparkmlp; install an OpenBLAS (Debian: libopenblas0-openmp)");
            torch.put("reference_blas", reference);
        }
        torch.put("python", python);
        torch.put("blas", new ArrayList<>(blas));
        torch.put("script", script);
        torch.put("args", String.join(" ", args));
        torch.put("runs", repeats);
        torch.putAll(MainFigures.summarizeRuns(curves));
        return torch;
    }

    /** The targets other than the headline's, each with the figure measured in this run, the bound and whether it is met. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> targets(Map<String, Object> report) {
        List<Map<String, Object>> targets = new ArrayList<>();
        List<Map<String, Object>> profiles = (List<Map<String, Object>>) report.get("step_profile");
        for (Map<String, Object> p : profiles) {
            boolean isDefault = (boolean) p.get("default");
            targets.add(target("step overhead / empty job, " + p.get("weights_transport") + " weights"
                    + ("per-epoch".equals(p.get("step_jobs")) ? ", an epoch's steps in one job" : "")
                    + (isDefault ? "" : " (not the default here; informational)"),
                    (double) p.get("overhead_over_empty_job"), "<=", isDefault ? 1.5 : Double.NaN));
        }
        Map<String, Object> blas = (Map<String, Object>) report.get("blas");
        targets.add(kernelTarget(blas));
        Map<String, Object> cache = (Map<String, Object>) report.get("cache");
        targets.add(target("cached bytes per training row, MLlib / sparkmlp", (double) cache.get("mllib_over_sparkmlp"),
                ">=", 6));
        Map<String, Object> transform = (Map<String, Object>) report.get("transform");
        if (transform != null) {
            targets.add(target(String.format(Locale.ROOT, "transform rows/s on %,d test rows: sparkmlp %,.0f / MLlib %,.0f",
                    ((Number) transform.get("rows")).longValue(), rowsPerSecond(transform, "sparkmlp"),
                    rowsPerSecond(transform, "mllib")), (double) transform.get("sparkmlp_over_mllib"), ">=", 5));
        }
        return targets;
    }

    @SuppressWarnings("unchecked")
    private static double rowsPerSecond(Map<String, Object> transform, String model) {
        return (double) ((Map<String, Object>) transform.get(model)).get("rows_per_second");
    }

    /**
     * The kernel's GFLOP/s over sgemm's on its largest product, at least 0.6. The kernel is that
     * product plus more work, so a fraction above 1 cannot be true: the two measurements were not
     * comparable, and it is reported as a measurement error, never as a pass.
     */
    static Map<String, Object> kernelTarget(Map<String, Object> blas) {
        double fraction = (double) blas.get("kernel_fraction_of_largest_sgemm");
        Map<String, Object> t = target("gradient kernel GFLOP/s / sgemm GFLOP/s of its largest product ("
                + blas.get("largest_shape") + ")", fraction, ">=", 0.6);
        if (fraction > 1) {
            t.put("met", false);
            t.put("error", String.format(Locale.ROOT, "measurement error: %.2f is above 1, and the kernel cannot outrun"
                    + " the sgemm it is made of", fraction));
        }
        return t;
    }

    static Map<String, Object> target(String what, Double measured, String comparison, double bound) {
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("target", what);
        target.put("measured", measured);
        target.put("comparison", comparison);
        target.put("bound", Double.isNaN(bound) ? null : bound);
        Boolean met = null;
        if (!Double.isNaN(bound)) {
            met = measured != null && switch (comparison) {
                case ">=" -> measured >= bound;
                case ">" -> measured > bound;
                case "<=" -> measured <= bound;
                default -> throw new IllegalArgumentException("a target compares with >=, > or <=, got '" + comparison + "'");
            };
        }
        target.put("met", met);
        return target;
    }

    private static double fraction(String value, String option) {
        double v;
        try {
            v = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + option + " takes a number between 0 and 1, got '" + value + "'", e);
        }
        if (!(v > 0 && v < 1)) {
            throw new IllegalArgumentException("--" + option + " takes a number between 0 and 1, got " + v);
        }
        return v;
    }

    private static int[] positiveInts(String list, String option) {
        return ints(list, option, 1, "positive integers");
    }

    private static int[] nonNegativeInts(String list, String option) {
        return ints(list, option, 0, "integers >= 0");
    }

    private static int[] ints(String list, String option, int least, String what) {
        int[] values;
        try {
            values = Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + option + " takes " + what + " separated by commas, got '"
                    + list + "'", e);
        }
        for (int v : values) {
            if (v < least) {
                throw new IllegalArgumentException("--" + option + " takes " + what + ", got " + v + " in '" + list + "'");
            }
        }
        return values;
    }
}
