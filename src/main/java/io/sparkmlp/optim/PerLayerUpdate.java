package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;

/**
 * An update rule applied range by range: each layer's weights with the weight decay, then its
 * biases without it. Subclasses give the elementwise rule over one range.
 */
abstract class PerLayerUpdate implements Optimizer {

    /** Steps every layer's weights (decayed by {@code weightDecay}) and biases (never decayed). */
    final void stepLayers(Layout layout, float[] weights, float[] gradient, float eta, float weightDecay) {
        for (int l = 0; l < layout.numLayers(); l++) {
            int weightsStart = layout.weightOffset(l);
            int biasStart = layout.biasOffset(l);
            update(weights, gradient, weightsStart, biasStart, eta, weightDecay);
            update(weights, gradient, biasStart, biasStart + layout.size(l + 1), eta, 0f);
        }
    }

    /** The rule over {@code [from, to)} of the weights, gradient and state, with L2 decay {@code decay}. */
    abstract void update(float[] w, float[] g, int from, int to, float eta, float decay);
}
