package io.sparkmlp.train;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.HyperParameter.Check;
import io.sparkmlp.train.HyperParameter.Kind;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every hyper-parameter of the algorithm, in one table: the one place where each name, default, doc
 * and limit is written. {@link TrainingParams}, the Estimator's Params ({@code ml.MlpClassifier}),
 * the command line and its {@code --help} ({@code app.TrainOptions}) and the README's option table
 * ({@code app.OptionsTable}) are derived from {@link #ALL}. Cluster and run settings (partitions,
 * checkpoints) are not hyper-parameters and are not here: they change where the work runs and what
 * survives a failure, not what is computed.
 */
public final class HyperParameters {

    private HyperParameters() {
    }

    public static final HyperParameter<int[]> LAYERS = HyperParameter.of("layers", Kind.INT_ARRAY,
            new int[] {784, 256, 128, 10}, "layer sizes from input to output, e.g. 784,256,128,10;"
                    + " the first must equal the feature vector's size, the last the number of classes",
            HyperParameters::layersProblem);

    public static final HyperParameter<String> ACTIVATION = HyperParameter.of("activation", Kind.STRING, "relu",
            "hidden-layer activation: relu, leaky_relu, tanh or sigmoid (the output is softmax)",
            Check.of("one of relu, leaky_relu, tanh, sigmoid", v -> parses(Activation::parse, v)))
            .canonical(v -> Activation.parse(v).id());

    public static final HyperParameter<String> INITIALIZATION = HyperParameter.of("initialization", Kind.STRING,
            "auto", "weight initialisation: auto (he for the ReLU family, glorot otherwise), he, glorot or lecun",
            Check.of("one of auto, he, glorot, lecun", v -> v.equals("auto") || parses(Initialization::parse, v)))
            .option("init").canonical(v -> v.equals("auto") ? v : Initialization.parse(v).id());

    public static final HyperParameter<Integer> EPOCHS = HyperParameter.of("epochs", Kind.INT, 15,
            "passes over the training data (at most, with early stopping) (>= 1)", Check.of(">= 1", v -> v >= 1));

    public static final HyperParameter<Integer> BATCH_SIZE = HyperParameter.of("batchSize", Kind.INT, 128,
            "global mini-batch: rows per step over all partitions (>= 1)", Check.of(">= 1", v -> v >= 1));

    public static final HyperParameter<Double> LEARNING_RATE = HyperParameter.of("learningRate", Kind.DOUBLE, 0.05,
            "initial learning rate (> 0)", Check.of("finite and > 0", v -> v > 0 && !v.isInfinite()));

    public static final HyperParameter<String> LR_SCHEDULE = HyperParameter.of("lrSchedule", Kind.STRING, "cosine",
            "learning-rate schedule: constant, step or cosine", Check.oneOf("constant", "step", "cosine"))
            .label("learning-rate schedule");

    public static final HyperParameter<Integer> LR_STEP_EPOCHS = HyperParameter.of("lrStepEpochs", Kind.INT, 5,
            "step schedule: epochs between decays (>= 1)", Check.of(">= 1", v -> v >= 1))
            .label("schedule step epochs");

    public static final HyperParameter<Double> LR_GAMMA = HyperParameter.of("lrGamma", Kind.DOUBLE, 0.5,
            "step schedule: decay factor, in (0, 1]", Check.of("in (0, 1]", v -> v > 0 && v <= 1))
            .label("schedule decay factor gamma");

    public static final HyperParameter<Double> LR_MIN_FRACTION = HyperParameter.of("lrMinFraction", Kind.DOUBLE, 0.0,
            "cosine schedule: final rate as a fraction of the first, in [0, 1)", Check.of("in [0, 1)", v -> v >= 0 && v < 1))
            .label("schedule minimum learning-rate fraction");

    public static final HyperParameter<Double> WARMUP_EPOCHS = HyperParameter.of("warmupEpochs", Kind.DOUBLE, 0.0,
            "epochs over which the learning rate grows linearly from near 0 (Goyal et al. 2017); 0: none (>= 0)",
            Check.of("finite and >= 0", v -> v >= 0 && !v.isInfinite())).label("warm-up epochs");

    public static final HyperParameter<Integer> REFERENCE_BATCH_SIZE = HyperParameter.of("referenceBatchSize", Kind.INT,
            0, "linear scaling rule: the learning rate is meant for this batch and is scaled by batch size / this;"
                    + " 0: no scaling (>= 0)", Check.of(">= 0 (0: no scaling)", v -> v >= 0));

    public static final HyperParameter<String> OPTIMIZER = HyperParameter.of("optimizer", Kind.STRING, "sgd",
            "update rule: sgd (momentum, optionally Nesterov), adam, adamw (decoupled weight decay) or rmsprop,"
                    + " each as torch.optim's", Check.oneOf("sgd", "adam", "adamw", "rmsprop"));

    public static final HyperParameter<Double> MOMENTUM = HyperParameter.of("momentum", Kind.DOUBLE, 0.9,
            "momentum, in [0, 1); read by sgd and by rmsprop (torch's RMSprop momentum buffer: set 0 for torch's"
                    + " default there)", Check.of("in [0, 1)", v -> v >= 0 && v < 1));

    public static final HyperParameter<Boolean> NESTEROV = HyperParameter.of("nesterov", Kind.BOOLEAN, false,
            "use Nesterov momentum (sgd only)", Check.any());

    public static final HyperParameter<Double> BETA1 = HyperParameter.of("beta1", Kind.DOUBLE, 0.9,
            "adam, adamw: decay of the first-moment average, in [0, 1)", Check.of("in [0, 1)", v -> v >= 0 && v < 1));

    public static final HyperParameter<Double> BETA2 = HyperParameter.of("beta2", Kind.DOUBLE, 0.999,
            "adam, adamw: decay of the second-moment average, in [0, 1)", Check.of("in [0, 1)", v -> v >= 0 && v < 1));

    public static final HyperParameter<Double> EPSILON = HyperParameter.of("epsilon", Kind.DOUBLE, 1e-8,
            "adam, adamw, rmsprop: added to the root of the second moment, finite and > 0 (as a float)",
            Check.of("finite and > 0 (as a float)", v -> v > 0 && !v.isInfinite() && (float) v.doubleValue() != 0f));

    public static final HyperParameter<Double> RMSPROP_ALPHA = HyperParameter.of("rmspropAlpha", Kind.DOUBLE, 0.99,
            "rmsprop: smoothing constant of the squared-gradient average (torch's alpha; its own, not beta2, so"
                    + " that its default is torch's), in [0, 1)", Check.of("in [0, 1)", v -> v >= 0 && v < 1))
            .label("rmsprop alpha");

    public static final HyperParameter<Double> WEIGHT_DECAY = HyperParameter.of("weightDecay", Kind.DOUBLE, 0.0,
            "L2 weight decay on the weights, not the biases (>= 0): added to the gradient as λ·w for sgd, adam and"
                    + " rmsprop (torch's weight_decay), decoupled as w·(1 − η·λ) for adamw", Check.of("finite and >= 0",
                    v -> v >= 0 && !v.isInfinite()));

    public static final HyperParameter<Double> L1 = HyperParameter.of("l1", Kind.DOUBLE, 0.0,
            "elastic-net strength λ on the weights, not the biases: the loss gains λ·(α·|w|₁ + (1 − α)/2·|w|²),"
                    + " α = elasticNet, its gradient added to the averaged one on the driver; 0: none (>= 0)",
            Check.of("finite and >= 0", v -> v >= 0 && !v.isInfinite())).label("l1 strength");

    public static final HyperParameter<Double> ELASTIC_NET = HyperParameter.of("elasticNet", Kind.DOUBLE, 1.0,
            "elastic-net mixing α of l1 (as Spark's elasticNetParam): 1 pure L1, 0 pure L2, in [0, 1]",
            Check.of("in [0, 1]", v -> v >= 0 && v <= 1)).label("elastic-net mixing");

    public static final HyperParameter<Double> CLIP_VALUE = HyperParameter.of("clipValue", Kind.DOUBLE, 0.0,
            "clamp every component of the gradient to [-c, c] on the driver, after the elastic net (torch's"
                    + " clip_grad_value_); 0: off (>= 0)", Check.of("finite and >= 0 (0: off)",
                    v -> v >= 0 && !v.isInfinite()));

    public static final HyperParameter<Double> CLIP_NORM = HyperParameter.of("clipNorm", Kind.DOUBLE, 0.0,
            "rescale the gradient when its global L2 norm over all parameters exceeds this, after clipValue"
                    + " (torch's clip_grad_norm_); 0: off (>= 0)", Check.of("finite and >= 0 (0: off)",
                    v -> v >= 0 && !v.isInfinite()));

    public static final HyperParameter<double[]> DROPOUT = HyperParameter.of("dropout", Kind.DOUBLE_ARRAY,
            new double[] {0.0}, "inverted dropout on the hidden layers in training, off at inference: one rate in"
                    + " [0, 1) for every hidden layer, or one per hidden layer, e.g. 0.2,0.1; 0: none",
            HyperParameters::dropoutProblem);

    public static final HyperParameter<String> CLASS_WEIGHTS = HyperParameter.of("classWeights", Kind.STRING, "none",
            "weights of the classes in the training loss: none, balanced (n / (k * n_c) from the training labels),"
                    + " or one weight >= 0 per class, e.g. 1,5,1; multiplies a row's sample weight",
            HyperParameters::classWeightsProblem).label("class weights").canonical(HyperParameters::classWeightsSpelling);

    public static final HyperParameter<Long> SEED = HyperParameter.of("seed", Kind.LONG, 1L,
            "random seed: every random choice derives from (seed, epoch, step, partition)", Check.any());

    public static final HyperParameter<Double> VALIDATION_FRACTION = HyperParameter.of("validationFraction",
            Kind.DOUBLE, 0.0, "share of the training rows held out for validation when no validation rows are given,"
                    + " in [0, 1)", Check.of("in [0, 1)", v -> v >= 0 && v < 1));

    public static final HyperParameter<Integer> PATIENCE = HyperParameter.of("patience", Kind.INT, 0,
            "stop after this many epochs without a lower validation loss, keeping the best weights; 0: never (>= 0)",
            Check.of(">= 0", v -> v >= 0));

    public static final HyperParameter<String> STANDARDIZE = HyperParameter.of("standardize", Kind.STRING, "auto",
            "input scaling, kept in the model: none; global (one mean and standard deviation over every value, as for"
                    + " pixels); feature (each feature's own mean and standard deviation; a constant feature is left as"
                    + " it is); auto: global when every training value is a multiple of 1/255 in [0, 1] (images: IDX"
                    + " files on the command line), else feature (columns of different scales: most DataFrames given"
                    + " to the Estimator). The older true and false mean global and none",
            Check.of("one of none, global, feature, auto (or true: global, false: none)",
                    v -> List.of("none", "global", "feature", "auto", "true", "false").contains(v)))
            .canonical(v -> v.equals("true") ? "global" : v.equals("false") ? "none" : v);

    /** All of them, in the order of {@code --help}, the README and a checkpoint's record of the settings. */
    public static final List<HyperParameter<?>> ALL = List.of(LAYERS, ACTIVATION, INITIALIZATION, EPOCHS, BATCH_SIZE,
            LEARNING_RATE, LR_SCHEDULE, LR_STEP_EPOCHS, LR_GAMMA, LR_MIN_FRACTION, WARMUP_EPOCHS, REFERENCE_BATCH_SIZE,
            OPTIMIZER, MOMENTUM, NESTEROV, BETA1, BETA2, EPSILON, RMSPROP_ALPHA, WEIGHT_DECAY, L1, ELASTIC_NET,
            CLIP_VALUE, CLIP_NORM, DROPOUT, CLASS_WEIGHTS, SEED, VALIDATION_FRACTION, PATIENCE, STANDARDIZE);

    private static final Map<String, HyperParameter<?>> BY_NAME = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(HyperParameter::name, h -> h));
    private static final Map<String, HyperParameter<?>> BY_OPTION = ALL.stream()
            .collect(Collectors.toUnmodifiableMap(HyperParameter::option, h -> h));

    /** The hyper-parameter whose Param is called {@code name} ({@code batchSize}); null if none is. */
    public static HyperParameter<?> named(String name) {
        return BY_NAME.get(name);
    }

    /** The hyper-parameter whose command-line option is {@code option} ({@code batch-size}); null if none is. */
    public static HyperParameter<?> forOption(String option) {
        return BY_OPTION.get(option);
    }

    private static String layersProblem(int[] sizes) {
        String limit = "must be at least 2 sizes, each >= 1, the last >= 2, got ";
        if (sizes == null) {
            return "must be given, got null";
        }
        String shown = HyperParameter.shown(sizes);
        if (sizes.length < 2) {
            return limit + shown + ": a network needs at least an input and an output layer";
        }
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] < 1) {
                return limit + shown + ": layer " + i + " has size " + sizes[i] + "; every layer needs at least one unit";
            }
        }
        if (sizes[sizes.length - 1] < 2) {
            return limit + shown + ": the output layer has " + sizes[sizes.length - 1]
                    + " unit; a classifier needs at least 2 classes";
        }
        try {
            new Layout(sizes); // the rest: a network too large for one array
            return null;
        } catch (IllegalArgumentException e) {
            return "must fit one parameter array, got " + shown + ": " + e.getMessage();
        }
    }

    private static String dropoutProblem(double[] rates) {
        if (rates == null) {
            return "must be given, got null";
        }
        String limit = "must be one rate or one per hidden layer, each in [0, 1), got " + HyperParameter.shown(rates);
        if (rates.length == 0) {
            return limit;
        }
        for (double p : rates) {
            if (!(p >= 0 && p < 1)) {
                return limit;
            }
        }
        return null;
    }

    /** The class weights of a list, or null for none and balanced; an error when the text is neither. */
    static double[] classWeightList(String text) {
        String t = classWeightsSpelling(text);
        if (t.equals("none") || t.equals("balanced")) {
            return null;
        }
        String[] parts = t.split(",");
        double[] weights = new double[parts.length];
        boolean positive = false;
        for (int c = 0; c < parts.length; c++) {
            try {
                weights[c] = Double.parseDouble(parts[c]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("class weight '" + parts[c] + "' of class " + c + " is not a number");
            }
            if (!(weights[c] >= 0 && weights[c] < Double.POSITIVE_INFINITY)) {
                throw new IllegalArgumentException("class weight " + weights[c] + " of class " + c
                        + " must be finite and >= 0");
            }
            positive |= weights[c] > 0;
        }
        if (!positive) {
            throw new IllegalArgumentException("class weights " + t + " are all 0; at least one must be > 0");
        }
        return weights;
    }

    private static String classWeightsProblem(String text) {
        if (text == null) {
            return "must be given, got null";
        }
        try {
            classWeightList(text);
            return null;
        } catch (IllegalArgumentException e) {
            return "must be none, balanced or one weight >= 0 per class separated by commas, got " + text + " ("
                    + e.getMessage() + ")";
        }
    }

    /** Lower case, no spaces, empty as none. */
    private static String classWeightsSpelling(String text) {
        String t = text.replace(" ", "").toLowerCase(java.util.Locale.ROOT);
        return t.isEmpty() ? "none" : t;
    }

    private static boolean parses(Function<String, ?> parser, String name) {
        try {
            parser.apply(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
