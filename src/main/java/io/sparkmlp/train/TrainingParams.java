package io.sparkmlp.train;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Dropout;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.optim.LearningRateSchedule;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The algorithm's hyper-parameters, each checked when set. Their names, defaults (which suit
 * Fashion-MNIST) and limits are {@link HyperParameters}'; this class holds one value of each, with
 * typed setters and getters. Cluster settings (partitions, aggregation depth) live apart, in
 * {@link ClusterParams}.
 */
public final class TrainingParams implements Serializable {

    private static final long serialVersionUID = 2L;

    // by Param name; each value checked and of its definition's type (int[], Integer, Double, ...)
    private final LinkedHashMap<String, Object> values = new LinkedHashMap<>();

    public TrainingParams() {
        for (HyperParameter<?> h : HyperParameters.ALL) {
            values.put(h.name(), h.defaultValue());
        }
    }

    /** Sets one hyper-parameter; a value outside its limit fails with the value and the limit. */
    public <T> TrainingParams set(HyperParameter<T> parameter, T value) {
        values.put(parameter.name(), parameter.accept(value));
        return this;
    }

    /** One hyper-parameter's value (a copy). */
    public <T> T get(HyperParameter<T> parameter) {
        Object value = values.get(parameter.name());
        if (value instanceof double[] numbers) {
            return parameter.type().cast(numbers.clone());
        }
        return parameter.type().cast(value instanceof int[] sizes ? sizes.clone() : value);
    }

    public TrainingParams layers(int... sizes) {
        return set(HyperParameters.LAYERS, sizes);
    }

    public TrainingParams activation(Activation activation) {
        return set(HyperParameters.ACTIVATION, activation == null ? null : activation.id());
    }

    /** Null picks the usual one for the activation: He for (leaky) ReLU, Glorot otherwise. */
    public TrainingParams initialization(Initialization initialization) {
        return set(HyperParameters.INITIALIZATION, initialization == null ? "auto" : initialization.id());
    }

    public TrainingParams epochs(int epochs) {
        return set(HyperParameters.EPOCHS, epochs);
    }

    /** The global mini-batch: rows per step summed over all partitions. */
    public TrainingParams batchSize(int batchSize) {
        return set(HyperParameters.BATCH_SIZE, batchSize);
    }

    public TrainingParams learningRate(double learningRate) {
        return set(HyperParameters.LEARNING_RATE, learningRate);
    }

    /** "constant", "step" (times {@code gamma} every {@code stepEpochs}) or "cosine" (down to rate × minFraction). */
    public TrainingParams schedule(String name, int stepEpochs, double gamma, double minFraction) {
        // all four are checked, whichever schedule is named, before any is set
        Object[] accepted = {HyperParameters.LR_SCHEDULE.accept(name), HyperParameters.LR_STEP_EPOCHS.accept(stepEpochs),
                HyperParameters.LR_GAMMA.accept(gamma), HyperParameters.LR_MIN_FRACTION.accept(minFraction)};
        values.put(HyperParameters.LR_SCHEDULE.name(), accepted[0]);
        values.put(HyperParameters.LR_STEP_EPOCHS.name(), accepted[1]);
        values.put(HyperParameters.LR_GAMMA.name(), accepted[2]);
        values.put(HyperParameters.LR_MIN_FRACTION.name(), accepted[3]);
        return this;
    }

    public TrainingParams schedule(String name) {
        return set(HyperParameters.LR_SCHEDULE, name);
    }

    /** Epochs (fractions allowed) over which the rate grows linearly from near 0; 0: none. */
    public TrainingParams warmupEpochs(double epochs) {
        return set(HyperParameters.WARMUP_EPOCHS, epochs);
    }

    /**
     * The linear scaling rule (Goyal et al. 2017): the learning rate is meant for this batch size and
     * is multiplied by {@code batchSize / referenceBatchSize}; 0 uses the learning rate as given.
     */
    public TrainingParams referenceBatchSize(int size) {
        return set(HyperParameters.REFERENCE_BATCH_SIZE, size);
    }

    public TrainingParams momentum(double momentum) {
        return set(HyperParameters.MOMENTUM, momentum);
    }

    public TrainingParams nesterov(boolean nesterov) {
        return set(HyperParameters.NESTEROV, nesterov);
    }

    public TrainingParams weightDecay(double weightDecay) {
        return set(HyperParameters.WEIGHT_DECAY, weightDecay);
    }

    /** Inverted dropout on the hidden layers: one rate for all, or one per hidden layer; 0: none. */
    public TrainingParams dropout(double... rates) {
        return set(HyperParameters.DROPOUT, rates);
    }

    /** "none", "balanced" (n / (k · n_c)) or one weight per class separated by commas. */
    public TrainingParams classWeights(String weights) {
        return set(HyperParameters.CLASS_WEIGHTS, weights);
    }

    public TrainingParams seed(long seed) {
        return set(HyperParameters.SEED, seed);
    }

    /** Share of the training rows held out for validation when no validation set is given; 0 for none. */
    public TrainingParams validationFraction(double fraction) {
        return set(HyperParameters.VALIDATION_FRACTION, fraction);
    }

    /** Stop after this many epochs without a lower validation loss, keeping the best weights; 0 never stops early. */
    public TrainingParams patience(int patience) {
        return set(HyperParameters.PATIENCE, patience);
    }

    /**
     * How inputs are scaled: {@code none}, {@code global} (one mean and standard deviation), {@code feature}
     * (one per feature) or {@code auto} (global for image-like data, else feature); see {@link HyperParameters#STANDARDIZE}.
     */
    public TrainingParams standardize(String standardize) {
        return set(HyperParameters.STANDARDIZE, standardize);
    }

    /** The older switch: true is {@code global}, false {@code none}. */
    public TrainingParams standardize(boolean standardize) {
        return standardize(standardize ? "global" : "none");
    }

    public Layout layout() {
        return new Layout(get(HyperParameters.LAYERS));
    }

    public Activation activation() {
        return Activation.parse(get(HyperParameters.ACTIVATION));
    }

    public Initialization initialization() {
        String name = get(HyperParameters.INITIALIZATION);
        return name.equals("auto") ? Initialization.defaultFor(activation()) : Initialization.parse(name);
    }

    public int epochs() {
        return get(HyperParameters.EPOCHS);
    }

    public int batchSize() {
        return get(HyperParameters.BATCH_SIZE);
    }

    public double learningRate() {
        return get(HyperParameters.LEARNING_RATE);
    }

    public String scheduleName() {
        return get(HyperParameters.LR_SCHEDULE);
    }

    public int scheduleStepEpochs() {
        return get(HyperParameters.LR_STEP_EPOCHS);
    }

    public double scheduleGamma() {
        return get(HyperParameters.LR_GAMMA);
    }

    public double minLearningRateFraction() {
        return get(HyperParameters.LR_MIN_FRACTION);
    }

    public double warmupEpochs() {
        return get(HyperParameters.WARMUP_EPOCHS);
    }

    public int referenceBatchSize() {
        return get(HyperParameters.REFERENCE_BATCH_SIZE);
    }

    /** The learning rate after the linear scaling rule: {@code learningRate · batchSize / referenceBatchSize}. */
    public double scaledLearningRate() {
        int reference = referenceBatchSize();
        return reference == 0 ? learningRate() : learningRate() * batchSize() / reference;
    }

    /** The schedule over the scaled rate, with warm-up, for a run of {@code stepsPerEpoch} steps an epoch. */
    public LearningRateSchedule schedule(int stepsPerEpoch) {
        return LearningRateSchedule.named(scheduleName(), scaledLearningRate(), scheduleStepEpochs(), scheduleGamma(),
                minLearningRateFraction()).withWarmup(Math.round(warmupEpochs() * stepsPerEpoch));
    }

    public double momentum() {
        return get(HyperParameters.MOMENTUM);
    }

    public boolean nesterov() {
        return get(HyperParameters.NESTEROV);
    }

    public double weightDecay() {
        return get(HyperParameters.WEIGHT_DECAY);
    }

    /** The dropout rates as given: one, or one per hidden layer. */
    public double[] dropoutRates() {
        return get(HyperParameters.DROPOUT);
    }

    /** The dropout of the layers' hidden layers; fails when the rates are neither one nor one per hidden layer. */
    public Dropout dropout() {
        return Dropout.of(layout(), dropoutRates());
    }

    public String classWeights() {
        return get(HyperParameters.CLASS_WEIGHTS);
    }

    /** The weight list, one per class of the output layer; null for none and balanced. Fails on a count that is not the classes'. */
    public double[] classWeightList() {
        double[] weights = HyperParameters.classWeightList(classWeights());
        int classes = layout().outputSize();
        if (weights != null && weights.length != classes) {
            throw new IllegalArgumentException("class weights " + classWeights() + " give " + weights.length
                    + " weights, but the output layer has " + classes + " classes (layers " + layout()
                    + "): give one weight per class");
        }
        return weights;
    }

    /** Checks what depends on the layers as well as on another hyper-parameter: dropout's and class weights' counts. */
    public TrainingParams checkAgainstLayers() {
        dropout();
        classWeightList();
        return this;
    }

    public long seed() {
        return get(HyperParameters.SEED);
    }

    public double validationFraction() {
        return get(HyperParameters.VALIDATION_FRACTION);
    }

    public int patience() {
        return get(HyperParameters.PATIENCE);
    }

    /** {@code none}, {@code global}, {@code feature} or {@code auto}. */
    public String standardize() {
        return get(HyperParameters.STANDARDIZE);
    }

    /**
     * Every hyper-parameter, resolved (the initialisation a null picks, for one), by its option name
     * and in exact text: what a checkpoint records so that a resume under other settings is refused.
     */
    public Map<String, String> asMap() {
        Map<String, String> map = new LinkedHashMap<>();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            map.put(h.option(), h == HyperParameters.INITIALIZATION ? initialization().id() : h.format(values.get(h.name())));
        }
        return map;
    }

    /** The optimizer and the settings it reads; sgd as before the others existed ("momentum 0.9 (Nesterov)"). */
    private String optimizerText() {
        String name = get(HyperParameters.OPTIMIZER);
        String epsilon = ", epsilon " + get(HyperParameters.EPSILON);
        return switch (name) {
            case "adam", "adamw" -> name + " (beta1 " + get(HyperParameters.BETA1) + ", beta2 "
                    + get(HyperParameters.BETA2) + epsilon + ")";
            case "rmsprop" -> name + " (alpha " + get(HyperParameters.RMSPROP_ALPHA) + epsilon + ", momentum "
                    + momentum() + ")";
            default -> "momentum " + momentum() + (nesterov() ? " (Nesterov)" : "");
        };
    }

    /** The elastic net and clipping, when on. */
    private String regularisationText() {
        double l1 = get(HyperParameters.L1);
        double clipValue = get(HyperParameters.CLIP_VALUE);
        double clipNorm = get(HyperParameters.CLIP_NORM);
        return (l1 > 0 ? ", elastic net " + l1 + " (mixing " + get(HyperParameters.ELASTIC_NET) + ")" : "")
                + (clipValue > 0 ? ", clip value " + clipValue : "") + (clipNorm > 0 ? ", clip norm " + clipNorm : "");
    }

    @Override
    public String toString() {
        return "layers " + layout() + ", " + activation().id() + ", init " + initialization().id() + ", " + epochs()
                + " epochs, batch " + batchSize() + ", lr " + learningRate()
                + (referenceBatchSize() > 0 ? " x " + batchSize() + "/" + referenceBatchSize() : "") + " ("
                + scheduleName() + (warmupEpochs() > 0 ? ", warm-up " + warmupEpochs() + " epochs" : "") + "), "
                + optimizerText() + ", weight decay " + weightDecay() + regularisationText()
                + ", dropout " + HyperParameters.DROPOUT.format(dropoutRates()) + ", class weights " + classWeights()
                + ", seed " + seed()
                + ", validation " + validationFraction() + ", patience " + patience() + ", standardize " + standardize();
    }
}
