package io.sparkmlp.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The arithmetic of the main benchmark, apart from Spark so that a test can feed it known inputs:
 * the spread of repeated runs, the time to an accuracy over runs, when MLlib's sweep may stop, and
 * the headline ratios and margins with their verdicts.
 *
 * <p>Curves are lists of points with {@code test_accuracy} and times ({@code elapsed_s}: since the
 * trainer started, packing included; {@code train_s}: steps only, as the PyTorch script counts).
 */
final class MainFigures {

    /** MLlib against sparkmlp: sparkmlp reaches MLlib's best at least this many times sooner. */
    static final double MLLIB_SPEED_UP_BOUND = 10;
    /** sparkmlp against PyTorch in the same setting: at most this many times PyTorch's time to the common accuracy. */
    static final double TORCH_TIME_BOUND = 1.5;

    private MainFigures() {
    }

    /** Median, min, max and count of {@code values}, with every value; null when there are none. */
    static Map<String, Object> spread(double... values) {
        return values.length == 0 ? null : BlasBench.stats(values);
    }

    static double median(Map<String, Object> spread) {
        return ((Number) spread.get("median")).doubleValue();
    }

    /** The time of the first point of {@code curve} at or above {@code accuracy}, or null. */
    static Double timeTo(List<Map<String, Object>> curve, double accuracy, String timeKey) {
        for (Map<String, Object> point : curve) {
            if (((Number) point.get("test_accuracy")).doubleValue() >= accuracy) {
                return ((Number) point.get(timeKey)).doubleValue();
            }
        }
        return null;
    }

    /**
     * The spread of the time to {@code accuracy} over the runs' curves, counting only runs that
     * reached it; null when none did. When some runs never reached it, {@code reached} says how many
     * did, since the median is then of those runs only.
     */
    static Map<String, Object> timeToSpread(List<List<Map<String, Object>>> curves, double accuracy, String timeKey) {
        List<Double> reached = new ArrayList<>();
        for (List<Map<String, Object>> curve : curves) {
            Double t = timeTo(curve, accuracy, timeKey);
            if (t != null) {
                reached.add(t);
            }
        }
        if (reached.isEmpty()) {
            return null;
        }
        Map<String, Object> s = spread(reached.stream().mapToDouble(Double::doubleValue).toArray());
        if (reached.size() < curves.size()) {
            s.put("reached", reached.size() + " of " + curves.size() + " runs");
        }
        return s;
    }

    /** The median over epochs of the seconds of steps each epoch took ({@code train_s} differences). */
    static double secondsPerEpoch(List<Map<String, Object>> curve) {
        double[] perEpoch = new double[curve.size()];
        double before = 0;
        for (int i = 0; i < curve.size(); i++) {
            double now = ((Number) curve.get(i).get("train_s")).doubleValue();
            perEpoch[i] = now - before;
            before = now;
        }
        return median(spread(perEpoch));
    }

    /** sparkmlp's repeated runs of one setting: each run's curve, and the spread of its final accuracy and times. */
    static Map<String, Object> summarizeRuns(List<List<Map<String, Object>>> curves) {
        if (curves.isEmpty()) {
            throw new IllegalArgumentException("a setting needs at least one run, got 0");
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("final_test_accuracy", spread(curves.stream().mapToDouble(c -> last(c, "test_accuracy")).toArray()));
        s.put("best_test_accuracy", spread(curves.stream().mapToDouble(c -> c.stream()
                .mapToDouble(p -> ((Number) p.get("test_accuracy")).doubleValue()).max().orElseThrow()).toArray()));
        s.put("elapsed_s", spread(curves.stream().mapToDouble(c -> last(c, "elapsed_s")).toArray()));
        s.put("train_s", spread(curves.stream().mapToDouble(c -> last(c, "train_s")).toArray()));
        s.put("s_per_epoch", spread(curves.stream().mapToDouble(MainFigures::secondsPerEpoch).toArray()));
        s.put("curves", curves);
        return s;
    }

    private static double last(List<Map<String, Object>> curve, String key) {
        return ((Number) curve.get(curve.size() - 1).get(key)).doubleValue();
    }

    /**
     * One point of MLlib's sweep from its repeated fits at {@code maxIter}: the iterations each fit
     * made, whether L-BFGS stopped at its tolerance before {@code maxIter} (in every fit), and the
     * spread of test accuracy and fit seconds.
     */
    static Map<String, Object> mllibPoint(int maxIter, int[] iterations, double[] accuracies, double[] fitSeconds) {
        if (iterations.length == 0 || iterations.length != accuracies.length || accuracies.length != fitSeconds.length) {
            throw new IllegalArgumentException("a sweep point needs as many iterations (" + iterations.length
                    + "), accuracies (" + accuracies.length + ") and fit times (" + fitSeconds.length + "), at least one");
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("max_iter", maxIter);
        p.put("iterations", iterations);
        p.put("converged", Arrays.stream(iterations).allMatch(i -> i < maxIter));
        p.put("test_accuracy", spread(accuracies));
        p.put("fit_s", spread(fitSeconds));
        return p;
    }

    /** A sweep point's median test accuracy. */
    @SuppressWarnings("unchecked")
    static double accuracy(Map<String, Object> mllibPoint) {
        return median((Map<String, Object>) mllibPoint.get("test_accuracy"));
    }

    /**
     * Why MLlib's sweep stops after its last point, or null to go on: L-BFGS converged to its
     * tolerance (fewer iterations than allowed), or, from {@code minIterations} on, the median test
     * accuracy is no better than the best of the points before it.
     */
    static String stopReason(List<Map<String, Object>> sweep, int minIterations) {
        Map<String, Object> last = sweep.get(sweep.size() - 1);
        int maxIter = (int) last.get("max_iter");
        if ((boolean) last.get("converged")) {
            return String.format(Locale.ROOT, "converged to its tolerance: %s iterations of maxIter %d",
                    Arrays.toString((int[]) last.get("iterations")), maxIter);
        }
        if (maxIter >= minIterations && sweep.size() > 1) {
            double before = sweep.subList(0, sweep.size() - 1).stream().mapToDouble(MainFigures::accuracy).max().orElseThrow();
            if (accuracy(last) <= before) {
                return String.format(Locale.ROOT, "test accuracy stopped improving: %.4f at maxIter %d, %.4f before",
                        accuracy(last), maxIter, before);
            }
        }
        return null;
    }

    /** The best point of a sweep by median test accuracy (the first of equals: the sooner). */
    static Map<String, Object> bestPoint(List<Map<String, Object>> sweep) {
        Map<String, Object> best = sweep.get(0);
        for (Map<String, Object> p : sweep) {
            if (accuracy(p) > accuracy(best)) {
                best = p;
            }
        }
        return best;
    }

    /**
     * sparkmlp's runs of one setting against one MLlib sweep: MLlib's best accuracy, the seconds
     * each took to reach it (MLlib: the fits at the best point; sparkmlp: its per-epoch history,
     * packing included), MLlib's over sparkmlp's (the speed-up, of the medians, with the range the
     * extremes allow), and sparkmlp's final accuracy minus MLlib's best in points.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> againstMllib(Map<String, Object> sparkmlpRuns, String layers, List<Map<String, Object>> sweep) {
        Map<String, Object> best = bestPoint(sweep);
        double bestAccuracy = accuracy(best);
        Map<String, Object> mllibTime = (Map<String, Object>) best.get("fit_s");
        Map<String, Object> oursTime = timeToSpread((List<List<Map<String, Object>>>) sparkmlpRuns.get("curves"),
                bestAccuracy, "elapsed_s");
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("mllib_layers", layers);
        c.put("mllib_best_accuracy", bestAccuracy);
        c.put("mllib_best_max_iter", best.get("max_iter"));
        c.put("mllib_s_to_best", mllibTime);
        c.put("sparkmlp_s_to_best", oursTime);
        if (oursTime != null) {
            c.put("speed_up", median(mllibTime) / median(oursTime));
            c.put("speed_up_range", new double[] {((Number) mllibTime.get("min")).doubleValue()
                    / ((Number) oursTime.get("max")).doubleValue(), ((Number) mllibTime.get("max")).doubleValue()
                    / ((Number) oursTime.get("min")).doubleValue()});
        } else {
            c.put("speed_up", null);
        }
        double finalAccuracy = median((Map<String, Object>) sparkmlpRuns.get("final_test_accuracy"));
        c.put("sparkmlp_final_accuracy", finalAccuracy);
        c.put("margin_points", 100 * (finalAccuracy - bestAccuracy));
        return c;
    }

    /**
     * sparkmlp's runs against PyTorch's in the same setting: seconds of steps per epoch and training
     * seconds to {@code accuracy}, sparkmlp's over PyTorch's (of the medians; below 1: sparkmlp is faster).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> againstTorch(Map<String, Object> sparkmlpRuns, Map<String, Object> torchRuns, double accuracy) {
        Map<String, Object> c = new LinkedHashMap<>();
        Map<String, Object> oursEpoch = (Map<String, Object>) sparkmlpRuns.get("s_per_epoch");
        Map<String, Object> theirsEpoch = (Map<String, Object>) torchRuns.get("s_per_epoch");
        c.put("sparkmlp_s_per_epoch", oursEpoch);
        c.put("pytorch_s_per_epoch", theirsEpoch);
        c.put("epoch_ratio", median(oursEpoch) / median(theirsEpoch));
        Map<String, Object> oursTo = timeToSpread((List<List<Map<String, Object>>>) sparkmlpRuns.get("curves"), accuracy,
                "train_s");
        Map<String, Object> theirsTo = timeToSpread((List<List<Map<String, Object>>>) torchRuns.get("curves"), accuracy,
                "train_s");
        c.put("accuracy", accuracy);
        c.put("sparkmlp_train_s_to_accuracy", oursTo);
        c.put("pytorch_train_s_to_accuracy", theirsTo);
        c.put("time_ratio", oursTo != null && theirsTo != null ? median(oursTo) / median(theirsTo) : null);
        c.put("sparkmlp_final_accuracy", median((Map<String, Object>) sparkmlpRuns.get("final_test_accuracy")));
        c.put("pytorch_final_accuracy", median((Map<String, Object>) torchRuns.get("final_test_accuracy")));
        return c;
    }

    /**
     * Every comparison: each sparkmlp setting against each MLlib sweep ({@code mllib_all}); the
     * headline ({@code mllib}) is {@code headlineSetting} against the sweep whose best accuracy is
     * highest; and each setting that both sparkmlp and PyTorch ran, against PyTorch ({@code pytorch}).
     */
    static Map<String, Object> headline(Map<String, Map<String, Object>> sparkmlpBySetting,
                                        Map<String, List<Map<String, Object>>> sweepsByLayers,
                                        Map<String, Map<String, Object>> torchBySetting, String headlineSetting,
                                        double accuracy) {
        if (!sparkmlpBySetting.containsKey(headlineSetting)) {
            throw new IllegalArgumentException("the headline setting '" + headlineSetting + "' is not among the settings run, "
                    + sparkmlpBySetting.keySet());
        }
        Map<String, Object> h = new LinkedHashMap<>();
        List<Map<String, Object>> all = new ArrayList<>();
        String bestLayers = null;
        for (Map.Entry<String, List<Map<String, Object>>> sweep : sweepsByLayers.entrySet()) {
            if (bestLayers == null || accuracy(bestPoint(sweep.getValue()))
                    > accuracy(bestPoint(sweepsByLayers.get(bestLayers)))) {
                bestLayers = sweep.getKey();
            }
            for (Map.Entry<String, Map<String, Object>> setting : sparkmlpBySetting.entrySet()) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("setting", setting.getKey());
                c.putAll(againstMllib(setting.getValue(), sweep.getKey(), sweep.getValue()));
                all.add(c);
            }
        }
        if (bestLayers != null) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("setting", headlineSetting);
            c.putAll(againstMllib(sparkmlpBySetting.get(headlineSetting), bestLayers, sweepsByLayers.get(bestLayers)));
            h.put("mllib", c);
        }
        h.put("mllib_all", all);
        List<Map<String, Object>> torch = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> setting : torchBySetting.entrySet()) {
            Map<String, Object> ours = sparkmlpBySetting.get(setting.getKey());
            if (ours != null) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("setting", setting.getKey());
                c.putAll(againstTorch(ours, setting.getValue(), accuracy));
                torch.add(c);
            }
        }
        h.put("pytorch", torch);
        h.put("targets", targets(h));
        return h;
    }

    /**
     * The verdicts: against the MLlib sweep with the best accuracy, the speed-up at least
     * {@link #MLLIB_SPEED_UP_BOUND} and a positive margin; against PyTorch in each setting, the time
     * ratio at most {@link #TORCH_TIME_BOUND}. A figure not measured is not met.
     */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> targets(Map<String, Object> headline) {
        List<Map<String, Object>> targets = new ArrayList<>();
        Map<String, Object> mllib = (Map<String, Object>) headline.get("mllib");
        if (mllib != null) {
            targets.add(Benchmark.target(String.format(Locale.ROOT, "time to MLlib's best accuracy (%.4f, %s), MLlib /"
                            + " sparkmlp", (double) mllib.get("mllib_best_accuracy"), mllib.get("mllib_layers")),
                    (Double) mllib.get("speed_up"), ">=", MLLIB_SPEED_UP_BOUND));
            targets.add(Benchmark.target("sparkmlp's final test accuracy minus MLlib's best (points)",
                    (Double) mllib.get("margin_points"), ">", 0));
        }
        for (Map<String, Object> t : (List<Map<String, Object>>) headline.getOrDefault("pytorch", List.of())) {
            targets.add(Benchmark.target(String.format(Locale.ROOT, "training seconds to %.2f, sparkmlp / PyTorch, %s"
                    + " setting", (double) t.get("accuracy"), t.get("setting")), (Double) t.get("time_ratio"), "<=",
                    TORCH_TIME_BOUND));
        }
        return targets;
    }
}
