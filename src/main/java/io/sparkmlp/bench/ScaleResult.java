package io.sparkmlp.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records what {@code submit/scale} measured as {@code bench/results/<date>-<machine>-scale.json}:
 * the run's own {@code summary.json} (rows, epoch time, samples/s, test accuracy, settings) and the
 * times the script took around it (writing the augmented set, the whole training command), so that
 * the README's scale figures come from a committed file.
 *
 * <pre>ScaleResult SUMMARY_JSON WRITE_SECONDS RUN_SECONDS COPIES DATA_DIR RESULTS_DIR</pre>
 * {@code WRITE_SECONDS} is negative when the set was already written by an earlier run.
 */
public final class ScaleResult {

    private ScaleResult() {
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws IOException {
        if (args.length != 6) {
            throw new IllegalArgumentException("ScaleResult takes SUMMARY_JSON WRITE_SECONDS RUN_SECONDS COPIES DATA_DIR"
                    + " RESULTS_DIR, got " + args.length + " arguments: " + List.of(args));
        }
        Path summaryFile = Path.of(args[0]);
        if (!Files.isRegularFile(summaryFile)) {
            throw new IllegalArgumentException("the scale run wrote no summary: " + summaryFile + " is missing");
        }
        Map<String, Object> report = report(new ObjectMapper().readValue(summaryFile.toFile(), Map.class),
                Double.parseDouble(args[1]), Double.parseDouble(args[2]), Integer.parseInt(args[3]), args[4]);
        System.out.println("sparkmlp scale: wrote " + BenchResults.write(Path.of(args[5]), "scale", report));
    }

    /** The results of one scale run: the script's timings beside the figures of its {@code summary.json}. */
    static Map<String, Object> report(Map<String, Object> summary, double writeSeconds, double runSeconds, int copies,
                                      String data) {
        Map<String, Object> scale = new LinkedHashMap<>();
        scale.put("runs", 1);
        scale.put("data", data);
        scale.put("copies", copies);
        for (String key : List.of("train_rows", "validation_rows", "test_rows", "master", "partitions", "blas",
                "epochs", "train_seconds", "samples_per_second", "test_accuracy")) {
            if (!summary.containsKey(key)) {
                throw new IllegalArgumentException("the scale run's summary has no '" + key + "'; its keys: "
                        + summary.keySet());
            }
            scale.put(key, summary.get(key));
        }
        Object hyper = summary.get("hyper_parameters");
        if (hyper instanceof Map<?, ?> h) {
            scale.put("batch_size", h.get("batch-size"));
            scale.put("layers", h.get("layers"));
        }
        scale.put("write_seconds", writeSeconds < 0 ? null : writeSeconds);
        scale.put("run_seconds", runSeconds);
        scale.put("driver_memory", System.getenv().getOrDefault("SPARKMLP_DRIVER_MEMORY", "18g"));
        return Map.of("scale", scale);
    }
}
