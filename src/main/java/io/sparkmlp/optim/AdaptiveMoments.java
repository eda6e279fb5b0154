package io.sparkmlp.optim;

import io.sparkmlp.nn.Layout;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Adam} and {@link AdamW} share: the settings, their checks, the step count, the two
 * moment vectors (the parameters' layout) and their export and restore. The subclasses differ only
 * in how the weight decay enters, in {@link #update}.
 */
abstract sealed class AdaptiveMoments implements Optimizer permits Adam, AdamW {

    static final String STEP = "step";
    static final String FIRST_MOMENT = "firstMoment";
    static final String SECOND_MOMENT = "secondMoment";

    private final String name;
    final Layout layout;
    final double beta1;
    final double beta2;
    final float beta1f;
    final float beta2f;
    // 1 − β taken in double and then rounded, as torch does with its Python-float settings
    final float oneMinusBeta1;
    final float oneMinusBeta2;
    final float epsilon;
    final double weightDecay;
    // m and v: the parameters' layout
    final float[] firstMoment;
    final float[] secondMoment;
    long step;

    AdaptiveMoments(String name, Layout layout, double beta1, double beta2, double epsilon, double weightDecay) {
        Objects.requireNonNull(layout, "layout");
        this.name = name;
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException(name() + ": beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException(name() + ": beta2 must be in [0, 1), got " + beta2);
        }
        if (!(epsilon > 0) || Double.isInfinite(epsilon) || (float) epsilon == 0f) {
            throw new IllegalArgumentException(name() + ": epsilon must be finite and > 0 (as a float), got " + epsilon);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException(name() + ": weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.layout = layout;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.beta1f = (float) beta1;
        this.beta2f = (float) beta2;
        this.oneMinusBeta1 = (float) (1 - beta1);
        this.oneMinusBeta2 = (float) (1 - beta2);
        this.epsilon = (float) epsilon;
        this.weightDecay = weightDecay;
        this.firstMoment = new float[layout.numParameters()];
        this.secondMoment = new float[layout.numParameters()];
    }

    @Override
    public final String name() {
        return name;
    }

    /** The number of steps taken so far. */
    public long steps() {
        return step;
    }

    @Override
    public OptimizerState exportState() {
        return new OptimizerState(name(), Map.of(STEP, (double) step),
                orderedVectors(FIRST_MOMENT, firstMoment.clone(), SECOND_MOMENT, secondMoment.clone()));
    }

    @Override
    public void restoreState(OptimizerState state) {
        state.check(name(), List.of(STEP), List.of(FIRST_MOMENT, SECOND_MOMENT), firstMoment.length);
        double restoredStep = state.scalars().get(STEP);
        if (!(restoredStep >= 0 && restoredStep <= 1L << 53 && restoredStep == Math.rint(restoredStep))) {
            throw new IllegalArgumentException(name() + " state: the step count must be a whole number >= 0, got "
                    + restoredStep);
        }
        System.arraycopy(state.vectors().get(FIRST_MOMENT), 0, firstMoment, 0, firstMoment.length);
        System.arraycopy(state.vectors().get(SECOND_MOMENT), 0, secondMoment, 0, secondMoment.length);
        step = (long) restoredStep;
    }

    /** Takes one step in place on {@code weights}, given the mean gradient over the mini-batch. */
    @Override
    public void step(float[] weights, float[] gradient, double learningRate) {
        StepArguments.check(layout, weights, gradient, learningRate);
        step++;
        // bias corrections 1 − β^t, in double as torch computes them
        double correction1 = 1 - Math.pow(beta1, step);
        double correction2 = 1 - Math.pow(beta2, step);
        // step size η / (1 − β1^t)
        float stepSize = (float) (learningRate / correction1);
        float correction2Sqrt = (float) Math.sqrt(correction2);
        for (int l = 0; l < layout.numLayers(); l++) {
            int weightsStart = layout.weightOffset(l);
            int biasStart = layout.biasOffset(l);
            update(weights, gradient, weightsStart, biasStart, learningRate, stepSize, correction2Sqrt, weightDecay);
            update(weights, gradient, biasStart, biasStart + layout.size(l + 1), learningRate, stepSize,
                    correction2Sqrt, 0);
        }
    }

    /**
     * Updates entries {@code [from, to)} of the weights and both moments, with decay {@code decay}
     * (0 for biases); allocates nothing.
     */
    abstract void update(float[] w, float[] g, int from, int to, double learningRate, float stepSize,
            float correction2Sqrt, double decay);


    /** Two vectors in this order (Map.of keeps none), so checkpoints write them in a fixed order. */
    static Map<String, float[]> orderedVectors(String firstName, float[] first, String secondName, float[] second) {
        Map<String, float[]> vectors = new java.util.LinkedHashMap<>();
        vectors.put(firstName, first);
        vectors.put(secondName, second);
        return vectors;
    }
}
