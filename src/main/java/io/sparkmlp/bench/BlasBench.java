package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sparkmlp.app.TrainApp;
import io.sparkmlp.app.TrainOptions;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.nn.Blas;
import io.sparkmlp.nn.GemmShape;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.SparkSetup;
import io.sparkmlp.train.StepProfiler;
import io.sparkmlp.train.Trainer;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Which BLAS, measured: every configuration runs in a JVM of its own (a JVM loads one BLAS for
 * good), on the same machine in the same run. {@code sgemm} on one thread, the bundled OpenBLAS
 * against the system's pthread OpenBLAS (median of 3 JVMs each); and a training epoch of
 * {@code conf/fashion-mnist.properties} in {@code local[2]} (epochs 2 to 4 of each JVM, the first
 * carries the JIT's warm-up; two JVMs a configuration, taking turns; the median of the six) with the bundled OpenBLAS, with the system's pthread OpenBLAS, and
 * with the bundled OpenBLAS on a machine whose system BLAS is the OpenMP build and {@code
 * OMP_NUM_THREADS} unset (as Debian's PyTorch users have it). The "today's" epoch is the
 * default run as it found it: the system's OpenBLAS and a Spark job a step ({@code
 * spark.sparkmlp.stepJobs=per-step}, still selectable, and faster now than then, so the ratio
 * errs low); it runs on the pthread build and on the OpenMP build with {@code OMP_NUM_THREADS}
 * unset. The system pthread OpenBLAS with an epoch's steps in one job isolates what the BLAS alone
 * brings. A configuration whose system library is not installed is skipped and said so.
 */
public final class BlasBench {

    static final Path PTHREAD = Path.of("/usr/lib/x86_64-linux-gnu/openblas-pthread");
    static final Path OPENMP = Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp");
    /** JVMs per epoch configuration, taking turns with the others. */
    static final int EPOCH_ROUNDS = 2;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BlasBench() {
    }

    /** {@code BlasBench [--out DIR] [--results bench/results] [--preset FILE] [--data DIR]}; {@code --child sgemm|epoch} is one measurement, run by the parent. */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.println("usage: submit/bench-blas [--out DIR] [--results DIR] [--preset FILE] [--data DIR]"
                    + " (submit/bench-blas --help says what each is)");
            return;
        }
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("blas bench: expected --option VALUE, got '" + args[i]
                        + "' (options: --out DIR, --results DIR, --preset FILE, --data DIR)");
            }
            options.put(args[i].substring(2), args[++i]);
        }
        if (options.containsKey("child")) {
            Map<String, Object> result;
            if (options.get("child").equals("sgemm")) {
                result = sgemm();
            } else if (options.get("child").equals("epoch")) {
                result = epoch(options.get("preset"), options.getOrDefault("data", TrainOptions.DEFAULT_DATA));
            } else {
                throw new IllegalArgumentException("unknown child " + options.get("child"));
            }
            System.out.println("RESULT " + new ObjectMapper().writeValueAsString(result));
            return;
        }
        Path out = Path.of(options.getOrDefault("out", "out/bench"));
        String preset = options.getOrDefault("preset", "conf/fashion-mnist.properties");
        String data = options.getOrDefault("data", TrainOptions.DEFAULT_DATA);
        Map<String, Object> report = run(preset, data, System.out);
        Files.createDirectories(out);
        Files.writeString(out.resolve("blas.json"), JSON.writeValueAsString(report));
        Path results = BenchResults.write(Path.of(options.getOrDefault("results", BenchResults.DEFAULT_DIR.toString())),
                "blas", report);
        System.out.println("blas bench: wrote " + out.resolve("blas.json") + " and " + results);
    }

    /** Runs every configuration and states the three ratios with their targets. */
    static Map<String, Object> run(String preset, String data, PrintStream console) {
        Map<String, Object> report = new LinkedHashMap<>();
        Map<String, String> bundled = Map.of("LD_LIBRARY_PATH", PTHREAD.toString());
        Map<String, String> system = Map.of("LD_LIBRARY_PATH", PTHREAD.toString(), Blas.ENV, "system");
        // sparkmlp before it brought its own BLAS, on a machine whose system BLAS is the OpenMP build: its
        // scripts set OPENBLAS_NUM_THREADS=1 but not OMP_NUM_THREADS
        Map<String, String> systemOpenmp = Map.of("LD_LIBRARY_PATH", OPENMP.toString(), Blas.ENV, "system",
                "OMP_NUM_THREADS", "");
        Map<String, String> bundledUnderOpenmp = Map.of("LD_LIBRARY_PATH", OPENMP.toString(), "OMP_NUM_THREADS", "");
        boolean hasPthread = Files.isRegularFile(PTHREAD.resolve("libblas.so.3"));
        boolean hasOpenmp = Files.isRegularFile(OPENMP.resolve("libblas.so.3"));

        List<Map<String, Object>> bundledSgemm = repeat(3, () -> child(bundled, List.of(), "sgemm"));
        report.put("sgemm_bundled", summary(bundledSgemm, "gflops_256x512x784"));
        report.put("bundled", bundledSgemm.get(0).get("describe"));
        putFewColumns(report, "bundled_", bundledSgemm);
        console.println("blas bench: " + bundledSgemm.get(0).get("describe"));
        if (hasPthread) {
            List<Map<String, Object>> systemSgemm = repeat(3, () -> child(system, List.of(), "sgemm"));
            report.put("sgemm_system_pthread", summary(systemSgemm, "gflops_256x512x784"));
            report.put("system_pthread", systemSgemm.get(0).get("describe"));
            putFewColumns(report, "system_pthread_", systemSgemm);
            console.println("blas bench: " + systemSgemm.get(0).get("describe"));
            report.put("sgemm_ratio", target(console, "sgemm 256x512x784 on one thread, bundled / system OpenBLAS",
                    median(report, "sgemm_bundled"), median(report, "sgemm_system_pthread"), 5.0, true));
        } else {
            console.println("blas bench: no system OpenBLAS (pthread build) in " + PTHREAD
                    + ": apt-get install libopenblas0-pthread to compare with it");
        }

        String[] args = {"--preset", preset, "--data", data};
        // the default run as the issue found it: the system's BLAS and a Spark job a step
        List<String> perStep = List.of("-D" + StepProfiler.STEP_JOBS_KEY + "=per-step");
        // the configurations take turns, twice over, so that a slow spell of a shared machine falls on all of them
        Map<String, Configuration> configurations = new LinkedHashMap<>();
        configurations.put("epoch_bundled", new Configuration("bundled OpenBLAS (the default run)", bundled, List.of()));
        if (hasPthread) {
            configurations.put("epoch_system_pthread", new Configuration(
                    "system pthread OpenBLAS, an epoch's steps in one job (the BLAS alone)", system, List.of()));
            configurations.put("epoch_as_found_pthread", new Configuration(
                    "system pthread OpenBLAS, a job a step (the default run as the issue found it)", system, perStep));
        }
        if (hasOpenmp) {
            configurations.put("epoch_bundled_system_openmp", new Configuration(
                    "default run with the OpenMP build as system BLAS and OMP_NUM_THREADS unset", bundledUnderOpenmp,
                    List.of()));
            configurations.put("epoch_system_openmp_before", new Configuration(
                    "system OpenMP OpenBLAS, OMP_NUM_THREADS unset, an epoch's steps in one job", systemOpenmp, List.of()));
            configurations.put("epoch_as_found_openmp", new Configuration(
                    "system OpenMP OpenBLAS, OMP_NUM_THREADS unset, a job a step (as the issue found it)", systemOpenmp,
                    perStep));
        } else {
            console.println("blas bench: no OpenMP OpenBLAS in " + OPENMP
                    + ": apt-get install libopenblas0-openmp to measure the default run beside it");
        }
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        for (int round = 0; round < EPOCH_ROUNDS; round++) {
            for (Map.Entry<String, Configuration> c : configurations.entrySet()) {
                @SuppressWarnings("unchecked")
                List<Number> values = (List<Number>) child(c.getValue().env(), c.getValue().jvmOptions(), "epoch", args)
                        .get("values");
                values.forEach(v -> seconds.computeIfAbsent(c.getKey(), k -> new ArrayList<>()).add(v.doubleValue()));
            }
        }
        for (Map.Entry<String, Configuration> c : configurations.entrySet()) {
            Map<String, Object> stats = stats(seconds.get(c.getKey()).stream().mapToDouble(Double::doubleValue).toArray());
            stats.put("jvms", EPOCH_ROUNDS);
            stats.put("what", c.getValue().what());
            report.put(c.getKey(), stats);
            console.printf(Locale.ROOT, "blas bench: epoch, %s: median %.2f s of %d epochs in %d JVMs%n",
                    c.getValue().what(), stats.get("median"), seconds.get(c.getKey()).size(), EPOCH_ROUNDS);
        }
        double bundledEpoch = median(report, "epoch_bundled");
        if (hasPthread) {
            report.put("epoch_speedup", target(console,
                    "epoch, the default run as the issue found it (system pthread OpenBLAS, a job a step) / now",
                    median(report, "epoch_as_found_pthread"), bundledEpoch, 3.0, true));
            report.put("epoch_speedup_blas_alone", ratio(console,
                    "epoch, system pthread OpenBLAS / bundled, both an epoch's steps in one job (the BLAS alone)",
                    median(report, "epoch_system_pthread"), bundledEpoch));
        }
        if (hasOpenmp) {
            report.put("epoch_speedup_openmp_machine", target(console,
                    "epoch on an OpenMP machine, as the issue found it (OMP_NUM_THREADS unset, a job a step) / now",
                    median(report, "epoch_as_found_openmp"), bundledEpoch, 3.0, true));
            report.put("epoch_openmp_over_pthread", target(console, "epoch, OpenMP system build / pthread system build",
                    median(report, "epoch_bundled_system_openmp"), bundledEpoch, 1.10, false));
        }
        return report;
    }

    /** One epoch configuration: what it is, the child JVM's environment changes and its extra options. */
    private record Configuration(String what, Map<String, String> env, List<String> jvmOptions) {
    }

    /** A ratio without a target, stated for what it shows. */
    static Map<String, Object> ratio(PrintStream console, String what, double numerator, double denominator) {
        Map<String, Object> t = ratioOf(what, numerator, denominator);
        console.printf(Locale.ROOT, "blas bench: %s = %.2f%n", what, t.get("measured"));
        return t;
    }

    /** A ratio and its verdict: at least {@code bound} when {@code atLeast}, else at most. */
    static Map<String, Object> target(PrintStream console, String what, double numerator, double denominator,
                                      double bound, boolean atLeast) {
        Map<String, Object> t = ratioOf(what, numerator, denominator);
        double ratio = (double) t.get("measured");
        boolean met = atLeast ? ratio >= bound : ratio <= bound;
        t.put("target", (atLeast ? ">= " : "<= ") + bound);
        t.put("met", met);
        console.printf(Locale.ROOT, "blas bench: %s = %.2f (target %s%.2f): %s%n", what, ratio, atLeast ? ">= " : "<= ",
                bound, met ? "met" : "NOT met");
        return t;
    }

    private static Map<String, Object> ratioOf(String what, double numerator, double denominator) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("what", what);
        t.put("measured", numerator / denominator);
        return t;
    }

    private static double median(Map<String, Object> report, String key) {
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) report.get(key);
        return (double) s.get("median");
    }

    /** Median, min and max of {@code key} over the runs, with every value. */
    static Map<String, Object> summary(List<Map<String, Object>> runs, String key) {
        double[] values = runs.stream().mapToDouble(r -> ((Number) r.get(key)).doubleValue()).toArray();
        return stats(values);
    }

    static Map<String, Object> stats(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("median", sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2);
        s.put("min", sorted[0]);
        s.put("max", sorted[sorted.length - 1]);
        s.put("runs", sorted.length);
        s.put("values", values);
        return s;
    }

    private interface Run {
        Map<String, Object> get();
    }

    private static List<Map<String, Object>> repeat(int times, Run run) {
        List<Map<String, Object>> results = new ArrayList<>();
        for (int i = 0; i < times; i++) {
            results.add(run.get());
        }
        return results;
    }

    /**
     * Runs this class with {@code --child mode} in a JVM like this one plus {@code jvmOptions}, with {@code env}
     * changed (an empty value removes the variable).
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, String> env, List<String> jvmOptions, String mode,
                                             String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-agentlib") && !option.startsWith("-javaagent")) {
                command.add(option);
            }
        }
        command.add("-Dspark.master=local[2]");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(BlasBench.class.getName());
        command.add("--child");
        command.add(mode);
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        env.forEach((k, v) -> {
            if (v.isEmpty()) {
                builder.environment().remove(k);
            } else {
                builder.environment().put(k, v);
            }
        });
        List<String> lines = new ArrayList<>();
        try {
            Process process = builder.start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    lines.add(line);
                }
            }
            int status = process.waitFor();
            for (String line : lines) {
                if (line.startsWith("RESULT ")) {
                    return new ObjectMapper().readValue(line.substring(7), Map.class);
                }
            }
            throw new IllegalStateException("the " + mode + " measurement (" + env + ") exited with " + status
                    + " and no result:\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Column counts n of the 256 x n x 784 products timed per column: one row, a task's small share, a block. */
    static final List<Integer> FEW_COLUMNS = List.of(1, 8, 64, 512);
    /** Microseconds of the one-row forward product through sgemv (256 x 784). */
    static final String ONE_ROW_SGEMV = "us_sgemv_256x784";
    /** Microseconds of MLlib's one-row product, dgemm 256 x 1 x 784. */
    static final String ONE_ROW_DGEMM = "us_dgemm_256x1x784";

    static String fewColumnsKey(int n) {
        return "us_per_column_sgemm_256x" + n + "x784";
    }

    /** The few-column product timings, every one of them. */
    static List<String> fewColumnKeys() {
        List<String> keys = new ArrayList<>();
        FEW_COLUMNS.forEach(n -> keys.add(fewColumnsKey(n)));
        keys.add(ONE_ROW_SGEMV);
        keys.add(ONE_ROW_DGEMM);
        return keys;
    }

    /** Each few-column timing's median, min and max over {@code runs}, under {@code prefix} + its key. */
    private static void putFewColumns(Map<String, Object> report, String prefix, List<Map<String, Object>> runs) {
        for (String key : fewColumnKeys()) {
            report.put(prefix + key, summary(runs, key));
        }
    }

    /** One thread's sgemm on the shape (256x512x784) and on the default network's largest kernel product. */
    private static Map<String, Object> sgemm() {
        Blas.Report blas = Blas.report();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("describe", blas.describe());
        result.put("gflops_256x512x784", BlasProbe.sgemmGflops(new GemmShape("issue", "N", "N", 256, 512, 784), 1.0));
        GemmShape largest = GemmShape.ofKernel(new Layout(784, 256, 128, 10), 64).get(0);
        result.put("gflops_kernel_forward_0", BlasProbe.sgemmGflops(largest, 1.0));
        // the first layer's product for a few columns: what a call costs beyond its arithmetic
        for (int n : FEW_COLUMNS) {
            result.put(fewColumnsKey(n), BlasProbe.sgemmMicrosPerColumn(new GemmShape("columns", "N", "N", 256, n, 784), 0.5));
        }
        result.put(ONE_ROW_SGEMV, BlasProbe.sgemvMicros(256, 784, 0.5));
        result.put(ONE_ROW_DGEMM, BlasProbe.dgemmMicros(new GemmShape("MLlib's row", "N", "N", 256, 1, 784), 0.5));
        return result;
    }

    /** Epochs 2 to 4 of the preset's training in this JVM's master, seconds each, and their median. */
    private static Map<String, Object> epoch(String preset, String data) throws IOException {
        SparkSession spark = SparkSession.builder().appName("sparkmlp blas bench")
                .config(SparkSetup.withDefaults(new SparkConf()).set("spark.ui.enabled", "false")).getOrCreate();
        try {
            TrainOptions options = TrainOptions.parse("--preset", preset, "--epochs", "4", "--data", data);
            TrainingParams params = options.training();
            MnistFiles files = MnistFiles.find(data, spark.sparkContext().hadoopConfiguration());
            int partitions = spark.sparkContext().defaultParallelism();
            TrainingResult result = new Trainer(params, options.cluster()).onEpoch(m -> { })
                    .fit(TrainApp.read(spark, files.trainImages(), files.trainLabels(), partitions), null, "label", "features");
            double[] seconds = result.history().stream().skip(1).mapToDouble(EpochMetrics::trainSeconds).toArray();
            Map<String, Object> r = stats(seconds);
            r.put("describe", Blas.report().describe());
            r.put("final_train_accuracy", result.history().get(result.history().size() - 1).trainAccuracy());
            return r;
        } finally {
            spark.stop();
        }
    }
}
