package io.sparkmlp.app;

import io.sparkmlp.data.IdxFiles;
import io.sparkmlp.data.IdxHeader;
import io.sparkmlp.data.IdxImages;
import io.sparkmlp.data.IdxReader;
import io.sparkmlp.ml.MlpClassificationModel;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code spark-submit --class io.sparkmlp.app.PredictApp sparkmlp.jar MODEL INPUT... [--out FILE.csv]}: scores IDX
 * image files, PNG or JPEG images in grey of the model's input size, or a table, with a saved model, through the
 * model's batched {@code transform}, and writes CSV: {@code file,index,prediction,probability_0,...}. IDX files and
 * images are read on the driver (pixel / 255, as the {@code idx} source reads them) and scored on the executors.
 */
public final class PredictApp {

    /** Columns of the rows to score: where each row came from, and its features. */
    static final StructType INPUT_SCHEMA = new StructType()
            .add("file", DataTypes.StringType, false)
            .add("index", DataTypes.LongType, false)
            .add("features", SQLDataTypes.VectorType(), false);

    private PredictApp() {
    }

    public static void main(String[] args) {
        Launcher.main(args, "sparkmlp-predict", PredictOptions::parse, PredictOptions::help, PredictOptions.USAGE, (spark, options) -> run(spark, options,
                System.out));
    }

    /**
     * Loads the model, reads and checks every input, scores them and writes the CSV to {@code --out}, or to
     * {@code console} when none is given; returns the number of rows scored.
     */
    public static long run(SparkSession spark, PredictOptions options, PrintStream console) {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        MlpClassificationModel model = MlpClassificationModel.read().session(spark).load(options.model());
        Dataset<Row> rows;
        String featuresCol;
        if (options.table() != null) {
            TableSource source = options.table();
            String input = single(options.inputs(), source.format());
            Dataset<Row> table = source.read(spark, input, model.numFeatures(), "INPUT");
            featuresCol = source.featuresColumn(table.schema());
            rows = source.prepare(table, false, input).select(functions.lit(input).as("file"),
                    functions.lit(-1L).as("index"), functions.col(featuresCol).as("features"));
        } else {
            rows = spark.createDataFrame(readImages(options.inputs(), model.numFeatures(), hadoop), INPUT_SCHEMA);
        }
        MlpClassificationModel scorer = model.copy(new org.apache.spark.ml.param.ParamMap())
                .setFeaturesCol("features").setProbabilityCol("probability").setPredictionCol("prediction")
                .setRawPredictionCol("");
        // the results are small (a label and k probabilities a row): collected, then written on the driver
        // (toLocalIterator would send Spark's own ChunkedByteBuffer[] through Kryo, which registration refuses)
        List<Row> scored = scorer.transform(rows).select("file", "index", "prediction", "probability").collectAsList();
        long count;
        if (options.out() == null) {
            Writer writer = new OutputStreamWriter(console, StandardCharsets.UTF_8);
            count = writeCsv(scored.iterator(), model.numClasses(), writer);
        } else {
            Path file = new Path(options.out());
            try (OutputStream out = file.getFileSystem(hadoop).create(file, true);
                 Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))) {
                count = writeCsv(scored.iterator(), model.numClasses(), writer);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            console.println("sparkmlp: " + count + " predictions written to " + file);
        }
        return count;
    }

    private static String single(List<String> inputs, String format) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException("--format " + format + " scores one table (a path or a table name),"
                    + " got " + inputs.size() + ": " + inputs);
        }
        return inputs.get(0);
    }

    /**
     * CSV rows of {@code file,index,prediction,probability_0..k-1}; a table's rows (index -1 when read) are
     * numbered in the order read. Returns the number of rows written.
     */
    static long writeCsv(Iterator<Row> scored, int classes, Writer out) {
        try {
            StringBuilder header = new StringBuilder("file,index,prediction");
            for (int k = 0; k < classes; k++) {
                header.append(",probability_").append(k);
            }
            out.write(header.append('\n').toString());
            long count = 0;
            StringBuilder line = new StringBuilder();
            while (scored.hasNext()) {
                Row row = scored.next();
                long index = row.getLong(1) >= 0 ? row.getLong(1) : count;
                line.setLength(0);
                line.append(csvField(row.getString(0))).append(',').append(index).append(',')
                        .append((long) row.getDouble(2));
                double[] p = ((Vector) row.get(3)).toArray();
                for (double v : p) {
                    line.append(',').append(v);
                }
                out.write(line.append('\n').toString());
                count++;
            }
            out.flush();
            return count;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the predictions: " + e.getMessage(), e);
        }
    }

    /** A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break. */
    static String csvField(String text) {
        if (text.indexOf(',') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0 && text.indexOf('\r') < 0) {
            return text;
        }
        return '"' + text.replace("\"", "\"\"") + '"';
    }

    /** What a file holds, from its first bytes. */
    enum Kind { IDX, IMAGE, OTHER }

    /**
     * The rows of every input: a file is IDX (raw or gzip) or a PNG/JPEG image by its first bytes; a folder
     * contributes its files in name order, skipping IDX label files, hidden files and Hadoop's {@code _} files.
     */
    static List<Row> readImages(List<String> inputs, int features, Configuration hadoop) {
        List<Row> rows = new ArrayList<>();
        try {
            for (String input : inputs) {
                Path path = new Path(input);
                FileSystem fs = path.getFileSystem(hadoop);
                if (!fs.exists(path)) {
                    throw new IllegalArgumentException("INPUT " + input + " does not exist");
                }
                if (!fs.getFileStatus(path).isDirectory()) {
                    readFile(path.toString(), kind(path.toString(), hadoop), features, hadoop, rows, true);
                    continue;
                }
                FileStatus[] entries = fs.listStatus(path);
                Arrays.sort(entries, (a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
                int before = rows.size();
                for (FileStatus entry : entries) {
                    String name = entry.getPath().getName();
                    if (entry.isDirectory() || name.startsWith(".") || name.startsWith("_")) {
                        continue;
                    }
                    String file = entry.getPath().toString();
                    readFile(file, kind(file, hadoop), features, hadoop, rows, false);
                }
                if (rows.size() == before) {
                    throw new IllegalArgumentException("INPUT " + input + " holds no IDX image file and no PNG or JPEG"
                            + " image");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + e.getMessage(), e);
        }
        return rows;
    }

    private static void readFile(String file, Kind kind, int features, Configuration hadoop, List<Row> rows,
                                 boolean named) throws IOException {
        switch (kind) {
            case IDX -> {
                IdxHeader header = IdxFiles.readHeader(file, hadoop);
                if (header.rank() == 1 && !named) {
                    return; // a folder's label file: predict needs none
                }
                IdxReader.requireImages(header, file);
                long pixels = (long) header.dim(1) * header.dim(2);
                if (pixels != features) {
                    throw new IllegalArgumentException("the images in " + file + " have " + header.dim(1) + " x "
                            + header.dim(2) + " = " + pixels + " pixels; the model takes " + expected(features));
                }
                IdxImages images = IdxFiles.readImages(file, hadoop);
                for (int i = 0; i < images.count(); i++) {
                    double[] x = new double[features];
                    int offset = i * features;
                    for (int k = 0; k < features; k++) {
                        // x = pixel / 255, as the idx source reads images
                        x[k] = (images.pixels()[offset + k] & 0xFF) / 255.0;
                    }
                    rows.add(RowFactory.create(file, (long) i, Vectors.dense(x)));
                }
            }
            case IMAGE -> rows.add(RowFactory.create(file, 0L, Vectors.dense(greyPixels(file, features, hadoop))));
            case OTHER -> throw new IllegalArgumentException(file + " is neither an IDX file nor a PNG or JPEG image"
                    + " (its first bytes say neither)");
        }
    }

    static Kind kind(String file, Configuration hadoop) throws IOException {
        byte[] magic = new byte[4];
        int n;
        try (InputStream in = IdxFiles.openRaw(file, hadoop)) {
            n = in.readNBytes(magic, 0, 4);
        }
        int b0 = magic[0] & 0xFF;
        int b1 = magic[1] & 0xFF;
        if (n >= 2 && b0 == 0x1f && b1 == 0x8b) {
            return Kind.IDX; // gzip: IDX files are the gzipped input predict takes
        }
        if (n == 4 && b0 == 0 && b1 == 0) {
            return Kind.IDX;
        }
        if (n >= 2 && (b0 == 0x89 && b1 == 'P' || b0 == 0xFF && b1 == 0xD8)) {
            return Kind.IMAGE;
        }
        return Kind.OTHER;
    }

    /** {@code 28 x 28 = 784 grey pixels} for a square input, else {@code 784 grey pixels}. */
    static String expected(int features) {
        int side = (int) Math.round(Math.sqrt(features));
        return side * side == features ? side + " x " + side + " = " + features + " grey pixels" : features + " grey pixels";
    }

    /**
     * A grey image's pixels, row-major, each / (2^bits - 1); a colour image, one with an alpha channel or a
     * palette, or one of another size than the model's input is refused, naming the file, its size and type.
     */
    static double[] greyPixels(String file, int features, Configuration hadoop) throws IOException {
        BufferedImage image;
        try (InputStream in = IdxFiles.openRaw(file, hadoop)) {
            image = ImageIO.read(in);
        }
        if (image == null) {
            throw new IllegalArgumentException(file + " is not an image javax.imageio can read (PNG or JPEG)");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        ColorModel colours = image.getColorModel();
        boolean grey = !(colours instanceof IndexColorModel) && colours.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && colours.getNumComponents() == 1 && image.getRaster().getNumBands() == 1;
        if (!grey) {
            throw new IllegalArgumentException(file + " is a " + width + " x " + height + " " + describe(colours)
                    + " image; the model takes " + expected(features) + ": convert it to grey (one channel, no alpha)");
        }
        int side = (int) Math.round(Math.sqrt(features));
        boolean sizeFits = side * side == features ? width == side && height == side : (long) width * height == features;
        if (!sizeFits) {
            throw new IllegalArgumentException(file + " is a " + width + " x " + height + " grey image = "
                    + (long) width * height + " pixels; the model takes " + expected(features));
        }
        Raster raster = image.getRaster();
        double max = (1 << colours.getComponentSize(0)) - 1;
        double[] x = new double[features];
        for (int y = 0; y < height; y++) {
            for (int c = 0; c < width; c++) {
                // x = value / (2^bits - 1): 8-bit grey gives pixel / 255, as the idx source
                x[y * width + c] = raster.getSample(c, y, 0) / max;
            }
        }
        return x;
    }

    private static String describe(ColorModel colours) {
        if (colours instanceof IndexColorModel) {
            return "palette (indexed colour)";
        }
        String space = switch (colours.getColorSpace().getType()) {
            case ColorSpace.TYPE_RGB -> "RGB";
            case ColorSpace.TYPE_GRAY -> "grey";
            case ColorSpace.TYPE_CMYK -> "CMYK";
            default -> "colour space " + colours.getColorSpace().getType();
        };
        return space + (colours.hasAlpha() ? " with alpha" : "") + " (" + colours.getNumComponents() + " channels)";
    }
}
