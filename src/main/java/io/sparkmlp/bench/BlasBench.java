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
 * carries the JIT's warm-up; two JVMs a configuration, taking turns; the median of the six) with the bundled OpenBLAS, with the system's pthread OpenBLAS as
 * sparkmlp ran before it brought its own, and with the bundled OpenBLAS on a machine whose system
 * BLAS is the OpenMP build and {@code OMP_NUM_THREADS} unset (as Debian's PyTorch users have it).
 * A configuration whose system library is not installed is skipped and said so.
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

        List<Map<String, Object>> bundledSgemm = repeat(3, () -> child(bundled, "sgemm"));
        report.put("sgemm_bundled", summary(bundledSgemm, "gflops_256x512x784"));
        report.put("bundled", bundledSgemm.get(0).get("describe"));
        console.println("blas bench: " + bundledSgemm.get(0).get("describe"));
        if (hasPthread) {
            List<Map<String, Object>> systemSgemm = repeat(3, () -> child(system, "sgemm"));
            report.put("sgemm_system_pthread", summary(systemSgemm, "gflops_256x512x784"));
            report.put("system_pthread", systemSgemm.get(0).get("describe"));
            console.println("blas bench: " + systemSgemm.get(0).get("describe"));
            report.put("sgemm_ratio", target(console, "sgemm 256x512x784 on one thread, bundled / system OpenBLAS",
                    median(report, "sgemm_bundled"), median(report, "sgemm_system_pthread"), 5.0, true));
        } else {
            console.println("blas bench: no system OpenBLAS (pthread build) in " + PTHREAD
                    + ": apt-get install libopenblas0-pthread to compare with it");
        }

        String[] args = {"--preset", preset, "--data", data};
        // the configurations take turns, twice over, so that a slow spell of a shared machine falls on all of them
        Map<String, Map<String, String>> configurations = new LinkedHashMap<>();
        configurations.put("epoch_bundled", bundled);
        if (hasPthread) {
            configurations.put("epoch_system_pthread", system);
        }
        if (hasOpenmp) {
            configurations.put("epoch_bundled_system_openmp", bundledUnderOpenmp);
            configurations.put("epoch_system_openmp_before", systemOpenmp);
        } else {
            console.println("blas bench: no OpenMP OpenBLAS in " + OPENMP
                    + ": apt-get install libopenblas0-openmp to measure the default run beside it");
        }
        Map<String, List<Double>> seconds = new LinkedHashMap<>();
        for (int round = 0; round < EPOCH_ROUNDS; round++) {
            for (Map.Entry<String, Map<String, String>> c : configurations.entrySet()) {
                @SuppressWarnings("unchecked")
                List<Number> values = (List<Number>) child(c.getValue(), "epoch", args).get("values");
                values.forEach(v -> seconds.computeIfAbsent(c.getKey(), k -> new ArrayList<>()).add(v.doubleValue()));
            }
        }
        String[] labels = {"bundled OpenBLAS", "system pthread OpenBLAS (before)",
                "default run with the OpenMP build as system BLAS and OMP_NUM_THREADS unset",
                "system OpenMP OpenBLAS with OMP_NUM_THREADS unset (before)"};
        int i = 0;
        for (String key : List.of("epoch_bundled", "epoch_system_pthread", "epoch_bundled_system_openmp",
                "epoch_system_openmp_before")) {
            if (seconds.containsKey(key)) {
                Map<String, Object> stats = stats(seconds.get(key).stream().mapToDouble(Double::doubleValue).toArray());
                stats.put("jvms", EPOCH_ROUNDS);
                report.put(key, stats);
                console.printf(Locale.ROOT, "blas bench: epoch, %s: median %.2f s of %d epochs in %d JVMs%n", labels[i],
                        stats.get("median"), seconds.get(key).size(), EPOCH_ROUNDS);
            }
            i++;
        }
        double bundledEpoch = median(report, "epoch_bundled");
        if (hasPthread) {
            report.put("epoch_speedup", target(console, "epoch, before (system pthread OpenBLAS) time / bundled time",
                    median(report, "epoch_system_pthread"), bundledEpoch, 3.0, true));
        }
        if (hasOpenmp) {
            report.put("epoch_speedup_openmp_machine", target(console,
                    "epoch, before (system OpenMP OpenBLAS) time / bundled time", median(report, "epoch_system_openmp_before"),
                    bundledEpoch, 3.0, true));
            report.put("epoch_openmp_over_pthread", target(console, "epoch, OpenMP system build / pthread system build",
                    median(report, "epoch_bundled_system_openmp"), bundledEpoch, 1.10, false));
        }
        return report;
    }

    /** A ratio and its verdict: at least {@code bound} when {@code atLeast}, else at most. */
    static Map<String, Object> target(PrintStream console, String what, double numerator, double denominator,
                                      double bound, boolean atLeast) {
        double ratio = numerator / denominator;
        boolean met = atLeast ? ratio >= bound : ratio <= bound;
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("what", what);
        t.put("measured", ratio);
        t.put("target", (atLeast ? ">= " : "<= ") + bound);
        t.put("met", met);
        console.printf(Locale.ROOT, "blas bench: %s = %.2f (target %s%.2f): %s%n", what, ratio, atLeast ? ">= " : "<= ",
                bound, met ? "met" : "NOT met");
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

    /** Runs this class with {@code --child mode} in a JVM like this one, with {@code env} changed (an empty value removes the variable). */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, String> env, String mode, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!option.startsWith("-agentlib") && !option.startsWith("-javaagent")) {
                command.add(option);
            }
        }
        command.add("-Dspark.master=local[2]");
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

    /** One thread's sgemm on the shape (256x512x784) and on the default network's largest kernel product. */
    private static Map<String, Object> sgemm() {
        Blas.Report blas = Blas.report();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("describe", blas.describe());
        result.put("gflops_256x512x784", BlasProbe.sgemmGflops(new GemmShape("issue", "N", "N", 256, 512, 784), 1.0));
        GemmShape largest = GemmShape.ofKernel(new Layout(784, 256, 128, 10), 64).get(0);
        result.put("gflops_kernel_forward_0", BlasProbe.sgemmGflops(largest, 1.0));
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
