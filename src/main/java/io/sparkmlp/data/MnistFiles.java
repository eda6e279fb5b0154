package io.sparkmlp.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** The four standard MNIST (or Fashion-MNIST) files in one folder, each raw or gzipped. */
public record MnistFiles(String trainImages, String trainLabels, String testImages, String testLabels) {

    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /** Finds the four files in {@code folder} (any Hadoop path); the raw file wins when both forms are there. */
    public static MnistFiles find(String folder, Configuration conf) throws IOException {
        if (folder == null || folder.isEmpty()) {
            throw new IllegalArgumentException("folder must not be empty");
        }
        List<String> missing = new ArrayList<>();
        String[] found = new String[4];
        String[] names = {TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS};
        for (int i = 0; i < names.length; i++) {
            found[i] = locate(folder, names[i], conf);
            if (found[i] == null) {
                missing.add(names[i] + "[.gz]");
            }
        }
        if (!missing.isEmpty()) {
            throw new IdxFormatException("folder " + folder + " lacks " + String.join(", ", missing)
                    + "; looked for " + String.join(", ", names) + ", each raw or with .gz");
        }
        return new MnistFiles(found[0], found[1], found[2], found[3]);
    }

    private static String locate(String folder, String name, Configuration conf) throws IOException {
        for (String candidate : new String[] {name, name + ".gz"}) {
            String path = new Path(folder, candidate).toString();
            if (IdxFiles.exists(path, conf)) {
                return path;
            }
        }
        return null;
    }
}
