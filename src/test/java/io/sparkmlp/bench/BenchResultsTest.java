package io.sparkmlp.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class BenchResultsTest {

    @Test
    void theReadmeShowsExactlyTheLatestCommittedResults() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertTrue(readme.contains("<!-- results:blas -->"), "the README has a blas results block");
        assertTrue(readme.contains("<!-- results:main -->"), "the README has the main benchmark's results block");
        assertTrue(readme.contains("<!-- results:accuracy-fashion-mnist-best -->"), "the README has the best preset's accuracy block");
        assertEquals(BenchResults.updateReadme(readme, BenchResults.DEFAULT_DIR), readme,
                "README.md's result blocks differ from bench/results: run submit/readme-tables");
    }

    @Test
    void aRatioBelowItsLowerBoundIsNotMetAndOneAboveItsUpperBoundIsNotMetEither() {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Map<String, Object> low = BlasBench.target(quiet, "x", 4.5, 1.0, 5.0, true);
        assertEquals(4.5, (double) low.get("measured"), 1e-12);
        assertEquals(false, low.get("met"));
        assertEquals(">= 5.0", low.get("target"));
        assertEquals(true, BlasBench.target(quiet, "x", 10.0, 2.0, 5.0, true).get("met"));
        assertEquals(true, BlasBench.target(quiet, "x", 3.3, 3.0, 1.10, false).get("met"));
        assertEquals(false, BlasBench.target(quiet, "x", 3.4, 3.0, 1.10, false).get("met"));
        // an inverted ratio (denominator and numerator swapped) fails the same bound
        assertEquals(false, BlasBench.target(quiet, "x", 1.0, 4.5, 5.0, true).get("met"));
    }

    @Test
    void statsGiveTheMedianMinAndMaxOfOddAndEvenCounts() {
        Map<String, Object> odd = BlasBench.stats(new double[] {3, 1, 2});
        assertEquals(2.0, odd.get("median"));
        assertEquals(1.0, odd.get("min"));
        assertEquals(3.0, odd.get("max"));
        assertEquals(2.5, BlasBench.stats(new double[] {4, 1, 2, 3}).get("median"));
    }

    @Test
    void onOneDateTheLaterWrittenFileWinsWhicheverMachinesNameSortsLast(@TempDir Path dir) throws Exception {
        Path first = BenchResults.write(dir, "blas", blas(100, 40));
        // the same day on a machine whose name sorts after this one's
        Path renamed = dir.resolve(first.getFileName().toString().replaceFirst("^(\\d{4}-\\d{2}-\\d{2})-", "$1-zz-"));
        Files.move(first, renamed);
        Thread.sleep(5);
        Path second = BenchResults.write(dir, "blas", blas(150, 30));
        assertEquals(second.toString(), BenchResults.latest(dir, "blas").get("file"));
        // a file from before files recorded when they were written counts as written first that day
        Map<String, Object> old = new ObjectMapper().readValue(second.toFile(), Map.class);
        old.remove("written");
        Files.delete(second);
        Files.writeString(dir.resolve(second.getFileName()), new ObjectMapper()
                .writeValueAsString(old));
        assertEquals(renamed.toString(), BenchResults.latest(dir, "blas").get("file"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theBlasBlockShowsTheLatestFileOfEveryMachineTheNewestFirst(@TempDir Path dir) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path first = BenchResults.write(dir, "blas", blas(100, 12.5));
        Map<String, Object> other = json.readValue(first.toFile(), Map.class);
        ((Map<String, Object>) other.get("machine")).put("cpu_model", "999");
        Files.delete(first);
        Files.writeString(dir.resolve(first.getFileName().toString().replaceFirst("^(\\d{4}-\\d{2}-\\d{2})-", "$1-zz-")),
                json.writeValueAsString(other));
        Thread.sleep(5);
        BenchResults.write(dir, "blas", blas(150, 150));
        String updated = BenchResults.updateReadme("<!-- results:blas -->\n<!-- /results:blas -->\n", dir);
        int newer = updated.indexOf("| sgemm ratio | 1.00 |");
        int older = updated.indexOf("| sgemm ratio | 8.00 |");
        assertTrue(newer >= 0 && older > newer, "both machines, the newer first: " + updated);
        assertTrue(updated.contains("model 999"), updated);
        // any other kind shows only the latest file
        assertEquals(150.0, ((Map<String, Object>) BenchResults.latest(dir, "blas").get("sgemm_bundled")).get("median"));
    }

    @Test
    void theBlasBlockShowsTheDefaultRunAsTheIssueFoundItAndTheBlasAloneWithoutATarget(@TempDir Path dir) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Map<String, Object> r = blas(120, 15);
        r.put("epoch_bundled", BlasBench.stats(new double[] {1.0, 1.2, 1.1}));
        r.put("epoch_system_pthread", BlasBench.stats(new double[] {1.5, 1.6, 1.4}));
        r.put("epoch_as_found_pthread", BlasBench.stats(new double[] {4.4, 4.2, 4.6}));
        r.put("epoch_speedup", BlasBench.target(quiet, "as found / now", 4.4, 1.1, 3.0, true));
        r.put("epoch_speedup_blas_alone", BlasBench.ratio(quiet, "the BLAS alone", 1.5, 1.1));
        BenchResults.write(dir, "blas", r);
        String updated = BenchResults.updateReadme("<!-- results:blas -->\n<!-- /results:blas -->\n", dir);
        assertTrue(updated.contains("| the same, system pthread OpenBLAS, a job a step: the default run as the issue found it (s)"
                + " | 4.40 | 4.20 | 4.60 | 3 |"), updated);
        assertTrue(updated.contains("| the same, system pthread OpenBLAS (s) | 1.50 | 1.40 | 1.60 | 3 |"), updated);
        assertTrue(updated.contains("| as found / now | 4.00 | >= 3.0 | met |"), updated);
        // a ratio stated for what it shows, with no target and no verdict
        assertTrue(updated.contains("| the BLAS alone | 1.36 |  |  |"), updated);
        assertFalse(updated.contains("as before (s)"), updated);
    }

    @Test
    void theBlasBlockShowsWhatAFewColumnProductCostsOnEachLibraryAndLeavesItOutForOlderFiles(@TempDir Path dir)
            throws Exception {
        Map<String, Object> r = blas(120, 15);
        double value = 1;
        for (String key : BlasBench.fewColumnKeys()) {
            r.put("bundled_" + key, BlasBench.stats(new double[] {value}));
            r.put("system_pthread_" + key, BlasBench.stats(new double[] {10 * value}));
            value++;
        }
        BenchResults.write(dir, "blas", r);
        String updated = BenchResults.updateReadme("<!-- results:blas -->\n<!-- /results:blas -->\n", dir);
        assertTrue(updated.contains("| sgemm 256x1x784, per column | 1.0 | 10.0 |"), updated);
        assertTrue(updated.contains("| sgemm 256x512x784, per column | 4.0 | 40.0 |"), updated);
        assertTrue(updated.contains("| sgemv 256x784 (sparkmlp's one-row product) | 5.0 | 50.0 |"), updated);
        assertTrue(updated.contains("| dgemm 256x1x784 (MLlib's one-row product) | 6.0 | 60.0 |"), updated);

        Path older = dir.resolve("older");
        BenchResults.write(older, "blas", blas(120, 15));
        String without = BenchResults.updateReadme("<!-- results:blas -->\n<!-- /results:blas -->\n", older);
        assertFalse(without.contains("per column"), without);
    }

    private static Map<String, Object> stepReport(double broadcastStepMs, double taskRunMs) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("master", "spark://127.0.0.1:7077");
        report.put("partitions", 2);
        report.put("batch_size", 128);
        report.put("target", 1.5);
        report.put("auto", "broadcast");
        report.put("steps", 300);
        report.put("warmup", 50);
        report.put("repeats", 1);
        report.put("order", "round-robin, each round starting at the next transport");
        for (String transport : List.of("task", "broadcast")) {
            double stepMs = transport.equals("broadcast") ? broadcastStepMs : 2 * broadcastStepMs;
            Map<String, Object> figure = Map.of("mean", taskRunMs, "median", 1, "p90", 2);
            Map<String, Object> kind = new LinkedHashMap<>();
            for (String name : List.of("deserialize_ms", "run_ms", "result_serialization_ms", "transit_ms", "result_bytes")) {
                kind.put(name, figure);
            }
            Map<String, Object> profile = new LinkedHashMap<>();
            profile.put("step", Map.of("median_ms", stepMs));
            profile.put("empty_job", Map.of("median_ms", 5.0));
            profile.put("tasks", Map.of("step", kind, "empty_job", kind));
            Map<String, Object> entry = new LinkedHashMap<>(BlasBench.stats(new double[] {2.5}));
            entry.put("step_ms", BlasBench.stats(new double[] {stepMs}));
            entry.put("profiles", List.of(profile));
            report.put(transport, entry);
        }
        return report;
    }

    @Test
    void theStepBlockShowsOnlyTheLatestFileMarksAutosChoiceAndListsSparksTaskMetrics(@TempDir Path dir)
            throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path first = BenchResults.write(dir, "step-standalone", stepReport(99, 7.25));
        @SuppressWarnings("unchecked")
        Map<String, Object> other = json.readValue(first.toFile(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) other.get("machine");
        machine.put("cpu_model", "999");
        Files.delete(first);
        Files.writeString(dir.resolve(first.getFileName().toString().replaceFirst("^(\\d{4}-\\d{2}-\\d{2})-", "$1-zz-")),
                json.writeValueAsString(other));
        Thread.sleep(5);
        BenchResults.write(dir, "step-standalone", stepReport(26.75, 4.25));
        String updated = BenchResults.updateReadme("<!-- results:step-standalone -->\n<!-- /results:step-standalone -->\n",
                dir);
        assertTrue(!updated.contains("model 999") && !updated.contains("99.00"), "only the latest machine's: " + updated);
        assertTrue(updated.contains("1 runs of 300 steps (after 50 unmeasured)"), updated);
        assertTrue(updated.contains("| broadcast (auto) | 2.50 | 2.50 | 2.50 | 1 | 26.75 | 5.00 | <= 1.5 **not met** |"),
                updated);
        assertTrue(updated.contains("| task | 2.50 | 2.50 | 2.50 | 1 | 53.50 | 5.00 | <= 1.5 **not met** |"), updated);
        assertTrue(updated.contains("| broadcast | step | 4.25 | 4.25 | 4.25 | 4.25 | 4 |"), updated);
        assertTrue(updated.contains("| task | empty job | 4.25 | 4.25 | 4.25 | 4.25 | 4 |"), updated);
    }

    @Test
    void theLatestFileOfAKindFillsItsBlockAndAKindWithoutFilesSaysSo(@TempDir Path dir) throws Exception {
        Map<String, Object> older = blas(100, 40);
        Map<String, Object> newer = blas(150, 30);
        Path first = BenchResults.write(dir, "blas", older);
        Files.move(first, dir.resolve(first.getFileName().toString().replaceFirst("^\\d{4}-\\d{2}-\\d{2}", "2000-01-01")));
        BenchResults.write(dir, "blas", newer);
        String readme = "intro\n<!-- results:blas -->\nstale\n<!-- /results:blas -->\n<!-- results:step-local -->\n"
                + "<!-- /results:step-local -->\nend\n";
        String updated = BenchResults.updateReadme(readme, dir);
        assertTrue(updated.contains("| sgemm 256x512x784, one thread, bundled OpenBLAS (GFLOP/s) | 150.0 | 150.0 | 150.0 | 3 |"),
                updated);
        assertTrue(updated.contains("| sgemm ratio | 5.00 | >= 5.0 | met |"), updated);
        assertTrue(!updated.contains("stale") && updated.startsWith("intro\n") && updated.endsWith("end\n"), updated);
        assertTrue(updated.contains("No results of kind `step-local`"), updated);
        assertEquals(updated, BenchResults.updateReadme(updated, dir), "rendering is idempotent");
        assertThrows(IllegalArgumentException.class, () -> BenchResults.write(dir, "Blas!", newer));
    }

    private static Map<String, Object> scaleSummary(double trainSeconds, double samplesPerSecond, double accuracy) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("train_rows", 7290000);
        summary.put("validation_rows", 810000);
        summary.put("test_rows", 10000);
        summary.put("master", "local[2]");
        summary.put("partitions", 8);
        summary.put("blas", "bundled");
        summary.put("epochs", 1);
        summary.put("train_seconds", trainSeconds);
        summary.put("samples_per_second", samplesPerSecond);
        summary.put("test_accuracy", accuracy);
        summary.put("hyper_parameters", Map.of("batch-size", 2048, "layers", List.of(784, 256, 128, 10)));
        return summary;
    }

    @Test
    void theScaleBlockShowsTheMedianAndRangeOfEachFigureOverTheRuns(@TempDir Path dir) throws Exception {
        List<ScaleResult.Run> runs = List.of(
                new ScaleResult.Run(scaleSummary(150.0, 54000.4, 0.8990), 230.0),
                new ScaleResult.Run(scaleSummary(141.44, 57270.2, 0.89821), 212.5),
                new ScaleResult.Run(scaleSummary(139.0, 58273.4, 0.8994), 220.1));
        BenchResults.write(dir, "scale", ScaleResult.report(runs, 49.23, 135, "/var/tmp/f"));
        String updated = BenchResults.updateReadme("<!-- results:scale -->\n<!-- /results:scale -->\n", dir);
        assertTrue(updated.contains("8,100,000 training rows (135 augmented copies"), updated);
        assertTrue(updated.contains("3 runs on the same written set, each figure their median (min–max)"), updated);
        assertTrue(updated.contains("| writing the augmented set, once (s) | 49.2 |"), updated);
        assertTrue(updated.contains("| one epoch, steps only (s) | 141.4 (139.0–150.0) |"), updated);
        assertTrue(updated.contains("| samples/s in that epoch | 57,270 (54,000–58,273) |"), updated);
        assertTrue(updated.contains("| test accuracy after it (10,000 test images) | 0.8990 (0.8982–0.8994) |"), updated);
        assertTrue(updated.contains("writing (s) | 220.1 (212.5–230.0) |"), updated);
    }

    @Test
    void oneScaleRunIsLabelledAsOneRunAndAnEarlierWrittenSetSaysSo(@TempDir Path dir) throws Exception {
        BenchResults.write(dir, "scale", ScaleResult.report(
                List.of(new ScaleResult.Run(scaleSummary(141.44, 51542.3, 0.89821), 212.5)), -1, 135, "/var/tmp/f"));
        String updated = BenchResults.updateReadme("<!-- results:scale -->\n<!-- /results:scale -->\n", dir);
        assertTrue(updated.contains("one run (not a median)"), updated);
        assertTrue(updated.contains("| writing the augmented set, once (s) | written by an earlier run |"), updated);
        assertTrue(updated.contains("| one epoch, steps only (s) | 141.4 (1 run) |"), updated);
    }

    @Test
    void scaleRunsWithAMissingFigureOrDifferentSettingsAreRefusedNamingIt() {
        Map<String, Object> noAccuracy = scaleSummary(141.44, 51542.3, 0.89821);
        noAccuracy.remove("test_accuracy");
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ScaleResult.report(
                List.of(new ScaleResult.Run(scaleSummary(140, 58000, 0.899), 200),
                        new ScaleResult.Run(noAccuracy, 200)), 30, 135, "/var/tmp/f"));
        assertTrue(missing.getMessage().startsWith("scale run 2's summary has no 'test_accuracy'"), missing.getMessage());
        Map<String, Object> otherMaster = scaleSummary(140, 58000, 0.899);
        otherMaster.put("master", "local[4]");
        IllegalArgumentException differ = assertThrows(IllegalArgumentException.class, () -> ScaleResult.report(
                List.of(new ScaleResult.Run(scaleSummary(140, 58000, 0.899), 200),
                        new ScaleResult.Run(otherMaster, 200)), 30, 135, "/var/tmp/f"));
        assertEquals("the scale runs differ in 'master': run 1 has local[2], run 2 has local[4]", differ.getMessage());
    }

    private static Map<String, Object> blas(double bundled, double system) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("sgemm_bundled", BlasBench.stats(new double[] {bundled, bundled, bundled}));
        r.put("sgemm_system_pthread", BlasBench.stats(new double[] {system, system, system}));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        r.put("sgemm_ratio", BlasBench.target(quiet, "sgemm ratio", bundled, system, 5.0, true));
        r.put("bundled", "bundled");
        r.put("system_pthread", "system");
        r.put("epochs", List.of());
        return r;
    }
}
