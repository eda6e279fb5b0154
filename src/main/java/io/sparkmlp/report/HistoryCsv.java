package io.sparkmlp.report;

import io.sparkmlp.train.EpochMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A run's per-epoch history as CSV, one row an epoch: train and validation loss and accuracy (the
 * validation cells empty when there is none), the learning rate of the epoch's last step, its step
 * seconds, training samples per second and the wall seconds since the fit began.
 */
public final class HistoryCsv {

    /** The header's columns, in order. */
    public static final List<String> COLUMNS = List.of("epoch", "train_loss", "train_accuracy", "validation_loss",
            "validation_accuracy", "learning_rate", "seconds", "samples_per_second", "elapsed_seconds");

    private HistoryCsv() {
    }

    /** The CSV text of {@code history}, for a run on {@code trainRows} training rows (each epoch passes over all). */
    public static String text(List<EpochMetrics> history, long trainRows) {
        StringBuilder csv = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (EpochMetrics m : history) {
            csv.append(m.epoch()).append(',').append(m.trainLoss()).append(',').append(m.trainAccuracy()).append(',')
                    .append(cell(m.validationLoss())).append(',').append(cell(m.validationAccuracy())).append(',')
                    .append(m.learningRate()).append(',').append(m.trainSeconds()).append(',')
                    .append(samplesPerSecond(m, trainRows)).append(',').append(m.elapsedSeconds()).append('\n');
        }
        return csv.toString();
    }

    /** Training rows per second of the epoch's step time. */
    public static double samplesPerSecond(EpochMetrics m, long trainRows) {
        return trainRows / m.trainSeconds();
    }

    /** Writes {@link #text} to {@code file} (any Hadoop path), replacing it. */
    public static void write(List<EpochMetrics> history, long trainRows, Path file, Configuration hadoop) {
        try (OutputStream out = withoutChecksumFiles(file.getFileSystem(hadoop)).create(file, true)) {
            out.write(text(history, trainRows).getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The local file system without its {@code .name.crc} side files, which would sit beside every file a user opens;
     * any other file system as it is.
     */
    static FileSystem withoutChecksumFiles(FileSystem fs) {
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }

    private static String cell(double value) {
        return Double.isNaN(value) ? "" : Double.toString(value);
    }
}
