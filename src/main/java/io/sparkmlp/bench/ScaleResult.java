package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Records what {@code submit/scale} measured as {@code bench/results/<date>-<machine>-scale.json}:
 * each run's own {@code summary.json} (rows, epoch time, samples/s, test accuracy, settings) and the
 * times the script took around them (writing the augmented set once, each whole training command),
 * as the median, min and max over the runs, so that the README's scale figures come from a
 * committed file.
 *
 * <pre>ScaleResult RESULTS_DIR COPIES DATA_DIR WRITE_SECONDS RUN_DIR...</pre>
 * {@code WRITE_SECONDS} is negative when the set was already written by an earlier run; each
 * {@code RUN_DIR} holds a run's {@code summary.json} and the script's {@code command-seconds}.
 */
public final class ScaleResult {

    /** What every run must agree on: the same set, master and settings, else their spread means nothing. */
    private static final List<String> SETTINGS = List.of("train_rows", "validation_rows", "test_rows", "master",
            "partitions", "blas", "epochs");
    /** The hyper-parameters the runs must share too; the report keeps only batch size and layers of them. */
    private static final String HYPER_PARAMETERS = "hyper_parameters";
    /** What is measured in each run, reported as median (min–max). */
    private static final List<String> MEASURED = List.of("train_seconds", "samples_per_second", "test_accuracy");

    private ScaleResult() {
    }

    /** One run: its {@code summary.json} and the seconds its training command took. */
    record Run(Map<String, Object> summary, double runSeconds) {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            throw new IllegalArgumentException("ScaleResult takes RESULTS_DIR COPIES DATA_DIR WRITE_SECONDS RUN_DIR...,"
                    + " got " + args.length + " arguments: " + List.of(args));
        }
        List<Run> runs = new ArrayList<>();
        for (int i = 4; i < args.length; i++) {
            Path summaryFile = Path.of(args[i], "summary.json");
            Path secondsFile = Path.of(args[i], "command-seconds");
            for (Path file : List.of(summaryFile, secondsFile)) {
                if (!Files.isRegularFile(file)) {
                    throw new IllegalArgumentException("scale run " + args[i] + " is incomplete: " + file + " is missing");
                }
            }
            runs.add(new Run(new ObjectMapper().readValue(summaryFile.toFile(), Map.class),
                    Double.parseDouble(Files.readString(secondsFile).strip())));
        }
        Map<String, Object> report = report(runs, Double.parseDouble(args[3]), Integer.parseInt(args[1]), args[2]);
        System.out.println("sparkmlp scale: wrote " + BenchResults.write(Path.of(args[0]), "scale", report));
    }

    /** The results of the scale runs: the settings they share, and the spread of each figure over them. */
    static Map<String, Object> report(List<Run> runs, double writeSeconds, int copies, String data) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("the scale report needs at least one run, got none");
        }
        Map<String, Object> first = runs.get(0).summary();
        Map<String, Object> scale = new LinkedHashMap<>();
        scale.put("runs", runs.size());
        scale.put("data", data);
        scale.put("copies", copies);
        for (String key : SETTINGS) {
            scale.put(key, shared(runs, key));
        }
        Object hyper = shared(runs, HYPER_PARAMETERS);
        if (hyper instanceof Map<?, ?> h) {
            scale.put("batch_size", h.get("batch-size"));
            scale.put("layers", h.get("layers"));
        }
        for (String key : MEASURED) {
            double[] values = new double[runs.size()];
            for (int r = 0; r < runs.size(); r++) {
                Object value = required(runs.get(r).summary(), key, r + 1);
                if (!(value instanceof Number n)) {
                    throw new IllegalArgumentException("scale run " + (r + 1) + "'s '" + key + "' is not a number: " + value);
                }
                values[r] = n.doubleValue();
            }
            scale.put(key, MainFigures.spread(values));
        }
        scale.put("write_seconds", writeSeconds < 0 ? null : writeSeconds);
        scale.put("run_seconds", MainFigures.spread(runs.stream().mapToDouble(Run::runSeconds).toArray()));
        scale.put("driver_memory", System.getenv().getOrDefault("SPARKMLP_DRIVER_MEMORY", "18g"));
        return Map.of("scale", scale);
    }

    /** The value of {@code key}, which every run must have and share. */
    private static Object shared(List<Run> runs, String key) {
        Object value = required(runs.get(0).summary(), key, 1);
        for (int r = 1; r < runs.size(); r++) {
            Object other = required(runs.get(r).summary(), key, r + 1);
            if (!Objects.equals(value, other)) {
                throw new IllegalArgumentException("the scale runs differ in '" + key + "': run 1 has " + value
                        + ", run " + (r + 1) + " has " + other);
            }
        }
        return value;
    }

    private static Object required(Map<String, Object> summary, String key, int run) {
        if (!summary.containsKey(key)) {
            throw new IllegalArgumentException("scale run " + run + "'s summary has no '" + key + "'; its keys: "
                    + summary.keySet());
        }
        return summary.get(key);
    }
}
