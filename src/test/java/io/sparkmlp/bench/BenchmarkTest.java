package io.sparkmlp.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.app.TrainOptions;
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
    void theReadmeSectionBetweenTheMarkersIsReplacedAndNothingElse() {
        String readme = "# T\nbefore\n" + Benchmark.README_BEGIN + "\nold table\n" + Benchmark.README_END + "\nafter\n";
        String updated = BenchReport.replaceBetweenMarkers(readme, Benchmark.README_BEGIN, Benchmark.README_END, "new\n");
        assertEquals("# T\nbefore\n" + Benchmark.README_BEGIN + "\nnew\n" + Benchmark.README_END + "\nafter\n", updated);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchReport.replaceBetweenMarkers("no markers", Benchmark.README_BEGIN, Benchmark.README_END, "x"));
        assertTrue(e.getMessage().contains(Benchmark.README_BEGIN), e.getMessage());
    }

    @Test
    void theTimeToAnAccuracyIsThatOfTheFirstPointReachingIt() {
        List<Map<String, Object>> curve = List.of(point(0.80, 1.0), point(0.86, 2.5), point(0.85, 3.0), point(0.89, 4.0));
        assertEquals(2.5, Benchmark.timeTo(curve, 0.86, "elapsed_s"));
        assertEquals(1.0, Benchmark.timeTo(curve, 0.5, "elapsed_s"));
        assertNull(Benchmark.timeTo(curve, 0.90, "elapsed_s"));
    }

    private static Map<String, Object> point(double accuracy, double seconds) {
        Map<String, Object> point = new LinkedHashMap<>();
        point.put("test_accuracy", accuracy);
        point.put("elapsed_s", seconds);
        point.put("train_s", seconds / 2);
        return point;
    }

    @Test
    @SuppressWarnings("unchecked")
    void aWholeRunOnSmallIdxFilesWritesTheJsonTheTableAndTheReadmeSection() throws Exception {
        TinyMnist.write(dir.resolve("data"), 400, 90);
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "intro\n" + Benchmark.README_BEGIN + "\nstale\n" + Benchmark.README_END + "\nend\n");
        Map<String, String> bench = new LinkedHashMap<>(Map.of("out", dir.resolve("out").toString(),
                "mllib-iterations", "2,6", "mllib-standardized-iterations", "3", "profile-steps", "4", "profile-warmup", "1",
                "torch-python", "python3", "torch-epochs", "1", "readme", readme.toString()));
        TrainOptions options = TrainOptions.parse("--data", dir.resolve("data").toString(), "--layers", "16,8,3",
                "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.1", "--partitions", "2");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Map<String, Object> report = Benchmark.run(SparkTestSession.get(), bench, options,
                new PrintStream(console, true, StandardCharsets.UTF_8));

        JsonNode json = new ObjectMapper().readTree(dir.resolve("out/bench.json").toFile());
        String table = Files.readString(dir.resolve("out/bench.md"));
        for (String section : new String[] {"environment", "blas", "cache", "step_profile", "sparkmlp", "mllib", "pytorch",
                "transform", "targets"}) {
            assertTrue(json.has(section), section + " missing from " + json);
        }
        assertEquals(3, json.get("sparkmlp").get("curve").size());
        assertEquals(2, json.get("mllib").get("curve").size());
        assertEquals(6, json.get("mllib").get("curve").get(1).get("max_iter").asInt());
        assertEquals("pixels as read", json.get("mllib").get("inputs").asText());
        assertEquals(1, json.get("mllib_standardized").get("curve").size());
        assertEquals("standardised inputs", json.get("mllib_standardized").get("inputs").asText());
        // both trainers cached their training rows, and MLlib's doubles take more room than sparkmlp's bytes
        double ours = json.get("cache").get("sparkmlp_bytes_per_row").asDouble();
        double theirs = json.get("cache").get("mllib_bytes_per_row").asDouble();
        assertTrue(ours >= 16 && theirs > ours, "bytes per row: sparkmlp " + ours + ", MLlib " + theirs);
        // in-process (the default under a local master), in the task and broadcast, each against its own empty jobs
        assertEquals(3, json.get("step_profile").size());
        assertEquals("in-process", json.get("step_profile").get(0).get("weights_transport").asText());
        assertEquals("task", json.get("step_profile").get(1).get("weights_transport").asText());
        assertEquals("broadcast", json.get("step_profile").get(2).get("weights_transport").asText());
        assertTrue(json.get("blas").get("kernel_gflops").asDouble() > 0);
        assertTrue(json.get("pytorch").get("skipped").asText().contains("--torch-script"));
        // the 90 test rows four times, the default
        assertEquals(360, json.get("transform").get("rows").asInt());
        for (String model : new String[] {"sparkmlp", "sparkmlp_row_at_a_time", "mllib"}) {
            assertEquals(5, json.get("transform").get(model).get("seconds").size(), model);
            assertTrue(json.get("transform").get(model).get("rows_per_second").asDouble() > 0, model);
        }
        assertTrue(table.contains("transform rows/s on 360 test rows"), table);
        for (Map<String, Object> target : (List<Map<String, Object>>) report.get("targets")) {
            assertTrue(target.containsKey("measured") && target.containsKey("met"), target.toString());
        }

        assertTrue(table.contains("| final test accuracy |") && table.contains("overhead / empty job"), table);
        String updated = Files.readString(readme);
        assertTrue(updated.startsWith("intro\n" + Benchmark.README_BEGIN) && updated.endsWith(Benchmark.README_END + "\nend\n"),
                updated);
        assertFalse(updated.contains("stale"), updated);
        assertTrue(updated.contains(table.trim()), updated);
        assertTrue(console.toString().contains("bench: MLlib (pixels as read) maxIter 6"), console.toString());
    }

    @Test
    void onlyTransformTimesBothModelsAndWritesTransformJson() throws Exception {
        TinyMnist.write(dir.resolve("data"), 300, 50);
        Map<String, String> bench = new LinkedHashMap<>(Map.of("out", dir.resolve("out").toString(), "only", "transform",
                "transform-copies", "2", "transform-runs", "1", "results", dir.resolve("results").toString()));
        TrainOptions options = TrainOptions.parse("--data", dir.resolve("data").toString(), "--layers", "16,8,3",
                "--partitions", "2");
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Benchmark.run(SparkTestSession.get(), bench, options, new PrintStream(console, true, StandardCharsets.UTF_8));
        JsonNode json = new ObjectMapper().readTree(dir.resolve("out/transform.json").toFile());
        assertEquals(100, json.get("transform").get("rows").asInt());
        assertTrue(json.get("transform").get("sparkmlp_over_mllib").asDouble() > 0);
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
