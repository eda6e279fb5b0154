package io.sparkmlp.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.GemmShape;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("spark")
class BenchmarkTest {

    @Test
    void eachTargetsVerdictFollowsItsMeasuredValueAndBoundAndAKernelAboveSgemmIsAnError() {
        assertEquals(true, Benchmark.target("x", 1.6, ">=", 1.5).get("met"));
        assertEquals(false, Benchmark.target("x", 1.4, ">=", 1.5).get("met"));
        assertEquals(true, Benchmark.target("x", 1.4, "<=", 1.5).get("met"));
        assertEquals(false, Benchmark.target("x", 1.6, "<=", 1.5).get("met"));
        assertEquals(false, Benchmark.target("x", null, ">=", 1.5).get("met"), "a figure not measured is not met");
        assertNull(Benchmark.target("x", 2.0, ">=", Double.NaN).get("met"), "no bound: informational");
        Map<String, Object> blas = new LinkedHashMap<>();
        blas.put("largest_shape", "forward 0");
        blas.put("kernel_fraction_of_largest_sgemm", 0.8);
        assertEquals(true, Benchmark.kernelTarget(blas).get("met"));
        assertNull(Benchmark.kernelTarget(blas).get("error"));
        blas.put("kernel_fraction_of_largest_sgemm", 0.5);
        assertEquals(false, Benchmark.kernelTarget(blas).get("met"));
        blas.put("kernel_fraction_of_largest_sgemm", 1.36);
        Map<String, Object> impossible = Benchmark.kernelTarget(blas);
        assertEquals(false, impossible.get("met"));
        assertTrue(((String) impossible.get("error")).startsWith("measurement error: 1.36 is above 1"), impossible.toString());
    }

    @TempDir
    Path dir;

    @Test
    void theBenchmarksOwnOptionsAreSeparatedFromTheTrainingOptions() {
        Map<String, String> bench = new LinkedHashMap<>();
        List<String> training = new ArrayList<>();
        Benchmark.split(new String[] {"--epochs", "3", "--out", "/tmp/b", "--mllib-iterations=5,10", "--layers=4,3",
                "--readme", "R.md"}, bench, training);
        assertEquals(List.of("--epochs", "3", "--layers=4,3"), training);
        assertEquals("/tmp/b", bench.get("out"));
        assertEquals("5,10", bench.get("mllib-iterations"));
        assertEquals("R.md", bench.get("readme"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.split(new String[] {"--profile-steps"}, new LinkedHashMap<>(), new ArrayList<>()));
        assertTrue(e.getMessage().contains("--profile-steps"), e.getMessage());
    }

    @Test
    void theKernelsProductsAreEveryLayersForwardWeightGradientAndInputGradientButTheFirstLayers() {
        List<GemmShape> shapes = BlasProbe.kernelShapes(new Layout(6, 8, 3), 4);
        assertEquals(List.of(
                new GemmShape("forward 0", "N", "N", 8, 4, 6),
                new GemmShape("forward 1", "N", "N", 3, 4, 8),
                new GemmShape("weight gradient 1", "N", "T", 3, 8, 4),
                new GemmShape("input gradient 1", "T", "N", 8, 4, 3),
                new GemmShape("weight gradient 0", "N", "T", 8, 6, 4)), shapes);
        // 2·4·(6·8 + 8·3) forward, the same for the weight gradients, 2·4·8·3 for the one input gradient
        assertEquals(576 + 576 + 192, BlasProbe.kernelFlops(new Layout(6, 8, 3), 4));
    }

    @Test
    void blasAndKernelRatesAreMeasuredAsPositiveFiniteNumbers() {
        Layout layout = new Layout(32, 16, 4);
        for (BlasProbe.Rate rate : BlasProbe.measureShapes(layout, 8, 0.01)) {
            assertTrue(rate.sgemmGflops() > 0 && Double.isFinite(rate.sgemmGflops()), rate.toString());
            assertTrue(rate.dgemmGflops() > 0 && Double.isFinite(rate.dgemmGflops()), rate.toString());
        }
        double kernel = BlasProbe.kernelGflops(new Network(layout, Activation.RELU), 8, 0.01);
        assertTrue(kernel > 0 && Double.isFinite(kernel), "kernel " + kernel);
    }

    @Test
    void theTimeToAnAccuracyIsThatOfTheFirstPointReachingIt() {
        List<Map<String, Object>> curve = List.of(point(0.80, 1.0), point(0.86, 2.5), point(0.85, 3.0), point(0.89, 4.0));
        assertEquals(2.5, MainFigures.timeTo(curve, 0.86, "elapsed_s"));
        assertEquals(1.0, MainFigures.timeTo(curve, 0.5, "elapsed_s"));
        assertNull(MainFigures.timeTo(curve, 0.90, "elapsed_s"));
    }

    private static Map<String, Object> point(double accuracy, double seconds) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("test_accuracy", accuracy);
        point.put("elapsed_s", seconds);
        point.put("train_s", seconds / 2);
        return point;
    }

    @Test
    void theReferenceSettingTakesTheOtherPresetAndKeepsEveryOtherTrainingOption() {
        assertArrayEquals(new String[] {"--preset", "ref.properties", "--epochs", "2", "--layers=4,3"},
                Benchmark.withPreset(List.of("--preset", "fast.properties", "--epochs", "2", "--preset=x", "--layers=4,3"),
                        "ref.properties"));
        Layout layout = new Layout(16, 8, 3);
        List<int[]> layers = Benchmark.mllibLayers("same,16-5-3,16-8-3", layout);
        assertEquals(2, layers.size(), "sparkmlp's layers named twice are swept once");
        assertArrayEquals(new int[] {16, 5, 3}, layers.get(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Benchmark.mllibLayers("same,784-100-10", layout));
        assertTrue(e.getMessage().contains("784-100-10") && e.getMessage().contains("16 inputs"), e.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aWholeRunOnSmallIdxFilesWritesTheMainResultsFileAndTheReadmeBlock() throws Exception {
        TinyMnist.write(dir.resolve("data"), 400, 90);
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "intro\n<!-- results:main -->\nstale\n<!-- /results:main -->\nend\n");
        Path reference = dir.resolve("reference.properties");
        Files.writeString(reference, "batch-size = 16\nmomentum = 0.5\n");
        Path results = dir.resolve("results");
        Map<String, String> bench = new LinkedHashMap<>(Map.ofEntries(Map.entry("out", dir.resolve("out").toString()),
                Map.entry("results", results.toString()), Map.entry("repeats", "2"), Map.entry("mllib-repeats", "2"),
                Map.entry("mllib-iterations", "2,6"), Map.entry("mllib-min-iterations", "100"),
                Map.entry("mllib-layers", "same,16-5-3"), Map.entry("reference-preset", reference.toString()),
                Map.entry("profile-steps", "4"), Map.entry("profile-warmup", "1"),
                Map.entry("torch-script", dir.resolve("absent.py").toString()), Map.entry("transform-runs", "1"),
                Map.entry("readme", readme.toString())));
        List<String> training = List.of("--data", dir.resolve("data").toString(), "--layers", "16,8,3", "--epochs", "3",
                "--batch-size", "32", "--learning-rate", "0.1", "--partitions", "2");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Map<String, Object> report = Benchmark.run(SparkTestSession.get(), bench, training,
                new PrintStream(console, true, StandardCharsets.UTF_8));

        List<Path> files;
        try (var list = Files.list(results)) {
            files = list.toList();
        }
        assertEquals(1, files.size(), files.toString());
        assertTrue(files.get(0).getFileName().toString().endsWith("-main.json"), files.toString());
        JsonNode json = new ObjectMapper().readTree(files.get(0).toFile());
        for (String section : new String[] {"kind", "machine", "quick", "environment", "settings", "blas", "cache",
                "step_profile", "sparkmlp", "mllib", "pytorch", "transform", "headline", "targets"}) {
            assertTrue(json.has(section), section + " missing from " + json);
        }
        assertTrue(json.get("environment").has("blas_core") && json.get("environment").has("blas_library"));
        // both settings, two runs each; the reference setting took its preset's momentum, and the command line's batch
        String referenceSetting = json.get("settings").get("reference").asText();
        assertTrue(referenceSetting.contains("momentum 0.5") && referenceSetting.contains("batch 32"), referenceSetting);
        assertTrue(json.get("settings").get("preset").asText().contains("momentum 0.9"), json.get("settings").toString());
        for (String setting : new String[] {"reference", "preset"}) {
            JsonNode s = json.get("sparkmlp").get(setting);
            assertEquals(2, s.get("curves").size(), setting);
            assertEquals(3, s.get("curves").get(1).size(), setting);
            assertEquals(2, s.get("s_per_epoch").get("runs").asInt(), setting);
            assertTrue(s.get("s_per_epoch").get("min").asDouble() <= s.get("s_per_epoch").get("median").asDouble()
                    && s.get("s_per_epoch").get("median").asDouble() <= s.get("s_per_epoch").get("max").asDouble(), setting);
            assertTrue(json.get("pytorch").get(setting).get("skipped").asText().contains("absent.py"));
        }
        // two sweeps, two fits a point; a sweep ends early only when L-BFGS converged
        assertEquals(2, json.get("mllib").size());
        for (JsonNode sweep : json.get("mllib")) {
            JsonNode points = sweep.get("sweep");
            assertTrue(points.size() == 2 || points.get(0).get("converged").asBoolean(), sweep.toString());
            assertEquals(2, points.get(0).get("fit_s").get("runs").asInt());
            assertEquals(2, points.get(0).get("iterations").size());
            assertFalse(sweep.get("stopped").asText().isEmpty());
        }
        assertEquals("16-5-3", json.get("mllib").get("16-5-3").get("layers").asText());
        // the headline is the preset setting against the sweep with the highest best accuracy
        JsonNode headline = json.get("headline").get("mllib");
        assertEquals("preset", headline.get("setting").asText());
        double best = Math.max(json.get("mllib").get("16-8-3").get("best_test_accuracy").asDouble(),
                json.get("mllib").get("16-5-3").get("best_test_accuracy").asDouble());
        assertEquals(best, headline.get("mllib_best_accuracy").asDouble(), 1e-12);
        assertEquals(100 * (json.get("sparkmlp").get("preset").get("final_test_accuracy").get("median").asDouble() - best),
                headline.get("margin_points").asDouble(), 1e-9);
        assertEquals(4, json.get("headline").get("mllib_all").size(), "two settings against two sweeps");
        assertEquals(0, json.get("headline").get("pytorch").size());
        assertEquals(3, json.get("step_profile").size());
        assertTrue(json.get("cache").get("mllib_bytes_per_row").asDouble() > json.get("cache").get("sparkmlp_bytes_per_row")
                .asDouble());
        assertEquals(json.get("targets").size(), ((List<Object>) report.get("targets")).size());

        String updated = Files.readString(readme);
        assertTrue(updated.startsWith("intro\n<!-- results:main -->\nFrom `" + results) && updated.endsWith(
                "<!-- /results:main -->\nend\n"), updated);
        assertFalse(updated.contains("stale"), updated);
        assertTrue(updated.contains("a quick run: 2 run(s)") && updated.contains("| 16-5-3 | 2 |"), updated);
        assertTrue(console.toString().contains("bench: MLlib 16-5-3 (pixels as read) maxIter 2 run 2/2"), console.toString());
    }

    @Test
    void onlyTransformTimesBothModelsAndWritesTransformJson() throws Exception {
        TinyMnist.write(dir.resolve("data"), 300, 50);
        Map<String, String> bench = new LinkedHashMap<>(Map.of("out", dir.resolve("out").toString(), "only", "transform",
                "transform-copies", "2", "transform-runs", "1", "results", dir.resolve("results").toString()));
        List<String> options = List.of("--data", dir.resolve("data").toString(), "--layers", "16,8,3",
                "--partitions", "2");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Benchmark.run(SparkTestSession.get(), bench, options, new PrintStream(console, true, StandardCharsets.UTF_8));
        JsonNode json = new ObjectMapper().readTree(dir.resolve("out/transform.json").toFile());
        assertEquals(100, json.get("transform").get("rows").asInt());
        assertTrue(json.get("transform").get("sparkmlp_over_mllib").asDouble() > 0);
        // the floor beside them: Spark's rows in and out with no scoring, timed in the same rounds
        assertEquals(1, json.get("transform").get("row_round_trip").get("seconds").size());
        assertTrue(json.get("transform").get("round_trip_over_mllib").asDouble() > 0);
        String block = BenchResults.updateReadme("<!-- results:transform -->\n<!-- /results:transform -->\n",
                dir.resolve("results"));
        assertTrue(block.contains("| Spark's row round trip alone, no scoring (the floor) |"), block);
        assertTrue(block.contains("The round trip alone / MLlib: "), block);
        assertFalse(Files.exists(dir.resolve("out/bench.json")), "--only writes its own file, not the whole report");
        assertTrue(console.toString().contains("bench: transform of 100 rows"), console.toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Benchmark.run(
                SparkTestSession.get(), new LinkedHashMap<>(Map.of("out", dir.toString(), "only", "steps")), options,
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("'steps'"), e.getMessage());
    }

    @Test
    @SuppressWarnings("unchecked")
    void gzipReadTimesReadAndPackAtEachPartitionCountInflatingTheFileAboutOnce() throws Exception {
        TinyMnist.write(dir.resolve("data"), 2000, 10);
        io.sparkmlp.data.MnistFiles files = io.sparkmlp.data.MnistFiles.find(dir.resolve("data").toString(),
                new org.apache.hadoop.conf.Configuration());
        assertTrue(files.trainImages().endsWith(".gz"), files.trainImages());
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Map<String, Object> result = GzipReadSpeed.measure(SparkTestSession.get(), files, new Layout(16, 8, 3),
                new int[] {2, 12}, 2, new PrintStream(console, true, StandardCharsets.UTF_8));
        List<Map<String, Object>> points = (List<Map<String, Object>>) result.get("points");
        assertEquals(2, points.size());
        assertEquals(12, points.get(1).get("partitions"));
        for (Map<String, Object> point : points) {
            assertEquals(2, ((List<Double>) point.get("seconds")).size());
            // from byte 0 in every partition, 12 partitions would inflate 6.5 files' worth
            for (double inflated : (List<Double>) point.get("inflated_over_decoded")) {
                assertTrue(inflated >= 1 && inflated < 3, point.toString());
            }
        }
        assertTrue((double) result.get("last_over_first") > 0, result.toString());
    }
}
