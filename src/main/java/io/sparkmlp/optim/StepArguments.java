package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;

/** The argument checks every optimizer's {@code step} makes before its kernel, with the numbers in the message. */
final class StepArguments {

    private StepArguments() {
    }

    static void check(Layout layout, float[] weights, float[] gradient, double learningRate) {
        int n = layout.numParameters();
        if (weights.length != n || gradient.length != n) {
            throw new IllegalArgumentException("weights (" + weights.length + ") and gradient (" + gradient.length
                    + ") must both have the layout's " + n + " parameters");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
        }
    }
}
