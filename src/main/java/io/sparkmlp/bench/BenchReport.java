package io.sparkmlp.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The benchmark's figures as Markdown: the comparison, the targets, the step breakdown and the BLAS rates. */
final class BenchReport {

    private BenchReport() {
    }

    @SuppressWarnings("unchecked")
    static String markdown(Map<String, Object> report) {
        Map<String, Object> env = (Map<String, Object>) report.get("environment");
        Map<String, Object> sparkmlp = (Map<String, Object>) report.get("sparkmlp");
        Map<String, Object> mllib = (Map<String, Object>) report.get("mllib");
        Map<String, Object> torch = (Map<String, Object>) report.get("pytorch");
        Map<String, Object> cache = (Map<String, Object>) report.get("cache");
        Map<String, Object> blas = (Map<String, Object>) report.get("blas");
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Benchmark of %s: master `%s`, %s partitions, %s cores, BLAS `%s`,"
                        + " OPENBLAS_NUM_THREADS=%s, Spark %s, %s; %s training and %s test rows.%n%n",
                env.get("date"), env.get("master"), env.get("partitions"), env.get("available_processors"),
                env.get("blas"), env.get("openblas_num_threads"), env.get("spark"), env.get("java"),
                env.get("train_rows"), env.get("test_rows")));
        Map<String, Object> scaled = (Map<String, Object>) report.get("mllib_standardized");
        md.append("sparkmlp: `").append(sparkmlp.get("params")).append("`. MLlib: ").append(mllib.get("estimator"))
                .append(", on the same cached DataFrame (").append(mllib.get("inputs")).append(")");
        if (scaled != null) {
            md.append("; for reference also on inputs standardised as sparkmlp standardises them");
        }
        md.append('.');
        if (torch.containsKey("args")) {
            md.append(" PyTorch: ").append(torch.get("args")).append('.');
        }
        md.append("\n\n| | sparkmlp | Spark MLlib | PyTorch |\n|---|---|---|---|\n");
        md.append(row("final test accuracy", num(sparkmlp.get("final_test_accuracy"), 4),
                num(mllib.get("final_test_accuracy"), 4), num(torch.get("final_test_accuracy"), 4)));
        List<Map<String, Object>> ours = (List<Map<String, Object>>) sparkmlp.get("curve");
        List<Map<String, Object>> theirs = (List<Map<String, Object>>) mllib.get("curve");
        double mllibBest = (double) mllib.get("best_test_accuracy");
        md.append(row(String.format(Locale.ROOT, "seconds to MLlib's best (%.4f), packing and data preparation included",
                        mllibBest), num(Benchmark.timeTo(ours, mllibBest, "elapsed_s"), 1),
                num(Benchmark.timeTo(theirs, mllibBest, "elapsed_s"), 1), ""));
        String torchTo88 = "";
        if (torch.containsKey("time_to_train_s")) {
            torchTo88 = num(((Map<String, Object>) torch.get("time_to_train_s")).get("0.88"), 1);
        }
        // steps only, as the PyTorch script counts; MLlib's fit has no such split
        md.append(row("training seconds to 0.88 (steps only, as PyTorch counts them)",
                num(Benchmark.timeTo(ours, 0.88, "train_s"), 1), "", torchTo88));
        md.append(row("whole run, seconds", num(sparkmlp.get("elapsed_seconds"), 1),
                num(theirs.get(theirs.size() - 1).get("elapsed_s"), 1) + " (maxIter " + theirs.get(theirs.size() - 1)
                        .get("max_iter") + ")", torch.containsKey("median_s_per_epoch")
                        ? num(torch.get("median_s_per_epoch"), 2) + " per epoch" : ""));
        md.append(row("cached bytes per training row", num(cache.get("sparkmlp_bytes_per_row"), 0),
                num(cache.get("mllib_bytes_per_row"), 0), ""));
        md.append(row("peak driver heap in use while training (MiB, garbage included)",
                mib(sparkmlp.get("peak_heap_bytes")), mib(mllib.get("peak_heap_bytes")), ""));

        if (scaled != null) {
            md.append(row("MLlib on standardised inputs: best test accuracy, after seconds", "",
                    num(scaled.get("best_test_accuracy"), 4) + " after " + num(Benchmark.timeTo(
                            (List<Map<String, Object>>) scaled.get("curve"), (double) scaled.get("best_test_accuracy"),
                            "elapsed_s"), 1), ""));
        }
        md.append("\n| target (ratios from this run) | measured | bound | met |\n|---|---|---|---|\n");
        for (Map<String, Object> t : (List<Map<String, Object>>) report.get("targets")) {
            Object met = t.get("met");
            md.append(row((String) t.get("target"), num(t.get("measured"), 2),
                    t.get("bound") == null ? "" : t.get("comparison") + " " + num(t.get("bound"), 2),
                    met == null ? "" : (Boolean) met ? "yes" : "**no**"));
        }

        md.append("\nsparkmlp's step, medians in ms over alternating empty jobs and steps:\n\n"
                + "| weights | batch | empty job | step | broadcast | compute | aggregation | update | scheduling"
                + " | overhead | overhead / empty job |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> p : (List<Map<String, Object>>) report.get("step_profile")) {
            md.append(String.format(Locale.ROOT, "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    p.get("weights_transport"), (boolean) p.get("default") ? " (default)" : "", p.get("batch_size"),
                    median(p, "empty_job"), median(p, "step"), median(p, "broadcast"), median(p, "compute"),
                    median(p, "aggregation"), median(p, "update"), median(p, "scheduling"), median(p, "overhead"),
                    num(p.get("overhead_over_empty_job"), 2)));
        }

        md.append(String.format(Locale.ROOT, "%nBLAS on one thread at %s rows a task: the gradient kernel runs at %s"
                        + " GFLOP/s, %s of `sgemm` on its largest product.%n%n| product | sgemm GFLOP/s | dgemm GFLOP/s |%n"
                        + "|---|---|---|%n", blas.get("rows_per_task"), num(blas.get("kernel_gflops"), 1),
                percent(blas.get("kernel_fraction_of_largest_sgemm"))));
        for (Map<String, Object> s : (List<Map<String, Object>>) blas.get("shapes")) {
            md.append(row((String) s.get("shape"), num(s.get("sgemm_gflops"), 1), num(s.get("dgemm_gflops"), 1)));
        }

        md.append("\nTest accuracy against seconds: sparkmlp ").append(curve(ours, "elapsed_s"))
                .append("; MLlib ").append(curve(theirs, "elapsed_s")).append(".\n");
        return md.toString();
    }

    /** {@code text} with what lies between the two markers replaced by {@code body}; fails when a marker is missing. */
    static String replaceBetweenMarkers(String text, String begin, String end, String body) {
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("no '" + begin + "' ... '" + end + "' section to fill in the file");
        }
        return text.substring(0, from + begin.length()) + "\n" + body + text.substring(to);
    }

    private static String curve(List<Map<String, Object>> points, String timeKey) {
        return points.stream().map(p -> String.format(Locale.ROOT, "%.3f@%.1fs", (double) p.get("test_accuracy"),
                ((Number) p.get(timeKey)).doubleValue())).collect(Collectors.joining(" "));
    }

    @SuppressWarnings("unchecked")
    private static String median(Map<String, Object> profile, String key) {
        return num(((Map<String, Object>) profile.get(key)).get("median_ms"), 2);
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    private static String num(Object value, int decimals) {
        if (!(value instanceof Number n)) {
            return value == null ? "n/a" : value.toString();
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", n.doubleValue());
    }

    private static String mib(Object bytes) {
        return bytes instanceof Number n ? String.format(Locale.ROOT, "%,.0f", n.doubleValue() / (1 << 20)) : "n/a";
    }

    private static String percent(Object fraction) {
        return fraction instanceof Number n ? String.format(Locale.ROOT, "%.0f%%", 100 * n.doubleValue()) : "n/a";
    }
}
