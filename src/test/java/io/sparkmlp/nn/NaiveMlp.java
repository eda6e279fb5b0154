package io.sparkmlp.nn;

/**
 * A deliberately plain reference: one example at a time, in double precision, with explicit
 * loops and no BLAS. The batched kernel is checked against it.
 */
final class NaiveMlp {

    private final Layout layout;
    private final Activation hidden;

    NaiveMlp(Layout layout, Activation hidden) {
        this.layout = layout;
        this.hidden = hidden;
    }

    /** Loss of one example; adds its gradient into {@code gradient} and writes probabilities into {@code probabilities}. */
    double lossAndGradient(float[] params, float[] x, int label, double[] gradient, double[] probabilities) {
        int layers = layout.numLayers();
        double[][] a = new double[layers + 1][];
        a[0] = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            a[0][i] = x[i];
        }
        for (int l = 0; l < layers; l++) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            a[l + 1] = new double[out];
            for (int o = 0; o < out; o++) {
                double z = params[layout.biasOffset(l) + o];
                for (int i = 0; i < in; i++) {
                    z += params[layout.weightOffset(l) + i * out + o] * a[l][i];
                }
                a[l + 1][o] = l < layers - 1 ? activate(z) : z;
            }
        }
        double[] z = a[layers];
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - max);
        }
        for (int k = 0; k < z.length; k++) {
            probabilities[k] = Math.exp(z[k] - max) / sum;
        }
        double loss = -Math.log(probabilities[label]);

        double[] delta = new double[z.length];
        for (int k = 0; k < z.length; k++) {
            delta[k] = probabilities[k] - (k == label ? 1 : 0);
        }
        for (int l = layers - 1; l >= 0; l--) {
            int in = layout.size(l);
            int out = layout.size(l + 1);
            for (int o = 0; o < out; o++) {
                gradient[layout.biasOffset(l) + o] += delta[o];
                for (int i = 0; i < in; i++) {
                    gradient[layout.weightOffset(l) + i * out + o] += delta[o] * a[l][i];
                }
            }
            if (l > 0) {
                double[] below = new double[in];
                for (int i = 0; i < in; i++) {
                    double s = 0;
                    for (int o = 0; o < out; o++) {
                        s += params[layout.weightOffset(l) + i * out + o] * delta[o];
                    }
                    below[i] = s * derivative(a[l][i]);
                }
                delta = below;
            }
        }
        return loss;
    }

    private double activate(double z) {
        return switch (hidden) {
            case SIGMOID -> 1 / (1 + Math.exp(-z));
            case TANH -> Math.tanh(z);
            case RELU -> Math.max(0, z);
            case LEAKY_RELU -> z > 0 ? z : 0.01 * z;
        };
    }

    private double derivative(double a) {
        return switch (hidden) {
            case SIGMOID -> a * (1 - a);
            case TANH -> 1 - a * a;
            case RELU -> a > 0 ? 1 : 0;
            case LEAKY_RELU -> a > 0 ? 1 : 0.01;
        };
    }
}
