package io.sparkmlp.report;

import io.sparkmlp.train.DetailedEvaluation;
import io.sparkmlp.train.EpochMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's pictures, drawn headless: the loss and accuracy curves with JFreeChart, the confusion
 * matrix, the misclassified images and the first layer's weights with Java2D.
 */
final class Charts {

    static final int CURVE_WIDTH = 800;
    static final int CURVE_HEIGHT = 500;
    /** Pixels an image tile is drawn at, at least: a 28 x 28 image is drawn 3 times as large. */
    private static final int TILE_PIXELS = 84;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 16);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    private Charts() {
    }

    /** A line chart of one figure per epoch, train and (when there is one) validation. */
    static JFreeChart curves(String title, String axis, List<EpochMetrics> history, ToDoubleFunction<EpochMetrics> train,
                             ToDoubleFunction<EpochMetrics> validation) {
        XYSeries trainSeries = new XYSeries("train");
        XYSeries validationSeries = new XYSeries("validation");
        for (EpochMetrics m : history) {
            trainSeries.add(m.epoch(), train.applyAsDouble(m));
            double v = validation.applyAsDouble(m);
            if (!Double.isNaN(v)) {
                validationSeries.add(m.epoch(), v);
            }
        }
        XYSeriesCollection data = new XYSeriesCollection(trainSeries);
        if (validationSeries.getItemCount() > 0) {
            data.addSeries(validationSeries);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "epoch", axis, data, PlotOrientation.VERTICAL,
                true, false, false);
        chart.addSubtitle(new TextTitle(validationSeries.getItemCount() > 0
                ? "train: mean over the epoch's steps; validation: with the weights at the epoch's end"
                : "train: mean over the epoch's steps (this run had no validation rows)", LABEL));
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        NumberAxis epochs = (NumberAxis) plot.getDomainAxis();
        epochs.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochs.setAutoRangeIncludesZero(false);
        ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        // points as well as lines: a run of one epoch still shows its figures
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setSeriesPaint(0, new Color(0x1f77b4));
        renderer.setSeriesPaint(1, new Color(0xff7f0e));
        renderer.setSeriesStroke(0, new BasicStroke(2f));
        renderer.setSeriesStroke(1, new BasicStroke(2f));
        plot.setRenderer(renderer);
        return chart;
    }

    /**
     * The confusion matrix as a heat map: one row a true class, one column a predicted class, each cell's colour its
     * share of the row (the class's recall on the diagonal) on a square-root scale, so that the few mistakes between
     * two classes show beside the many right answers; its count written in it.
     */
    static BufferedImage confusion(DetailedEvaluation test, List<String> names) {
        long[][] counts = test.confusionMatrix();
        int k = counts.length;
        int cell = k <= 10 ? 56 : Math.max(24, 560 / k);
        Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        FontMetrics label = probe.getFontMetrics(LABEL);
        int longest = 0;
        for (String n : names) {
            longest = Math.max(longest, label.stringWidth(n));
        }
        probe.dispose();
        int axisTitle = 24;
        int left = axisTitle + longest + 12;
        int top = 58;
        int bottom = axisTitle + longest + 12; // the column names are written upwards
        int width = left + k * cell + 20;
        int height = top + k * cell + bottom;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        g.setFont(TITLE);
        centred(g, String.format("Test confusion matrix (%d rows, accuracy %.4f)", test.rows(), test.accuracy()),
                width / 2, 24);
        g.setFont(SMALL);
        centred(g, "colour: the cell's share of its true class's rows (square-root scale)", width / 2, 44);
        for (int i = 0; i < k; i++) {
            long rowSum = 0;
            for (long c : counts[i]) {
                rowSum += c;
            }
            for (int j = 0; j < k; j++) {
                double share = rowSum == 0 ? 0 : counts[i][j] / (double) rowSum;
                g.setColor(heat(Math.sqrt(share)));
                int x = left + j * cell;
                int y = top + i * cell;
                g.fillRect(x, y, cell, cell);
                g.setColor(Color.LIGHT_GRAY);
                g.drawRect(x, y, cell, cell);
                g.setColor(Math.sqrt(share) > 0.5 ? Color.WHITE : Color.BLACK);
                g.setFont(cell >= 40 ? LABEL : SMALL);
                centred(g, Long.toString(counts[i][j]), x + cell / 2, y + cell / 2 + 5);
            }
        }
        g.setColor(Color.BLACK);
        g.setFont(LABEL);
        FontMetrics fm = g.getFontMetrics();
        for (int i = 0; i < k; i++) {
            String n = names.get(i);
            g.drawString(n, left - 6 - fm.stringWidth(n), top + i * cell + cell / 2 + 5);
        }
        AffineTransform plain = g.getTransform();
        for (int j = 0; j < k; j++) {
            String n = names.get(j);
            int x = left + j * cell + cell / 2 + 5;
            int y = top + k * cell + 6 + fm.stringWidth(n);
            g.rotate(-Math.PI / 2, x, y);
            g.drawString(n, x, y);
            g.setTransform(plain);
        }
        g.setFont(TITLE.deriveFont(Font.PLAIN, 14f));
        centred(g, "predicted class", left + k * cell / 2, height - 8);
        g.rotate(-Math.PI / 2, 16, top + k * cell / 2);
        centred(g, "true class", 16, top + k * cell / 2);
        g.setTransform(plain);
        g.dispose();
        return image;
    }

    /** White to dark blue as {@code share} goes from 0 to 1. */
    private static Color heat(double share) {
        double s = Math.max(0, Math.min(1, share));
        // c = white + s * (blue - white)
        return new Color((int) Math.round(255 + s * (8 - 255)), (int) Math.round(255 + s * (48 - 255)),
                (int) Math.round(255 + s * (107 - 255)));
    }

    /**
     * Up to {@code columns} x rows tiles, each a misclassified test image in grey (raw values in [0, 1], 1 white)
     * with its true class, the prediction and the probability the model gave it.
     */
    static BufferedImage misclassified(List<DetailedEvaluation.Misclassified> rows, List<String> names, int imageRows,
                                       int imageCols, int columns) {
        int scale = scale(imageRows, imageCols);
        int tileWidth = Math.max(imageCols * scale, 150);
        int captions = 2 * 15 + 6;
        int tileHeight = imageRows * scale + captions;
        int n = rows.size();
        int gridColumns = Math.max(1, Math.min(columns, n));
        int gridRows = Math.max(1, (n + gridColumns - 1) / gridColumns);
        int gap = 10;
        int top = 40;
        int width = gap + gridColumns * (tileWidth + gap);
        int height = top + gridRows * (tileHeight + gap);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        g.setFont(TITLE);
        centred(g, n == 0 ? "No misclassified test images" : "Misclassified test images (the first " + n
                + " in test-set order): true class, prediction and its probability", width / 2, 26);
        for (int t = 0; t < n; t++) {
            DetailedEvaluation.Misclassified m = rows.get(t);
            int x = gap + (t % gridColumns) * (tileWidth + gap);
            int y = top + (t / gridColumns) * (tileHeight + gap);
            int imageX = x + (tileWidth - imageCols * scale) / 2;
            drawGrey(g, m.features(), imageRows, imageCols, scale, imageX, y, 0f, 1f);
            g.setFont(SMALL);
            g.setColor(Color.BLACK);
            int textY = y + imageRows * scale + 14;
            centred(g, "true: " + names.get(m.label()), x + tileWidth / 2, textY);
            g.setColor(new Color(0xb00000));
            centred(g, String.format("pred: %s (%.2f)", names.get(m.predicted()), m.predictedProbability()),
                    x + tileWidth / 2, textY + 15);
        }
        g.dispose();
        return image;
    }

    /**
     * The first layer's incoming weights of its first {@code units} units, each unit's as an image of the input's
     * shape: grey is 0, white the unit's largest positive weight, black its most negative (scaled by its largest
     * magnitude).
     */
    static BufferedImage firstLayerWeights(float[] weights, int offset, int inputs, int outputs, int imageRows,
                                           int imageCols, int units, int columns) {
        int scale = scale(imageRows, imageCols);
        int gap = 6;
        int top = 40;
        int gridColumns = Math.max(1, Math.min(columns, units));
        int gridRows = (units + gridColumns - 1) / gridColumns;
        int tileWidth = imageCols * scale;
        int tileHeight = imageRows * scale + 16;
        int width = Math.max(gap + gridColumns * (tileWidth + gap), 520);
        int height = top + gridRows * (tileHeight + gap);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(image);
        g.setFont(TITLE);
        centred(g, "First layer's weights: " + units + " of " + outputs + " units (grey 0, white +, black -)",
                width / 2, 26);
        float[] unit = new float[inputs];
        int left = (width - (gap + gridColumns * (tileWidth + gap))) / 2;
        for (int u = 0; u < units; u++) {
            float largest = 0;
            for (int i = 0; i < inputs; i++) {
                // W is outputs x inputs, column-major: W[u][i] at offset + i * outputs + u
                unit[i] = weights[offset + i * outputs + u];
                largest = Math.max(largest, Math.abs(unit[i]));
            }
            float range = largest == 0 ? 1 : largest;
            int x = left + gap + (u % gridColumns) * (tileWidth + gap);
            int y = top + (u / gridColumns) * (tileHeight + gap);
            drawGrey(g, unit, imageRows, imageCols, scale, x, y, -range, range);
            g.setColor(Color.DARK_GRAY);
            g.setFont(SMALL);
            centred(g, "unit " + u, x + tileWidth / 2, y + imageRows * scale + 13);
        }
        g.dispose();
        return image;
    }

    /** How many screen pixels an image pixel takes, so a tile is at least {@value #TILE_PIXELS} pixels wide and high. */
    static int scale(int imageRows, int imageCols) {
        int side = Math.max(1, Math.max(imageRows, imageCols));
        return Math.max(1, (TILE_PIXELS + side - 1) / side);
    }

    /** Values row-major, drawn in grey from {@code low} (black) to {@code high} (white), each as a scale x scale square. */
    private static void drawGrey(Graphics2D g, float[] values, int rows, int cols, int scale, int x, int y, float low,
                                 float high) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                // grey = 255 * (v - low) / (high - low)
                float v = (values[r * cols + c] - low) / (high - low);
                int grey = Math.round(255 * Math.max(0, Math.min(1, v)));
                g.setColor(new Color(grey, grey, grey));
                g.fillRect(x + c * scale, y + r * scale, scale, scale);
            }
        }
        g.setColor(Color.GRAY);
        g.drawRect(x, y, cols * scale - 1, rows * scale - 1);
    }

    private static Graphics2D canvas(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setColor(Color.BLACK);
        return g;
    }

    private static void centred(Graphics2D g, String text, int x, int y) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
    }
}
