package io.sparkmlp.nn;

import dev.ludovic.netlib.blas.BLAS;
import java.io.Serializable;
import java.util.Objects;

/**
 * A multilayer perceptron: a {@link Layout}, one activation for every hidden layer, and a softmax
 * output with cross-entropy loss. It holds no weights: every method takes the flat parameter
 * array, so one network serves any number of weight vectors. Each layer is one {@code sgemm}
 * over the whole batch ({@code sgemv} for a batch of one row), through {@code dev.ludovic.netlib}
 * BLAS (the bundled OpenBLAS by default, see {@link Blas}).
 */
public final class Network implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Layout layout;
    private final Activation hidden;

    public Network(Layout layout, Activation hidden) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.hidden = Objects.requireNonNull(hidden, "hidden activation");
    }

    public Layout layout() {
        return layout;
    }

    public Activation hidden() {
        return hidden;
    }

    /** The BLAS in use: the bundled OpenBLAS unless {@link Blas} was told otherwise or it failed its self-check. */
    public static BLAS blas() {
        return Blas.get();
    }

    /** Fresh parameters: weights drawn by {@code init} from a stream fixed by (seed, layer); biases zero. */
    public float[] initialParameters(long seed, Initialization init) {
        float[] params = new float[layout.numParameters()];
        for (int l = 0; l < layout.numLayers(); l++) {
            Rng rng = new Rng(Rng.derive(seed, 0x1417, l));
            int fanIn = layout.size(l);
            int fanOut = layout.size(l + 1);
            int offset = layout.weightOffset(l);
            for (int i = 0; i < fanIn * fanOut; i++) {
                params[offset + i] = (float) init.draw(rng, fanIn, fanOut);
            }
        }
        return params;
    }

    /**
     * Forward pass over the first {@code batch} columns of {@code ws.input()}; afterwards
     * {@code ws.output()} holds class probabilities.
     */
    public void forward(float[] params, Workspace ws, int batch) {
        check(params, ws, batch);
        propagate(params, ws, batch, null);
        int classes = layout.outputSize();
        float[] out = ws.output();
        for (int j = 0; j < batch; j++) {
            SoftmaxCrossEntropy.softmaxInPlace(out, j * classes, classes);
        }
    }

    /**
     * Forward pass that stops before the softmax: {@code ws.output()} holds the raw class scores
     * (logits), as a Spark ML raw prediction.
     */
    public void scores(float[] params, Workspace ws, int batch) {
        check(params, ws, batch);
        propagate(params, ws, batch, null);
    }

    /**
     * The summed cross-entropy of the batch against {@code ws.labels()}; leaves probabilities in
     * {@code ws.output()} and the number of correct predictions in {@code ws.correct()}.
     */
    public double loss(float[] params, Workspace ws, int batch) {
        check(params, ws, batch);
        propagate(params, ws, batch, null);
        return softmaxLoss(ws, batch, false);
    }

    /**
     * The summed loss of the batch, and its gradient with respect to every parameter added into
     * {@code gradient} (same layout as the parameters; the caller zeroes it and divides by the count).
     */
    public double lossAndGradient(float[] params, Workspace ws, int batch, float[] gradient) {
        return lossAndGradient(params, ws, batch, gradient, null, 0, false);
    }

    /**
     * A training pass: as {@link #lossAndGradient(float[], Workspace, int, float[])}, with dropout
     * masks drawn for {@code ws.rowIds()} from {@code maskSeed} ({@code dropout} null or all rates 0:
     * none) and, when {@code weighted}, example j's loss and gradient times {@code ws.weights()[j]}.
     * Returns {@code Σ w_j ℓ_j}; {@link Workspace#weightSum()} and {@link Workspace#unweightedLossSum()}
     * hold {@code Σ w_j} and {@code Σ ℓ_j}.
     */
    public double lossAndGradient(float[] params, Workspace ws, int batch, float[] gradient, Dropout dropout,
                                  long maskSeed, boolean weighted) {
        check(params, ws, batch);
        if (gradient.length != params.length) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " values, the network has "
                    + params.length + " parameters");
        }
        Dropout masks = masking(dropout, ws, batch, maskSeed);
        propagate(params, ws, batch, masks);
        double lossSum = softmaxLoss(ws, batch, weighted);
        backpropagate(params, ws, batch, gradient, masks);
        return lossSum;
    }

    /**
     * The training objective without its gradient: {@code Σ w_j ℓ_j} under the same masks and weights
     * as {@link #lossAndGradient(float[], Workspace, int, float[], Dropout, long, boolean)} (for
     * gradient checks). Inference ({@link #forward}, {@link #scores}, {@link #loss}) never masks.
     */
    public double trainingLoss(float[] params, Workspace ws, int batch, Dropout dropout, long maskSeed,
                               boolean weighted) {
        check(params, ws, batch);
        propagate(params, ws, batch, masking(dropout, ws, batch, maskSeed));
        return softmaxLoss(ws, batch, weighted);
    }

    /** The dropout to apply, its masks filled; null when none drops anything. */
    private Dropout masking(Dropout dropout, Workspace ws, int batch, long maskSeed) {
        if (dropout == null || !dropout.active()) {
            return null;
        }
        if (dropout.hiddenLayers() != layout.numLayers() - 1) {
            throw new IllegalArgumentException(dropout + " has " + dropout.hiddenLayers() + " rates, layers " + layout
                    + " have " + (layout.numLayers() - 1) + " hidden layers");
        }
        dropout.fillMasks(ws, batch, maskSeed);
        return dropout;
    }

    private void check(float[] params, Workspace ws, int batch) {
        if (params.length != layout.numParameters()) {
            throw new IllegalArgumentException("parameter array has " + params.length + " values, layers "
                    + layout + " need " + layout.numParameters());
        }
        if (!ws.layout().equals(layout)) {
            throw new IllegalArgumentException("workspace is for layers " + ws.layout() + ", the network has " + layout);
        }
        if (batch < 1 || batch > ws.capacity()) {
            throw new IllegalArgumentException("batch of " + batch + " examples is outside [1, " + ws.capacity()
                    + "], the workspace's capacity");
        }
    }

    /** Layer l's input: the activation, or its masked copy when dropout masks layer l. */
    private static float[] layerInput(Workspace ws, int l, Dropout masks) {
        return masks != null && masks.masks(l) ? ws.dropped[l] : ws.activations[l];
    }

    /** Fills every layer's activation (and its masked copy where {@code masks} drops units); the last layer is left as raw scores. */
    private void propagate(float[] params, Workspace ws, int batch, Dropout masks) {
        BLAS blas = blas();
        int layers = layout.numLayers();
        for (int l = 0; l < layers; l++) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            float[] a = layerInput(ws, l, masks);
            float[] z = ws.activations[l + 1];
            if (batch == 1) {
                // z = W a: one row goes through gemv; a one-column gemm can cost ten times as much per call (AMD Zen 3,
                // OpenBLAS 0.3.31, 256x784: 145 us against 13.5, submit/bench-blas)
                blas.sgemv("N", out, in, 1f, params, layout.weightOffset(l), out, a, 0, 1, 0f, z, 0, 1);
            } else {
                // z (out x batch) = W (out x in) * a (in x batch)
                blas.sgemm("N", "N", out, batch, in, 1f, params, layout.weightOffset(l), out, a, 0, in, 0f, z, 0, out);
            }
            int bias = layout.biasOffset(l);
            // z[:, j] += b
            for (int j = 0; j < batch; j++) {
                int column = j * out;
                for (int i = 0; i < out; i++) {
                    z[column + i] += params[bias + i];
                }
            }
            if (l < layers - 1) {
                hidden.apply(z, 0, out * batch);
                if (masks != null && masks.masks(l + 1)) {
                    float[] m = ws.mask(l + 1);
                    float[] dropped = ws.dropped[l + 1];
                    // a' = a * m, m = 1[kept] / (1 - p)
                    for (int k = 0; k < out * batch; k++) {
                        dropped[k] = z[k] * m[k];
                    }
                }
            }
        }
    }

    /**
     * Loss and softmax over the output scores; writes delta = p - onehot(label), times the example's
     * weight when {@code weighted}, for the backward pass. Returns the (weighted) loss sum.
     */
    private double softmaxLoss(Workspace ws, int batch, boolean weighted) {
        int classes = layout.outputSize();
        float[] out = ws.output();
        float[] delta = ws.deltas[layout.numLayers()];
        int[] labels = ws.labels;
        float[] weights = ws.weights;
        double lossSum = 0;
        double weightedLossSum = 0;
        double weightSum = 0;
        int correct = 0;
        for (int j = 0; j < batch; j++) {
            int label = labels[j];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of example " + j + " is outside [0, "
                        + classes + "), the output layer's classes");
            }
            int column = j * classes;
            double loss = SoftmaxCrossEntropy.loss(out, column, classes, label);
            lossSum += loss;
            if (SoftmaxCrossEntropy.softmaxInPlace(out, column, classes) == label) {
                correct++;
            }
            // delta = p - onehot(label)
            System.arraycopy(out, column, delta, column, classes);
            delta[column + label] -= 1f;
            if (weighted) {
                float w = weights[j];
                weightedLossSum += w * loss;
                weightSum += w;
                // delta = w * (p - onehot(label)): the gradient of w * loss
                for (int c = 0; c < classes; c++) {
                    delta[column + c] *= w;
                }
            }
        }
        ws.correct = correct;
        ws.unweightedLossSum = lossSum;
        ws.weightSum = weighted ? weightSum : batch;
        return weighted ? weightedLossSum : lossSum;
    }

    private void backpropagate(float[] params, Workspace ws, int batch, float[] gradient, Dropout masks) {
        BLAS blas = blas();
        for (int l = layout.numLayers() - 1; l >= 0; l--) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            float[] delta = ws.deltas[l + 1];
            float[] a = layerInput(ws, l, masks);
            // dW (out x in) += delta (out x batch) * a^T (batch x in)
            blas.sgemm("N", "T", out, in, batch, 1f, delta, 0, out, a, 0, in, 1f, gradient, layout.weightOffset(l), out);
            int bias = layout.biasOffset(l);
            // db += sum over the batch of delta[:, j]
            for (int j = 0; j < batch; j++) {
                int column = j * out;
                for (int i = 0; i < out; i++) {
                    gradient[bias + i] += delta[column + i];
                }
            }
            if (l > 0) {
                float[] below = ws.deltas[l];
                // below (in x batch) = W^T (in x out) * delta (out x batch)
                blas.sgemm("T", "N", in, batch, out, 1f, params, layout.weightOffset(l), out, delta, 0, out, 0f, below, 0, in);
                if (masks != null && masks.masks(l)) {
                    float[] m = ws.mask(l);
                    // below *= m: the mask's factor in d(a * m)/dz
                    for (int k = 0; k < in * batch; k++) {
                        below[k] *= m[k];
                    }
                }
                // below *= f'(a), elementwise, from the unmasked activation
                hidden.multiplyByDerivative(below, ws.activations[l], in * batch);
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Network other && layout.equals(other.layout) && hidden == other.hidden;
    }

    @Override
    public int hashCode() {
        return layout.hashCode() * 31 + hidden.hashCode();
    }

    @Override
    public String toString() {
        return layout + " " + hidden.id();
    }
}
