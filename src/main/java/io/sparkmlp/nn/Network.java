package io.sparkmlp.nn;

import dev.ludovic.netlib.blas.BLAS;
import java.io.Serializable;
import java.util.Objects;

/**
 * A multilayer perceptron: a {@link Layout}, one activation for every hidden layer, and a softmax
 * output with cross-entropy loss. It holds no weights: every method takes the flat parameter
 * array, so one network serves any number of weight vectors. Each layer is one {@code sgemm}
 * over the whole batch, through {@code dev.ludovic.netlib} BLAS (the bundled OpenBLAS by default, see {@link Blas}).
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
        propagate(params, ws, batch);
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
        propagate(params, ws, batch);
    }

    /**
     * The summed cross-entropy of the batch against {@code ws.labels()}; leaves probabilities in
     * {@code ws.output()} and the number of correct predictions in {@code ws.correct()}.
     */
    public double loss(float[] params, Workspace ws, int batch) {
        check(params, ws, batch);
        propagate(params, ws, batch);
        return softmaxLoss(ws, batch);
    }

    /**
     * The summed loss of the batch, and its gradient with respect to every parameter added into
     * {@code gradient} (same layout as the parameters; the caller zeroes it and divides by the count).
     */
    public double lossAndGradient(float[] params, Workspace ws, int batch, float[] gradient) {
        check(params, ws, batch);
        if (gradient.length != params.length) {
            throw new IllegalArgumentException("gradient has " + gradient.length + " values, the network has "
                    + params.length + " parameters");
        }
        propagate(params, ws, batch);
        double lossSum = softmaxLoss(ws, batch);
        backpropagate(params, ws, batch, gradient);
        return lossSum;
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

    /** Fills every layer's activation; the last layer is left as raw scores. */
    private void propagate(float[] params, Workspace ws, int batch) {
        BLAS blas = blas();
        int layers = layout.numLayers();
        for (int l = 0; l < layers; l++) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            float[] a = ws.activations[l];
            float[] z = ws.activations[l + 1];
            // z (out x batch) = W (out x in) * a (in x batch)
            blas.sgemm("N", "N", out, batch, in, 1f, params, layout.weightOffset(l), out, a, 0, in, 0f, z, 0, out);
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
            }
        }
    }

    /** Loss and softmax over the output scores; writes delta = p - onehot(label) for the backward pass. */
    private double softmaxLoss(Workspace ws, int batch) {
        int classes = layout.outputSize();
        float[] out = ws.output();
        float[] delta = ws.deltas[layout.numLayers()];
        int[] labels = ws.labels;
        double lossSum = 0;
        int correct = 0;
        for (int j = 0; j < batch; j++) {
            int label = labels[j];
            if (label < 0 || label >= classes) {
                throw new IllegalArgumentException("label " + label + " of example " + j + " is outside [0, "
                        + classes + "), the output layer's classes");
            }
            int column = j * classes;
            lossSum += SoftmaxCrossEntropy.loss(out, column, classes, label);
            if (SoftmaxCrossEntropy.softmaxInPlace(out, column, classes) == label) {
                correct++;
            }
            // delta = p - onehot(label)
            System.arraycopy(out, column, delta, column, classes);
            delta[column + label] -= 1f;
        }
        ws.correct = correct;
        return lossSum;
    }

    private void backpropagate(float[] params, Workspace ws, int batch, float[] gradient) {
        BLAS blas = blas();
        for (int l = layout.numLayers() - 1; l >= 0; l--) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            float[] delta = ws.deltas[l + 1];
            float[] a = ws.activations[l];
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
                // below *= f'(a), elementwise
                hidden.multiplyByDerivative(below, a, in * batch);
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
