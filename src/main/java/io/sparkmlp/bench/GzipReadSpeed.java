package io.sparkmlp.bench;

import io.sparkmlp.app.TrainApp;
import io.sparkmlp.data.IdxFiles;
import io.sparkmlp.data.IdxHeader;
import io.sparkmlp.data.MnistFiles;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.PackedData;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * Seconds to read a large gzipped training set through the {@code idx} source and pack it as training
 * does (every pixel converted and stored), for several partition counts: a gzip file cannot be entered in
 * the middle, so this shows whether the work grows with the partition count. The set is {@code copies}
 * augmented copies of Fashion-MNIST's training images ({@link AugmentedFashion}), gzipped, written once.
 */
final class GzipReadSpeed {

    static final String DEFAULT_DIR = "/var/tmp/sparkmlp-fashion-gz";
    private static final String MARKER = ".copies-gz";

    private GzipReadSpeed() {
    }

    /** The set's files in {@code dir}, written from {@code source} first unless {@code dir} already holds these copies. */
    static MnistFiles prepare(String source, Path dir, int copies, PrintStream console) throws IOException {
        Path marker = dir.resolve(MARKER);
        if (!Files.isRegularFile(marker)
                || !Files.readString(marker, StandardCharsets.UTF_8).trim().equals(Integer.toString(copies))) {
            console.printf("bench: writing %d augmented copies of Fashion-MNIST's training images, gzipped, to %s%n",
                    copies, dir);
            Files.deleteIfExists(marker);
            long start = System.nanoTime();
            AugmentedFashion.write(source, dir, copies);
            for (String name : new String[] {MnistFiles.TRAIN_IMAGES, MnistFiles.TRAIN_LABELS}) {
                Path raw = dir.resolve(name);
                try (InputStream in = Files.newInputStream(raw);
                     OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz")), 1 << 16)) {
                    in.transferTo(out);
                }
                Files.delete(raw); // the raw file would win over the .gz in MnistFiles.find
            }
            Files.writeString(marker, copies + "\n", StandardCharsets.UTF_8);
            console.printf(Locale.ROOT, "bench: written in %.1f s%n", (System.nanoTime() - start) / 1e9);
        }
        return MnistFiles.find(dir.toString(), new Configuration());
    }

    /**
     * Reads and packs the training files {@code runs} times for each partition count, after one untimed run
     * at the first; the median counts. The inflated bytes are those of this JVM, so all of them under a local master.
     */
    static Map<String, Object> measure(SparkSession spark, MnistFiles files, Layout layout, int[] partitions, int runs,
                                       PrintStream console) throws IOException {
        if (partitions.length == 0 || runs < 1) {
            throw new IllegalArgumentException("need at least one partition count and one run, got "
                    + partitions.length + " and " + runs);
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        IdxHeader images = IdxFiles.readHeader(files.trainImages(), conf);
        IdxHeader labels = IdxFiles.readHeader(files.trainLabels(), conf);
        long decoded = images.headerBytes() + images.dataBytes() + labels.headerBytes() + labels.dataBytes();
        long stored = Files.size(Path.of(new org.apache.hadoop.fs.Path(files.trainImages()).toUri().getPath()))
                + Files.size(Path.of(new org.apache.hadoop.fs.Path(files.trainLabels()).toUri().getPath()));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("images", files.trainImages());
        result.put("rows", (long) images.dim(0));
        result.put("decoded_bytes", decoded);
        result.put("gzipped_bytes", stored);
        result.put("runs", runs);
        result.put("how", "spark.read.format(\"idx\") with numPartitions P, then PackedData.pack into P cached partitions;"
                + " median of " + runs + " timed runs after one warm-up run");
        console.printf(Locale.ROOT, "bench: gzip read: %,d images, %,d bytes decoded, %,d gzipped%n", images.dim(0),
                decoded, stored);
        readAndPack(spark, files, layout, partitions[0], images.dim(0));
        List<Map<String, Object>> points = new ArrayList<>();
        for (int p : partitions) {
            List<Double> seconds = new ArrayList<>();
            List<Double> inflated = new ArrayList<>();
            for (int r = 0; r < runs; r++) {
                // no decoder left open by the previous run: each run starts from the file's first byte
                IdxFiles.closeParkedDecoders();
                long before = IdxFiles.inflatedBytes();
                long start = System.nanoTime();
                readAndPack(spark, files, layout, p, images.dim(0));
                seconds.add((System.nanoTime() - start) / 1e9);
                inflated.add((IdxFiles.inflatedBytes() - before) / (double) decoded);
            }
            Map<String, Object> point = new LinkedHashMap<>();
            point.put("partitions", p);
            point.put("seconds", seconds);
            point.put("median_seconds", TransformSpeed.median(seconds));
            point.put("inflated_over_decoded", inflated);
            points.add(point);
            console.printf(Locale.ROOT, "bench: gzip read + pack, %d partitions: %s s, median %.2f s; bytes inflated /"
                    + " decoded: %s%n", p, format(seconds), TransformSpeed.median(seconds), format(inflated));
        }
        result.put("points", points);
        double first = (double) points.get(0).get("median_seconds");
        double last = (double) points.get(points.size() - 1).get("median_seconds");
        result.put("last_over_first", last / first);
        console.printf(Locale.ROOT, "bench: gzip read + pack, %d partitions / %d partitions: %.2fx%n",
                partitions[partitions.length - 1], partitions[0], last / first);
        return result;
    }

    private static void readAndPack(SparkSession spark, MnistFiles files, Layout layout, int partitions, long rows) {
        PackedData packed = PackedData.pack(TrainApp.read(spark, files.trainImages(), files.trainLabels(), partitions),
                "label", "features", layout.inputSize(), layout.outputSize(), partitions);
        try {
            if (packed.rows() != rows || packed.numPartitions() != partitions) {
                throw new IllegalStateException("packed " + packed.rows() + " rows in " + packed.numPartitions()
                        + " partitions; expected " + rows + " in " + partitions);
            }
        } finally {
            packed.unpersist();
        }
    }

    private static String format(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
    }
}
