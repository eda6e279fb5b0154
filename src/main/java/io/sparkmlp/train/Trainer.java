package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.optim.LearningRateSchedule;
import io.sparkmlp.optim.MomentumSgd;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel SGD with momentum. Rows are packed once into cached blocks; every step
 * the driver shares the weights (a broadcast, or in-process under a local master: {@link SharedWeights}),
 * each partition computes the summed gradient of its share of the global mini-batch, one Spark job
 * brings the sums back (added in a fixed order, see {@link PartitionSums} and {@link OrderedSum}),
 * and the driver divides by the global count, takes the momentum step and releases the weights.
 */
public final class Trainer {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final TrainingParams params;
    private final ClusterParams cluster;
    private Consumer<EpochMetrics> onEpoch;

    public Trainer(TrainingParams params, ClusterParams cluster) {
        this.params = Objects.requireNonNull(params, "params");
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.onEpoch = m -> LOG.info(m.describe(params.epochs()));
    }

    /** Called on the driver after every epoch, e.g. to print progress; by default the epoch is logged. */
    public Trainer onEpoch(Consumer<EpochMetrics> listener) {
        this.onEpoch = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /**
     * Trains on {@code train}; validates on {@code validation} if given, else on a held-out
     * {@link TrainingParams#validationFraction} of {@code train}, else not at all.
     */
    public TrainingResult fit(Dataset<Row> train, Dataset<Row> validation, String labelCol, String featuresCol) {
        long fitStart = System.nanoTime();
        Layout layout = params.layout();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        SharedWeights.Transport transport = SharedWeights.transport(jsc); // read once: getConf() copies the conf
        BlasLog.logOnce();
        LOG.info("training {}, weights by {}; {}", layout,
                transport.id(),
                params);
        PackedData trainData = null;
        PackedData validationData = null;
        try {
            trainData = PackedData.pack(train, labelCol, featuresCol, layout.inputSize(), layout.outputSize(),
                    cluster.partitions());
            if (validation != null) {
                validationData = PackedData.pack(validation, labelCol, featuresCol, layout.inputSize(),
                        layout.outputSize(), cluster.partitions());
            } else if (params.validationFraction() > 0) {
                PackedData[] parts = trainData.split(params.seed(), params.validationFraction());
                trainData = parts[0];
                validationData = parts[1];
            }
            checkSizes(trainData, validationData, validation != null);
            InputScaling scaling = inputScaling(trainData, params);
            return loop(jsc, trainData, validationData, new Network(layout, params.activation()), scaling, fitStart,
                    transport);
        } catch (Exception e) {
            throw unwrap(e);
        } finally {
            if (trainData != null) {
                trainData.unpersist();
            }
            if (validationData != null) {
                validationData.unpersist();
            }
        }
    }

    private void checkSizes(PackedData trainData, PackedData validationData, boolean validationGiven) {
        boolean split = validationData != null && !validationGiven;
        if (trainData.rows() == 0) {
            throw new IllegalArgumentException(split
                    ? "no training rows are left after the split: validation fraction " + params.validationFraction()
                    + " took all " + validationData.rows() + " rows; at least 1 training row is needed"
                    : "the training data has 0 rows; at least 1 is needed");
        }
        if (trainData.rows() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("training on " + trainData.rows() + " rows; at most "
                    + (Integer.MAX_VALUE - 8) + " are supported");
        }
        if (params.batchSize() > trainData.rows()) {
            throw new IllegalArgumentException("batch size (" + params.batchSize()
                    + ") must not exceed the number of training rows (" + trainData.rows() + ")"
                    + (split ? ", which is what is left after the validation split of fraction "
                    + params.validationFraction() : ""));
        }
        if (params.patience() > 0 && validationData == null) {
            throw new IllegalArgumentException("early stopping (patience " + params.patience()
                    + ") needs validation rows: give a validation set or a validation fraction > 0");
        }
        if (validationData != null && validationData.rows() == 0) {
            throw new IllegalArgumentException(split
                    ? "the validation split has 0 rows; at least 1 is needed (validation fraction "
                    + params.validationFraction() + " of " + trainData.rows() + " rows)"
                    : "the validation data has 0 rows; at least 1 is needed");
        }
    }

    private TrainingResult loop(JavaSparkContext jsc, PackedData trainData, PackedData validationData, Network network,
                                InputScaling scaling, long fitStart, SharedWeights.Transport transport) {
        Layout layout = network.layout();
        float[] weights = network.initialParameters(params.seed(), params.initialization());
        MomentumSgd sgd = new MomentumSgd(layout, params.momentum(), params.nesterov(), params.weightDecay());
        int rows = (int) trainData.rows();
        int batch = params.batchSize();
        int steps = (rows + batch - 1) / batch;
        LearningRateSchedule schedule = params.schedule(steps);
        long totalSteps = (long) steps * params.epochs();

        List<EpochMetrics> history = new ArrayList<>();
        float[] bestWeights = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        int epochsWithoutGain = 0;
        boolean stoppedEarly = false;
        double cumulativeSeconds = 0;
        long validationNanos = 0;
        long samplesSeen = 0;
        for (int epoch = 0; epoch < params.epochs(); epoch++) {
            long epochStart = System.nanoTime();
            double lossSum = 0;
            long correct = 0;
            long count = 0;
            double rate = 0;
            for (int step = 0; step < steps; step++) {
                rate = schedule.rate(epoch, (long) epoch * steps + step, totalSteps);
                GradientSum total = gradientSum(jsc, trainData, network, scaling, weights, epoch, step, transport);
                if (!Double.isFinite(total.lossSum())) {
                    throw new TrainingDivergedException(String.format("training diverged at epoch %d, step %d of %d: the"
                            + " mean loss over %d rows is %s at learning rate %.4g; lower the learning rate",
                            epoch + 1, step + 1, steps, total.count(), total.lossSum() / total.count(), rate));
                }
                update(sgd, weights, total, rate);
                lossSum += total.lossSum();
                correct += total.correct();
                count += total.count();
            }
            long epochEnd = System.nanoTime();
            double seconds = (epochEnd - epochStart) / 1e9;
            cumulativeSeconds += seconds;
            samplesSeen += count;
            double elapsed = (epochEnd - fitStart - validationNanos) / 1e9;
            Evaluation validation = validationData == null ? null
                    : evaluate(jsc, validationData, network, scaling, weights, cluster.aggregationDepth());
            validationNanos += System.nanoTime() - epochEnd;
            EpochMetrics metrics = new EpochMetrics(epoch + 1, lossSum / count, correct / (double) count,
                    validation == null ? Double.NaN : validation.loss(),
                    validation == null ? Double.NaN : validation.accuracy(), rate, seconds, cumulativeSeconds, elapsed);
            history.add(metrics);
            onEpoch.accept(metrics);
            if (validation != null) {
                if (validation.loss() < bestLoss) {
                    bestLoss = validation.loss();
                    bestWeights = weights.clone();
                    bestEpoch = epoch + 1;
                    epochsWithoutGain = 0;
                } else if (params.patience() > 0 && ++epochsWithoutGain >= params.patience()) {
                    stoppedEarly = true;
                    LOG.info("stopping early: validation loss has not improved for {} epochs since epoch {} ({})",
                            epochsWithoutGain, bestEpoch, bestLoss);
                    break;
                }
            }
        }
        boolean keepBest = params.patience() > 0 && bestWeights != null;
        MlpModel model = new MlpModel(network, scaling, keepBest ? bestWeights : weights);
        return new TrainingResult(model, List.copyOf(history), keepBest ? bestEpoch : history.size(), stoppedEarly,
                trainData.rows(), validationData == null ? 0 : validationData.rows(), samplesSeen, cumulativeSeconds);
    }

    /** The training data's global mean and standard deviation as an input scaling when asked for, else none. */
    static InputScaling inputScaling(PackedData trainData, TrainingParams params) {
        if (!params.standardize()) {
            return InputScaling.IDENTITY;
        }
        double[] moments = trainData.meanAndStd();
        LOG.info("standardising inputs with mean {} and standard deviation {}", moments[0], moments[1]);
        return InputScaling.standardize(moments[0], moments[1]);
    }

    /** Averages the summed gradient over the step's rows and takes the momentum step. */
    static void update(MomentumSgd sgd, float[] weights, GradientSum total, double rate) {
        float[] gradient = total.gradient();
        float inverseCount = 1f / total.count();
        // g = Σg / n
        for (int i = 0; i < gradient.length; i++) {
            gradient[i] *= inverseCount;
        }
        sgd.step(weights, gradient, rate);
    }

    /**
     * One step's work on the cluster: broadcast the weights, let every partition compute the summed
     * gradient of its share of the global mini-batch, and sum the shares.
     */
    GradientSum gradientSum(JavaSparkContext jsc, PackedData data, Network network, InputScaling scaling,
                            float[] weights, int epoch, int step) {
        return gradientSum(jsc, data, network, scaling, weights, epoch, step, SharedWeights.transport(jsc));
    }

    private GradientSum gradientSum(JavaSparkContext jsc, PackedData data, Network network, InputScaling scaling,
                                    float[] weights, int epoch, int step, SharedWeights.Transport transport) {
        try (SharedWeights shared = SharedWeights.share(weights, transport, jsc)) {
            return sum(data, stepTask(shared, data, network, scaling, epoch, step), cluster.aggregationDepth());
        }
    }

    StepTask stepTask(SharedWeights shared, PackedData data, Network network, InputScaling scaling, int epoch,
                      int step) {
        return new StepTask(shared, network, scaling, params.seed(), epoch, step, params.batchSize(),
                (int) data.rows(), data.partitionStarts());
    }

    /** Runs one task per partition and sums the results in a fixed order. */
    static GradientSum sum(PackedData data, Function2<Integer, Iterator<Block>, Iterator<GradientSum>> task, int depth) {
        return PartitionSums.sum(data, task, depth, null);
    }

    private static Evaluation evaluate(JavaSparkContext jsc, PackedData data, Network network, InputScaling scaling,
                                       float[] weights, int depth) {
        try (SharedWeights shared = SharedWeights.share(jsc, weights)) {
            GradientSum total = sum(data, new EvalTask(shared, network, scaling), depth);
            return new Evaluation(total.lossSum() / total.count(), total.correct() / (double) total.count(), total.count());
        }
    }

    /** Mean loss and accuracy of a model over a labelled DataFrame. */
    static Evaluation evaluate(MlpModel model, Dataset<Row> data, String labelCol, String featuresCol,
                               ClusterParams cluster) {
        Layout layout = model.network().layout();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
        PackedData packed = null;
        try {
            packed = PackedData.pack(data, labelCol, featuresCol, layout.inputSize(), layout.outputSize(),
                    cluster.partitions());
            if (packed.rows() == 0) {
                throw new IllegalArgumentException("there are no rows to evaluate on");
            }
            return evaluate(jsc, packed, model.network(), model.scaling(), model.weights(), cluster.aggregationDepth());
        } catch (Exception e) {
            throw unwrap(e);
        } finally {
            if (packed != null) {
                packed.unpersist();
            }
        }
    }

    /**
     * Spark wraps an exception thrown in a task in a SparkException whose message is a stage report;
     * bring our own clear message (bad label, wrong shape, NaN input, corrupt file) to the top.
     */
    static RuntimeException unwrap(Exception e) {
        if (e instanceof SparkException) {
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException
                        || (cause instanceof RuntimeException && cause.getClass().getName().startsWith("io.sparkmlp."))) {
                    cause.addSuppressed(e);
                    return (RuntimeException) cause;
                }
            }
            return new IllegalStateException(e.getMessage(), e);
        }
        return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getMessage(), e);
    }
}
