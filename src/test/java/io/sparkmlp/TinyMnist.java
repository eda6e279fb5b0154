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

    /**
     * Writes gzipped training files and raw test files of {@code side x side} images in three classes, class c a
     * bright band of rows (the c-th third of the image); a share {@code noise} of the labels is then drawn at random,
     * so a model also makes mistakes.
     */
    public static void writeSquare(Path folder, int trainCount, int testCount, int side, double noise) throws Exception {
        Files.createDirectories(folder);
        writeSquareSplit(folder, "train", trainCount, side, noise, 3, true);
        writeSquareSplit(folder, "t10k", testCount, side, noise, 4, false);
    }

    private static void writeSquareSplit(Path folder, String prefix, int count, int side, double noise, long seed,
                                         boolean gzip) throws Exception {
        Rng rng = new Rng(seed);
        int pixels = side * side;
        byte[] images = new byte[count * pixels];
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            int label = rng.nextInt(3);
            for (int k = 0; k < pixels; k++) {
                boolean bright = (k / side) * 3 / side == label;
                images[i * pixels + k] = (byte) (bright ? 150 + rng.nextInt(106) : rng.nextInt(90));
            }
            labels[i] = (byte) (rng.nextDouble() < noise ? rng.nextInt(3) : label);
        }
        String suffix = gzip ? ".gz" : "";
        IdxWriter.writeImages(folder.resolve(prefix + "-images-idx3-ubyte" + suffix),
                new IdxImages(count, side, side, images), gzip);
        IdxWriter.writeLabels(folder.resolve(prefix + "-labels-idx1-ubyte" + suffix), labels, gzip);
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
