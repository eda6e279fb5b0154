package io.sparkmlp.ml;

import io.sparkmlp.train.CheckpointParams;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
import io.sparkmlp.train.Trainer;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.StructField;

/**
 * A multilayer perceptron classifier for Spark ML pipelines, trained with sparkmlp's synchronous
 * data-parallel training (SGD with momentum, Adam, AdamW or RMSProp: the {@code optimizer} Param).
 * Takes any DataFrame with a numeric label column (class indices
 * 0..k-1) and a Vector features column; {@code fit} is a fixed sequence: check the Params, split off
 * validation rows, train with {@link Trainer}, wrap the model.
 *
 * <p>The hyper-parameters' Params are built from the table in {@link HyperParameters} (name, doc,
 * default, a validator that names the value and the limit); the typed setters and getters below
 * delegate to {@link #set(HyperParameter, Object)} and {@link #get(HyperParameter)}, which serve any
 * hyper-parameter of the table (those without a typed setter, e.g.
 * {@code set(HyperParameters.OPTIMIZER, "adam")}, or Spark's own {@code set("optimizer", "adam")}).
 *
 * <p>Inputs are standardised as {@link #standardize()} says; its default, {@code auto}, scales each
 * feature by its own mean and standard deviation unless every training value is a multiple of 1/255
 * in [0, 1] (pixels), which get one global mean and standard deviation. The scaling is kept in the model.
 *
 * <p>{@link #weightCol()} weights the training rows as in Spark's classifiers (the column, times the
 * {@code classWeights} of the row's class); validation and the per-epoch history stay unweighted, while the
 * model's {@code summary()} and {@code evaluate} weight their rows by it, as Spark's classifiers' summaries do.
 *
 * <p>Hyper-parameters, cluster settings ({@link #numPartitions()}, {@link #aggregationDepth()}) and
 * run settings (checkpoints: {@link #checkpointDir()}, {@link #checkpointInterval()},
 * {@link #checkpointAtEpochEnd()}, {@link #checkpointKeep()}; {@link #resumeFrom()}; a warm start's
 * {@link #initialWeights()}) are separate
 * Params; the latter two change only where the work runs and what survives a failure.
 */
public final class MlpClassifier extends ProbabilisticClassifier<Vector, MlpClassifier, MlpClassificationModel>
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;

    // hyper-parameters, one Param for each of the table's, by name
    private final Map<String, Param<?>> hyperParameters = new LinkedHashMap<>();
    private final Param<String> validationIndicatorCol;
    private final Param<String> weightCol;
    // cluster settings
    private final IntParam numPartitions;
    private final IntParam aggregationDepth;
    // run settings: checkpoints and resume
    private final Param<String> checkpointDir;
    private final IntParam checkpointInterval;
    private final BooleanParam checkpointAtEpochEnd;
    private final IntParam checkpointKeep;
    private final Param<String> resumeFrom;
    // run setting: a warm start
    private final Param<Vector> initialWeights;

    public MlpClassifier() {
        this(Identifiable.randomUID("mlpc"));
    }

    public MlpClassifier(String uid) {
        this(UidDuringConstruction.hold(uid), true);
    }

    private MlpClassifier(String uid, boolean held) {
        this.uid = uid;
        UidDuringConstruction.release();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            hyperParameters.put(h.name(), param(h));
        }
        validationIndicatorCol = new Param<>(this, "validationIndicatorCol",
                "name of a boolean column: true marks validation rows, false training rows");
        weightCol = new Param<>(this, "weightCol", "weight column name. If this is not set or empty, we treat all"
                + " instance weights as 1.0 (numeric, each finite and >= 0; the training loss is Σ w·loss / Σ w,"
                + " validation metrics stay unweighted)");
        numPartitions = new IntParam(this, "numPartitions",
                "cluster setting: partitions to train on; 0 keeps the data's own (>= 0)",
                Validators.<Object>require("numPartitions", ">= 0", v -> (Integer) v >= 0));
        aggregationDepth = new IntParam(this, "aggregationDepth", "cluster setting: depth of treeAggregate (>= 1)",
                Validators.<Object>require("aggregationDepth", ">= 1", v -> (Integer) v >= 1));
        checkpointDir = new Param<>(this, "checkpointDir",
                "run setting: folder (any Hadoop path) for training checkpoints; empty: none");
        checkpointInterval = new IntParam(this, "checkpointInterval",
                "run setting: a checkpoint every this many steps (>= 1), or none by steps (-1); needs checkpointDir",
                Validators.<Object>require("checkpointInterval", ">= 1 or -1 (none by steps)",
                        v -> (Integer) v >= 1 || (Integer) v == -1));
        checkpointAtEpochEnd = new BooleanParam(this, "checkpointAtEpochEnd",
                "run setting: a checkpoint at every epoch's end; needs checkpointDir");
        checkpointKeep = new IntParam(this, "checkpointKeep", "run setting: checkpoints kept, the newest (>= 1)",
                Validators.<Object>require("checkpointKeep", ">= 1", v -> (Integer) v >= 1));
        resumeFrom = new Param<>(this, "resumeFrom", "run setting: continue training from a checkpoint file, a folder"
                + " (its latest checkpoint) or 'latest' (the latest in checkpointDir); empty: start afresh. The"
                + " hyper-parameters and the data must be the checkpoint's");
        initialWeights = new Param<>(this, "initialWeights", "run setting: the weights to start from (a warm start,"
                + " as MLlib's MultilayerPerceptronClassifier takes them): the flat parameter vector in the layers'"
                + " layout, e.g. an MlpClassificationModel's weights; unset: the seed's initialisation. Not with"
                + " resumeFrom");

        // the defaults: the table's, for the hyper-parameters; the settings' own classes', for the rest
        for (HyperParameter<?> h : HyperParameters.ALL) {
            setDefault(raw(hyperParameters.get(h.name())), h.defaultValue());
        }
        ClusterParams c = new ClusterParams();
        setDefault(numPartitions, c.partitions());
        setDefault(aggregationDepth, c.aggregationDepth());
        CheckpointParams k = new CheckpointParams();
        setDefault(checkpointDir, "");
        setDefault(checkpointInterval, k.everySteps() > 0 ? k.everySteps() : -1);
        setDefault(checkpointAtEpochEnd, k.atEpochEnd());
        setDefault(checkpointKeep, k.keep());
        setDefault(resumeFrom, "");
    }

    /** The Spark Param for a hyper-parameter: its type's Param class, its doc, a validator that names the value and the limit. */
    private Param<?> param(HyperParameter<?> h) {
        String name = h.name();
        String doc = h.doc();
        return switch (h.kind()) {
            case INT_ARRAY -> new IntArrayParam(this, name, doc, Validators.<int[]>of(h));
            case DOUBLE_ARRAY -> new DoubleArrayParam(this, name, doc, Validators.<double[]>of(h));
            case INT -> new IntParam(this, name, doc, Validators.<Object>of(h));
            case LONG -> new LongParam(this, name, doc, Validators.<Object>of(h));
            case DOUBLE -> new DoubleParam(this, name, doc, Validators.<Object>of(h));
            case BOOLEAN -> new BooleanParam(this, name, doc);
            case STRING -> new NameParam(this, name, doc, Validators.<String>of(h));
        };
    }

    /**
     * A hyper-parameter whose value is a name. Reading saved Params it also takes a JSON boolean or
     * number, in the table's spelling of it: an Estimator saved when {@code standardize} was a boolean
     * ({@code true}) loads as {@code global}.
     */
    private static final class NameParam extends Param<String> {
        private static final long serialVersionUID = 1L;

        NameParam(Identifiable parent, String name, String doc, scala.Function1<String, Object> isValid) {
            super(parent, name, doc, isValid);
        }

        @Override
        public String jsonDecode(String json) {
            String text = json.trim().startsWith("\"") ? super.jsonDecode(json) : json.trim();
            @SuppressWarnings("unchecked")
            HyperParameter<String> h = (HyperParameter<String>) HyperParameters.named(name());
            return h == null ? text : h.canonicalValue(text);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Param<Object> raw(Param<?> param) {
        return (Param) param;
    }

    /** The Param of a hyper-parameter. */
    public Param<?> hyperParameter(HyperParameter<?> h) {
        Param<?> param = hyperParameters.get(h.name());
        if (param == null) {
            throw new IllegalArgumentException("no hyper-parameter " + h.name() + " in " + hyperParameters.keySet());
        }
        return param;
    }

    /** Sets a hyper-parameter by its definition; the Param's validator checks the value. */
    public <T> MlpClassifier set(HyperParameter<T> h, T value) {
        return (MlpClassifier) set(raw(hyperParameter(h)), copied(value));
    }

    /** A hyper-parameter's value, or its default (a copy). */
    public <T> T get(HyperParameter<T> h) {
        Object value = getOrDefault(raw(hyperParameter(h)));
        return h.type().cast(copied(value));
    }

    /** Arrays copied, so that a caller's array and the Param's are never the same. */
    private static Object copied(Object value) {
        if (value instanceof double[] d) {
            return d.clone();
        }
        return value instanceof int[] a ? a.clone() : value;
    }

    private Param<?>[] allParams;

    /**
     * Spark's own Params (found, as Spark finds them, by their public accessors) and every
     * hyper-parameter's, with or without an accessor of its own.
     */
    @Override
    public Param<?>[] params() {
        if (allParams == null) {
            Map<String, Param<?>> byName = new TreeMap<>();
            for (Param<?> p : super.params()) {
                byName.put(p.name(), p);
            }
            byName.putAll(hyperParameters);
            allParams = byName.values().toArray(new Param<?>[0]);
        }
        return allParams;
    }

    @Override
    public String uid() {
        return uid != null ? uid : UidDuringConstruction.pending();
    }

    @Override
    public MlpClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** The core trainer's hyper-parameters, as these Params set them. */
    public TrainingParams trainingParams() {
        TrainingParams params = new TrainingParams();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            copy(h, params);
        }
        return params;
    }

    private <T> void copy(HyperParameter<T> h, TrainingParams params) {
        params.set(h, get(h));
    }

    /** The cluster settings, as these Params set them. */
    public ClusterParams clusterParams() {
        return new ClusterParams().partitions(getNumPartitions()).aggregationDepth(getAggregationDepth());
    }

    /** The checkpoint and resume settings, as these Params set them. */
    public CheckpointParams checkpointParams() {
        String dir = getCheckpointDir();
        String resume = getResumeFrom();
        return new CheckpointParams().dir(dir.isEmpty() ? null : dir)
                .everySteps(Math.max(0, getCheckpointInterval()))
                .atEpochEnd(getCheckpointAtEpochEnd())
                .keep(getCheckpointKeep())
                .resumeFrom(resume.isEmpty() ? null : resume);
    }

    @Override
    public MlpClassificationModel train(Dataset<?> dataset) {
        Dataset<Row> data = dataset.toDF();
        Dataset<Row> training = data;
        Dataset<Row> validation = null;
        if (isDefined(validationIndicatorCol) && !getValidationIndicatorCol().isEmpty()) {
            String column = getValidationIndicatorCol();
            if (!List.of(data.columns()).contains(column)) {
                throw new IllegalArgumentException("validationIndicatorCol '" + column + "' is not in the data; columns: "
                        + List.of(data.columns()));
            }
            StructField field = data.schema().apply(column);
            if (!(field.dataType() instanceof BooleanType)) {
                throw new IllegalArgumentException("validationIndicatorCol '" + column + "' has type "
                        + field.dataType().simpleString() + "; expected boolean");
            }
            training = data.filter(functions.not(functions.col(column)));
            validation = data.filter(functions.col(column));
        }
        TrainingParams params = trainingParams();
        String weights = isDefined(weightCol) && !getWeightCol().isEmpty() ? getWeightCol() : null;
        TrainingResult result = new Trainer(params, clusterParams()).initialWeights(initialWeightsFor(params))
                .checkpoints(checkpointParams()).fit(training, validation, getLabelCol(), getFeaturesCol(), weights);
        return new MlpClassificationModel(uid, result.model(), result, training);
    }

    /** The initialWeights Param as floats, checked against the layers; null when it is not set. */
    private float[] initialWeightsFor(TrainingParams params) {
        if (!isDefined(initialWeights)) {
            return null;
        }
        Vector vector = getInitialWeights();
        int expected = params.layout().numParameters();
        if (vector.size() != expected) {
            throw new IllegalArgumentException("initialWeights has " + vector.size() + " values; layers "
                    + params.layout() + " have " + expected + " parameters");
        }
        float[] weights = new float[expected];
        for (int i = 0; i < expected; i++) {
            weights[i] = (float) vector.apply(i);
        }
        return weights;
    }

    // Params, setters and getters

    public IntArrayParam layers() {
        return (IntArrayParam) hyperParameter(HyperParameters.LAYERS);
    }

    public MlpClassifier setLayers(int... value) {
        return set(HyperParameters.LAYERS, value);
    }

    public int[] getLayers() {
        return get(HyperParameters.LAYERS);
    }

    public Param<String> activation() {
        return (Param<String>) hyperParameter(HyperParameters.ACTIVATION);
    }

    public MlpClassifier setActivation(String value) {
        return set(HyperParameters.ACTIVATION, value);
    }

    public String getActivation() {
        return get(HyperParameters.ACTIVATION);
    }

    public Param<String> initialization() {
        return (Param<String>) hyperParameter(HyperParameters.INITIALIZATION);
    }

    public MlpClassifier setInitialization(String value) {
        return set(HyperParameters.INITIALIZATION, value);
    }

    public String getInitialization() {
        return get(HyperParameters.INITIALIZATION);
    }

    public IntParam epochs() {
        return (IntParam) hyperParameter(HyperParameters.EPOCHS);
    }

    public MlpClassifier setEpochs(int value) {
        return set(HyperParameters.EPOCHS, value);
    }

    public int getEpochs() {
        return get(HyperParameters.EPOCHS);
    }

    public IntParam batchSize() {
        return (IntParam) hyperParameter(HyperParameters.BATCH_SIZE);
    }

    public MlpClassifier setBatchSize(int value) {
        return set(HyperParameters.BATCH_SIZE, value);
    }

    public int getBatchSize() {
        return get(HyperParameters.BATCH_SIZE);
    }

    public DoubleParam learningRate() {
        return (DoubleParam) hyperParameter(HyperParameters.LEARNING_RATE);
    }

    public MlpClassifier setLearningRate(double value) {
        return set(HyperParameters.LEARNING_RATE, value);
    }

    public double getLearningRate() {
        return get(HyperParameters.LEARNING_RATE);
    }

    public Param<String> lrSchedule() {
        return (Param<String>) hyperParameter(HyperParameters.LR_SCHEDULE);
    }

    public MlpClassifier setLrSchedule(String value) {
        return set(HyperParameters.LR_SCHEDULE, value);
    }

    public String getLrSchedule() {
        return get(HyperParameters.LR_SCHEDULE);
    }

    public IntParam lrStepEpochs() {
        return (IntParam) hyperParameter(HyperParameters.LR_STEP_EPOCHS);
    }

    public MlpClassifier setLrStepEpochs(int value) {
        return set(HyperParameters.LR_STEP_EPOCHS, value);
    }

    public int getLrStepEpochs() {
        return get(HyperParameters.LR_STEP_EPOCHS);
    }

    public DoubleParam lrGamma() {
        return (DoubleParam) hyperParameter(HyperParameters.LR_GAMMA);
    }

    public MlpClassifier setLrGamma(double value) {
        return set(HyperParameters.LR_GAMMA, value);
    }

    public double getLrGamma() {
        return get(HyperParameters.LR_GAMMA);
    }

    public DoubleParam lrMinFraction() {
        return (DoubleParam) hyperParameter(HyperParameters.LR_MIN_FRACTION);
    }

    public MlpClassifier setLrMinFraction(double value) {
        return set(HyperParameters.LR_MIN_FRACTION, value);
    }

    public double getLrMinFraction() {
        return get(HyperParameters.LR_MIN_FRACTION);
    }

    public DoubleParam warmupEpochs() {
        return (DoubleParam) hyperParameter(HyperParameters.WARMUP_EPOCHS);
    }

    public MlpClassifier setWarmupEpochs(double value) {
        return set(HyperParameters.WARMUP_EPOCHS, value);
    }

    public double getWarmupEpochs() {
        return get(HyperParameters.WARMUP_EPOCHS);
    }

    public IntParam referenceBatchSize() {
        return (IntParam) hyperParameter(HyperParameters.REFERENCE_BATCH_SIZE);
    }

    public MlpClassifier setReferenceBatchSize(int value) {
        return set(HyperParameters.REFERENCE_BATCH_SIZE, value);
    }

    public int getReferenceBatchSize() {
        return get(HyperParameters.REFERENCE_BATCH_SIZE);
    }

    public Param<String> optimizer() {
        return (Param<String>) hyperParameter(HyperParameters.OPTIMIZER);
    }

    /** {@code sgd} (the default), {@code adam}, {@code adamw} or {@code rmsprop}, each as torch.optim's. */
    public MlpClassifier setOptimizer(String value) {
        return set(HyperParameters.OPTIMIZER, value);
    }

    public String getOptimizer() {
        return get(HyperParameters.OPTIMIZER);
    }

    public DoubleParam momentum() {
        return (DoubleParam) hyperParameter(HyperParameters.MOMENTUM);
    }

    public MlpClassifier setMomentum(double value) {
        return set(HyperParameters.MOMENTUM, value);
    }

    public double getMomentum() {
        return get(HyperParameters.MOMENTUM);
    }

    public BooleanParam nesterov() {
        return (BooleanParam) hyperParameter(HyperParameters.NESTEROV);
    }

    public MlpClassifier setNesterov(boolean value) {
        return set(HyperParameters.NESTEROV, value);
    }

    public boolean getNesterov() {
        return get(HyperParameters.NESTEROV);
    }

    public DoubleParam beta1() {
        return (DoubleParam) hyperParameter(HyperParameters.BETA1);
    }

    public MlpClassifier setBeta1(double value) {
        return set(HyperParameters.BETA1, value);
    }

    public double getBeta1() {
        return get(HyperParameters.BETA1);
    }

    public DoubleParam beta2() {
        return (DoubleParam) hyperParameter(HyperParameters.BETA2);
    }

    public MlpClassifier setBeta2(double value) {
        return set(HyperParameters.BETA2, value);
    }

    public double getBeta2() {
        return get(HyperParameters.BETA2);
    }

    public DoubleParam epsilon() {
        return (DoubleParam) hyperParameter(HyperParameters.EPSILON);
    }

    public MlpClassifier setEpsilon(double value) {
        return set(HyperParameters.EPSILON, value);
    }

    public double getEpsilon() {
        return get(HyperParameters.EPSILON);
    }

    public DoubleParam rmspropAlpha() {
        return (DoubleParam) hyperParameter(HyperParameters.RMSPROP_ALPHA);
    }

    public MlpClassifier setRmspropAlpha(double value) {
        return set(HyperParameters.RMSPROP_ALPHA, value);
    }

    public double getRmspropAlpha() {
        return get(HyperParameters.RMSPROP_ALPHA);
    }

    public DoubleParam weightDecay() {
        return (DoubleParam) hyperParameter(HyperParameters.WEIGHT_DECAY);
    }

    public MlpClassifier setWeightDecay(double value) {
        return set(HyperParameters.WEIGHT_DECAY, value);
    }

    public double getWeightDecay() {
        return get(HyperParameters.WEIGHT_DECAY);
    }

    public DoubleParam l1() {
        return (DoubleParam) hyperParameter(HyperParameters.L1);
    }

    public MlpClassifier setL1(double value) {
        return set(HyperParameters.L1, value);
    }

    public double getL1() {
        return get(HyperParameters.L1);
    }

    public DoubleParam elasticNet() {
        return (DoubleParam) hyperParameter(HyperParameters.ELASTIC_NET);
    }

    public MlpClassifier setElasticNet(double value) {
        return set(HyperParameters.ELASTIC_NET, value);
    }

    public double getElasticNet() {
        return get(HyperParameters.ELASTIC_NET);
    }

    public DoubleParam clipValue() {
        return (DoubleParam) hyperParameter(HyperParameters.CLIP_VALUE);
    }

    public MlpClassifier setClipValue(double value) {
        return set(HyperParameters.CLIP_VALUE, value);
    }

    public double getClipValue() {
        return get(HyperParameters.CLIP_VALUE);
    }

    public DoubleParam clipNorm() {
        return (DoubleParam) hyperParameter(HyperParameters.CLIP_NORM);
    }

    public MlpClassifier setClipNorm(double value) {
        return set(HyperParameters.CLIP_NORM, value);
    }

    public double getClipNorm() {
        return get(HyperParameters.CLIP_NORM);
    }

    public Param<String> standardize() {
        return (Param<String>) hyperParameter(HyperParameters.STANDARDIZE);
    }

    /** {@code none}, {@code global}, {@code feature} or {@code auto} (the default: global for image-like data, else feature). */
    public MlpClassifier setStandardize(String value) {
        return set(HyperParameters.STANDARDIZE, value);
    }

    /** The older switch: true is {@code global}, false {@code none}. */
    public MlpClassifier setStandardize(boolean value) {
        return setStandardize(value ? "global" : "none");
    }

    public String getStandardize() {
        return get(HyperParameters.STANDARDIZE);
    }

    public DoubleParam validationFraction() {
        return (DoubleParam) hyperParameter(HyperParameters.VALIDATION_FRACTION);
    }

    public MlpClassifier setValidationFraction(double value) {
        return set(HyperParameters.VALIDATION_FRACTION, value);
    }

    public double getValidationFraction() {
        return get(HyperParameters.VALIDATION_FRACTION);
    }

    public IntParam patience() {
        return (IntParam) hyperParameter(HyperParameters.PATIENCE);
    }

    public MlpClassifier setPatience(int value) {
        return set(HyperParameters.PATIENCE, value);
    }

    public int getPatience() {
        return get(HyperParameters.PATIENCE);
    }

    public Param<String> validationIndicatorCol() {
        return validationIndicatorCol;
    }

    public MlpClassifier setValidationIndicatorCol(String value) {
        return (MlpClassifier) set(validationIndicatorCol, value);
    }

    public String getValidationIndicatorCol() {
        return getOrDefault(validationIndicatorCol);
    }

    public Param<String> weightCol() {
        return weightCol;
    }

    /** A numeric column of row weights (finite, >= 0), as Spark's classifiers' {@code weightCol}. */
    public MlpClassifier setWeightCol(String value) {
        return (MlpClassifier) set(weightCol, value);
    }

    public String getWeightCol() {
        return getOrDefault(weightCol);
    }

    public DoubleArrayParam dropout() {
        return (DoubleArrayParam) hyperParameter(HyperParameters.DROPOUT);
    }

    /** One rate for every hidden layer, or one per hidden layer. */
    public MlpClassifier setDropout(double... value) {
        return set(HyperParameters.DROPOUT, value);
    }

    public double[] getDropout() {
        return get(HyperParameters.DROPOUT);
    }

    public Param<String> classWeights() {
        return (Param<String>) hyperParameter(HyperParameters.CLASS_WEIGHTS);
    }

    /** "none", "balanced" or one weight per class separated by commas. */
    public MlpClassifier setClassWeights(String value) {
        return set(HyperParameters.CLASS_WEIGHTS, value);
    }

    public String getClassWeights() {
        return get(HyperParameters.CLASS_WEIGHTS);
    }

    public LongParam seed() {
        return (LongParam) hyperParameter(HyperParameters.SEED);
    }

    public MlpClassifier setSeed(long value) {
        return set(HyperParameters.SEED, value);
    }

    public long getSeed() {
        return get(HyperParameters.SEED);
    }

    public IntParam numPartitions() {
        return numPartitions;
    }

    public MlpClassifier setNumPartitions(int value) {
        return (MlpClassifier) set(numPartitions, value);
    }

    public int getNumPartitions() {
        return (Integer) getOrDefault(numPartitions);
    }

    public IntParam aggregationDepth() {
        return aggregationDepth;
    }

    public MlpClassifier setAggregationDepth(int value) {
        return (MlpClassifier) set(aggregationDepth, value);
    }

    public int getAggregationDepth() {
        return (Integer) getOrDefault(aggregationDepth);
    }

    public Param<String> checkpointDir() {
        return checkpointDir;
    }

    public MlpClassifier setCheckpointDir(String value) {
        return (MlpClassifier) set(checkpointDir, value);
    }

    public String getCheckpointDir() {
        return getOrDefault(checkpointDir);
    }

    public IntParam checkpointInterval() {
        return checkpointInterval;
    }

    public MlpClassifier setCheckpointInterval(int value) {
        return (MlpClassifier) set(checkpointInterval, value);
    }

    public int getCheckpointInterval() {
        return (Integer) getOrDefault(checkpointInterval);
    }

    public BooleanParam checkpointAtEpochEnd() {
        return checkpointAtEpochEnd;
    }

    public MlpClassifier setCheckpointAtEpochEnd(boolean value) {
        return (MlpClassifier) set(checkpointAtEpochEnd, value);
    }

    public boolean getCheckpointAtEpochEnd() {
        return (Boolean) getOrDefault(checkpointAtEpochEnd);
    }

    public IntParam checkpointKeep() {
        return checkpointKeep;
    }

    public MlpClassifier setCheckpointKeep(int value) {
        return (MlpClassifier) set(checkpointKeep, value);
    }

    public int getCheckpointKeep() {
        return (Integer) getOrDefault(checkpointKeep);
    }

    public Param<String> resumeFrom() {
        return resumeFrom;
    }

    public MlpClassifier setResumeFrom(String value) {
        return (MlpClassifier) set(resumeFrom, value);
    }

    public String getResumeFrom() {
        return getOrDefault(resumeFrom);
    }

    public Param<Vector> initialWeights() {
        return initialWeights;
    }

    public MlpClassifier setInitialWeights(Vector value) {
        return (MlpClassifier) set(initialWeights, value);
    }

    /** The initial weights; an error when they were not set (see {@code isDefined(initialWeights())}). */
    public Vector getInitialWeights() {
        return getOrDefault(initialWeights);
    }

    public static MLReader<MlpClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static MlpClassifier load(String path) {
        return read().load(path);
    }
}
