package io.sparkmlp.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

@Tag("spark")
class IdxDataSourceTest {

    private static final String FASHION = "/usr/share/datasets/fashion-mnist";

    private final SparkSession spark = SparkTestSession.get();

    @TempDir
    Path dir;

    private DataFrameReader idx() {
        return spark.read().format("idx");
    }

    /** Message of the exception and every cause, so a check finds it however Spark wraps it. */
    private static String chain(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            s.append(c.getMessage()).append(" | ");
        }
        return s.toString();
    }

    private static void assertRows(List<Row> rows, int count, double scale) {
        IdxImages images = Fixtures.images(count, 3, 2);
        byte[] labels = Fixtures.labels(count);
        assertEquals(count, rows.size());
        for (int i = 0; i < count; i++) {
            assertEquals(labels[i], rows.get(i).getDouble(0), "label of row " + i);
            double[] expected = new double[6];
            for (int k = 0; k < 6; k++) {
                expected[k] = (images.pixels()[i * 6 + k] & 0xFF) / scale;
            }
            assertArrayEquals(expected, ((Vector) rows.get(i).get(1)).toArray(), "features of row " + i);
        }
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void oneTwoAndThreePartitionsGiveTheSameRowsInOrder(boolean gzip) throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, gzip);
        for (int p = 1; p <= 3; p++) {
            Dataset<Row> df = idx().option("numPartitions", p).load(images.toString());
            assertEquals(p, df.rdd().getNumPartitions());
            assertRows(df.collectAsList(), 7, 255.0);
        }
    }

    @Test
    void aGzipFileReadWithManyPartitionsGivesTheRawFilesRowsInOrderInflatingItAboutOnce() throws IOException {
        int count = 3000;
        Path raw = Fixtures.writePair(Files.createDirectories(dir.resolve("raw")), "train", count, 28, 28, false);
        Path gz = Fixtures.writePair(Files.createDirectories(dir.resolve("gz")), "train", count, 28, 28, true);
        long decoded = 16 + count * 28 * 28 + 8 + count;
        List<Row> expected = idx().option("numPartitions", 1).load(raw.toString()).collectAsList();
        int partitions = 16;
        assertEquals(expected, idx().option("numPartitions", partitions).load(raw.toString()).collectAsList());
        GzipResumePoints.closeAll();
        long before = IdxFiles.inflatedBytes();
        Dataset<Row> df = idx().option("numPartitions", partitions).load(gz.toString());
        assertEquals(partitions, df.rdd().getNumPartitions());
        assertEquals(expected, df.collectAsList());
        double inflated = (IdxFiles.inflatedBytes() - before) / (double) decoded;
        // every partition inflating from byte 0 makes (16 + 1) / 2 = 8.5 files' worth; two task threads that
        // each continue from a stream the other left open inflate between one and about two
        assertTrue(inflated >= 1 && inflated < 3, "inflated " + inflated + " times the decoded files");
    }

    @Test
    void schemaIsANonNullDoubleLabelAndAVectorOfFeatures() throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, false);
        StructField[] fields = idx().load(images.toString()).schema().fields();
        assertEquals("label", fields[0].name());
        assertEquals(DataTypes.DoubleType, fields[0].dataType());
        assertFalse(fields[0].nullable());
        assertEquals("features", fields[1].name());
        assertEquals(SQLDataTypes.VectorType(), fields[1].dataType());
        Vector first = (Vector) idx().load(images.toString()).first().get(1);
        assertTrue(first instanceof org.apache.spark.ml.linalg.DenseVector);
    }

    @Test
    void rawScaleGivesPixelValuesFromZeroTo255() throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, true);
        assertRows(idx().option("scale", "raw").option("numPartitions", 2).load(images.toString()).collectAsList(), 7, 1.0);
    }

    @Test
    void morePartitionsThanRowsLeavesSomeEmpty() throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, false);
        assertRows(idx().option("numPartitions", 10).load(images.toString()).collectAsList(), 7, 255.0);
    }

    @Test
    void labelsOptionNamesALabelFileThatCannotBeDerived() throws IOException {
        Path images = Fixtures.write(dir.resolve("pixels.bin"), Fixtures.imageFileBytes(Fixtures.images(7, 3, 2)));
        Path labels = Fixtures.write(dir.resolve("classes.bin"), Fixtures.gzip(Fixtures.labelFileBytes(Fixtures.labels(7))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> idx().load(images.toString()));
        assertTrue(chain(e).contains("option labels is not set") && chain(e).contains("pixels.bin"), chain(e));
        assertRows(idx().option("labels", labels.toString()).load(images.toString()).collectAsList(), 7, 255.0);
    }

    @Test
    void derivedLabelFileThatIsMissingIsNamed() throws IOException {
        Path images = Fixtures.write(dir.resolve("train-images-idx3-ubyte"), Fixtures.imageFileBytes(Fixtures.images(7, 3, 2)));
        Exception e = assertThrows(IllegalArgumentException.class, () -> idx().load(images.toString()));
        assertTrue(chain(e).contains("train-labels-idx1-ubyte"), chain(e));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({"numPartitions, 0", "numPartitions, -3", "numPartitions, many", "scale, percent"})
    void invalidOptionValuesAreNamedInTheError(String option, String value) throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, false);
        Exception e = assertThrows(IllegalArgumentException.class,
                () -> idx().option(option, value).load(images.toString()));
        assertTrue(chain(e).contains("option " + option) && chain(e).contains("'" + value + "'"), chain(e));
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void truncatedFileFailsOnTheDriverWithTheMissingByteCount(boolean gzip) throws IOException {
        byte[] cut = Fixtures.cut(Fixtures.imageFileBytes(Fixtures.images(7, 3, 2)), 5);
        Path images = Fixtures.write(dir.resolve("train-images-idx3-ubyte" + (gzip ? ".gz" : "")), gzip ? Fixtures.gzip(cut) : cut);
        IdxWriter.writeLabels(dir.resolve("train-labels-idx1-ubyte" + (gzip ? ".gz" : "")), Fixtures.labels(7), gzip);
        Exception e = assertThrows(Exception.class, () -> idx().load(images.toString()).collectAsList());
        assertTrue(chain(e).contains(images + ": the header promises 7 x 3 x 2 = 42 data bytes, the file holds 37"), chain(e));
    }

    @Test
    void imageAndLabelCountsMustAgree() throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, true);
        IdxWriter.writeLabels(dir.resolve("train-labels-idx1-ubyte.gz"), Fixtures.labels(8), true);
        Exception e = assertThrows(IdxFormatException.class, () -> idx().load(images.toString()));
        assertTrue(chain(e).contains("holds 7 images") && chain(e).contains("holds 8 labels"), chain(e));
    }

    @ParameterizedTest(name = "gzip {0}")
    @ValueSource(booleans = {false, true})
    void fileCutAfterPlanningFailsTheTaskWithTheMissingByteCount(boolean gzip) throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, gzip);
        Dataset<Row> df = idx().option("numPartitions", 2).load(images.toString());
        byte[] cut = Fixtures.cut(Fixtures.imageFileBytes(Fixtures.images(7, 3, 2)), 8);
        Files.write(images, gzip ? Fixtures.gzip(cut) : cut);
        Exception e = assertThrows(Exception.class, df::collectAsList);
        assertTrue(chain(e).contains("the header promises 7 x 3 x 2 = 42 data bytes, the file holds 34"), chain(e));
    }

    @Test
    void bytesAppendedAfterPlanningFailTheLastPartition() throws IOException {
        Path images = Fixtures.writePair(dir, "train", 7, 3, 2, false);
        Dataset<Row> df = idx().option("numPartitions", 3).load(images.toString());
        Files.write(images, new byte[3], StandardOpenOption.APPEND);
        Exception e = assertThrows(Exception.class, df::collectAsList);
        assertTrue(chain(e).contains("42 data bytes, the file holds 45 (3 trailing bytes)"), chain(e));
    }

    @Test
    @Tag("real-data")
    @EnabledIf("fashionMnistIsInstalled")
    void readsTheRealFashionMnistTestSet() throws IOException {
        String images = FASHION + "/t10k-images-idx3-ubyte.gz";
        Dataset<Row> df = idx().option("numPartitions", 4).load(images);
        assertEquals(10000, df.count());
        List<Row> perLabel = df.groupBy("label").count().orderBy("label").collectAsList();
        assertEquals(10, perLabel.size());
        for (int k = 0; k < 10; k++) {
            assertEquals(k, perLabel.get(k).getDouble(0));
            assertEquals(1000, perLabel.get(k).getLong(1), "Fashion-MNIST's test set has 1000 of each class");
        }
        Row first = df.first();
        Vector features = (Vector) first.get(1);
        assertEquals(784, features.size());
        LabeledImages direct = IdxFiles.readLabeled(images, FASHION + "/t10k-labels-idx1-ubyte.gz", new Configuration());
        assertEquals(direct.label(0), first.getDouble(0));
        assertEquals(direct.images().pixel(0, 14, 14) / 255.0, features.apply(14 * 28 + 14));
    }

    static boolean fashionMnistIsInstalled() {
        return Files.isReadable(Path.of(FASHION, "t10k-images-idx3-ubyte.gz"));
    }
}
