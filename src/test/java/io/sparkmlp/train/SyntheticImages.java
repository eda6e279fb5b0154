package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Rng;

/**
 * Fashion-MNIST-shaped data for the benchmarks: 28x28 images of unsigned bytes and 10 classes.
 * About half of a Fashion-MNIST image is background (0), so half the pixels are 0 here too and
 * the rest uniform in 1..255; the values themselves do not change what the kernels do.
 */
final class SyntheticImages {

    static final int FEATURES = 784;
    static final int CLASSES = 10;
    /** Fashion-MNIST's training set size. */
    static final int TRAINING_ROWS = 60_000;

    private SyntheticImages() {
    }

    /** One image as the packing sees a row: every value a multiple of 1/255, so it packs as bytes. */
    static void image(Rng rng, double[] row) {
        for (int k = 0; k < row.length; k++) {
            row[k] = rng.nextInt(2) == 0 ? 0.0 : (1 + rng.nextInt(255)) / 255.0;
        }
    }

    /** Values that are not multiples of 1/255 (standard normal), which the packing keeps as floats. */
    static void nonImage(Rng rng, double[] row) {
        for (int k = 0; k < row.length; k++) {
            row[k] = rng.nextGaussian();
        }
    }

    /** A block of {@code rows} random labelled rows, packed as bytes, or as floats when {@code asFloats}. */
    static Block block(int rows, boolean asFloats, long seed) {
        Rng rng = new Rng(seed);
        Block.Builder builder = new Block.Builder(FEATURES);
        double[] row = new double[FEATURES];
        for (int r = 0; r < rows; r++) {
            if (asFloats) {
                nonImage(rng, row);
            } else {
                image(rng, row);
            }
            builder.add(rng.nextInt(CLASSES), row);
        }
        return builder.build();
    }

    /** Standardisation with the block's own mean and standard deviation, as the trainer's {@code standardize} option does. */
    static InputScaling standardization(Block block) {
        double[] moments = PackedData.partitionMoments(java.util.List.of(block).iterator()).next().global();
        return InputScaling.standardize(moments[0], moments[1]);
    }
}
