package io.sparkmlp.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void theScaleBlockShowsTheRunsSummaryAndTheScriptsTimes(@TempDir Path dir) throws Exception {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("train_rows", 7290000);
        summary.put("validation_rows", 810000);
        summary.put("test_rows", 10000);
        summary.put("master", "local[2]");
        summary.put("partitions", 8);
        summary.put("blas", "bundled");
        summary.put("epochs", 1);
        summary.put("train_seconds", 141.44);
        summary.put("samples_per_second", 51542.3);
        summary.put("test_accuracy", 0.89821);
        summary.put("hyper_parameters", Map.of("batch-size", 2048, "layers", List.of(784, 256, 128, 10)));
        BenchResults.write(dir, "scale", ScaleResult.report(summary, -1, 212.5, 135, "/var/tmp/f"));
        String updated = BenchResults.updateReadme("<!-- results:scale -->\n<!-- /results:scale -->\n", dir);
        assertTrue(updated.contains("8,100,000 training rows (135 augmented copies"), updated);
        assertTrue(updated.contains("| writing the augmented set (s) | written by an earlier run |"), updated);
        assertTrue(updated.contains("| one epoch, steps only (s) | 141.4 |"), updated);
        assertTrue(updated.contains("| samples/s in that epoch | 51,542 |"), updated);
        assertTrue(updated.contains("| test accuracy after it (10,000 test images) | 0.8982 |"), updated);
        assertTrue(updated.contains("writing (s) | 212.5 |"), updated);
        assertTrue(updated.contains("one run (not a median)"), updated);
        summary.remove("test_accuracy");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScaleResult.report(summary, 30, 200, 135, "/var/tmp/f"));
        assertTrue(e.getMessage().startsWith("the scale run's summary has no 'test_accuracy'"), e.getMessage());
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
