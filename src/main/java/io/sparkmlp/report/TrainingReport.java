package io.sparkmlp.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.DetailedEvaluation;
import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;

/**
 * A training run's report, written into a folder: {@code loss.png} and {@code accuracy.png} (train and
 * validation per epoch), {@code confusion.png} (the test confusion matrix), and when the inputs are
 * images ({@link #imageShape}) {@code misclassified.png} (the first misclassified test images) and
 * {@code weights.png} (the first layer's weights in the image's shape); plus {@code index.html}
 * showing them with the run's figures and hyper-parameters. Drawn headless, without a display.
 *
 * <pre>{@code
 * TrainingReport.of(result, model.evaluateInDetail(test, "label", "features", cluster, 30))
 *         .params(params).imageShape(28, 28).classNames(ClassNames.FASHION_MNIST)
 *         .write("out/report", spark.sparkContext().hadoopConfiguration());
 * }</pre>
 */
public final class TrainingReport {

    /** The folder the command line writes the report into, inside its output folder. */
    public static final String FOLDER = "report";
    /** Misclassified images shown, at most, and per row of the grid. */
    public static final int MISCLASSIFIED_SHOWN = 30;
    private static final int MISCLASSIFIED_COLUMNS = 6;
    /** First-layer units shown, at most, and per row of the grid. */
    private static final int UNITS_SHOWN = 64;
    private static final int UNIT_COLUMNS = 8;

    static {
        // the charts need no display; set before AWT starts unless the user chose otherwise
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private final TrainingResult result;
    private final DetailedEvaluation test;
    private TrainingParams params;
    private int imageRows;
    private int imageCols;
    private List<String> classNames;

    private TrainingReport(TrainingResult result, DetailedEvaluation test) {
        this.result = Objects.requireNonNull(result, "result");
        this.test = Objects.requireNonNull(test, "test");
        int classes = result.model().network().layout().outputSize();
        if (test.classes() != classes) {
            throw new IllegalArgumentException("the test evaluation has " + test.classes() + " classes, the model "
                    + classes);
        }
        this.classNames = ClassNames.digits(classes);
    }

    /** A report of {@code result}, with {@code test} (the model's evaluation on the test rows) for the test figures. */
    public static TrainingReport of(TrainingResult result, DetailedEvaluation test) {
        return new TrainingReport(result, test);
    }

    /** The run's hyper-parameters, listed in {@code index.html}; none listed when not given. */
    public TrainingReport params(TrainingParams params) {
        this.params = Objects.requireNonNull(params, "params");
        return this;
    }

    /**
     * The inputs are {@code rows x cols} images, row-major: the misclassified images and the first layer's weights
     * are drawn in that shape. Without it (or when rows x cols is not the input size) they are left out.
     */
    public TrainingReport imageShape(int rows, int cols) {
        int inputs = result.model().network().layout().inputSize();
        if (rows < 1 || cols < 1 || (long) rows * cols != inputs) {
            throw new IllegalArgumentException("image shape " + rows + " x " + cols + " = " + (long) rows * cols
                    + " pixels does not match the model's " + inputs + " inputs");
        }
        this.imageRows = rows;
        this.imageCols = cols;
        return this;
    }

    /** The classes' names, label 0 first (default: the digits); see {@link ClassNames}. */
    public TrainingReport classNames(List<String> names) {
        if (names.size() != test.classes()) {
            throw new IllegalArgumentException(names.size() + " class names given for " + test.classes()
                    + " classes: " + names);
        }
        this.classNames = List.copyOf(names);
        return this;
    }

    /** Writes into {@code dir} on the local file system. */
    public List<String> write(java.nio.file.Path dir) {
        return write(dir.toUri().toString(), new Configuration());
    }

    /** Writes the images and {@code index.html} into folder {@code dir} (any Hadoop path); returns the files' names. */
    public List<String> write(String dir, Configuration hadoop) {
        Path folder = new Path(dir);
        List<Image> images = new ArrayList<>();
        List<EpochMetrics> history = result.history();
        images.add(chart(folder, hadoop, "loss.png", "Cross-entropy loss per epoch", Charts.curves(
                "Loss per epoch", "cross-entropy loss", history, EpochMetrics::trainLoss, EpochMetrics::validationLoss)));
        images.add(chart(folder, hadoop, "accuracy.png", "Accuracy per epoch", Charts.curves(
                "Accuracy per epoch", "accuracy", history, EpochMetrics::trainAccuracy,
                EpochMetrics::validationAccuracy)));
        images.add(png(folder, hadoop, "confusion.png", "Test confusion matrix (rows: true class, columns: predicted)",
                Charts.confusion(test, classNames)));
        if (imageRows > 0) {
            images.add(png(folder, hadoop, "misclassified.png", "Misclassified test images",
                    Charts.misclassified(test.misclassified().subList(0, Math.min(MISCLASSIFIED_SHOWN,
                            test.misclassified().size())), classNames, imageRows, imageCols, MISCLASSIFIED_COLUMNS)));
            Layout layout = result.model().network().layout();
            int units = Math.min(UNITS_SHOWN, layout.size(1));
            images.add(png(folder, hadoop, "weights.png", "First layer's weights", Charts.firstLayerWeights(
                    result.model().weights(), layout.weightOffset(0), layout.inputSize(), layout.size(1), imageRows,
                    imageCols, units, UNIT_COLUMNS)));
        }
        write(folder, hadoop, "index.html", html(images).getBytes(StandardCharsets.UTF_8));
        List<String> names = new ArrayList<>();
        for (Image i : images) {
            names.add(i.file);
        }
        names.add("index.html");
        return names;
    }

    /** An image written: its file, caption and size. */
    private record Image(String file, String caption, int width, int height) {
    }

    private static Image chart(Path folder, Configuration hadoop, String file, String caption, JFreeChart chart) {
        try (OutputStream out = create(folder, file, hadoop)) {
            ChartUtils.writeChartAsPNG(out, chart, Charts.CURVE_WIDTH, Charts.CURVE_HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + new Path(folder, file) + ": " + e.getMessage(), e);
        }
        return new Image(file, caption, Charts.CURVE_WIDTH, Charts.CURVE_HEIGHT);
    }

    private static Image png(Path folder, Configuration hadoop, String file, String caption, BufferedImage image) {
        try (OutputStream out = create(folder, file, hadoop)) {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("this Java has no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + new Path(folder, file) + ": " + e.getMessage(), e);
        }
        return new Image(file, caption, image.getWidth(), image.getHeight());
    }

    private static void write(Path folder, Configuration hadoop, String file, byte[] bytes) {
        try (OutputStream out = create(folder, file, hadoop)) {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + new Path(folder, file) + ": " + e.getMessage(), e);
        }
    }

    private static OutputStream create(Path folder, String file, Configuration hadoop) throws IOException {
        return HistoryCsv.withoutChecksumFiles(folder.getFileSystem(hadoop)).create(new Path(folder, file), true);
    }

    private String html(List<Image> images) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>sparkmlp training report")
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
                        + "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;"
                        + "padding:3px 8px;text-align:right}th{background:#f3f3f3}td.name,th.name{text-align:left}"
                        + "figure{margin:1em 0}figcaption{color:#555}</style>\n</head>\n<body>\n");
        h.append("<h1>sparkmlp training report</h1>\n");
        h.append("<h2>Summary</h2>\n<table>\n");
        row(h, "test accuracy", format(test.accuracy()));
        row(h, "test loss", format(test.loss()));
        row(h, "test rows", Long.toString(test.rows()));
        row(h, "layers", result.model().network().layout().toString());
        row(h, "epochs", Integer.toString(result.epochsRun()));
        row(h, "model's epoch", Integer.toString(result.bestEpoch()));
        row(h, "stopped early", Boolean.toString(result.stoppedEarly()));
        row(h, "training time (steps), s", String.format(Locale.ROOT, "%.2f", result.trainSeconds()));
        row(h, "samples per second", String.format(Locale.ROOT, "%.0f", result.samplesPerSecond()));
        row(h, "training rows", Long.toString(result.trainRows()));
        row(h, "validation rows", Long.toString(result.validationRows()));
        h.append("</table>\n");
        for (Image i : images) {
            h.append("<figure><img src=\"").append(escape(i.file)).append("\" width=\"").append(i.width)
                    .append("\" height=\"").append(i.height).append("\" alt=\"").append(escape(i.caption))
                    .append("\"><figcaption>").append(escape(i.caption)).append("</figcaption></figure>\n");
        }
        h.append("<h2>Per class (test)</h2>\n<table>\n<tr><th class=\"name\">class</th><th>precision</th><th>recall</th>"
                + "<th>F1</th><th>rows</th></tr>\n");
        for (int k = 0; k < test.classes(); k++) {
            h.append("<tr><td class=\"name\">").append(k).append(' ').append(escape(classNames.get(k))).append("</td><td>")
                    .append(format(test.precision(k))).append("</td><td>").append(format(test.recall(k)))
                    .append("</td><td>").append(format(test.f1(k))).append("</td><td>").append(test.support(k))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n<h2>History</h2>\n<table>\n<tr>");
        for (String c : HistoryCsv.COLUMNS) {
            h.append("<th>").append(c.replace('_', ' ')).append("</th>");
        }
        h.append("</tr>\n");
        for (EpochMetrics m : result.history()) {
            h.append("<tr><td>").append(m.epoch()).append("</td><td>").append(format(m.trainLoss())).append("</td><td>")
                    .append(format(m.trainAccuracy())).append("</td><td>").append(format(m.validationLoss()))
                    .append("</td><td>").append(format(m.validationAccuracy())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.4g", m.learningRate())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.2f", m.trainSeconds())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.0f", HistoryCsv.samplesPerSecond(m, result.trainRows())))
                    .append("</td><td>").append(String.format(Locale.ROOT, "%.2f", m.elapsedSeconds()))
                    .append("</td></tr>\n");
        }
        h.append("</table>\n");
        if (params != null) {
            h.append("<h2>Hyper-parameters</h2>\n<table>\n");
            for (Iterator<Map.Entry<String, JsonNode>> it = HyperParameterJson.of(params).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                row(h, e.getKey(), v.isTextual() ? v.asText() : v.toString());
            }
            h.append("</table>\n");
        }
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String name, String value) {
        h.append("<tr><th class=\"name\">").append(escape(name)).append("</th><td>").append(escape(value))
                .append("</td></tr>\n");
    }

    private static String format(double value) {
        return Double.isNaN(value) ? "" : String.format(Locale.ROOT, "%.4f", value);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
