package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Dropout masks and the weighted loss of the training pass, checked without Spark. */
@Tag("unit")
class DropoutTest {

    private static final long MASK_SEED = Dropout.maskSeed(17, 2, 5);

    /** A batch of Gaussian inputs, labels, global rows and weights drawn from {@code seed}. */
    private static void randomBatch(Workspace ws, int batch, long seed) {
        Rng rng = new Rng(seed);
        int in = ws.layout().inputSize();
        for (int i = 0; i < batch * in; i++) {
            ws.input()[i] = (float) rng.nextGaussian();
        }
        for (int j = 0; j < batch; j++) {
            ws.labels()[j] = rng.nextInt(ws.layout().outputSize());
            ws.rowIds()[j] = 1000 + rng.nextInt(100_000);
            ws.weights()[j] = 0.25f + rng.nextInt(8) * 0.25f;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Activation.class, names = {"TANH", "SIGMOID"})
    void theMaskedWeightedGradientMatchesCentralDifferencesOfTheMaskedWeightedLoss(Activation activation) {
        Network net = new Network(new Layout(5, 6, 5, 3), activation);
        Dropout dropout = Dropout.of(net.layout(), 0.3, 0.5);
        int batch = 4;
        Workspace ws = new Workspace(net.layout(), batch);
        randomBatch(ws, batch, 3);
        float[] params = net.initialParameters(9, Initialization.GLOROT);
        Rng rng = new Rng(10);
        for (int i = 0; i < params.length; i++) {
            params[i] += (float) (0.1 * rng.nextGaussian());
        }
        float[] gradient = new float[params.length];
        double loss = net.lossAndGradient(params, ws, batch, gradient, dropout, MASK_SEED, true);
        // the masks are not trivial: some units of each hidden layer are dropped, some kept
        for (int l = 1; l <= 2; l++) {
            float[] mask = ws.mask(l);
            int width = net.layout().size(l);
            int dropped = 0;
            for (int k = 0; k < width * batch; k++) {
                dropped += mask[k] == 0f ? 1 : 0;
            }
            assertTrue(dropped > 0 && dropped < width * batch, "layer " + l + ": " + dropped + " dropped");
        }
        assertEquals(loss, net.trainingLoss(params, ws, batch, dropout, MASK_SEED, true), 0.0);

        float eps = 2e-3f;
        double diffSq = 0;
        double normSq = 0;
        for (int p = 0; p < params.length; p++) {
            float saved = params[p];
            params[p] = saved + eps;
            double up = net.trainingLoss(params, ws, batch, dropout, MASK_SEED, true);
            params[p] = saved - eps;
            double down = net.trainingLoss(params, ws, batch, dropout, MASK_SEED, true);
            params[p] = saved;
            double numeric = (up - down) / (2 * eps);
            assertEquals(numeric, gradient[p], 5e-4 + 1e-2 * Math.abs(numeric), activation + ": parameter " + p);
            diffSq += Math.pow(numeric - gradient[p], 2);
            normSq += Math.pow(numeric, 2);
        }
        double relative = Math.sqrt(diffSq / normSq);
        assertTrue(relative < 2e-3, activation + ": relative error over all parameters " + relative);
    }

    @Test
    void aRowGetsTheSameMaskWhateverItsPositionInTheBatch() {
        Layout layout = new Layout(4, 7, 5, 2);
        Dropout dropout = Dropout.of(layout, 0.4, 0.2);
        Workspace first = new Workspace(layout, 5);
        Workspace second = new Workspace(layout, 5);
        long[] a = {7, 3, 12};
        long[] b = {12, 99, 7, 1};
        System.arraycopy(a, 0, first.rowIds(), 0, a.length);
        System.arraycopy(b, 0, second.rowIds(), 0, b.length);
        dropout.fillMasks(first, a.length, MASK_SEED);
        dropout.fillMasks(second, b.length, MASK_SEED);
        for (int l = 1; l <= 2; l++) {
            int width = layout.size(l);
            float rate = dropout.rate(l - 1);
            for (int unit = 0; unit < width; unit++) {
                // row 7: position 0, then 2; row 12: position 2, then 0
                assertEquals(first.mask(l)[unit], second.mask(l)[2 * width + unit], "row 7, layer " + l);
                assertEquals(first.mask(l)[2 * width + unit], second.mask(l)[unit], "row 12, layer " + l);
                boolean kept = Dropout.kept(MASK_SEED, 7, l - 1, unit, rate);
                assertEquals(kept ? 1 / (1 - rate) : 0f, first.mask(l)[unit], 1e-6, "the pure function, layer " + l);
            }
        }
        // the (unit + 1)-th value of the stream Rng.derive(seed, row, layer) seeds
        Rng stream = new Rng(Rng.derive(MASK_SEED, 7, 0));
        for (int unit = 0; unit < 7; unit++) {
            boolean kept = ((stream.nextLong() >>> 40) * 0x1.0p-24f) >= 0.4f;
            assertEquals(kept, Dropout.kept(MASK_SEED, 7, 0, unit, 0.4f), "unit " + unit);
        }
    }

    @Test
    void masksDropTheRateOfUnitsAndChangeWithTheStep() {
        int dropped = 0;
        int differ = 0;
        int n = 200_000;
        long other = Dropout.maskSeed(17, 2, 6);
        for (int i = 0; i < n; i++) {
            boolean kept = Dropout.kept(MASK_SEED, i / 100, 0, i % 100, 0.3f);
            dropped += kept ? 0 : 1;
            differ += kept != Dropout.kept(other, i / 100, 0, i % 100, 0.3f) ? 1 : 0;
        }
        assertEquals(0.3, dropped / (double) n, 0.005);
        // independent masks agree on a unit with probability 0.7² + 0.3² = 0.58
        assertEquals(0.42, differ / (double) n, 0.005);
        assertNotEquals(Dropout.maskSeed(17, 2, 5), Dropout.maskSeed(17, 3, 5));
        assertNotEquals(Dropout.maskSeed(17, 2, 5), Dropout.maskSeed(18, 2, 5));
    }

    @Test
    void rateZeroAndWeightsOfOneAreBitIdenticalToThePlainKernel() {
        for (Activation activation : Activation.values()) {
            Layout layout = new Layout(13, 9, 6, 4);
            Network net = new Network(layout, activation);
            float[] params = net.initialParameters(42, Initialization.defaultFor(activation));
            int batch = 7;
            Workspace ws = new Workspace(layout, batch);
            randomBatch(ws, batch, 8);
            java.util.Arrays.fill(ws.weights(), 1f);
            float[] plain = new float[params.length];
            double plainLoss = net.lossAndGradient(params, ws, batch, plain);
            float[] plainOutput = ws.output().clone();
            float[] off = new float[params.length];
            double offLoss = net.lossAndGradient(params, ws, batch, off, Dropout.of(layout, 0.0), MASK_SEED, false);
            float[] ones = new float[params.length];
            double onesLoss = net.lossAndGradient(params, ws, batch, ones, Dropout.of(layout, 0.0, 0.0), MASK_SEED, true);
            assertArrayEquals(plain, off, activation + ": rate 0");
            assertArrayEquals(plain, ones, activation + ": weights 1");
            assertArrayEquals(plainOutput, ws.output(), activation + ": probabilities");
            assertEquals(plainLoss, offLoss, 0.0);
            assertEquals(plainLoss, onesLoss, 0.0);
            assertEquals(batch, ws.weightSum(), 0.0);
            assertEquals(plainLoss, ws.unweightedLossSum(), 0.0);
        }
    }

    @Test
    void inferenceIgnoresTheMasksOfTheLastTrainingPass() {
        Layout layout = new Layout(5, 8, 3);
        Network net = new Network(layout, Activation.RELU);
        float[] params = net.initialParameters(4, Initialization.HE);
        Workspace ws = new Workspace(layout, 6);
        randomBatch(ws, 6, 12);
        double plain = net.loss(params, ws, 6);
        float[] gradient = new float[params.length];
        double masked = net.lossAndGradient(params, ws, 6, gradient, Dropout.of(layout, 0.5), MASK_SEED, false);
        assertNotEquals(plain, masked, "dropout 0.5 changed nothing");
        assertEquals(plain, net.loss(params, ws, 6), 0.0);
    }

    @Test
    void anIntegerWeightOfTwoEqualsTheRowTwice() {
        Layout layout = new Layout(6, 5, 3);
        Network net = new Network(layout, Activation.TANH);
        float[] params = net.initialParameters(2, Initialization.GLOROT);
        Workspace three = new Workspace(layout, 3);
        randomBatch(three, 3, 21);
        three.weights()[0] = 1f;
        three.weights()[1] = 2f;
        three.weights()[2] = 1f;
        Workspace four = new Workspace(layout, 4);
        int[] source = {0, 1, 1, 2};
        for (int j = 0; j < 4; j++) {
            System.arraycopy(three.input(), source[j] * 6, four.input(), j * 6, 6);
            four.labels()[j] = three.labels()[source[j]];
        }
        float[] weighted = new float[params.length];
        double weightedLoss = net.lossAndGradient(params, three, 3, weighted, null, 0, true);
        float[] twice = new float[params.length];
        double twiceLoss = net.lossAndGradient(params, four, 4, twice);
        assertEquals(4.0, three.weightSum(), 0.0);
        assertEquals(twiceLoss, weightedLoss, 1e-6);
        assertArrayEquals(twice, weighted, 1e-6f);
    }

    @Test
    void ratesThatFitNeitherOneNorEveryHiddenLayerAreRefusedWithBothCounts() {
        Layout layout = new Layout(6, 8, 8, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dropout.of(layout, 0.1, 0.2, 0.3));
        assertTrue(e.getMessage().contains("3 rates") && e.getMessage().contains("2 hidden layers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dropout.of(layout, 0.1, 1.0));
        assertTrue(e.getMessage().contains("1.0") && e.getMessage().contains("[0, 1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dropout.of(new Layout(6, 3), 0.5));
        assertTrue(e.getMessage().contains("needs a hidden layer"), e.getMessage());
        assertFalse(Dropout.of(new Layout(6, 3), 0.0).active());
        assertTrue(Dropout.of(layout, 0.0, 0.2).active());
    }
}
