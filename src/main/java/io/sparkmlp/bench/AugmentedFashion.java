package io.sparkmlp.bench;

import io.sparkmlp.data.IdxFiles;
import io.sparkmlp.data.IdxHeader;
import io.sparkmlp.data.IdxType;
import io.sparkmlp.data.LabeledImages;
import io.sparkmlp.data.MnistFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;

/**
 * Writes a large synthetic training set in MNIST format: {@code copies} augmented versions of every
 * Fashion-MNIST training image, as raw (uncompressed, so splittable) IDX files, plus the real test
 * files, so the folder trains like any other. Copy {@code v} of an image is shifted by
 * {@code (v mod 5 - 2, (v / 5) mod 5 - 2)} pixels, mirrored left to right when {@code (v / 25)} is odd,
 * and its contrast scaled by 1, 0.85 or 0.7 for {@code v / 50} = 0, 1, 2: 150 distinct variants,
 * the first being the image itself. The copies are interleaved (image i's copies are rows
 * {@code i·copies … i·copies + copies - 1}) and the labels follow the images.
 *
 * <p>{@code java -cp … io.sparkmlp.bench.AugmentedFashion SOURCE_DIR OUT_DIR [COPIES]}; 135 copies
 * of the 60,000 training images make the 8.1 million-image set ({@code submit/scale}).
 */
public final class AugmentedFashion {

    static final int MAX_COPIES = 150;
    private static final float[] CONTRAST = {1f, 0.85f, 0.7f};

    private AugmentedFashion() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: AugmentedFashion SOURCE_DIR OUT_DIR [COPIES (1-" + MAX_COPIES + ", default 135)]");
            System.exit(2);
        }
        int copies;
        try {
            copies = args.length == 3 ? Integer.parseInt(args[2]) : 135;
        } catch (NumberFormatException e) {
            System.err.println("COPIES must be an integer in [1, " + MAX_COPIES + "], got '" + args[2] + "'");
            System.exit(2);
            return;
        }
        long start = System.nanoTime();
        long rows = write(args[0], Path.of(args[1]), copies);
        System.out.printf("wrote %,d images to %s in %.1f s%n", rows, args[1], (System.nanoTime() - start) / 1e9);
    }

    /** Writes the augmented training files and copies the test files; returns the training row count. */
    static long write(String source, Path out, int copies) throws IOException {
        if (copies < 1 || copies > MAX_COPIES) {
            throw new IllegalArgumentException("copies must be in [1, " + MAX_COPIES + "], got " + copies);
        }
        Configuration conf = new Configuration();
        MnistFiles files = MnistFiles.find(source, conf);
        LabeledImages train = IdxFiles.readLabeled(files.trainImages(), files.trainLabels(), conf);
        int count = train.images().count();
        int height = train.images().rows();
        int width = train.images().cols();
        long total = (long) count * copies;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(count + " images x " + copies + " copies do not fit an IDX count");
        }
        Files.createDirectories(out);
        byte[] pixels = train.images().pixels();
        byte[] labels = train.labels();
        int size = height * width;
        byte[] image = new byte[size];
        try (OutputStream images = new BufferedOutputStream(Files.newOutputStream(out.resolve(MnistFiles.TRAIN_IMAGES)), 1 << 22);
             OutputStream labelFile = new BufferedOutputStream(Files.newOutputStream(out.resolve(MnistFiles.TRAIN_LABELS)), 1 << 20)) {
            new IdxHeader(IdxType.UBYTE, (int) total, height, width).write(images);
            new IdxHeader(IdxType.UBYTE, (int) total).write(labelFile);
            for (int i = 0; i < count; i++) {
                for (int v = 0; v < copies; v++) {
                    augment(pixels, i * size, height, width, v, image);
                    images.write(image);
                    labelFile.write(labels[i]);
                }
            }
        }
        for (String test : new String[] {files.testImages(), files.testLabels()}) {
            Path from = Path.of(new org.apache.hadoop.fs.Path(test).toUri().getPath());
            Files.copy(from, out.resolve(from.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        return total;
    }

    /** Variant {@code v} of the image at {@code offset}: shifted, maybe mirrored, contrast scaled; blank where shifted in. */
    static void augment(byte[] pixels, int offset, int height, int width, int v, byte[] into) {
        int dx = v % 5 - 2;
        int dy = (v / 5) % 5 - 2;
        boolean mirror = (v / 25) % 2 == 1;
        float contrast = CONTRAST[v / 50];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                // out(x, y) = contrast · in(x', y - dy), x' = (mirror ? width - 1 - x : x) - dx
                int sourceX = (mirror ? width - 1 - x : x) - dx;
                int sourceY = y - dy;
                int value = 0;
                if (sourceX >= 0 && sourceX < width && sourceY >= 0 && sourceY < height) {
                    value = Math.round(contrast * (pixels[offset + sourceY * width + sourceX] & 0xFF));
                }
                into[y * width + x] = (byte) value;
            }
        }
    }
}
