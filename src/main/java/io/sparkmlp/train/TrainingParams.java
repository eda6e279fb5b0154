package io.sparkmlp.train;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.optim.LearningRateSchedule;
import java.io.Serializable;

/**
 * The algorithm's hyper-parameters, each checked when set; defaults suit Fashion-MNIST. Cluster
 * settings (partitions, aggregation depth) live apart, in {@link ClusterParams}.
 */
public final class TrainingParams implements Serializable {

    private static final long serialVersionUID = 1L;

    private Layout layout = new Layout(784, 256, 128, 10);
    private Activation activation = Activation.RELU;
    private Initialization initialization;
    private int epochs = 15;
    private int batchSize = 128;
    private double learningRate = 0.05;
    private String schedule = "cosine";
    private int scheduleStepEpochs = 5;
    private double scheduleGamma = 0.5;
    private double minLearningRateFraction = 0.0;
    private double warmupEpochs = 0;
    private int referenceBatchSize = 0;
    private double momentum = 0.9;
    private boolean nesterov = false;
    private double weightDecay = 0.0;
    private long seed = 1;
    private double validationFraction = 0.0;
    private int patience = 0;
    private boolean standardize = true;

    public TrainingParams layers(int... sizes) {
        if (sizes == null) {
            throw new IllegalArgumentException("layers must be given, got null");
        }
        this.layout = new Layout(sizes);
        return this;
    }

    public TrainingParams activation(Activation activation) {
        if (activation == null) {
            throw new IllegalArgumentException("activation must be one of relu, leaky_relu, tanh, sigmoid, got null");
        }
        this.activation = activation;
        return this;
    }

    /** Null picks the usual one for the activation: He for (leaky) ReLU, Glorot otherwise. */
    public TrainingParams initialization(Initialization initialization) {
        this.initialization = initialization;
        return this;
    }

    public TrainingParams epochs(int epochs) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        this.epochs = epochs;
        return this;
    }

    /** The global mini-batch: rows per step summed over all partitions. */
    public TrainingParams batchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.batchSize = batchSize;
        return this;
    }

    public TrainingParams learningRate(double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
        }
        this.learningRate = learningRate;
        return this;
    }

    /** "constant", "step" (times {@code gamma} every {@code stepEpochs}) or "cosine" (down to rate × minFraction). */
    public TrainingParams schedule(String name, int stepEpochs, double gamma, double minFraction) {
        if (name == null) {
            throw new IllegalArgumentException("learning-rate schedule must be constant, step or cosine, got null");
        }
        // all four are checked whichever schedule is named, as the Estimator's Params are
        if (stepEpochs < 1) {
            throw new IllegalArgumentException("schedule step epochs must be >= 1, got " + stepEpochs);
        }
        if (!(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("schedule decay factor gamma must be in (0, 1], got " + gamma);
        }
        if (!(minFraction >= 0 && minFraction < 1)) {
            throw new IllegalArgumentException("schedule minimum learning-rate fraction must be in [0, 1), got "
                    + minFraction);
        }
        LearningRateSchedule.named(name, 1.0, stepEpochs, gamma, minFraction); // checks the name
        this.schedule = name;
        this.scheduleStepEpochs = stepEpochs;
        this.scheduleGamma = gamma;
        this.minLearningRateFraction = minFraction;
        return this;
    }

    public TrainingParams schedule(String name) {
        return schedule(name, scheduleStepEpochs, scheduleGamma, minLearningRateFraction);
    }

    /** Epochs (fractions allowed) over which the rate grows linearly from near 0; 0: none. */
    public TrainingParams warmupEpochs(double epochs) {
        if (!(epochs >= 0) || Double.isInfinite(epochs)) {
            throw new IllegalArgumentException("warm-up epochs must be finite and >= 0, got " + epochs);
        }
        this.warmupEpochs = epochs;
        return this;
    }

    /**
     * The linear scaling rule (Goyal et al. 2017): the learning rate is meant for this batch size and
     * is multiplied by {@code batchSize / referenceBatchSize}; 0 uses the learning rate as given.
     */
    public TrainingParams referenceBatchSize(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("reference batch size must be >= 0 (0: no scaling), got " + size);
        }
        this.referenceBatchSize = size;
        return this;
    }

    public TrainingParams momentum(double momentum) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.momentum = momentum;
        return this;
    }

    public TrainingParams nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
    }

    public TrainingParams weightDecay(double weightDecay) {
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
        this.weightDecay = weightDecay;
        return this;
    }

    public TrainingParams seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** Share of the training rows held out for validation when no validation set is given; 0 for none. */
    public TrainingParams validationFraction(double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + fraction);
        }
        this.validationFraction = fraction;
        return this;
    }

    /** Stop after this many epochs without a lower validation loss, keeping the best weights; 0 never stops early. */
    public TrainingParams patience(int patience) {
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0 epochs, got " + patience);
        }
        this.patience = patience;
        return this;
    }

    /** Standardise inputs with the training data's global mean and standard deviation (else use them as they are). */
    public TrainingParams standardize(boolean standardize) {
        this.standardize = standardize;
        return this;
    }

    public Layout layout() {
        return layout;
    }

    public Activation activation() {
        return activation;
    }

    public Initialization initialization() {
        return initialization != null ? initialization : Initialization.defaultFor(activation);
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    public double learningRate() {
        return learningRate;
    }

    public String scheduleName() {
        return schedule;
    }

    public int scheduleStepEpochs() {
        return scheduleStepEpochs;
    }

    public double scheduleGamma() {
        return scheduleGamma;
    }

    public double minLearningRateFraction() {
        return minLearningRateFraction;
    }

    public double warmupEpochs() {
        return warmupEpochs;
    }

    public int referenceBatchSize() {
        return referenceBatchSize;
    }

    /** The learning rate after the linear scaling rule: {@code learningRate · batchSize / referenceBatchSize}. */
    public double scaledLearningRate() {
        return referenceBatchSize == 0 ? learningRate : learningRate * batchSize / referenceBatchSize;
    }

    /** The schedule over the scaled rate, with warm-up, for a run of {@code stepsPerEpoch} steps an epoch. */
    public LearningRateSchedule schedule(int stepsPerEpoch) {
        return LearningRateSchedule.named(schedule, scaledLearningRate(), scheduleStepEpochs, scheduleGamma,
                minLearningRateFraction).withWarmup(Math.round(warmupEpochs * stepsPerEpoch));
    }

    public double momentum() {
        return momentum;
    }

    public boolean nesterov() {
        return nesterov;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public long seed() {
        return seed;
    }

    public double validationFraction() {
        return validationFraction;
    }

    public int patience() {
        return patience;
    }

    public boolean standardize() {
        return standardize;
    }

    /**
     * Every hyper-parameter, resolved (the initialisation a null picks, for one), by its option name
     * and in exact text: what a checkpoint records so that a resume under other settings is refused.
     */
    public java.util.Map<String, String> asMap() {
        java.util.Map<String, String> map = new java.util.LinkedHashMap<>();
        map.put("layers", java.util.Arrays.stream(layout.sizes()).mapToObj(String::valueOf)
                .collect(java.util.stream.Collectors.joining(",")));
        map.put("activation", activation.id());
        map.put("init", initialization().id());
        map.put("epochs", String.valueOf(epochs));
        map.put("batch-size", String.valueOf(batchSize));
        map.put("learning-rate", String.valueOf(learningRate));
        map.put("lr-schedule", schedule);
        map.put("lr-step-epochs", String.valueOf(scheduleStepEpochs));
        map.put("lr-gamma", String.valueOf(scheduleGamma));
        map.put("lr-min-fraction", String.valueOf(minLearningRateFraction));
        map.put("warmup-epochs", String.valueOf(warmupEpochs));
        map.put("reference-batch-size", String.valueOf(referenceBatchSize));
        map.put("momentum", String.valueOf(momentum));
        map.put("nesterov", String.valueOf(nesterov));
        map.put("weight-decay", String.valueOf(weightDecay));
        map.put("seed", String.valueOf(seed));
        map.put("validation-fraction", String.valueOf(validationFraction));
        map.put("patience", String.valueOf(patience));
        map.put("standardize", String.valueOf(standardize));
        return map;
    }

    @Override
    public String toString() {
        return "layers " + layout + ", " + activation.id() + ", init " + initialization().id() + ", " + epochs
                + " epochs, batch " + batchSize + ", lr " + learningRate
                + (referenceBatchSize > 0 ? " x " + batchSize + "/" + referenceBatchSize : "") + " (" + schedule
                + (warmupEpochs > 0 ? ", warm-up " + warmupEpochs + " epochs" : "") + "), momentum " + momentum
                + (nesterov ? " (Nesterov)" : "") + ", weight decay " + weightDecay + ", seed " + seed
                + ", validation " + validationFraction + ", patience " + patience + ", standardize " + standardize;
    }
}
