package io.sparkmlp;

import io.sparkmlp.data.IdxImages;
import io.sparkmlp.data.IdxWriter;
import io.sparkmlp.nn.Rng;
import java.nio.file.Files;
import java.nio.file.Path;

/** Four MNIST-format files of 4x4 images whose class (0, 1 or 2) shows as a bright row: easy to learn. */
public final class TinyMnist {

    private TinyMnist() {
    }

    /** Writes gzipped training files and raw test files into {@code folder}. */
    public static void write(Path folder, int trainCount, int testCount) throws Exception {
        Files.createDirectories(folder);
        writeSplit(folder, "train", trainCount, 1, true);
        writeSplit(folder, "t10k", testCount, 2, false);
    }

    private static void writeSplit(Path folder, String prefix, int count, long seed, boolean gzip) throws Exception {
        Rng rng = new Rng(seed);
        byte[] pixels = new byte[count * 16];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label = rng.nextInt(3);
            labels[i] = (byte) label;
            for (int k = 0; k < 16; k++) {
                int value = k / 4 == label ? 200 + rng.nextInt(56) : rng.nextInt(60);
                pixels[i * 16 + k] = (byte) value;
            }
        }
        String suffix = gzip ? ".gz" : "";
        IdxWriter.writeImages(folder.resolve(prefix + "-images-idx3-ubyte" + suffix), new IdxImages(count, 4, 4, pixels), gzip);
        IdxWriter.writeLabels(folder.resolve(prefix + "-labels-idx1-ubyte" + suffix), labels, gzip);
    }
}
