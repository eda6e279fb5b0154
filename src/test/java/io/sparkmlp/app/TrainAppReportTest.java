package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.report.HistoryCsv;
import io.sparkmlp.report.TrainingReport;
import io.sparkmlp.train.DetailedEvaluation;
import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One short training through TrainApp.run on 28 x 28 images, then every file it writes, and evaluate on its model. */
@Tag("spark")
class TrainAppReportTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEST_ROWS = 90;

    @TempDir
    static Path dir;
    private static Path data;
    private static Path out;
    private static TrainOptions options;
    private static TrainingResult result;
    private static String console;
    private static JsonNode summary;

    @BeforeAll
    static void trainOnce() throws Exception {
        data = dir.resolve("data");
        out = dir.resolve("out");
        // a fifth of the labels at random: the model makes mistakes to show
        TinyMnist.writeSquare(data, 240, TEST_ROWS, 28, 0.2);
        options = TrainOptions.parse("--data", data.toString(), "--out", out.toString(), "--layers", "784,16,3",
                "--epochs", "3", "--batch-size", "32", "--learning-rate", "0.05", "--partitions", "2",
                "--validation-fraction", "0.25", "--nesterov", "true", "--seed", "5");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        result = TrainApp.run(SparkTestSession.get(), options, new PrintStream(printed, true));
        console = printed.toString();
        summary = JSON.readTree(out.resolve("summary.json").toFile());
    }

    @Test
    void everyPngDecodesWithTheSizeIndexHtmlGivesIt() throws Exception {
        Path report = out.resolve(TrainingReport.FOLDER);
        String html = Files.readString(report.resolve("index.html"));
        Matcher img = Pattern.compile("<img src=\"([^\"]+)\" width=\"(\\d+)\" height=\"(\\d+)\"").matcher(html);
        List<String> shown = new ArrayList<>();
        while (img.find()) {
            BufferedImage image = ImageIO.read(report.resolve(img.group(1)).toFile());
            assertNotNull(image, img.group(1) + " does not decode as an image");
            assertEquals(Integer.parseInt(img.group(2)), image.getWidth(), img.group(1) + "'s width");
            assertEquals(Integer.parseInt(img.group(3)), image.getHeight(), img.group(1) + "'s height");
            shown.add(img.group(1));
        }
        assertEquals(List.of("loss.png", "accuracy.png", "confusion.png", "misclassified.png", "weights.png"), shown);
        for (String curve : List.of("loss.png", "accuracy.png")) {
            BufferedImage image = ImageIO.read(report.resolve(curve).toFile());
            assertEquals(800, image.getWidth(), curve);
            assertEquals(500, image.getHeight(), curve);
        }
        // 16 units of 28 x 28 weights, 8 a row, each drawn at least 84 pixels a side
        BufferedImage weights = ImageIO.read(report.resolve("weights.png").toFile());
        assertTrue(weights.getWidth() >= 8 * 84 && weights.getHeight() >= 2 * 84,
                weights.getWidth() + " x " + weights.getHeight());
        // 3 classes: three cells of at least 40 pixels a side
        BufferedImage confusion = ImageIO.read(report.resolve("confusion.png").toFile());
        assertTrue(confusion.getWidth() >= 3 * 40 && confusion.getHeight() >= 3 * 40,
                confusion.getWidth() + " x " + confusion.getHeight());
        assertTrue(console.contains("report written to"), console);
    }

    @Test
    void indexHtmlReferencesOnlyFilesThatExistAndShowsEveryImage() throws Exception {
        Path report = out.resolve(TrainingReport.FOLDER);
        String html = Files.readString(report.resolve("index.html"));
        Matcher ref = Pattern.compile("(?:src|href)=\"([^\"]+)\"").matcher(html);
        Set<String> referenced = new TreeSet<>();
        while (ref.find()) {
            referenced.add(ref.group(1));
            assertTrue(Files.isRegularFile(report.resolve(ref.group(1))), ref.group(1) + " is referenced but missing");
        }
        Set<String> pngs;
        try (Stream<Path> files = Files.list(report)) {
            pngs = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(pngs, referenced);
        // the summary numbers are there, as the summary has them
        assertTrue(html.contains(String.format(java.util.Locale.ROOT, "%.4f", summary.get("test_accuracy").asDouble())),
                "no test accuracy in index.html");
        assertTrue(html.contains("learning-rate") && html.contains("batch-size"), "no hyper-parameters in index.html");
    }

    @Test
    void historyCsvHasTheHeaderAndOneRowPerEpochAsTheSummary() throws Exception {
        List<String> lines = Files.readAllLines(out.resolve("history.csv"));
        assertEquals(String.join(",", HistoryCsv.COLUMNS), lines.get(0));
        assertEquals(List.of("epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
                "learning_rate", "seconds", "samples_per_second", "elapsed_seconds"), HistoryCsv.COLUMNS);
        assertEquals(1 + 3, lines.size(), lines.toString());
        JsonNode history = summary.get("history");
        assertEquals(3, history.size());
        for (int e = 0; e < 3; e++) {
            String[] cells = lines.get(1 + e).split(",", -1);
            assertEquals(HistoryCsv.COLUMNS.size(), cells.length, lines.get(1 + e));
            JsonNode epoch = history.get(e);
            assertEquals(e + 1, Integer.parseInt(cells[0]));
            for (int c = 1; c < cells.length; c++) {
                String column = HistoryCsv.COLUMNS.get(c);
                assertEquals(epoch.get(column).asDouble(), Double.parseDouble(cells[c]), column + " of epoch " + (e + 1));
            }
            assertEquals(result.history().get(e).trainLoss(), Double.parseDouble(cells[1]));
            double samplesPerSecond = result.trainRows() / result.history().get(e).trainSeconds();
            assertEquals(samplesPerSecond, Double.parseDouble(cells[7]), 1e-9 * samplesPerSecond);
        }
    }

    @Test
    void theSummarysHyperParametersAreTypedAndEqualTheRuns() {
        JsonNode params = summary.get("hyper_parameters");
        assertNotNull(params, "no hyper_parameters in " + summary);
        assertEquals(HyperParameters.ALL.size(), params.size());
        TrainingParams run = options.training();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            JsonNode v = params.get(h.option());
            assertNotNull(v, "no " + h.option());
            Object expected = run.get(h);
            switch (h.kind()) {
                case INT_ARRAY -> {
                    assertTrue(v.isArray(), h.option());
                    int[] sizes = (int[]) expected;
                    assertEquals(sizes.length, v.size(), h.option());
                    for (int i = 0; i < sizes.length; i++) {
                        assertTrue(v.get(i).isInt(), h.option());
                        assertEquals(sizes[i], v.get(i).asInt(), h.option());
                    }
                }
                case DOUBLE_ARRAY -> {
                    assertTrue(v.isArray(), h.option());
                    double[] values = (double[]) expected;
                    assertEquals(values.length, v.size(), h.option());
                    for (int i = 0; i < values.length; i++) {
                        assertTrue(v.get(i).isDouble() && v.get(i).asDouble() == values[i], h.option() + ": " + v);
                    }
                }
                case INT -> assertTrue(v.isInt() && v.asInt() == (Integer) expected, h.option() + ": " + v);
                case LONG -> assertTrue(v.isIntegralNumber() && v.asLong() == (Long) expected, h.option() + ": " + v);
                case DOUBLE -> assertTrue(v.isDouble() && v.asDouble() == (Double) expected, h.option() + ": " + v);
                case BOOLEAN -> assertTrue(v.isBoolean() && v.asBoolean() == (Boolean) expected, h.option() + ": " + v);
                case STRING -> assertTrue(v.isTextual() && v.asText().equals(expected), h.option() + ": " + v);
                default -> throw new AssertionError(h.kind());
            }
        }
        // what the command line set, read back as values
        assertEquals(0.05, params.get("learning-rate").asDouble());
        assertTrue(params.get("nesterov").asBoolean());
        assertEquals(List.of(784, 16, 3), List.of(params.get("layers").get(0).asInt(), params.get("layers").get(1).asInt(),
                params.get("layers").get(2).asInt()));
        for (String kept : new String[] {"test_accuracy", "test_loss", "epochs", "train_seconds", "samples_per_second",
            "master", "partitions", "blas"}) {
            assertTrue(summary.has(kept), kept + " missing from " + summary);
        }
    }

    @Test
    void theConfusionMatrixSumsToTheTestRowsAndItsTraceIsTheAccuracy() {
        JsonNode matrix = summary.get("test_confusion_matrix");
        assertEquals(3, matrix.size());
        long total = 0;
        long trace = 0;
        for (int i = 0; i < 3; i++) {
            assertEquals(3, matrix.get(i).size());
            for (int j = 0; j < 3; j++) {
                total += matrix.get(i).get(j).asLong();
            }
            trace += matrix.get(i).get(i).asLong();
        }
        assertEquals(TEST_ROWS, total);
        assertEquals(TEST_ROWS, summary.get("test_rows").asLong());
        assertEquals(trace / (double) total, summary.get("test_accuracy").asDouble());
        // the noisy labels leave mistakes, and the plain evaluation (another job) agrees with the matrix
        assertTrue(trace < total && trace > total / 2, trace + " of " + total);
        double plain = result.model().evaluate(TrainApp.read(SparkTestSession.get(),
                data.resolve("t10k-images-idx3-ubyte").toString(), data.resolve("t10k-labels-idx1-ubyte").toString(), 3),
                "label", "features", options.cluster()).accuracy();
        assertEquals(plain, summary.get("test_accuracy").asDouble());
    }

    @Test
    void evaluateOnTheSavedModelGivesTheTrainingRunsTestFigures() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        DetailedEvaluation evaluated = EvaluateApp.run(SparkTestSession.get(), EvaluateOptions.parse(
                out.resolve("model").toString(), "--data", data.toString(), "--partitions", "3"),
                new PrintStream(printed, true));
        assertEquals(summary.get("test_accuracy").asDouble(), evaluated.accuracy());
        assertEquals(TEST_ROWS, evaluated.rows());
        JsonNode written = JSON.readTree(out.resolve(EvaluateApp.DEFAULT_JSON).toFile());
        assertEquals(summary.get("test_confusion_matrix"), written.get("confusion_matrix"));
        assertEquals(evaluated.accuracy(), written.get("accuracy").asDouble());
        assertEquals("idx", written.get("format").asText());
        assertTrue(written.get("data").asText().endsWith("t10k-images-idx3-ubyte.gz")
                || written.get("data").asText().endsWith("t10k-images-idx3-ubyte"), written.get("data").asText());
        assertEquals(3, written.get("classes").size());
        for (int k = 0; k < 3; k++) {
            JsonNode c = written.get("classes").get(k);
            assertEquals(evaluated.precision(k), c.get("precision").asDouble());
            assertEquals(evaluated.recall(k), c.get("recall").asDouble());
            assertEquals(evaluated.f1(k), c.get("f1").asDouble());
        }
        String text = printed.toString();
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "accuracy %.4f (%d of %d rows)",
                evaluated.accuracy(), evaluated.correct(), TEST_ROWS)), text);
        assertTrue(text.contains("precision") && text.contains("confusion matrix"), text);

        Path elsewhere = dir.resolve("eval.json");
        EvaluateApp.run(SparkTestSession.get(), EvaluateOptions.parse(out.resolve("model").toString(), "--data",
                data.toString(), "--out", elsewhere.toString()), new PrintStream(new ByteArrayOutputStream(), true));
        assertEquals(written.get("confusion_matrix"), JSON.readTree(elsewhere.toFile()).get("confusion_matrix"));
    }

    @Test
    void evaluateRefusesDataOfAnotherShapeAndAFolderWithoutTestFiles() throws Exception {
        Path small = dir.resolve("small");
        TinyMnist.write(small, 30, 10);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluateApp.run(
                SparkTestSession.get(), EvaluateOptions.parse(out.resolve("model").toString(), "--data", small.toString()),
                quiet));
        assertTrue(e.getMessage().contains("784 inputs") && e.getMessage().contains("4 x 4 = 16 pixels"), e.getMessage());
        Files.createDirectories(dir.resolve("empty"));
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateApp.run(SparkTestSession.get(),
                EvaluateOptions.parse(out.resolve("model").toString(), "--data", dir.resolve("empty").toString()), quiet));
        assertTrue(e.getMessage().contains("t10k-images-idx3-ubyte"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateOptions.parse("--data", small.toString()));
        assertTrue(e.getMessage().contains("MODEL"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EvaluateOptions.parse("m", "--partitions", "two"));
        assertEquals("--partitions needs an integer, got 'two'", e.getMessage());
    }

    @Test
    void historyCsvGrowsByOneRowAtEveryEpochsEnd() throws Exception {
        Path file = dir.resolve("growing").resolve("history.csv");
        List<Integer> linesSeen = new ArrayList<>();
        TrainingParams params = new TrainingParams().layers(784, 8, 3).epochs(3).batchSize(40).seed(2);
        // a listener added after the history's sees the file as the epoch left it
        new io.sparkmlp.train.Trainer(params, new io.sparkmlp.train.ClusterParams().partitions(2))
                .listener(new io.sparkmlp.report.HistoryListener(new org.apache.hadoop.fs.Path(file.toUri()),
                        new org.apache.hadoop.conf.Configuration()))
                .listener(new io.sparkmlp.train.TrainingListener() {
                    @Override
                    public void afterEpoch(io.sparkmlp.train.TrainingState state) {
                        try {
                            linesSeen.add(Files.readAllLines(file).size());
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                })
                .fit(TrainApp.read(SparkTestSession.get(), data.resolve("t10k-images-idx3-ubyte").toString(),
                        data.resolve("t10k-labels-idx1-ubyte").toString(), 2), null, "label", "features");
        assertEquals(List.of(2, 3, 4), linesSeen, "header plus one row per epoch so far");
    }

    @Test
    void noReportWritesTheHistoryAndSummaryButNoReportFolder() throws Exception {
        assertTrue(TrainOptions.parse().report());
        assertTrue(TrainOptions.parse("--report").report());
        assertFalse(TrainOptions.parse("--report", "false").report());
        assertFalse(TrainOptions.parse("--report=no").report());
        assertFalse(TrainOptions.parse("--no-report").report());
        assertTrue(TrainOptions.parse("--no-report", "--report").report(), "the last one counts");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainOptions.parse("--report", "maybe"));
        assertEquals("--report needs true or false, got 'maybe'", e.getMessage());
        assertTrue(TrainOptions.USAGE.contains("--no-report"), TrainOptions.USAGE);

        Path small = dir.resolve("tiny");
        TinyMnist.write(small, 120, 30);
        Path quietOut = dir.resolve("no-report");
        TrainApp.run(SparkTestSession.get(), TrainOptions.parse("--data", small.toString(), "--out", quietOut.toString(),
                "--layers", "16,8,3", "--epochs", "2", "--batch-size", "16", "--partitions", "2", "--no-report"),
                new PrintStream(new ByteArrayOutputStream(), true));
        assertEquals(1 + 2, Files.readAllLines(quietOut.resolve("history.csv")).size());
        assertTrue(Files.isRegularFile(quietOut.resolve("summary.json")));
        assertFalse(Files.exists(quietOut.resolve(TrainingReport.FOLDER)), "--no-report wrote a report");
    }
}
