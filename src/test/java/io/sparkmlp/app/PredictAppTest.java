package io.sparkmlp.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.data.IdxImages;
import io.sparkmlp.data.IdxReader;
import io.sparkmlp.ml.MlpClassificationModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** submit/predict: IDX files and grey PNG/JPEG images to CSV, as the model's transform scores the same rows. */
@Tag("spark")
class PredictAppTest {

    @TempDir
    Path dir;

    private final PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
    private SparkSession spark;
    private Path data;
    private Path model;
    private IdxImages testImages;

    @BeforeEach
    void trainATinyModel() throws Exception {
        spark = SparkTestSession.get();
        data = dir.resolve("data");
        TinyMnist.write(data, 300, 60);
        TrainApp.run(spark, TrainOptions.parse(TrainAppTest.tinyRun(data, dir.resolve("out"))), quiet);
        model = dir.resolve("out").resolve("model");
        try (InputStream in = Files.newInputStream(data.resolve("t10k-images-idx3-ubyte"))) {
            testImages = IdxReader.readImages(in, "t10k-images-idx3-ubyte");
        }
    }

    /** The model's transform of the IDX test rows (read by the idx source): row i's prediction and probabilities. */
    private List<Row> transformed() {
        Dataset<Row> test = TrainApp.read(spark, data.resolve("t10k-images-idx3-ubyte").toString(),
                data.resolve("t10k-labels-idx1-ubyte").toString(), 2);
        return MlpClassificationModel.load(model.toString()).transform(test).select("prediction", "probability")
                .collectAsList();
    }

    private static BufferedImage grey(IdxImages images, int i) {
        BufferedImage image = new BufferedImage(images.cols(), images.rows(), BufferedImage.TYPE_BYTE_GRAY);
        for (int r = 0; r < images.rows(); r++) {
            for (int c = 0; c < images.cols(); c++) {
                image.getRaster().setSample(c, r, 0, images.pixel(i, r, c));
            }
        }
        return image;
    }

    private List<String> predict(String... args) throws Exception {
        Path csv = dir.resolve("p.csv");
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--out";
        all[args.length + 1] = csv.toString();
        PredictApp.run(spark, PredictOptions.parse(all), quiet);
        return Files.readAllLines(csv);
    }

    /**
     * Checks a CSV line's prediction and probabilities against the transform's row. The probabilities agree to
     * float rounding, not bit for bit: the transform here reads the rows in two partitions, predict in one, so a row
     * lands in a block of another width, and OpenBLAS computes a block's edge columns with other kernels (on a Zen 3
     * CPU, row 25 of blocks of 30 and of 60 differs in its logits' last bit: 2.6e-12 on a probability of 0.999998).
     */
    private static void assertSameAs(Row expected, String line) {
        String[] fields = line.split(",");
        assertEquals((long) expected.getDouble(0), Long.parseLong(fields[2]), line);
        double[] p = ((Vector) expected.get(1)).toArray();
        assertEquals(3 + p.length, fields.length, line);
        for (int k = 0; k < p.length; k++) {
            assertEquals(p[k], Double.parseDouble(fields[3 + k]), 1e-6, "probability " + k + " in " + line);
        }
    }

    @Test
    void aPngMadeFromATestImageIsPredictedAsTransformPredictsThatRow() throws Exception {
        List<Row> expected = transformed();
        Path images = dir.resolve("png");
        Files.createDirectories(images);
        int[] rows = {0, 7, 33, 59};
        for (int i : rows) {
            ImageIO.write(grey(testImages, i), "png", images.resolve(String.format("test-%02d.png", i)).toFile());
        }
        List<String> csv = predict(model.toString(), images.toString());
        assertEquals("file,index,prediction,probability_0,probability_1,probability_2", csv.get(0));
        assertEquals(1 + rows.length, csv.size(), csv.toString());
        for (int n = 0; n < rows.length; n++) {
            String line = csv.get(1 + n);
            assertTrue(line.contains(String.format("test-%02d.png,0,", rows[n])), line);
            assertSameAs(expected.get(rows[n]), line);
        }
        // one file named on its own, and a JPEG in grey (lossy, so only read and scored)
        Path jpeg = dir.resolve("one.jpg");
        ImageIO.write(grey(testImages, 3), "jpg", jpeg.toFile());
        csv = predict(model.toString(), images.resolve("test-07.png").toString(), jpeg.toString());
        assertEquals(3, csv.size(), csv.toString());
        assertSameAs(expected.get(7), csv.get(1));
        assertTrue(csv.get(2).contains("one.jpg,0,"), csv.get(2));
    }

    @Test
    void anIdxFileIsPredictedRowByRowAsTheModelTransformsIt() throws Exception {
        List<Row> expected = transformed();
        List<String> csv = predict(model.toString(), data.resolve("t10k-images-idx3-ubyte").toString());
        assertEquals(61, csv.size());
        for (int i = 0; i < 60; i++) {
            assertTrue(csv.get(1 + i).contains("t10k-images-idx3-ubyte," + i + ","), csv.get(1 + i));
            assertSameAs(expected.get(i), csv.get(1 + i));
        }
        // the data folder: its IDX image files (gzipped train and raw test), its label files skipped
        csv = predict(model.toString(), data.toString());
        assertEquals(1 + 60 + 300, csv.size());
    }

    @Test
    void aTableIsPredictedInTheOrderItIsRead() throws Exception {
        List<Row> expected = transformed();
        Path parquet = dir.resolve("test.parquet");
        TrainApp.read(spark, data.resolve("t10k-images-idx3-ubyte").toString(),
                data.resolve("t10k-labels-idx1-ubyte").toString(), 1).write().parquet(parquet.toString());
        List<String> csv = predict(model.toString(), parquet.toString(), "--format", "parquet");
        assertEquals(61, csv.size());
        for (int i = 0; i < 60; i++) {
            assertTrue(csv.get(1 + i).startsWith(PredictApp.csvField(parquet.toString()) + "," + i + ","), csv.get(1 + i));
            assertSameAs(expected.get(i), csv.get(1 + i));
        }
    }

    @Test
    void colourAndWrongSizeImagesAreRefusedNamingTheFileItsSizeAndTypeAndTheExpectedSize() throws Exception {
        Path rgb = dir.resolve("colour.png");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", rgb.toFile());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> predict(model.toString(), rgb.toString()));
        assertEquals(rgb + " is a 4 x 4 RGB (3 channels) image; the"
                + " model takes 4 x 4 = 16 grey pixels: convert it to grey (one channel, no alpha)", e.getMessage());

        Path big = dir.resolve("big.png");
        ImageIO.write(new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY), "png", big.toFile());
        e = assertThrows(IllegalArgumentException.class, () -> predict(model.toString(), big.toString()));
        assertTrue(e.getMessage().endsWith("big.png is a 5 x 4 grey image = 20 pixels; the model takes 4 x 4 = 16 grey"
                + " pixels"), e.getMessage());

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello");
        e = assertThrows(IllegalArgumentException.class, () -> predict(model.toString(), text.toString()));
        assertTrue(e.getMessage().endsWith("notes.txt is neither an IDX file nor a PNG or JPEG image (its first bytes"
                + " say neither)"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> PredictOptions.parse(model.toString()));
        assertTrue(e.getMessage().startsWith("submit/predict needs MODEL and at least one INPUT"), e.getMessage());
        assertTrue(PredictOptions.parse("--help").help());
        for (String option : new String[] {"MODEL", "INPUT", "--out", "--format", "--features-col", "--feature-cols"}) {
            assertTrue(PredictOptions.USAGE.contains(option), option + " missing from " + PredictOptions.USAGE);
        }
    }
}
