package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.ml.MlpClassifier;
import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
import io.sparkmlp.train.TrainingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.ml.param.Param;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hyper-parameter table and what is derived from it agree: the Estimator's Params, the command-line
 * options, {@code --help} and the README's option table name the same set, and every hyper-parameter
 * survives the command line and the Estimator's save/load.
 */
@Tag("spark")
class OptionsTableTest {

    /** Spark's own Params of a probabilistic classifier, and the Estimator's columns for validation rows and weights. */
    private static final Set<String> NOT_OPTIONS = Set.of("featuresCol", "labelCol", "predictionCol", "probabilityCol",
            "rawPredictionCol", "thresholds", "validationIndicatorCol", "weightCol");

    /** A value other than the default for every hyper-parameter: a new one must be added here. */
    private static final Map<String, Object> OTHER_VALUES = Map.ofEntries(
            Map.entry("layers", new int[] {6, 12, 7, 3}), Map.entry("activation", "tanh"),
            Map.entry("initialization", "lecun"), Map.entry("epochs", 4), Map.entry("batchSize", 24),
            Map.entry("learningRate", 0.3), Map.entry("lrSchedule", "step"), Map.entry("lrStepEpochs", 2),
            Map.entry("lrGamma", 0.7), Map.entry("lrMinFraction", 0.1), Map.entry("warmupEpochs", 0.5),
            Map.entry("referenceBatchSize", 48), Map.entry("optimizer", "adamw"), Map.entry("momentum", 0.8),
            Map.entry("nesterov", true), Map.entry("beta1", 0.85), Map.entry("beta2", 0.99), Map.entry("epsilon", 1e-6),
            Map.entry("rmspropAlpha", 0.9), Map.entry("weightDecay", 1e-3), Map.entry("l1", 1e-4),
            Map.entry("elasticNet", 0.5), Map.entry("clipValue", 2.0), Map.entry("clipNorm", 5.0),
            Map.entry("dropout", new double[] {0.2, 0.1}), Map.entry("classWeights", "balanced"), Map.entry("seed", 77L), Map.entry("validationFraction", 0.2),
            Map.entry("patience", 1), Map.entry("standardize", "feature"));

    @TempDir
    Path dir;

    private static Set<String> tableNames() {
        return HyperParameters.ALL.stream().map(HyperParameter::name).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void theReadmeHoldsTheTableTheOptionsRender() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        assertEquals(OptionsTable.rewrite(readme), readme, "README.md's option table is stale: run submit/options-table");
    }

    @Test
    void theParamsTheCommandLineHelpAndTheReadmeNameTheSameOptions() throws Exception {
        Set<String> cli = TrainOptions.spec().options().stream().map(o -> o.longestName().substring(2))
                .filter(name -> !name.equals("help")).collect(Collectors.toCollection(TreeSet::new));
        // the README's rows, read back from the file
        String readme = Files.readString(Path.of("README.md"));
        String block = readme.substring(readme.indexOf(OptionsTable.BEGIN), readme.indexOf(OptionsTable.END));
        Set<String> rows = new TreeSet<>();
        Map<String, String> paramOfRow = new LinkedHashMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `--([a-z0-9-]+)[^`]*` \\| (?:`(\\w+)`|-) \\|").matcher(block);
        while (row.find()) {
            rows.add(row.group(1));
            if (row.group(2) != null) {
                paramOfRow.put(row.group(1), row.group(2));
            }
        }
        assertEquals(cli, rows, "the README's rows and the command line's options");
        for (String option : cli) {
            // picocli shows "--epochs=N", and "--resume[=PATH]" for an optional value
            assertTrue(TrainOptions.USAGE.contains("--" + option + "=") || TrainOptions.USAGE.contains("--" + option + "[="),
                    "--help does not list --" + option + ":\n" + TrainOptions.USAGE);
        }
        // every hyper-parameter is an option under its own name, and its row names its Param
        for (HyperParameter<?> h : HyperParameters.ALL) {
            assertTrue(cli.contains(h.option()), "no option --" + h.option());
            assertEquals(h.name(), paramOfRow.get(h.option()), "the README row of --" + h.option());
        }
        // the Estimator's Params: Spark's own, plus exactly those the options name
        MlpClassifier classifier = new MlpClassifier();
        Set<String> params = Arrays.stream(classifier.params()).map(Param::name)
                .filter(name -> !NOT_OPTIONS.contains(name)).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(paramOfRow.values()), params, "the Estimator's Params and the options' Params");
        assertTrue(params.containsAll(tableNames()), params.toString());
        for (HyperParameter<?> h : HyperParameters.ALL) {
            Param<?> p = classifier.getParam(h.name());
            assertEquals(h.doc(), p.doc(), h.name());
            Object byDefault = classifier.getOrDefault(p);
            if (byDefault instanceof int[] sizes) {
                assertArrayEquals((int[]) h.defaultValue(), sizes, h.name());
            } else if (byDefault instanceof double[] numbers) {
                assertArrayEquals((double[]) h.defaultValue(), numbers, h.name());
            } else {
                assertEquals(h.defaultValue(), byDefault, h.name());
            }
        }
    }

    @Test
    void everyHyperParameterSurvivesTheCommandLineAndTheEstimatorsSaveAndLoad() throws Exception {
        assertEquals(tableNames(), new TreeSet<>(OTHER_VALUES.keySet()), "OTHER_VALUES must cover the table");
        List<String> args = new ArrayList<>();
        MlpClassifier classifier = new MlpClassifier();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            Object value = OTHER_VALUES.get(h.name());
            assertNotEquals(h.format(h.defaultValue()), h.format(value), h.name() + ": not another value");
            args.add("--" + h.option());
            args.add(h.format(value));
            put(classifier, h, value);
        }
        TrainingParams fromCli = TrainOptions.parse(args.toArray(String[]::new)).training();
        SparkTestSession.get(); // save and load run on the tests' session
        classifier.save(dir.resolve("estimator").toString());
        MlpClassifier loaded = MlpClassifier.load(dir.resolve("estimator").toString());
        TrainingParams fromEstimator = loaded.trainingParams();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            String expected = h.format(OTHER_VALUES.get(h.name()));
            assertEquals(expected, h.format(fromCli.get(h)), "--" + h.option());
            assertEquals(expected, h.format(loaded.get(h)), h.name() + " after save and load");
            assertEquals(expected, h.format(fromEstimator.get(h)), h.name() + " in the Estimator's TrainingParams");
        }
        assertEquals(fromCli.asMap(), fromEstimator.asMap());
    }

    private static <T> void put(MlpClassifier classifier, HyperParameter<T> h, Object value) {
        classifier.set(h, h.type().cast(value));
    }
}
