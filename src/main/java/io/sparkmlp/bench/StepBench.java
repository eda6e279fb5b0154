package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkmlp.app.TrainApp;
import io.sparkmlp.app.TrainOptions;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.train.SparkSetup;
import io.sparkmlp.train.StepProfiler;
import io.sparkmlp.train.TrainingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The step's cost against an empty Spark job on whatever master it is submitted to: {@link StepProfiler}
 * over {@code --steps} steps of the preset (after {@code --warmup}), repeated {@code --repeats} times,
 * the median ratio with its min and max, for every weight transport the master offers, taken in turn
 * run by run, with Spark's own task metrics of the same jobs. The
 * issue's targets: at most 1.3x the empty job under a local master, 1.5x on a standalone cluster.
 * Writes {@code OUT/step.json} and {@code bench/results/<date>-<machine>-step-local.json} (or {@code -step-standalone}).
 *
 * <pre>submit/bench-step [--master URL] [--steps 300] [--warmup 50] [--repeats 3] [--out out/bench] [training options]</pre>
 */
public final class StepBench {

    private static final Map<String, String> DEFAULTS = Map.of("steps", "300", "warmup", "50", "repeats", "3",
            "out", "out/bench", "results", BenchResults.DEFAULT_DIR.toString());

    private StepBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> bench = new LinkedHashMap<>(DEFAULTS);
        List<String> training = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String key = args[i].startsWith("--") ? args[i].substring(2) : "";
            if (DEFAULTS.containsKey(key) && i + 1 < args.length) {
                bench.put(key, args[++i]);
            } else {
                training.add(args[i]);
            }
        }
        TrainOptions options = TrainOptions.parse(training.toArray(String[]::new));
        if (options.help()) {
            System.out.println("usage: submit/bench-step [--steps N] [--warmup N] [--repeats N] [--out DIR] [--results DIR]"
                    + " [training options]; defaults " + DEFAULTS + "\n\ntraining options:\n" + TrainOptions.USAGE);
            return;
        }
        SparkSession spark = SparkSession.builder().appName("sparkmlp step bench")
                .config(SparkSetup.withDefaults(new SparkConf())).getOrCreate();
        try {
            Map<String, Object> report = run(spark, options, Integer.parseInt(bench.get("steps")),
                    Integer.parseInt(bench.get("warmup")), Integer.parseInt(bench.get("repeats")));
            Path out = Path.of(bench.get("out"));
            Files.createDirectories(out);
            Files.writeString(out.resolve("step.json"),
                    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            String kind = spark.sparkContext().isLocal() ? "step-local" : "step-standalone";
            Path results = BenchResults.write(Path.of(bench.get("results")), kind, report);
            System.out.println("step bench: wrote " + out.resolve("step.json") + " and " + results);
        } finally {
            spark.stop();
        }
    }

    /** The variant whose steps share one job an epoch ({@link StepProfiler#STEP_JOBS_KEY}), weights in-process. */
    static final String PER_EPOCH = "per-epoch";

    static Map<String, Object> run(SparkSession spark, TrainOptions options, int steps, int warmup, int repeats)
            throws java.io.IOException {
        TrainingParams params = options.training();
        String folder = options.data() != null ? options.data() : TrainOptions.DEFAULT_DATA;
        MnistFiles files = MnistFiles.find(folder, spark.sparkContext().hadoopConfiguration());
        int partitions = options.cluster().partitions() > 0 ? options.cluster().partitions()
                : spark.sparkContext().defaultParallelism();
        Dataset<Row> train = TrainApp.read(spark, files.trainImages(), files.trainLabels(), partitions).cache();
        train.count();
        boolean local = spark.sparkContext().isLocal();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("master", spark.sparkContext().master());
        report.put("partitions", partitions);
        report.put("batch_size", params.batchSize());
        report.put("target", local ? 1.3 : 1.5);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        boolean loops = StepProfiler.autoStepJobs(jsc, partitions).equals(PER_EPOCH);
        report.put("auto", loops ? PER_EPOCH : StepProfiler.autoTransport(jsc));
        // an epoch's steps in one job (weights in-process under a local master, over the driver's socket on a
        // cluster), then a job a step with every transport the master offers: under a local master all of
        // them, on a cluster the ones that cross JVMs
        List<String> transports = local ? List.of(PER_EPOCH, "in-process", "task", "broadcast")
                : List.of(PER_EPOCH, "task", "broadcast");
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        Map<String, double[]> ratios = new LinkedHashMap<>();
        Map<String, double[]> stepMs = new LinkedHashMap<>();
        for (String transport : transports) {
            runs.put(transport, new ArrayList<>());
            ratios.put(transport, new double[repeats]);
            stepMs.put(transport, new double[repeats]);
        }
        // round-robin, not one transport after the other: the executors' JIT and caches warm up over the
        // first minutes, which would otherwise favour whichever transport runs last; each round starts at
        // the next transport, so none always takes the coldest slot
        report.put("steps", steps);
        report.put("warmup", warmup);
        report.put("repeats", repeats);
        report.put("order", "round-robin, each round starting at the next transport");
        for (int r = 0; r < repeats; r++) {
            for (int t = 0; t < transports.size(); t++) {
                String transport = transports.get((r + t) % transports.size());
                // "per-epoch": an epoch's steps in one job, the weights as auto shares them; the others a job a step
                spark.sparkContext().setLocalProperty(StepProfiler.TRANSPORT_KEY,
                        transport.equals(PER_EPOCH) ? null : transport);
                spark.sparkContext().setLocalProperty(StepProfiler.STEP_JOBS_KEY,
                        transport.equals(PER_EPOCH) ? PER_EPOCH : "per-step");
                StepProfiler.Profile p = StepProfiler.profile(train, "label", "features", params, options.cluster(),
                        warmup, steps);
                runs.get(transport).add(p.toMap());
                ratios.get(transport)[r] = p.overheadRatio();
                stepMs.get(transport)[r] = p.step().medianMs();
                System.out.printf(Locale.ROOT, "step bench: %s, run %d: step %.2f ms (compute %.2f, weights %.2f), empty"
                                + " job %.2f ms, overhead / empty job %.2f%n", transport, r + 1, p.step().medianMs(),
                        p.compute().medianMs(), p.broadcast().medianMs(), p.emptyJob().medianMs(), p.overheadRatio());
                System.out.println("step bench:   tasks, by Spark's metrics: " + p.tasks());
            }
        }
        for (String transport : transports) {
            Map<String, Object> entry = new LinkedHashMap<>(BlasBench.stats(ratios.get(transport)));
            entry.put("step_ms", BlasBench.stats(stepMs.get(transport)));
            entry.put("profiles", runs.get(transport));
            report.put(transport, entry);
            System.out.printf(Locale.ROOT, "step bench: %s: overhead / empty job median %.2f (min %.2f, max %.2f), step"
                            + " %.2f ms, over %d runs of %d steps%n", transport, entry.get("median"), entry.get("min"),
                    entry.get("max"), ((Map<?, ?>) entry.get("step_ms")).get("median"), repeats, steps);
        }
        spark.sparkContext().setLocalProperty(StepProfiler.TRANSPORT_KEY, null);
        spark.sparkContext().setLocalProperty(StepProfiler.STEP_JOBS_KEY, null);
        train.unpersist();
        return report;
    }
}
