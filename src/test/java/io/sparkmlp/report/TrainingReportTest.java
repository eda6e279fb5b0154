package io.sparkmlp.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.train.DetailedEvaluation;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's parts without Spark: figures from a confusion matrix, the CSV, the JSON, the files written. */
@Tag("unit")
class TrainingReportTest {

    @TempDir
    Path dir;

    private static final long[][] COUNTS = {{5, 1, 0}, {2, 3, 1}, {0, 0, 4}};

    @Test
    void precisionRecallAndF1FollowFromTheConfusionMatrix() {
        DetailedEvaluation e = new DetailedEvaluation(COUNTS, 8.0, List.of());
        assertEquals(16, e.rows());
        assertEquals(12, e.correct());
        assertEquals(12 / 16.0, e.accuracy());
        assertEquals(0.5, e.loss());
        assertEquals(5 / 7.0, e.precision(0));
        assertEquals(5 / 6.0, e.recall(0));
        assertEquals(2 * (5 / 7.0) * (5 / 6.0) / (5 / 7.0 + 5 / 6.0), e.f1(0), 1e-15);
        assertEquals(4 / 5.0, e.precision(2));
        assertEquals(1.0, e.recall(2));
        // a class never predicted and never present: 0, not NaN
        DetailedEvaluation empty = new DetailedEvaluation(new long[][] {{3, 0}, {0, 0}}, 0, List.of());
        assertEquals(0.0, empty.precision(1));
        assertEquals(0.0, empty.recall(1));
        assertEquals(0.0, empty.f1(1));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> new DetailedEvaluation(new long[][] {{1, 2}, {3}}, 0, List.of()));
        assertTrue(bad.getMessage().contains("row 1 has 1 counts"), bad.getMessage());
    }

    @Test
    void historyCsvLeavesTheValidationCellsEmptyWhenThereIsNoValidation() {
        List<EpochMetrics> history = List.of(new EpochMetrics(1, 0.9, 0.6, Double.NaN, Double.NaN, 0.05, 2.0, 2.0, 2.5),
                new EpochMetrics(2, 0.5, 0.8, Double.NaN, Double.NaN, 0.025, 4.0, 6.0, 6.8));
        String[] lines = HistoryCsv.text(history, 1000).split("\n");
        assertEquals(3, lines.length);
        assertEquals(String.join(",", HistoryCsv.COLUMNS), lines[0]);
        assertEquals("1,0.9,0.6,,,0.05,2.0,500.0,2.5", lines[1]);
        assertEquals("2,0.5,0.8,,,0.025,4.0,250.0,6.8", lines[2]);
    }

    @Test
    void theHyperParametersAreJsonValuesOfTheirTypes() {
        TrainingParams params = new TrainingParams().layers(6, 4, 3).learningRate(0.2).nesterov(true).seed(42);
        JsonNode json = HyperParameterJson.of(params);
        assertTrue(json.get("layers").isArray() && json.get("layers").get(2).asInt() == 3, json.toString());
        assertTrue(json.get("learning-rate").isDouble() && json.get("learning-rate").asDouble() == 0.2);
        assertTrue(json.get("nesterov").isBoolean() && json.get("nesterov").asBoolean());
        assertTrue(json.get("seed").isIntegralNumber() && json.get("seed").asLong() == 42);
        assertTrue(json.get("epochs").isInt());
        assertTrue(json.get("optimizer").isTextual() && json.get("optimizer").asText().equals("sgd"));
    }

    @Test
    void classNamesAreFashionMnistsForItsFolderElseDigits() {
        assertEquals("Ankle boot", ClassNames.forData("/usr/share/datasets/fashion-mnist", 10).get(9));
        assertEquals(ClassNames.digits(10), ClassNames.forData("hdfs:///data/mnist", 10));
        assertEquals(List.of("0", "1", "2"), ClassNames.forData("/data/Fashion", 3));
    }

    @Test
    void withoutAnImageShapeTheReportHasTheCurvesTheMatrixAndTheIndex() throws Exception {
        TrainingResult result = result(new Layout(6, 4, 3), List.of(
                new EpochMetrics(1, 0.9, 0.6, 0.8, 0.65, 0.05, 2.0, 2.0, 2.5)));
        DetailedEvaluation test = new DetailedEvaluation(COUNTS, 8.0, List.of());
        List<String> written = TrainingReport.of(result, test).params(new TrainingParams().layers(6, 4, 3))
                .write(dir.resolve("report"));
        assertEquals(List.of("loss.png", "accuracy.png", "confusion.png", "index.html"), written);
        try (Stream<Path> files = Files.list(dir.resolve("report"))) {
            assertEquals(written.stream().sorted().collect(Collectors.toList()),
                    files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList()));
        }
        for (String png : List.of("loss.png", "accuracy.png", "confusion.png")) {
            assertNotNull(ImageIO.read(dir.resolve("report").resolve(png).toFile()), png);
        }
        String html = Files.readString(dir.resolve("report/index.html"));
        assertTrue(html.contains("0.7500") && html.contains("learning-rate"), html);
    }

    @Test
    void tenFashionNamesFitTheConfusionMatrixAndImagesAreDrawnInTheirShape() throws Exception {
        Layout layout = new Layout(4, 5, 10);
        long[][] counts = new long[10][10];
        for (int k = 0; k < 10; k++) {
            counts[k][k] = 90;
            counts[k][(k + 1) % 10] = 10;
        }
        float[] pixels = {0f, 0.5f, 1f, 0.25f};
        float[] probabilities = new float[10];
        probabilities[3] = 0.7f;
        probabilities[2] = 0.3f;
        DetailedEvaluation test = new DetailedEvaluation(counts, 300.0,
                List.of(new DetailedEvaluation.Misclassified(7, 2, 3, probabilities, pixels)));
        TrainingResult result = result(layout, List.of(new EpochMetrics(1, 0.9, 0.6, Double.NaN, Double.NaN, 0.05, 2, 2, 2),
                new EpochMetrics(2, 0.7, 0.7, Double.NaN, Double.NaN, 0.02, 2, 4, 4)));
        Path report = dir.resolve("fashion");
        TrainingReport.of(result, test).classNames(ClassNames.FASHION_MNIST).imageShape(2, 2).write(report);
        BufferedImage confusion = ImageIO.read(report.resolve("confusion.png").toFile());
        assertTrue(confusion.getWidth() >= 10 * 56 && confusion.getHeight() >= 10 * 56,
                confusion.getWidth() + " x " + confusion.getHeight());
        BufferedImage grid = ImageIO.read(report.resolve("misclassified.png").toFile());
        assertNotNull(grid);
        assertNotNull(ImageIO.read(report.resolve("weights.png").toFile()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingReport.of(result, test).imageShape(3, 3));
        assertEquals("image shape 3 x 3 = 9 pixels does not match the model's 4 inputs", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainingReport.of(result, test).classNames(List.of("a")));
        assertTrue(e.getMessage().startsWith("1 class names given for 10 classes"), e.getMessage());
    }

    private static TrainingResult result(Layout layout, List<EpochMetrics> history) {
        Network network = new Network(layout, Activation.RELU);
        MlpModel model = new MlpModel(network, InputScaling.IDENTITY, network.initialParameters(1, Initialization.parse("he")));
        return new TrainingResult(model, history, history.size(), false, 1000, 0, 2, 1000L * history.size(),
                history.size() * 2.0);
    }
}
