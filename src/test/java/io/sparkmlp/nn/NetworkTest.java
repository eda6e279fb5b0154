package io.sparkmlp.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class NetworkTest {

    /** Fills the workspace with a batch of Gaussian inputs and labels drawn from {@code seed}. */
    private static void randomBatch(Workspace ws, int batch, long seed) {
        Rng rng = new Rng(seed);
        int in = ws.layout().inputSize();
        for (int i = 0; i < batch * in; i++) {
            ws.input()[i] = (float) rng.nextGaussian();
        }
        for (int j = 0; j < batch; j++) {
            ws.labels()[j] = rng.nextInt(ws.layout().outputSize());
        }
    }

    /** Smallest |pre-activation| over the hidden layers: how far the batch is from any kink. */
    private static double hiddenMargin(Network net, float[] params, Workspace ws, int batch) {
        Layout layout = net.layout();
        double margin = Double.POSITIVE_INFINITY;
        float[] a = ws.input().clone();
        for (int l = 0; l < layout.numLayers() - 1; l++) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            float[] z = new float[out * batch];
            for (int j = 0; j < batch; j++) {
                for (int o = 0; o < out; o++) {
                    double s = params[layout.biasOffset(l) + o];
                    for (int i = 0; i < in; i++) {
                        s += params[layout.weightOffset(l) + i * out + o] * a[j * in + i];
                    }
                    margin = Math.min(margin, Math.abs(s));
                    z[j * out + o] = (float) s;
                }
            }
            net.hidden().apply(z, 0, z.length);
            a = z;
        }
        return margin;
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Activation.class)
    void everyWeightAndBiasMatchesCentralDifferencesForEveryActivation(Activation activation) {
        Network net = new Network(new Layout(5, 4, 3, 3), activation);
        int batch = 3;
        Workspace ws = new Workspace(net.layout(), batch);
        // Pick the first seed whose batch sits well away from the ReLU kinks, so that a step of
        // eps cannot cross one and the finite difference is smooth.
        float[] params = null;
        for (long seed = 1; ; seed++) {
            assertTrue(seed < 1000, "no seed in 1..999 gives a batch 0.05 away from every kink");
            params = net.initialParameters(seed, Initialization.GLOROT);
            Rng rng = new Rng(seed + 100);
            for (int i = 0; i < params.length; i++) {
                params[i] += (float) (0.1 * rng.nextGaussian()); // non-zero biases too
            }
            randomBatch(ws, batch, seed);
            if (hiddenMargin(net, params, ws, batch) > 0.05) {
                break;
            }
        }
        float[] gradient = new float[params.length];
        net.lossAndGradient(params, ws, batch, gradient);

        float eps = 2e-3f;
        double diffSq = 0;
        double normSq = 0;
        for (int p = 0; p < params.length; p++) {
            float saved = params[p];
            params[p] = saved + eps;
            double up = net.loss(params, ws, batch);
            params[p] = saved - eps;
            double down = net.loss(params, ws, batch);
            params[p] = saved;
            double numeric = (up - down) / (2 * eps);
            // float32 forward passes leave about 1e-4 of noise in a central difference at this eps
            double tolerance = 3e-4 + 1e-2 * Math.abs(numeric);
            assertEquals(numeric, gradient[p], tolerance, activation + ": parameter " + p + " of " + params.length);
            diffSq += Math.pow(numeric - gradient[p], 2);
            normSq += Math.pow(numeric, 2);
        }
        double relative = Math.sqrt(diffSq / normSq);
        assertTrue(relative < 2e-3, activation + ": relative error over all parameters " + relative);
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {1, 2, 4, 7, 103})
    void batchedKernelEqualsTheNaivePerExampleLoop(int batch) {
        for (Activation activation : Activation.values()) {
            Layout layout = new Layout(13, 9, 6, 4);
            Network net = new Network(layout, activation);
            float[] params = net.initialParameters(42, Initialization.defaultFor(activation));
            Workspace ws = new Workspace(layout, batch + 3); // capacity larger than the batch on purpose
            randomBatch(ws, batch, 7 + batch);
            float[] x = ws.input().clone();
            int[] labels = ws.labels().clone();

            float[] gradient = new float[params.length];
            double loss = net.lossAndGradient(params, ws, batch, gradient);

            NaiveMlp naive = new NaiveMlp(layout, activation);
            double[] expected = new double[params.length];
            double expectedLoss = 0;
            int expectedCorrect = 0;
            double[] p = new double[4];
            for (int j = 0; j < batch; j++) {
                float[] example = new float[13];
                System.arraycopy(x, j * 13, example, 0, 13);
                expectedLoss += naive.lossAndGradient(params, example, labels[j], expected, p);
                int best = 0;
                for (int k = 1; k < 4; k++) {
                    if (p[k] > p[best]) {
                        best = k;
                    }
                }
                expectedCorrect += best == labels[j] ? 1 : 0;
                for (int k = 0; k < 4; k++) {
                    assertEquals(p[k], ws.output()[j * 4 + k], 1e-5, activation + " probability " + k + " of example " + j);
                }
            }
            assertEquals(expectedLoss, loss, 1e-5 * batch, activation + " loss");
            assertEquals(expectedCorrect, ws.correct(), activation + " correct count");
            for (int i = 0; i < params.length; i++) {
                assertEquals(expected[i], gradient[i], 1e-5 * batch, activation + " gradient " + i);
            }
        }
    }

    @Test
    void aRowScoredAloneGetsTheScoresItGetsInABlockToFloatRounding() {
        // a row alone goes through gemv, a block through gemm: the same sums in another order
        Layout layout = new Layout(784, 256, 128, 10);
        Network net = new Network(layout, Activation.RELU);
        float[] params = net.initialParameters(3, Initialization.defaultFor(Activation.RELU));
        int batch = 64;
        Workspace block = new Workspace(layout, batch);
        randomBatch(block, batch, 11);
        net.scores(params, block, batch);
        Workspace alone = new Workspace(layout, 1);
        for (int j : new int[] {0, 17, 63}) {
            System.arraycopy(block.input(), j * 784, alone.input(), 0, 784);
            net.scores(params, alone, 1);
            for (int k = 0; k < 10; k++) {
                float expected = block.output()[j * 10 + k];
                assertEquals(expected, alone.output()[k], 1e-5 * Math.max(1, Math.abs(expected)),
                        "row " + j + ", class " + k);
            }
        }
    }

    @Test
    void gradientIsAddedToWhatTheBufferHolds() {
        Network net = new Network(new Layout(3, 4, 2), Activation.TANH);
        float[] params = net.initialParameters(3, Initialization.GLOROT);
        Workspace ws = new Workspace(net.layout(), 5);
        randomBatch(ws, 5, 11);
        float[] once = new float[params.length];
        net.lossAndGradient(params, ws, 5, once);
        float[] twice = once.clone();
        net.lossAndGradient(params, ws, 5, twice);
        for (int i = 0; i < once.length; i++) {
            assertEquals(2 * once[i], twice[i], 1e-6, "gradient " + i);
        }
    }

    @Test
    void forwardGivesProbabilitiesThatSumToOneEvenForHugeScores() {
        Network net = new Network(new Layout(2, 3), Activation.RELU);
        float[] params = {1000f, -1000f, 0f, 1000f, 3000f, -50f, 0f, 0f, 0f};
        Workspace ws = new Workspace(net.layout(), 1);
        ws.input()[0] = 5f;
        ws.input()[1] = 2f;
        ws.labels()[0] = 1;
        double loss = net.loss(params, ws, 1);
        assertTrue(Double.isFinite(loss), "loss " + loss);
        float[] p = ws.output();
        assertEquals(1.0, p[0] + p[1] + p[2], 1e-6);
        assertEquals(1.0, p[0], 1e-6);
        // scores: z0 = 1000*5 + 1000*2 = 7000, z1 = -1000*5 + 3000*2 = 1000, z2 = -50*2 = -100; loss = 7000 - z1
        assertEquals(6000.0, loss, 1e-2);
    }

    @Test
    void initialParametersDependOnlyOnTheSeedAndHaveTheRequestedScale() {
        Layout layout = new Layout(784, 256, 10);
        Network net = new Network(layout, Activation.RELU);
        float[] a = net.initialParameters(5, Initialization.HE);
        assertArrayEquals(a, net.initialParameters(5, Initialization.HE));
        assertTrue(!java.util.Arrays.equals(a, net.initialParameters(6, Initialization.HE)));
        double sumSq = 0;
        int n = 784 * 256;
        for (int i = 0; i < n; i++) {
            sumSq += a[layout.weightOffset(0) + i] * a[layout.weightOffset(0) + i];
        }
        assertEquals(Math.sqrt(2.0 / 784), Math.sqrt(sumSq / n), 0.02 * Math.sqrt(2.0 / 784), "He std");
        for (int i = 0; i < 256; i++) {
            assertEquals(0f, a[layout.biasOffset(0) + i], "bias " + i);
        }
    }

    @Test
    void mismatchedArgumentsAreRejectedWithTheirSizes() {
        Network net = new Network(new Layout(3, 2), Activation.RELU);
        Workspace ws = new Workspace(net.layout(), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.loss(new float[5], ws, 1));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("8"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> net.loss(new float[8], ws, 5));
        assertTrue(e.getMessage().contains("5") && e.getMessage().contains("4"), e.getMessage());
        ws.labels()[0] = 2;
        e = assertThrows(IllegalArgumentException.class, () -> net.loss(new float[8], ws, 1));
        assertTrue(e.getMessage().contains("label 2"), e.getMessage());
    }
}
