package io.sparkmlp.ml;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.CheckpointParams;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.Trainer;
import io.sparkmlp.train.TrainingParams;
import io.sparkmlp.train.TrainingResult;
import java.util.List;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.BooleanParam;
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
 * data-parallel SGD with momentum. Takes any DataFrame with a numeric label column (class indices
 * 0..k-1) and a Vector features column; {@code fit} is a fixed sequence: check the Params, split off
 * validation rows, train with {@link Trainer}, wrap the model.
 *
 * <p>Hyper-parameters, cluster settings ({@link #numPartitions()}, {@link #aggregationDepth()}) and
 * run settings (checkpoints: {@link #checkpointDir()}, {@link #checkpointInterval()},
 * {@link #checkpointAtEpochEnd()}, {@link #checkpointKeep()}; {@link #resumeFrom()}) are separate
 * Params; the latter two change only where the work runs and what survives a failure.
 */
public final class MlpClassifier extends ProbabilisticClassifier<Vector, MlpClassifier, MlpClassificationModel>
        implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;

    // hyper-parameters
    private final IntArrayParam layers;
    private final Param<String> activation;
    private final Param<String> initialization;
    private final IntParam epochs;
    private final IntParam batchSize;
    private final DoubleParam learningRate;
    private final Param<String> lrSchedule;
    private final IntParam lrStepEpochs;
    private final DoubleParam lrGamma;
    private final DoubleParam lrMinFraction;
    private final DoubleParam warmupEpochs;
    private final IntParam referenceBatchSize;
    private final DoubleParam momentum;
    private final BooleanParam nesterov;
    private final DoubleParam weightDecay;
    private final BooleanParam standardize;
    private final DoubleParam validationFraction;
    private final IntParam patience;
    private final Param<String> validationIndicatorCol;
    private final LongParam seed;
    // cluster settings
    private final IntParam numPartitions;
    private final IntParam aggregationDepth;
    // run settings: checkpoints and resume
    private final Param<String> checkpointDir;
    private final IntParam checkpointInterval;
    private final BooleanParam checkpointAtEpochEnd;
    private final IntParam checkpointKeep;
    private final Param<String> resumeFrom;

    public MlpClassifier() {
        this(Identifiable.randomUID("mlpc"));
    }

    public MlpClassifier(String uid) {
        this(UidDuringConstruction.hold(uid), true);
    }

    private MlpClassifier(String uid, boolean held) {
        this.uid = uid;
        UidDuringConstruction.release();
        layers = new IntArrayParam(this, "layers", "layer sizes from input to output, e.g. [784, 256, 128, 10];"
                + " the first must equal the feature vector's size, the last the number of classes",
                Validators.<int[]>require("layers", "at least 2 sizes, each >= 1, the last >= 2", v -> validLayers(v)));
        activation = new Param<>(this, "activation", "hidden-layer activation: relu, leaky_relu, tanh or sigmoid",
                Validators.<String>require("activation", "one of relu, leaky_relu, tanh, sigmoid", v -> parses(v)));
        initialization = new Param<>(this, "initialization",
                "weight initialisation: auto (he for the ReLU family, glorot otherwise), he, glorot or lecun",
                Validators.<String>require("initialization", "one of auto, he, glorot, lecun",
                        v -> List.of("auto", "he", "glorot", "lecun").contains(v)));
        epochs = new IntParam(this, "epochs", "passes over the training data (at most, with early stopping) (>= 1)",
                Validators.<Object>require("epochs", ">= 1", v -> (Integer) v >= 1));
        batchSize = new IntParam(this, "batchSize", "global mini-batch: rows per step over all partitions (>= 1)",
                Validators.<Object>require("batchSize", ">= 1", v -> (Integer) v >= 1));
        learningRate = new DoubleParam(this, "learningRate", "initial learning rate (> 0)",
                Validators.<Object>require("learningRate", "finite and > 0", v -> positive((Double) v)));
        lrSchedule = new Param<>(this, "lrSchedule", "learning-rate schedule: constant, step or cosine",
                Validators.<String>require("lrSchedule", "one of constant, step, cosine",
                        v -> List.of("constant", "step", "cosine").contains(v)));
        lrStepEpochs = new IntParam(this, "lrStepEpochs", "step schedule: epochs between decays (>= 1)",
                Validators.<Object>require("lrStepEpochs", ">= 1", v -> (Integer) v >= 1));
        lrGamma = new DoubleParam(this, "lrGamma", "step schedule: decay factor, in (0, 1]",
                Validators.<Object>require("lrGamma", "in (0, 1]", v -> (Double) v > 0 && (Double) v <= 1));
        lrMinFraction = new DoubleParam(this, "lrMinFraction", "cosine schedule: final rate as a fraction of the first, in [0, 1)",
                Validators.<Object>require("lrMinFraction", "in [0, 1)", v -> (Double) v >= 0 && (Double) v < 1));
        warmupEpochs = new DoubleParam(this, "warmupEpochs",
                "epochs over which the learning rate grows linearly from near 0 (Goyal et al. 2017); 0: none (>= 0)",
                Validators.<Object>require("warmupEpochs", "finite and >= 0",
                        v -> (Double) v >= 0 && !((Double) v).isInfinite()));
        referenceBatchSize = new IntParam(this, "referenceBatchSize",
                "linear scaling rule: learningRate is meant for this batch and is scaled by batchSize / referenceBatchSize;"
                        + " 0: no scaling (>= 0)",
                Validators.<Object>require("referenceBatchSize", ">= 0", v -> (Integer) v >= 0));
        momentum = new DoubleParam(this, "momentum", "momentum, in [0, 1)",
                Validators.<Object>require("momentum", "in [0, 1)", v -> (Double) v >= 0 && (Double) v < 1));
        nesterov = new BooleanParam(this, "nesterov", "use Nesterov momentum");
        weightDecay = new DoubleParam(this, "weightDecay", "L2 weight decay on the weights, not the biases (>= 0)",
                Validators.<Object>require("weightDecay", "finite and >= 0",
                        v -> (Double) v >= 0 && !((Double) v).isInfinite()));
        standardize = new BooleanParam(this, "standardize",
                "scale inputs by the training data's global mean and standard deviation (kept in the model)");
        validationFraction = new DoubleParam(this, "validationFraction",
                "share of the training rows held out for validation when no validationIndicatorCol is set, in [0, 1)",
                Validators.<Object>require("validationFraction", "in [0, 1)", v -> (Double) v >= 0 && (Double) v < 1));
        patience = new IntParam(this, "patience",
                "stop after this many epochs without a lower validation loss, keeping the best weights; 0: never (>= 0)",
                Validators.<Object>require("patience", ">= 0", v -> (Integer) v >= 0));
        validationIndicatorCol = new Param<>(this, "validationIndicatorCol",
                "name of a boolean column: true marks validation rows, false training rows");
        seed = new LongParam(this, "seed", "random seed: every random choice derives from (seed, epoch, step, partition)");
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

        // the one place the defaults live: the core trainer's
        TrainingParams d = new TrainingParams();
        setDefault(layers, d.layout().sizes());
        setDefault(activation, d.activation().id());
        setDefault(initialization, "auto");
        setDefault(epochs, d.epochs());
        setDefault(batchSize, d.batchSize());
        setDefault(learningRate, d.learningRate());
        setDefault(lrSchedule, d.scheduleName());
        setDefault(lrStepEpochs, d.scheduleStepEpochs());
        setDefault(lrGamma, d.scheduleGamma());
        setDefault(lrMinFraction, d.minLearningRateFraction());
        setDefault(warmupEpochs, d.warmupEpochs());
        setDefault(referenceBatchSize, d.referenceBatchSize());
        setDefault(momentum, d.momentum());
        setDefault(nesterov, d.nesterov());
        setDefault(weightDecay, d.weightDecay());
        setDefault(standardize, d.standardize());
        setDefault(validationFraction, d.validationFraction());
        setDefault(patience, d.patience());
        setDefault(seed, d.seed());
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

    private static boolean validLayers(int[] sizes) {
        try {
            new Layout(sizes);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean parses(String name) {
        try {
            Activation.parse(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean positive(double v) {
        return v > 0 && !Double.isInfinite(v);
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
        String init = getInitialization();
        return new TrainingParams()
                .layers(getLayers())
                .activation(Activation.parse(getActivation()))
                .initialization(init.equals("auto") ? null : Initialization.parse(init))
                .epochs(getEpochs())
                .batchSize(getBatchSize())
                .learningRate(getLearningRate())
                .schedule(getLrSchedule(), getLrStepEpochs(), getLrGamma(), getLrMinFraction())
                .warmupEpochs(getWarmupEpochs())
                .referenceBatchSize(getReferenceBatchSize())
                .momentum(getMomentum())
                .nesterov(getNesterov())
                .weightDecay(getWeightDecay())
                .standardize(getStandardize())
                .validationFraction(getValidationFraction())
                .patience(getPatience())
                .seed(getSeed());
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
        TrainingResult result = new Trainer(trainingParams(), clusterParams()).checkpoints(checkpointParams())
                .fit(training, validation, getLabelCol(), getFeaturesCol());
        return new MlpClassificationModel(uid, result.model(), result);
    }

    // Params, setters and getters

    public IntArrayParam layers() {
        return layers;
    }

    public MlpClassifier setLayers(int... value) {
        return (MlpClassifier) set(layers, value == null ? null : value.clone());
    }

    public int[] getLayers() {
        return ((int[]) getOrDefault(layers)).clone();
    }

    public Param<String> activation() {
        return activation;
    }

    public MlpClassifier setActivation(String value) {
        return (MlpClassifier) set(activation, value);
    }

    public String getActivation() {
        return getOrDefault(activation);
    }

    public Param<String> initialization() {
        return initialization;
    }

    public MlpClassifier setInitialization(String value) {
        return (MlpClassifier) set(initialization, value);
    }

    public String getInitialization() {
        return getOrDefault(initialization);
    }

    public IntParam epochs() {
        return epochs;
    }

    public MlpClassifier setEpochs(int value) {
        return (MlpClassifier) set(epochs, value);
    }

    public int getEpochs() {
        return (Integer) getOrDefault(epochs);
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public MlpClassifier setBatchSize(int value) {
        return (MlpClassifier) set(batchSize, value);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public DoubleParam learningRate() {
        return learningRate;
    }

    public MlpClassifier setLearningRate(double value) {
        return (MlpClassifier) set(learningRate, value);
    }

    public double getLearningRate() {
        return (Double) getOrDefault(learningRate);
    }

    public Param<String> lrSchedule() {
        return lrSchedule;
    }

    public MlpClassifier setLrSchedule(String value) {
        return (MlpClassifier) set(lrSchedule, value);
    }

    public String getLrSchedule() {
        return getOrDefault(lrSchedule);
    }

    public IntParam lrStepEpochs() {
        return lrStepEpochs;
    }

    public MlpClassifier setLrStepEpochs(int value) {
        return (MlpClassifier) set(lrStepEpochs, value);
    }

    public int getLrStepEpochs() {
        return (Integer) getOrDefault(lrStepEpochs);
    }

    public DoubleParam lrGamma() {
        return lrGamma;
    }

    public MlpClassifier setLrGamma(double value) {
        return (MlpClassifier) set(lrGamma, value);
    }

    public double getLrGamma() {
        return (Double) getOrDefault(lrGamma);
    }

    public DoubleParam lrMinFraction() {
        return lrMinFraction;
    }

    public MlpClassifier setLrMinFraction(double value) {
        return (MlpClassifier) set(lrMinFraction, value);
    }

    public double getLrMinFraction() {
        return (Double) getOrDefault(lrMinFraction);
    }

    public DoubleParam warmupEpochs() {
        return warmupEpochs;
    }

    public MlpClassifier setWarmupEpochs(double value) {
        return (MlpClassifier) set(warmupEpochs, value);
    }

    public double getWarmupEpochs() {
        return (Double) getOrDefault(warmupEpochs);
    }

    public IntParam referenceBatchSize() {
        return referenceBatchSize;
    }

    public MlpClassifier setReferenceBatchSize(int value) {
        return (MlpClassifier) set(referenceBatchSize, value);
    }

    public int getReferenceBatchSize() {
        return (Integer) getOrDefault(referenceBatchSize);
    }

    public DoubleParam momentum() {
        return momentum;
    }

    public MlpClassifier setMomentum(double value) {
        return (MlpClassifier) set(momentum, value);
    }

    public double getMomentum() {
        return (Double) getOrDefault(momentum);
    }

    public BooleanParam nesterov() {
        return nesterov;
    }

    public MlpClassifier setNesterov(boolean value) {
        return (MlpClassifier) set(nesterov, value);
    }

    public boolean getNesterov() {
        return (Boolean) getOrDefault(nesterov);
    }

    public DoubleParam weightDecay() {
        return weightDecay;
    }

    public MlpClassifier setWeightDecay(double value) {
        return (MlpClassifier) set(weightDecay, value);
    }

    public double getWeightDecay() {
        return (Double) getOrDefault(weightDecay);
    }

    public BooleanParam standardize() {
        return standardize;
    }

    public MlpClassifier setStandardize(boolean value) {
        return (MlpClassifier) set(standardize, value);
    }

    public boolean getStandardize() {
        return (Boolean) getOrDefault(standardize);
    }

    public DoubleParam validationFraction() {
        return validationFraction;
    }

    public MlpClassifier setValidationFraction(double value) {
        return (MlpClassifier) set(validationFraction, value);
    }

    public double getValidationFraction() {
        return (Double) getOrDefault(validationFraction);
    }

    public IntParam patience() {
        return patience;
    }

    public MlpClassifier setPatience(int value) {
        return (MlpClassifier) set(patience, value);
    }

    public int getPatience() {
        return (Integer) getOrDefault(patience);
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

    public LongParam seed() {
        return seed;
    }

    public MlpClassifier setSeed(long value) {
        return (MlpClassifier) set(seed, value);
    }

    public long getSeed() {
        return (Long) getOrDefault(seed);
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

    public static MLReader<MlpClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static MlpClassifier load(String path) {
        return read().load(path);
    }
}
