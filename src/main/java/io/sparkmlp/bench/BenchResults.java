package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The benchmarks' results files and the README tables made from them. Every benchmark run writes
 * {@code bench/results/<date>-<machine>-<kind>.json} (the machine, the settings and every figure);
 * the README's figures live between {@code <!-- results:KIND -->} and {@code <!-- /results:KIND -->}
 * and are rendered from the latest committed file of that kind, never typed by hand
 * ({@code submit/readme-tables} rewrites them; a test checks that they match).
 */
public final class BenchResults {

    public static final Path DEFAULT_DIR = Path.of("bench", "results");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Pattern BLOCK = Pattern.compile(
            "(<!-- results:([a-z-]+) -->\\n)(.*?)(<!-- /results:\\2 -->)", Pattern.DOTALL);

    private BenchResults() {
    }

    /** {@code BenchResults [README.md [bench/results]]}: rewrites the README's result blocks from the latest files. */
    public static void main(String[] args) throws IOException {
        Path readme = Path.of(args.length > 0 ? args[0] : "README.md");
        Path dir = args.length > 1 ? Path.of(args[1]) : DEFAULT_DIR;
        String before = Files.readString(readme);
        String after = updateReadme(before, dir);
        Files.writeString(readme, after);
        System.out.println(before.equals(after) ? "readme tables: " + readme + " already matches " + dir
                : "readme tables: rewrote the result blocks of " + readme + " from " + dir);
    }

    /** This machine: CPU model, family and model numbers, cores, memory, OS and Java. */
    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, String> cpu = cpuInfo();
        m.put("cpu", cpu.getOrDefault("model name", System.getProperty("os.arch")));
        m.put("cpu_family", cpu.getOrDefault("cpu family", ""));
        m.put("cpu_model", cpu.getOrDefault("model", ""));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        long memory = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        m.put("memory_gib", Math.round(memory / (1024.0 * 1024 * 1024)));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        return m;
    }

    /** A short file-name id of the machine, e.g. {@code intel-6-207-2c}. */
    static String machineId(Map<String, Object> machine) {
        String cpu = String.valueOf(machine.get("cpu")).toLowerCase(Locale.ROOT);
        String vendor = cpu.contains("intel") ? "intel" : cpu.contains("amd") ? "amd" : cpu.replaceAll("[^a-z0-9]+", "").replaceAll("^(.{0,12}).*", "$1");
        return vendor + "-" + machine.get("cpu_family") + "-" + machine.get("cpu_model") + "-" + machine.get("cores") + "c";
    }

    private static Map<String, String> cpuInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    info.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
                if (line.isBlank() && !info.isEmpty()) {
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux: the architecture stands in for the model
        }
        return info;
    }

    /** Writes {@code report} with the machine and date added as {@code dir/<date>-<machine>-<kind>.json}. */
    public static Path write(Path dir, String kind, Map<String, Object> report) {
        if (!kind.matches("[a-z-]+")) {
            throw new IllegalArgumentException("a results kind is lower-case letters and dashes, got '" + kind + "'");
        }
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("kind", kind);
        Instant now = Instant.now();
        file.put("date", LocalDate.ofInstant(now, ZoneOffset.UTC).toString());
        // orders the files of one date, also across machines (the date is only the name's first part)
        file.put("written", now.toString());
        Map<String, Object> machine = machine();
        file.put("machine", machine);
        file.putAll(report);
        Path path = dir.resolve(file.get("date") + "-" + machineId(machine) + "-" + kind + ".json");
        try {
            Files.createDirectories(dir);
            Files.writeString(path, JSON.writeValueAsString(file) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
        return path;
    }

    /**
     * The latest file of {@code kind} in {@code dir}, or null when there is none: the latest date,
     * then, on one date (say two machines'), the latest {@code written} time (a file without one
     * counts as written first that day), then the name.
     */
    static Map<String, Object> latest(Path dir, String kind) {
        List<Map<String, Object>> latest = latestByMachine(dir, kind);
        return latest.isEmpty() ? null : latest.get(0);
    }

    /** The latest file of {@code kind} of every machine in {@code dir}, the latest first, ordered as {@link #latest}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> latestByMachine(Path dir, String kind) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        Map<String, Map<String, Object>> byMachine = new LinkedHashMap<>();
        Map<String, String> orders = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path path : files.filter(p -> p.getFileName().toString().endsWith("-" + kind + ".json"))
                    .sorted().toList()) {
                Map<String, Object> map = JSON.readValue(path.toFile(), Map.class);
                String name = path.getFileName().toString();
                String order = String.valueOf(map.getOrDefault("date", name.substring(0, Math.min(10, name.length()))))
                        + " " + writtenOrder(map.get("written")) + " " + name;
                String machine = map.get("machine") instanceof Map<?, ?> m ? machineId((Map<String, Object>) m) : name;
                if (!orders.containsKey(machine) || order.compareTo(orders.get(machine)) > 0) {
                    map.put("file", dir.resolve(path.getFileName()).toString());
                    byMachine.put(machine, map);
                    orders.put(machine, order);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the results in " + dir, e);
        }
        List<String> machines = new ArrayList<>(byMachine.keySet());
        machines.sort((x, y) -> orders.get(y).compareTo(orders.get(x)));
        List<Map<String, Object>> latest = new ArrayList<>();
        for (String machine : machines) {
            latest.add(byMachine.get(machine));
        }
        return latest;
    }

    /** A {@code written} instant as a fixed-width sortable string (nanoseconds since the epoch); "" for none. */
    private static String writtenOrder(Object written) {
        if (written == null) {
            return "";
        }
        Instant at = Instant.parse(written.toString());
        return String.format(Locale.ROOT, "%020d%09d", at.getEpochSecond(), at.getNano());
    }

    /**
     * Kinds whose block shows the latest file of every machine, not only the latest one: what the
     * BLAS gains depends on whether the system's OpenBLAS knows the CPU, and the transform's ratio on
     * how fast OpenBLAS runs MLlib's one-row products there against sparkmlp's blocks; the gzip reads
     * of different machines were of sets of different sizes.
     */
    static final List<String> PER_MACHINE = List.of("blas", "transform", "gzip-read");

    /** The README with every result block rendered from the latest file of its kind in {@code dir}. */
    static String updateReadme(String readme, Path dir) {
        Matcher m = BLOCK.matcher(readme);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String kind = m.group(2);
            List<Map<String, Object>> latest = PER_MACHINE.contains(kind) ? latestByMachine(dir, kind)
                    : latestByMachine(dir, kind).stream().limit(1).toList();
            StringBuilder body = new StringBuilder();
            if (latest.isEmpty()) {
                body.append("No results of kind `").append(kind).append("` are committed in `").append(dir).append("` yet.\n");
            }
            for (int i = 0; i < latest.size(); i++) {
                body.append(i == 0 ? "" : "\n").append(render(kind, latest.get(i)));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + body + m.group(4)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** The markdown of one results file. */
    static String render(String kind, Map<String, Object> r) {
        StringBuilder md = new StringBuilder();
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) r.get("machine");
        md.append(String.format(Locale.ROOT, "From `%s` (%s, %s, family %s model %s, %s cores, %s GiB):%n%n",
                r.get("file"), r.get("date"), machine.get("cpu"), machine.get("cpu_family"), machine.get("cpu_model"),
                machine.get("cores"), machine.get("memory_gib")));
        switch (kind) {
            case "blas" -> renderBlas(md, r);
            case "step-local", "step-standalone" -> renderStep(md, r);
            case "transform" -> renderTransform(md, r);
            case "gzip-read" -> renderGzip(md, r);
            case "checkpoint" -> renderCheckpoint(md, r);
            case "main" -> renderMain(md, r);
            case "scale" -> renderScale(md, r);
            default -> {
                if (kind.equals("accuracy") || kind.startsWith("accuracy-")) {
                    renderAccuracy(md, r);
                } else {
                    md.append("(no table for results of kind ").append(kind).append(")\n");
                }
            }
        }
        return md.toString();
    }

    @SuppressWarnings("unchecked")
    private static void renderMain(StringBuilder md, Map<String, Object> r) {
        Map<String, Object> env = (Map<String, Object>) r.get("environment");
        Map<String, Object> settings = (Map<String, Object>) r.get("settings");
        Map<String, Object> headline = (Map<String, Object>) r.get("headline");
        if (r.get("quick") != null) {
            md.append("**").append(r.get("quick")).append(".**\n\n");
        }
        md.append(String.format(Locale.ROOT, "Master `%s`, %s partitions; BLAS %s (core %s, `%s`), %s thread(s) a task;"
                        + " Spark %s, %s; %s training and %s test rows. Every time is the median of the runs, with"
                        + " (min–max); sparkmlp %s run(s) a setting, PyTorch the same, MLlib %s fit(s) a point.%n%n",
                env.get("master"), env.get("partitions"), env.get("blas"), env.get("blas_core"), env.get("blas_library"),
                env.get("openblas_num_threads"), env.get("spark"), env.get("java"), env.get("train_rows"),
                env.get("test_rows"), settings.get("repeats"), settings.get("mllib_repeats")));
        for (String setting : List.of("reference", "preset")) {
            if (settings.containsKey(setting)) {
                md.append("- ").append(setting).append(" setting: `").append(settings.get(setting)).append("`\n");
            }
        }
        Map<String, Object> mllib = (Map<String, Object>) headline.get("mllib");
        if (mllib != null) {
            md.append(String.format(Locale.ROOT, "%nHeadline: sparkmlp (%s setting) reached MLlib's best test accuracy,"
                            + " %.4f (%s, maxIter %s), in %s s against MLlib's %s s: **%s× sooner**; it ended at %.4f,"
                            + " **%+.2f points** above it.%n", mllib.get("setting"),
                    ((Number) mllib.get("mllib_best_accuracy")).doubleValue(), mllib.get("mllib_layers"),
                    mllib.get("mllib_best_max_iter"), spread(mllib.get("sparkmlp_s_to_best"), "%.1f"),
                    spread(mllib.get("mllib_s_to_best"), "%.1f"), number(mllib.get("speed_up"), "%.1f"),
                    ((Number) mllib.get("sparkmlp_final_accuracy")).doubleValue(),
                    ((Number) mllib.get("margin_points")).doubleValue()));
        }
        md.append("\n| target | measured | bound | met |\n|---|---|---|---|\n");
        for (Map<String, Object> t : (List<Map<String, Object>>) r.get("targets")) {
            Object met = t.get("met");
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", t.get("target"), number(t.get("measured"), "%.2f"),
                    t.get("bound") == null ? "" : t.get("comparison") + " " + number(t.get("bound"), "%.1f"),
                    met == null ? "" : (Boolean) met ? "met" : "**not met**" + (t.containsKey("error") ? " (" + t.get("error")
                            + ")" : "")));
        }
        md.append("\nMLlib's `MultilayerPerceptronClassifier`, each `maxIter` fitted from scratch on the same cached"
                + " DataFrame:\n\n| layers | maxIter | iterations made | test accuracy | fit s |\n|---|---|---|---|---|\n");
        List<Map<String, Object>> sweeps = new ArrayList<>(((Map<String, Map<String, Object>>) r.get("mllib")).values());
        if (r.get("mllib_standardized") != null) {
            sweeps.add((Map<String, Object>) r.get("mllib_standardized"));
        }
        for (Map<String, Object> sweep : sweeps) {
            String layers = sweep.get("layers") + ("standardised inputs".equals(sweep.get("inputs")) ? " (standardised)" : "");
            for (Map<String, Object> p : (List<Map<String, Object>>) sweep.get("sweep")) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", layers, p.get("max_iter"),
                        p.get("iterations"), spread(p.get("test_accuracy"), "%.4f"), spread(p.get("fit_s"), "%.1f")));
            }
        }
        for (Map<String, Object> sweep : sweeps) {
            md.append("\n").append(sweep.get("layers")).append(": ").append(sweep.get("stopped")).append('.');
        }
        md.append("\n\n| sparkmlp setting | MLlib layers | MLlib's best | MLlib s to it | sparkmlp s to it | MLlib / sparkmlp"
                + " | sparkmlp final | margin (points) |\n|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> c : (List<Map<String, Object>>) headline.get("mllib_all")) {
            md.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %s | %s | %.4f | %+.2f |%n", c.get("setting"),
                    c.get("mllib_layers"), ((Number) c.get("mllib_best_accuracy")).doubleValue(),
                    spread(c.get("mllib_s_to_best"), "%.1f"), spread(c.get("sparkmlp_s_to_best"), "%.1f"),
                    number(c.get("speed_up"), "%.1f"), ((Number) c.get("sparkmlp_final_accuracy")).doubleValue(),
                    ((Number) c.get("margin_points")).doubleValue()));
        }
        List<Map<String, Object>> torch = (List<Map<String, Object>>) headline.get("pytorch");
        if (torch.isEmpty()) {
            md.append("\nPyTorch: not run (").append(((Map<String, Object>) r.get("pytorch")).values().stream()
                    .map(t -> String.valueOf(((Map<String, Object>) t).get("skipped"))).distinct()
                    .reduce((a, b) -> a + "; " + b).orElse("")).append(").\n");
        } else {
            md.append("\nAgainst PyTorch (`bench/torch/torch_mlp.py`) in the same setting and on the same cores; seconds"
                    + " of steps, evaluation excluded, as the script counts:\n\n| setting | sparkmlp s/epoch | PyTorch"
                    + " s/epoch | sparkmlp / PyTorch | accuracy | sparkmlp s to it | PyTorch s to it | sparkmlp / PyTorch"
                    + " | final accuracy, sparkmlp / PyTorch |\n|---|---|---|---|---|---|---|---|---|\n");
            for (Map<String, Object> t : torch) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.2f | %s | %s | %s | %.4f / %.4f |%n",
                        t.get("setting"), spread(t.get("sparkmlp_s_per_epoch"), "%.2f"),
                        spread(t.get("pytorch_s_per_epoch"), "%.2f"), number(t.get("epoch_ratio"), "%.2f"),
                        ((Number) t.get("accuracy")).doubleValue(), spread(t.get("sparkmlp_train_s_to_accuracy"), "%.1f"),
                        spread(t.get("pytorch_train_s_to_accuracy"), "%.1f"), number(t.get("time_ratio"), "%.2f"),
                        ((Number) t.get("sparkmlp_final_accuracy")).doubleValue(),
                        ((Number) t.get("pytorch_final_accuracy")).doubleValue()));
            }
            for (Map.Entry<String, Object> t : ((Map<String, Object>) r.get("pytorch")).entrySet()) {
                Map<String, Object> run = (Map<String, Object>) t.getValue();
                md.append("\nPyTorch, ").append(t.getKey()).append(": ").append(run.containsKey("args")
                        ? "`" + String.valueOf(run.get("args")).replaceAll("--data \\S+ ", "") + "`" : run.get("skipped"));
                md.append(referenceBlasWarning(run));
            }
            md.append('\n');
        }
    }

    /** The warning a PyTorch run on the reference BLAS gets in every block that shows it; "" for another BLAS. */
    private static String referenceBlasWarning(Map<String, Object> torch) {
        return torch.get("reference_blas") == null ? "" : " **PyTorch ran on the reference BLAS (`"
                + torch.get("reference_blas") + "`): its times are not a fair baseline.**";
    }

    /** {@code median (min–max)} of a spread, or {@code median (1 run)}; {@code not reached} for none. */
    @SuppressWarnings("unchecked")
    static String spread(Object stats, String format) {
        if (stats == null) {
            return "not reached";
        }
        if (stats instanceof Number single) { // a file written before its figure had a spread: one run
            return String.format(Locale.ROOT, format, single.doubleValue()) + " (1 run)";
        }
        Map<String, Object> s = (Map<String, Object>) stats;
        String median = String.format(Locale.ROOT, format, ((Number) s.get("median")).doubleValue());
        String range = ((Number) s.get("runs")).intValue() == 1 ? "1 run" : String.format(Locale.ROOT, format + "–" + format,
                ((Number) s.get("min")).doubleValue(), ((Number) s.get("max")).doubleValue());
        return median + " (" + range + (s.containsKey("reached") ? "; reached in " + s.get("reached") : "") + ")";
    }

    private static String number(Object value, String format) {
        return value instanceof Number n ? String.format(Locale.ROOT, format, n.doubleValue()) : "n/a";
    }

    @SuppressWarnings("unchecked")
    private static void renderBlas(StringBuilder md, Map<String, Object> r) {
        md.append("| measurement | median | min | max | runs |\n|---|---|---|---|---|\n");
        row(md, "sgemm 256x512x784, one thread, bundled OpenBLAS (GFLOP/s)", r.get("sgemm_bundled"), "%.1f");
        row(md, "sgemm 256x512x784, one thread, system OpenBLAS, pthread (GFLOP/s)", r.get("sgemm_system_pthread"), "%.1f");
        row(md, "epoch of `conf/fashion-mnist.properties`, `local[2]`, bundled (s)", r.get("epoch_bundled"), "%.2f");
        if (r.containsKey("epoch_as_found_pthread")) {
            row(md, "the same, system pthread OpenBLAS (s)", r.get("epoch_system_pthread"), "%.2f");
            row(md, "the same, system pthread OpenBLAS, a job a step: the default run as the issue found it (s)",
                    r.get("epoch_as_found_pthread"), "%.2f");
        } else {
            // files from before the bench ran the issue's own "before" (a job a step)
            row(md, "the same, system pthread OpenBLAS, as before (s)", r.get("epoch_system_pthread"), "%.2f");
        }
        row(md, r.containsKey("epoch_as_found_openmp") ? "the same, system OpenMP OpenBLAS, `OMP_NUM_THREADS` unset (s)"
                : "the same, system OpenMP OpenBLAS, `OMP_NUM_THREADS` unset, as before (s)",
                r.get("epoch_system_openmp_before"), "%.2f");
        row(md, "the same, system OpenMP OpenBLAS, `OMP_NUM_THREADS` unset, a job a step: as the issue found it (s)",
                r.get("epoch_as_found_openmp"), "%.2f");
        row(md, "the same, bundled, beside a system OpenMP build, `OMP_NUM_THREADS` unset (s)",
                r.get("epoch_bundled_system_openmp"), "%.2f");
        md.append("\n| ratio | measured | target | |\n|---|---|---|---|\n");
        for (String key : List.of("sgemm_ratio", "epoch_speedup", "epoch_speedup_openmp_machine", "epoch_openmp_over_pthread",
                "epoch_speedup_blas_alone")) {
            Map<String, Object> t = (Map<String, Object>) r.get(key);
            if (t != null) {
                md.append(String.format(Locale.ROOT, "| %s | %.2f | %s | %s |%n", t.get("what"), t.get("measured"),
                        t.containsKey("target") ? t.get("target") : "",
                        !t.containsKey("met") ? "" : (boolean) t.get("met") ? "met" : "**not met**"));
            }
        }
        md.append("\nBundled: ").append(r.get("bundled")).append(".  \nSystem: ").append(r.get("system_pthread")).append(".\n");
        if (r.containsKey("bundled_" + BlasBench.ONE_ROW_SGEMV)) {
            md.append("\n| one thread, µs (median of 3 JVMs) | bundled | system pthread |\n|---|---|---|\n");
            for (int n : BlasBench.FEW_COLUMNS) {
                fewColumnsRow(md, "sgemm 256x" + n + "x784, per column", r, BlasBench.fewColumnsKey(n));
            }
            fewColumnsRow(md, "sgemv 256x784 (sparkmlp's one-row product)", r, BlasBench.ONE_ROW_SGEMV);
            fewColumnsRow(md, "dgemm 256x1x784 (MLlib's one-row product)", r, BlasBench.ONE_ROW_DGEMM);
        }
    }

    @SuppressWarnings("unchecked")
    private static void fewColumnsRow(StringBuilder md, String what, Map<String, Object> r, String key) {
        Object bundled = r.get("bundled_" + key);
        Object system = r.get("system_pthread_" + key);
        md.append("| ").append(what).append(" | ")
                .append(bundled == null ? "" : number(((Map<String, Object>) bundled).get("median"), "%.1f")).append(" | ")
                .append(system == null ? "" : number(((Map<String, Object>) system).get("median"), "%.1f")).append(" |\n");
    }

    @SuppressWarnings("unchecked")
    private static void renderStep(StringBuilder md, Map<String, Object> r) {
        md.append(String.format(Locale.ROOT, "Master `%s`, %s partitions, batch %s; step overhead (step − slowest task's"
                + " compute) over the empty job's latency, each step beside its own empty job%s.%n%n", r.get("master"),
                r.get("partitions"), r.get("batch_size"), (r.containsKey("steps") ? "; " + r.get("repeats") + " runs of "
                        + r.get("steps") + " steps (after " + r.get("warmup") + " unmeasured)" : "")
                        + (r.containsKey("order") ? "; transports " + r.get("order") : "")
                        + (r.containsKey("auto") ? "; `auto` takes " + r.get("auto") + " here" : "")));
        md.append("| weights by | overhead / empty job, median | min | max | runs | step ms | empty job ms | target |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        List<String> shown = new ArrayList<>();
        for (String transport : List.of("per-epoch", "in-process", "task", "broadcast")) {
            Map<String, Object> t = (Map<String, Object>) r.get(transport);
            if (t == null) {
                continue;
            }
            shown.add(transport);
            List<Map<String, Object>> profiles = (List<Map<String, Object>>) t.get("profiles");
            List<Double> steps = new ArrayList<>();
            List<Double> empty = new ArrayList<>();
            for (Map<String, Object> p : profiles) {
                steps.add(((Number) ((Map<String, Object>) p.get("step")).get("median_ms")).doubleValue());
                empty.add(((Number) ((Map<String, Object>) p.get("empty_job")).get("median_ms")).doubleValue());
            }
            // the bench's own median of the runs' step medians where it wrote one
            double stepMs = t.get("step_ms") instanceof Map<?, ?> s ? ((Number) s.get("median")).doubleValue() : middle(steps);
            double median = ((Number) t.get("median")).doubleValue();
            double target = ((Number) r.get("target")).doubleValue();
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %s | %.2f | %.2f | <= %.1f %s |%n",
                    (transport.equals("per-epoch") ? (r.get("master").toString().startsWith("local")
                            ? "in-process, an epoch's steps in one job" : "the driver's socket, an epoch's steps in one job")
                            : transport)
                            + (transport.equals(r.get("auto")) ? " (auto)" : ""),
                    median, ((Number) t.get("min")).doubleValue(), ((Number) t.get("max")).doubleValue(), t.get("runs"),
                    stepMs, middle(empty), target, median <= target ? "met" : "**not met**"));
        }
        if (shown.contains("per-epoch")) {
            md.append("\nAn epoch's steps in one job: the job's tasks hold every slot for the epoch, so no empty job can"
                    + " run beside each step; its empty jobs run first, as many as the steps, then its steps. Its step is"
                    + " the driver's hand-off, the tasks' compute and the update, with no job of its own.\n");
        }
        renderTaskTimes(md, r, shown);
    }

    /** Spark's own task metrics of the profiled jobs: the mean per task over the runs, step beside empty job. */
    @SuppressWarnings("unchecked")
    private static void renderTaskTimes(StringBuilder md, Map<String, Object> r, List<String> transports) {
        List<String> figures = List.of("deserialize_ms", "run_ms", "result_serialization_ms", "transit_ms");
        StringBuilder rows = new StringBuilder();
        for (String transport : transports) {
            for (String kind : List.of("step", "empty_job")) {
                double[] means = new double[figures.size()];
                double resultBytes = 0;
                int runs = 0;
                for (Map<String, Object> p : (List<Map<String, Object>>) ((Map<String, Object>) r.get(transport)).get("profiles")) {
                    Map<String, Object> tasks = (Map<String, Object>) p.get("tasks");
                    Map<String, Object> k = tasks == null ? null : (Map<String, Object>) tasks.get(kind);
                    if (k == null) {
                        continue;
                    }
                    for (int f = 0; f < figures.size(); f++) {
                        means[f] += ((Number) ((Map<String, Object>) k.get(figures.get(f))).get("mean")).doubleValue();
                    }
                    resultBytes += ((Number) ((Map<String, Object>) k.get("result_bytes")).get("mean")).doubleValue();
                    runs++;
                }
                if (runs == 0) {
                    continue;
                }
                rows.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %,.0f |%n", transport,
                        kind.replace('_', ' '), means[0] / runs, means[1] / runs, means[2] / runs, means[3] / runs,
                        resultBytes / runs));
            }
        }
        if (rows.length() > 0) {
            md.append("\nWhere a task's time goes, by Spark's own task metrics (mean per task over the runs, ms; Spark"
                    + " records each executor part in whole ms, so only the means over hundreds of tasks resolve less; transit:"
                    + " from launch on the driver to the result read there, less the executor's three parts):\n\n"
                    + "| weights by | job | deserialise | run | serialise result | transit | result bytes |\n"
                    + "|---|---|---|---|---|---|---|\n").append(rows);
        }
    }

    @SuppressWarnings("unchecked")
    private static void renderAccuracy(StringBuilder md, Map<String, Object> r) {
        Map<String, Object> a = (Map<String, Object>) r.get("accuracy");
        Map<String, Object> env = (Map<String, Object>) r.get("environment");
        md.append(String.format(Locale.ROOT, "`%s` on the %,d test images of `%s`, %s, %s; %s run(s) of each,"
                + " median (min–max).%n%n", a.get("preset"), ((Number) env.get("test_rows")).longValue(), env.get("data"),
                env.get("master"), env.get("blas"), a.get("repeats")));
        md.append("| trainer | final test accuracy | best test accuracy | seconds of steps | seconds in all | s per epoch |\n"
                + "|---|---|---|---|---|---|\n");
        for (String[] t : new String[][] {{"sparkmlp", "sparkmlp"}, {"PyTorch, the same setting", "pytorch"}}) {
            Map<String, Object> x = (Map<String, Object>) a.get(t[1]);
            if (x == null || x.containsKey("skipped")) {
                md.append("| ").append(t[0]).append(" | skipped: ").append(x == null ? "not run" : x.get("skipped"))
                        .append(" | | | | |\n");
                continue;
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", t[0],
                    spread(x.get("final_test_accuracy"), "%.4f"), spread(x.get("best_test_accuracy"), "%.4f"),
                    spread(x.get("train_s"), "%.1f"), spread(x.get("elapsed_s"), "%.1f"), spread(x.get("s_per_epoch"), "%.2f")));
        }
        renderTimeTo(md, a, 0.88, 1.5);
        Map<String, Object> target = (Map<String, Object>) a.get("target");
        if (target.get("bound") == null) {
            md.append(String.format(Locale.ROOT, "%n%s: %.4f (the preset promises no accuracy).%n", target.get("target"),
                    ((Number) target.get("measured")).doubleValue()));
        } else {
            md.append(String.format(Locale.ROOT, "%n%s: %.4f, the preset's promise %s %s: **%s**.%n",
                    target.get("target"), ((Number) target.get("measured")).doubleValue(), target.get("comparison"),
                    target.get("bound"), Boolean.TRUE.equals(target.get("met")) ? "met" : "not met"));
        }
        Map<String, Object> torch = (Map<String, Object>) a.get("pytorch");
        if (torch != null && torch.get("args") != null) {
            // the script as the repository names it, wherever the checkout that ran it was
            String script = String.valueOf(torch.get("script")).replaceFirst("^.*/(bench/torch/[^/]+)$", "$1");
            md.append("\nPyTorch ran `").append(script).append(' ').append(torch.get("args")).append("`")
                    .append(torch.get("blas") instanceof List<?> blas && !blas.isEmpty() ? ", its products on " + blas : "")
                    .append(".");
            // on a line of its own, before the block's closing marker
            md.append(referenceBlasWarning(torch)).append('\n');
        }
    }

    /**
     * Seconds of steps to {@code accuracy} from each trainer's epoch curves (the first epoch at or
     * above it, run by run) and sparkmlp's median over PyTorch's, against {@code bound}; nothing when
     * either has no curves.
     */
    @SuppressWarnings("unchecked")
    private static void renderTimeTo(StringBuilder md, Map<String, Object> a, double accuracy, double bound) {
        Map<String, Object> sparkmlp = (Map<String, Object>) a.get("sparkmlp");
        Map<String, Object> torch = (Map<String, Object>) a.get("pytorch");
        if (sparkmlp == null || torch == null || sparkmlp.get("curves") == null || torch.get("curves") == null) {
            return;
        }
        Map<String, Object> ours = MainFigures.timeToSpread((List<List<Map<String, Object>>>) sparkmlp.get("curves"),
                accuracy, "train_s");
        Map<String, Object> theirs = MainFigures.timeToSpread((List<List<Map<String, Object>>>) torch.get("curves"),
                accuracy, "train_s");
        md.append(String.format(Locale.ROOT, "%nSeconds of steps to %.2f test accuracy (the first epoch at or above it,"
                + " run by run): sparkmlp %s, PyTorch %s", accuracy, spread(ours, "%.2f"), spread(theirs, "%.2f")));
        if (ours != null && theirs != null) {
            double ratio = MainFigures.median(ours) / MainFigures.median(theirs);
            md.append(String.format(Locale.ROOT, "; sparkmlp / PyTorch **%.2f** (target <= %.1f: %s)", ratio, bound,
                    ratio <= bound ? "met" : "not met"));
        }
        md.append(".\n");
    }

    @SuppressWarnings("unchecked")
    private static void renderTransform(StringBuilder md, Map<String, Object> r) {
        Map<String, Object> t = (Map<String, Object>) r.get("transform");
        md.append(String.format(Locale.ROOT, "%s rows, %s partitions, %s.%n%n", t.get("rows"), t.get("partitions"), t.get("how")));
        md.append("| model | rows/s | median s | min s | max s |\n|---|---|---|---|---|\n");
        for (String[] m : new String[][] {{"sparkmlp (blocks of rows)", "sparkmlp"},
                {"sparkmlp, one row at a time (Spark's UDF route)", "sparkmlp_row_at_a_time"}, {"Spark MLlib", "mllib"},
                {"Spark's row round trip alone, no scoring (the floor)", "row_round_trip"}}) {
            Map<String, Object> x = (Map<String, Object>) t.get(m[1]);
            if (x == null) {
                continue; // files from before the bench timed the round trip
            }
            List<Number> seconds = (List<Number>) x.get("seconds");
            md.append(String.format(Locale.ROOT, "| %s | %,.0f | %.3f | %.3f | %.3f |%n", m[0],
                    ((Number) x.get("rows_per_second")).doubleValue(), ((Number) x.get("median_seconds")).doubleValue(),
                    seconds.stream().mapToDouble(Number::doubleValue).min().orElse(Double.NaN),
                    seconds.stream().mapToDouble(Number::doubleValue).max().orElse(Double.NaN)));
        }
        double ratio = ((Number) t.get("sparkmlp_over_mllib")).doubleValue();
        md.append(String.format(Locale.ROOT, "%nsparkmlp / MLlib: **%.2fx** (target >= 5: %s).%n", ratio,
                ratio >= 5 ? "met" : "not met"));
        if (t.get("round_trip_over_mllib") instanceof Number bound) {
            md.append(String.format(Locale.ROOT, "The round trip alone / MLlib: %.2fx, the most any transform through"
                    + " Spark's rows could reach here.%n", bound.doubleValue()));
        }
    }

    @SuppressWarnings("unchecked")
    private static void renderGzip(StringBuilder md, Map<String, Object> r) {
        Map<String, Object> g = (Map<String, Object>) r.get("gzip_read");
        md.append(String.format(Locale.ROOT, "%s images (%,d bytes decoded, %,d gzipped); %s.%n%n", g.get("rows"),
                ((Number) g.get("decoded_bytes")).longValue(), ((Number) g.get("gzipped_bytes")).longValue(), g.get("how")));
        md.append("| partitions | median s | runs (s) | bytes inflated / decoded |\n|---|---|---|---|\n");
        for (Map<String, Object> p : (List<Map<String, Object>>) g.get("points")) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %s | %.2f |%n", p.get("partitions"),
                    ((Number) p.get("median_seconds")).doubleValue(), p.get("seconds"),
                    ((Number) ((List<Object>) p.get("inflated_over_decoded")).get(0)).doubleValue()));
        }
        double ratio = ((Number) g.get("last_over_first")).doubleValue();
        md.append(String.format(Locale.ROOT, "%nMost partitions / fewest: **%.2fx** (target <= 1.5: %s).%n", ratio,
                ratio <= 1.5 ? "met" : "not met"));
    }

    @SuppressWarnings("unchecked")
    private static void renderScale(StringBuilder md, Map<String, Object> r) {
        Map<String, Object> s = (Map<String, Object>) r.get("scale");
        Object write = s.get("write_seconds");
        int runs = ((Number) s.get("runs")).intValue();
        md.append(String.format(Locale.ROOT, "%,d training rows (%s augmented copies of Fashion-MNIST's, in `%s`), %s,"
                        + " %s partitions, batch %s, layers %s, driver heap %s; %s.%n%n",
                ((Number) s.get("train_rows")).longValue() + ((Number) s.get("validation_rows")).longValue(),
                s.get("copies"), s.get("data"), s.get("master"), s.get("partitions"), s.get("batch_size"), s.get("layers"),
                s.get("driver_memory"), runs == 1 ? "one run (not a median)"
                        : runs + " runs on the same written set, each figure their median (min–max)"));
        md.append("| measurement | value |\n|---|---|\n");
        md.append(String.format(Locale.ROOT, "| writing the augmented set, once (s) | %s |%n",
                write instanceof Number ? number(write, "%.1f") : "written by an earlier run"));
        md.append(String.format(Locale.ROOT, "| one epoch, steps only (s) | %s |%n", spread(s.get("train_seconds"), "%.1f")));
        md.append(String.format(Locale.ROOT, "| samples/s in that epoch | %s |%n", spread(s.get("samples_per_second"), "%,.0f")));
        md.append(String.format(Locale.ROOT, "| test accuracy after it (%,d test images) | %s |%n",
                ((Number) s.get("test_rows")).longValue(), spread(s.get("test_accuracy"), "%.4f")));
        md.append(String.format(Locale.ROOT, "| the training command, start to finish: reading, packing, standardising,"
                + " the epoch, evaluating, writing (s) | %s |%n", spread(s.get("run_seconds"), "%.1f")));
    }

    @SuppressWarnings("unchecked")
    private static void renderCheckpoint(StringBuilder md, Map<String, Object> r) {
        md.append(String.format(Locale.ROOT, "One checkpoint of %s (%,d parameters): snapshot, atomic write and prune on"
                + " the %s file system.%n%n", r.get("layers"), ((Number) r.get("parameters")).longValue(),
                String.valueOf(r.get("file_system")).split(",")[0]));
        md.append("| contents | bytes | median ms | p90 ms | first write ms | timed writes |\n|---|---|---|---|---|---|\n");
        for (Map<String, Object> c : (List<Map<String, Object>>) r.get("checkpoints")) {
            md.append(String.format(Locale.ROOT, "| %s | %,d | %.1f | %.1f | %.0f | %s |%n", c.get("contents"),
                    ((Number) c.get("bytes")).longValue(), ((Number) c.get("median_ms")).doubleValue(),
                    ((Number) c.get("p90_ms")).doubleValue(), ((Number) c.get("first_ms")).doubleValue(),
                    c.get("timed_writes")));
        }
    }

    private static double middle(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    @SuppressWarnings("unchecked")
    private static void row(StringBuilder md, String what, Object stats, String format) {
        if (stats == null) {
            return;
        }
        Map<String, Object> s = (Map<String, Object>) stats;
        md.append("| ").append(what).append(" | ").append(String.format(Locale.ROOT, format, s.get("median")))
                .append(" | ").append(String.format(Locale.ROOT, format, s.get("min")))
                .append(" | ").append(String.format(Locale.ROOT, format, s.get("max")))
                .append(" | ").append(s.get("runs")).append(" |\n");
    }
}
