package io.sparkmlp.data;

import java.io.IOException;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * What the driver learns before any task runs: the options, checked, and the two headers, checked against each
 * other and against the files' lengths. Only headers and lengths are read here, never the data.
 */
record IdxReadPlan(String imagesPath, String labelsPath, IdxHeader images, IdxHeader labels,
                   int numPartitions, boolean unitScale) implements Serializable {

    int count() {
        return images.dim(0);
    }

    /** Bytes of one image: rows * cols. */
    int rowBytes() {
        return images.dim(1) * images.dim(2);
    }

    static IdxReadPlan create(CaseInsensitiveStringMap options, int defaultParallelism, Configuration conf)
            throws IOException {
        String imagesPath = options.get("path");
        if (imagesPath == null || imagesPath.isEmpty()) {
            throw new IllegalArgumentException("the idx source reads one image file, give it as load(path)"
                    + (options.containsKey("paths") ? "; got several paths: " + options.get("paths") : ""));
        }
        boolean unitScale = parseScale(options.get(IdxDataSource.SCALE));
        int numPartitions = parsePartitions(options.get(IdxDataSource.NUM_PARTITIONS), defaultParallelism);
        String labelsPath = options.get(IdxDataSource.LABELS);
        if (labelsPath == null || labelsPath.isEmpty()) {
            labelsPath = deriveLabels(imagesPath, conf);
        }

        IdxHeader images = IdxFiles.readHeader(imagesPath, conf);
        IdxReader.requireImages(images, imagesPath);
        if ((long) images.dim(1) * images.dim(2) > Integer.MAX_VALUE - 8) {
            throw new IdxFormatException(imagesPath + ": images of " + images.dim(1) + " x " + images.dim(2)
                    + " pixels are too large: one image must hold fewer than " + (Integer.MAX_VALUE - 8) + " bytes");
        }
        IdxHeader labels = IdxFiles.readHeader(labelsPath, conf);
        IdxReader.requireLabels(labels, labelsPath);
        IdxReader.checkCounts(imagesPath, images.dim(0), labelsPath, labels.dim(0));
        checkLength(imagesPath, images, conf);
        checkLength(labelsPath, labels, conf);
        return new IdxReadPlan(imagesPath, labelsPath, images, labels, numPartitions, unitScale);
    }

    /** Fails unless the file holds exactly header + data bytes (after decompression). */
    static void checkLength(String path, IdxHeader h, Configuration conf) throws IOException {
        long expected = h.headerBytes() + h.dataBytes();
        h.checkDataBytes(path, IdxFiles.decodedLength(path, conf, expected) - h.headerBytes());
    }

    static boolean parseScale(String value) {
        if (value == null || value.equalsIgnoreCase("unit")) {
            return true;
        }
        if (value.equalsIgnoreCase("raw")) {
            return false;
        }
        throw new IllegalArgumentException("option " + IdxDataSource.SCALE + " must be 'unit' (pixel / 255) or 'raw' (0..255), got '"
                + value + "'");
    }

    static int parsePartitions(String value, int defaultParallelism) {
        if (value == null) {
            return Math.max(1, defaultParallelism);
        }
        int n;
        try {
            n = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) {
            throw new IllegalArgumentException("option " + IdxDataSource.NUM_PARTITIONS + " must be an integer >= 1, got '"
                    + value + "'");
        }
        return n;
    }

    /** train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz in the same folder (or the other compression). */
    static String deriveLabels(String imagesPath, Configuration conf) throws IOException {
        Path images = new Path(imagesPath);
        String name = images.getName();
        int at = name.lastIndexOf("images-idx3");
        if (at < 0) {
            throw new IllegalArgumentException("option " + IdxDataSource.LABELS + " is not set and the label file cannot be derived from "
                    + imagesPath + " (its name has no 'images-idx3' to replace by 'labels-idx1')");
        }
        String derived = name.substring(0, at) + "labels-idx1" + name.substring(at + "images-idx3".length());
        String other = derived.endsWith(".gz") ? derived.substring(0, derived.length() - 3) : derived + ".gz";
        for (String candidate : new String[] {derived, other}) {
            String path = new Path(images.getParent(), candidate).toString();
            if (IdxFiles.exists(path, conf)) {
                return path;
            }
        }
        throw new IllegalArgumentException("option " + IdxDataSource.LABELS + " is not set and the derived label file "
                + new Path(images.getParent(), derived) + " (or " + other + ") does not exist");
    }
}
