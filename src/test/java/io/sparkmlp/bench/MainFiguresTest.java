package io.sparkmlp.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.train.TrainingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main benchmark's arithmetic on known inputs: each figure, ratio and verdict, and the README block made of them. */
@Tag("unit")
class MainFiguresTest {

    // three runs of sparkmlp's preset setting: (test accuracy, seconds since the start, seconds of steps) per epoch
    private static final double[][][] PRESET = {
            {{0.80, 1.0, 0.8}, {0.85, 2.0, 1.6}, {0.87, 3.0, 2.4}, {0.89, 4.0, 3.2}},
            {{0.80, 1.2, 1.0}, {0.85, 2.4, 2.0}, {0.87, 3.6, 3.0}, {0.89, 4.8, 4.0}},
            {{0.80, 1.1, 0.9}, {0.86, 2.2, 1.8}, {0.87, 3.3, 2.7}, {0.89, 4.4, 3.6}}};
    // PyTorch in the same setting: 0.5 s of steps an epoch, 0.88 after the third epoch
    private static final double[][][] TORCH = {
            {{0.80, 0.6, 0.5}, {0.86, 1.2, 1.0}, {0.88, 1.8, 1.5}, {0.885, 2.4, 2.0}},
            {{0.80, 0.6, 0.5}, {0.86, 1.2, 1.0}, {0.88, 1.8, 1.5}, {0.885, 2.4, 2.0}},
            {{0.80, 0.6, 0.5}, {0.86, 1.2, 1.0}, {0.88, 1.8, 1.5}, {0.885, 2.4, 2.0}}};

    @Test
    void spreadsAndTimesToAnAccuracyAreTheMediansOfTheRunsThatReachedIt() {
        Map<String, Object> runs = MainFigures.summarizeRuns(curves(PRESET));
        // steps per epoch: 0.8, 1.0 and 0.9 s in the three runs
        assertSpread(0.9, 0.8, 1.0, 3, runs.get("s_per_epoch"));
        assertSpread(0.89, 0.89, 0.89, 3, runs.get("final_test_accuracy"));
        assertSpread(4.4, 4.0, 4.8, 3, runs.get("elapsed_s"));
        // 0.87: after 3.0, 3.6 and 3.3 s
        Map<String, Object> to87 = MainFigures.timeToSpread(curves(PRESET), 0.87, "elapsed_s");
        assertSpread(3.3, 3.0, 3.6, 3, to87);
        assertNull(to87.get("reached"), "every run reached it");
        // 0.90: only the first of two runs reached it, after 2 s
        Map<String, Object> to90 = MainFigures.timeToSpread(curves(new double[][][] {
                {{0.80, 1, 1}, {0.90, 2, 2}}, {{0.80, 1, 1}, {0.85, 2, 2}}}), 0.90, "elapsed_s");
        assertSpread(2.0, 2.0, 2.0, 1, to90);
        assertEquals("1 of 2 runs", to90.get("reached"));
        assertNull(MainFigures.timeToSpread(curves(PRESET), 0.90, "elapsed_s"), "no run reached 0.90");
        assertSpread(1.8, 1.6, 2.0, 2, MainFigures.spread(2.0, 1.6));
        assertThrows(IllegalArgumentException.class, () -> MainFigures.summarizeRuns(List.of()));
    }

    @Test
    void mllibsSweepStopsWhenItConvergedOrStoppedImprovingFromTheMinimumIterationsOn() {
        List<Map<String, Object>> sweep = new ArrayList<>();
        sweep.add(MainFigures.mllibPoint(100, new int[] {100, 100}, new double[] {0.84, 0.84}, new double[] {50, 52}));
        assertNull(MainFigures.stopReason(sweep, 300));
        sweep.add(MainFigures.mllibPoint(200, new int[] {200, 200}, new double[] {0.83, 0.83}, new double[] {100, 104}));
        assertNull(MainFigures.stopReason(sweep, 300), "below the minimum a worse point does not stop the sweep");
        assertTrue(MainFigures.stopReason(sweep, 200).startsWith("test accuracy stopped improving: 0.8300 at maxIter 200,"
                + " 0.8400 before"), MainFigures.stopReason(sweep, 200));
        sweep.set(1, MainFigures.mllibPoint(200, new int[] {200, 200}, new double[] {0.85, 0.85}, new double[] {100, 104}));
        assertNull(MainFigures.stopReason(sweep, 200), "still improving");
        sweep.add(MainFigures.mllibPoint(400, new int[] {310, 312}, new double[] {0.86, 0.86}, new double[] {150, 160}));
        assertTrue(MainFigures.stopReason(sweep, 1000).startsWith("converged to its tolerance: [310, 312] iterations"),
                MainFigures.stopReason(sweep, 1000));
        // one fit that ran to maxIter means not converged
        assertEquals(false, MainFigures.mllibPoint(400, new int[] {310, 400}, new double[] {0.86, 0.86},
                new double[] {1, 1}).get("converged"));
        assertEquals(200, MainFigures.bestPoint(List.of(sweep.get(0), sweep.get(1))).get("max_iter"));
        assertThrows(IllegalArgumentException.class,
                () -> MainFigures.mllibPoint(10, new int[] {10}, new double[] {0.8, 0.8}, new double[] {1}));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theHeadlineIsThePresetAgainstMllibsBestSweepWithItsRatioMarginAndVerdicts() {
        Map<String, Object> h = headline();
        Map<String, Object> mllib = (Map<String, Object>) h.get("mllib");
        // 16-5-3's best (0.87 at maxIter 40, fits of 50, 55 and 60 s) beats 16-8-3's (0.85)
        assertEquals("16-5-3", mllib.get("mllib_layers"));
        assertEquals(0.87, (double) mllib.get("mllib_best_accuracy"), 1e-12);
        assertEquals(40, mllib.get("mllib_best_max_iter"));
        // sparkmlp reached 0.87 after 3.0, 3.6 and 3.3 s: median 3.3; 55 / 3.3
        assertSpread(3.3, 3.0, 3.6, 3, mllib.get("sparkmlp_s_to_best"));
        assertEquals(55 / 3.3, (double) mllib.get("speed_up"), 1e-9);
        double[] range = (double[]) mllib.get("speed_up_range");
        assertEquals(50 / 3.6, range[0], 1e-9);
        assertEquals(60 / 3.0, range[1], 1e-9);
        assertEquals(2.0, (double) mllib.get("margin_points"), 1e-9);
        // every setting against every sweep: against 16-8-3, MLlib 33 s to 0.85, sparkmlp 2.0, 2.4, 2.2 s
        List<Map<String, Object>> all = (List<Map<String, Object>>) h.get("mllib_all");
        assertEquals(2, all.size());
        assertEquals(33 / 2.2, (double) all.get(0).get("speed_up"), 1e-9);
        assertEquals(4.0, (double) all.get(0).get("margin_points"), 1e-9);
        // PyTorch: 0.9 s of steps an epoch against 0.5; 0.88 after 3.2, 4.0, 3.6 s of steps against 1.5
        Map<String, Object> torch = ((List<Map<String, Object>>) h.get("pytorch")).get(0);
        assertEquals("preset", torch.get("setting"));
        assertEquals(0.9 / 0.5, (double) torch.get("epoch_ratio"), 1e-9);
        assertEquals(3.6 / 1.5, (double) torch.get("time_ratio"), 1e-9);

        List<Map<String, Object>> targets = (List<Map<String, Object>>) h.get("targets");
        assertEquals(3, targets.size());
        assertEquals(55 / 3.3, (double) targets.get(0).get("measured"), 1e-9);
        assertEquals(true, targets.get(0).get("met"), "16.7x sooner meets >= 10");
        assertEquals(true, targets.get(1).get("met"), "+2 points meets > 0");
        assertEquals(false, targets.get(2).get("met"), "2.4x PyTorch's time fails <= 1.5");
    }

    @Test
    @SuppressWarnings("unchecked")
    void verdictsFailBelowTheBoundsWhenInvertedAndWhenNotReached() {
        Map<String, Object> h = new LinkedHashMap<>();
        Map<String, Object> mllib = new LinkedHashMap<>(Map.of("mllib_best_accuracy", 0.88, "mllib_layers", "784-100-10",
                "margin_points", -0.5));
        mllib.put("speed_up", 9.9);
        h.put("mllib", mllib);
        Map<String, Object> torch = new LinkedHashMap<>(Map.of("accuracy", 0.88, "setting", "reference", "time_ratio", 1.5));
        h.put("pytorch", List.of(torch));
        List<Map<String, Object>> t = MainFigures.targets(h);
        assertEquals(false, t.get(0).get("met"), "9.9x misses >= 10");
        assertEquals(false, t.get(1).get("met"), "ending below MLlib's best misses > 0");
        assertEquals(true, t.get(2).get("met"), "1.5x PyTorch's time meets <= 1.5");
        mllib.put("speed_up", 1 / 9.9 * 100);
        mllib.put("margin_points", 0.0);
        assertEquals(true, MainFigures.targets(h).get(0).get("met"));
        assertEquals(false, MainFigures.targets(h).get(1).get("met"), "a tie is not ending above");
        mllib.put("speed_up", null);
        torch.put("time_ratio", null);
        assertEquals(false, MainFigures.targets(h).get(0).get("met"), "sparkmlp never reached MLlib's best");
        assertEquals(false, MainFigures.targets(h).get(2).get("met"), "not reached is not met");
    }

    @Test
    void pytorchRunsEachSettingsLayersBatchScaledRateScheduleWarmupAndMomentum() {
        TrainingParams fast = new TrainingParams().layers(784, 256, 128, 10).activation(Activation.RELU).epochs(15)
                .batchSize(1024).referenceBatchSize(128).learningRate(0.05).warmupEpochs(1).schedule("cosine")
                .momentum(0.9).seed(1);
        String args = String.join(" ", TorchBaseline.arguments(fast, "/data", 2, new double[] {0.88}));
        for (String expected : new String[] {"--arch 784-256-128-10", "--act relu", "--init he", "--epochs 15",
                "--batch 1024", "--lr 0.05", "--reference-batch 128", "--schedule cosine", "--warmup-epochs 1.0",
                "--momentum 0.9", "--weight-decay 0.0", "--seed 1", "--input std", "--threads 2", "--targets 0.88"}) {
            assertTrue(args.contains(expected), expected + " missing from " + args);
        }
        assertTrue(!args.contains("--nesterov"), args);
        assertTrue(TorchBaseline.arguments(fast.nesterov(true), "/data", 2, new double[] {0.88}).contains("--nesterov"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TorchBaseline.arguments(
                new TrainingParams().layers(4, 3).activation(Activation.TANH).schedule("step"), "/d", 2, new double[] {0.5}));
        assertTrue(e.getMessage().contains("activation tanh") && e.getMessage().contains("lr-schedule step"), e.getMessage());
    }

    @Test
    void theMainBlockShowsTheHeadlineFiguresOfTheLatestFile(@TempDir Path dir) throws Exception {
        Map<String, Object> report = report();
        BenchResults.write(dir, "main", report);
        String readme = BenchResults.updateReadme("a\n<!-- results:main -->\nold\n<!-- /results:main -->\nb\n", dir);
        assertTrue(readme.contains("in 3.3 (3.0–3.6) s against MLlib's 55.0 (50.0–60.0) s: **16.7× sooner**;"
                + " it ended at 0.8900, **+2.00 points** above it."), readme);
        assertTrue(readme.contains("| 16-5-3 | 40 | [40, 40, 40] | 0.8700 (0.8700–0.8700) | 55.0 (50.0–60.0) |"), readme);
        assertTrue(readme.contains("| preset | 0.90 (0.80–1.00) | 0.50 (0.50–0.50) | 1.80 | 0.88 | 3.6 (3.2–4.0) |"
                + " 1.5 (1.5–1.5) | 2.40 | 0.8900 / 0.8850 |"), readme);
        assertTrue(readme.contains("| training seconds to 0.88, sparkmlp / PyTorch, preset setting | 2.40 | <= 1.5 |"
                + " **not met** |"), readme);
        assertTrue(!readme.contains("quick run") && !readme.contains("old"), readme);
        assertEquals(readme, BenchResults.updateReadme(readme, dir), "rendering is idempotent");
    }

    private static Map<String, Object> headline() {
        Map<String, Map<String, Object>> sparkmlp = new LinkedHashMap<>();
        sparkmlp.put("preset", MainFigures.summarizeRuns(curves(PRESET)));
        Map<String, List<Map<String, Object>>> sweeps = new LinkedHashMap<>();
        sweeps.put("16-8-3", List.of(
                MainFigures.mllibPoint(10, new int[] {10, 10, 10}, new double[] {0.80, 0.80, 0.80}, new double[] {10, 11, 12}),
                MainFigures.mllibPoint(20, new int[] {20, 20, 20}, new double[] {0.85, 0.85, 0.85}, new double[] {30, 33, 36}),
                MainFigures.mllibPoint(40, new int[] {40, 40, 40}, new double[] {0.84, 0.84, 0.84}, new double[] {40, 44, 48})));
        sweeps.put("16-5-3", List.of(
                MainFigures.mllibPoint(20, new int[] {20, 20, 20}, new double[] {0.83, 0.83, 0.83}, new double[] {20, 22, 24}),
                MainFigures.mllibPoint(40, new int[] {40, 40, 40}, new double[] {0.87, 0.87, 0.87}, new double[] {60, 50, 55})));
        Map<String, Map<String, Object>> torch = new LinkedHashMap<>();
        torch.put("preset", MainFigures.summarizeRuns(curves(TORCH)));
        torch.put("reference", MainFigures.summarizeRuns(curves(TORCH))); // sparkmlp has no such setting here: left out
        return MainFigures.headline(sparkmlp, sweeps, torch, "preset", 0.88);
    }

    /** A main results file as Benchmark writes it, with the parts the block shows. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> report() {
        Map<String, Object> headline = headline();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("environment", new LinkedHashMap<>(Map.of("master", "local[*]", "partitions", 2, "blas", "native",
                "blas_core", "Haswell", "blas_library", "libopenblas.so", "openblas_num_threads", "1", "spark", "4.1.0",
                "java", "OpenJDK 17", "train_rows", 60000, "test_rows", 10000)));
        r.put("settings", new LinkedHashMap<>(Map.of("repeats", 3, "mllib_repeats", 3, "preset", "batch 1024")));
        Map<String, Object> mllib = new LinkedHashMap<>();
        Map<String, Object> sweep = new LinkedHashMap<>();
        sweep.put("layers", "16-5-3");
        sweep.put("inputs", "pixels as read");
        sweep.put("sweep", List.of(MainFigures.mllibPoint(40, new int[] {40, 40, 40}, new double[] {0.87, 0.87, 0.87},
                new double[] {60, 50, 55})));
        sweep.put("stopped", "the iteration list ended");
        mllib.put("16-5-3", sweep);
        r.put("mllib", mllib);
        Map<String, Object> torch = new LinkedHashMap<>();
        torch.put("preset", new LinkedHashMap<>(Map.of("args", "--data /d --batch 1024")));
        r.put("pytorch", torch);
        r.put("headline", headline);
        r.put("targets", headline.get("targets"));
        return r;
    }

    private static List<List<Map<String, Object>>> curves(double[][][] runs) {
        List<List<Map<String, Object>>> curves = new ArrayList<>();
        for (double[][] run : runs) {
            List<Map<String, Object>> curve = new ArrayList<>();
            for (int e = 0; e < run.length; e++) {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("epoch", e + 1);
                point.put("test_accuracy", run[e][0]);
                point.put("elapsed_s", run[e][1]);
                point.put("train_s", run[e][2]);
                curve.add(point);
            }
            curves.add(curve);
        }
        return curves;
    }

    @SuppressWarnings("unchecked")
    private static void assertSpread(double median, double min, double max, int runs, Object spread) {
        Map<String, Object> s = (Map<String, Object>) spread;
        assertEquals(median, ((Number) s.get("median")).doubleValue(), 1e-9, s.toString());
        assertEquals(min, ((Number) s.get("min")).doubleValue(), 1e-9, s.toString());
        assertEquals(max, ((Number) s.get("max")).doubleValue(), 1e-9, s.toString());
        assertEquals(runs, ((Number) s.get("runs")).intValue(), s.toString());
    }

    @Test
    void aPyTorchRunOnTheReferenceBlasIsNamedWhereverThatLibraryLies() throws Exception {
        assertEquals("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", TorchBaseline.referenceBlas(List.of(
                "/usr/lib/x86_64-linux-gnu/libcblas.so.3", "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0")));
        assertEquals("/opt/lib/librefblas.so", TorchBaseline.referenceBlas(List.of("/opt/lib/librefblas.so")));
        assertNull(TorchBaseline.referenceBlas(List.of("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
                "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so")));
        assertNull(TorchBaseline.referenceBlas(List.of()));
        assertNull(TorchBaseline.referenceBlas(List.of("/", "/libblas.so.3")), "no folder named blas");
        JsonNode result = new ObjectMapper().readTree(
                "{\"summary\": {\"blas\": [\"/a/blas/libblas.so.3\"]}, \"hist\": []}");
        assertEquals(List.of("/a/blas/libblas.so.3"), TorchBaseline.blas(result));
        assertEquals(List.of(), TorchBaseline.blas(new ObjectMapper().readTree("{}")));
    }
}
