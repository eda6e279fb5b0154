package io.sparkmlp.train;

import io.sparkmlp.nn.FeatureMoments;
import io.sparkmlp.nn.Dropout;
import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.nn.Network;
import io.sparkmlp.optim.Adam;
import io.sparkmlp.optim.AdamW;
import io.sparkmlp.optim.ElasticNet;
import io.sparkmlp.optim.GradientClipping;
import io.sparkmlp.optim.MomentumSgd;
import io.sparkmlp.optim.Optimizer;
import io.sparkmlp.optim.RmsProp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synchronous data-parallel training with a first-order optimizer (SGD with momentum, Adam, AdamW,
 * RMSProp, as the hyper-parameters name it). Rows are packed once into cached blocks; every step
 * the driver shares the weights (a broadcast, or in-process under a local master: {@link SharedWeights}),
 * each partition computes the summed gradient of its share of the global mini-batch, one Spark job
 * brings the sums back (added in a fixed order, see {@link PartitionSums} and {@link OrderedSum}),
 * and the driver divides by the global count, adds the elastic net's gradient, clips, takes the
 * optimizer's step and releases the weights.
 *
 * <p>The driver loop reads and advances a {@link TrainingState}; early stopping, progress and
 * checkpoints are {@link TrainingListener}s on it. A run resumed from a checkpoint
 * ({@link CheckpointParams#resumeFrom}) continues bit for bit where the checkpoint was written.
 */
public final class Trainer {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final TrainingParams params;
    private final ClusterParams cluster;
    private Consumer<EpochMetrics> onEpoch;
    private CheckpointParams checkpoints = new CheckpointParams();
    private StopRequest stop;
    private final List<TrainingListener> listeners = new ArrayList<>();
    /** Test-only injected task failures, read once per fit; null when off. */
    private TaskFaults faults;
    /** The job group a caller asked for; null: a fresh one per fit. */
    private String jobGroup;
    /** The running fit's jobs, for the loop's descriptions; null between fits. */
    private SparkJobs jobs;
    /** Where the running fit is and its last checkpoint, for the message of a cancelled fit. */
    private volatile String position = "the start";
    private Checkpointing checkpointing;
    /** A warm start's weights (a run setting); null: the seed's initialisation. */
    private float[] initialWeights;
    /** The hyper-parameters' dropout for their layers, resolved once. */
    private Dropout dropout;
    /** The class weights of this fit's training rows; null for none. */
    private float[] classWeights;

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

    /** Where checkpoints go and what to resume from; by default none and nothing. */
    public Trainer checkpoints(CheckpointParams checkpoints) {
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        return this;
    }

    /** Test-only faults for {@link #stepTask} outside a fit (the step profiler's); a fit reads its own. */
    Trainer faults(TaskFaults faults) {
        this.faults = faults;
        return this;
    }

    /**
     * The Spark job group of the next fit: every job it starts (packing, steps, evaluation) is in it,
     * so {@code SparkContext.cancelJobGroup(id)} stops the fit, which then ends with a
     * {@link TrainingStoppedException}. By default each fit gets a fresh {@code sparkmlp-fit-…} id,
     * logged when it starts and readable from {@link #jobGroup()} once it has.
     */
    public Trainer jobGroup(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a job group id must not be empty, got '" + id + "'");
        }
        this.jobGroup = id;
        return this;
    }

    /** The job group of the running (or last) fit; null before the first fit, unless one was set. */
    public String jobGroup() {
        return jobGroup;
    }

    /** A request another thread may make to stop the run at the next step, with a checkpoint. */
    public Trainer stopRequest(StopRequest stop) {
        this.stop = stop;
        return this;
    }

    /**
     * Starts from these weights (a warm start, e.g. a saved model's) instead of the seed's
     * initialisation; null: the seed's. They must have the layers' parameter count, and cannot be
     * combined with a resume, which continues from its checkpoint's weights.
     */
    public Trainer initialWeights(float[] weights) {
        if (weights != null && weights.length != params.layout().numParameters()) {
            throw new IllegalArgumentException("the initial weights have " + weights.length + " values; layers "
                    + params.layout() + " have " + params.layout().numParameters() + " parameters");
        }
        this.initialWeights = weights == null ? null : weights.clone();
        return this;
    }

    /** Adds a listener, called after the built-in ones (early stopping, progress, checkpoints). */
    public Trainer listener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Trains on {@code train}; validates on {@code validation} if given, else on a held-out
     * {@link TrainingParams#validationFraction} of {@code train}, else not at all.
     */
    public TrainingResult fit(Dataset<Row> train, Dataset<Row> validation, String labelCol, String featuresCol) {
        return fit(train, validation, labelCol, featuresCol, null);
    }

    /**
     * As above, each training row weighted by its value in {@code weightCol} (numeric, finite, >= 0;
     * null: every row weighs 1) times its class's weight ({@link TrainingParams#classWeights()}): the
     * loss minimised is {@code Σ w_i ℓ_i / Σ w_i}. Validation and the reported metrics stay unweighted.
     */
    public TrainingResult fit(Dataset<Row> train, Dataset<Row> validation, String labelCol, String featuresCol,
                              String weightCol) {
        long fitStart = System.nanoTime();
        checkpoints.check();
        params.checkAgainstLayers();
        if (initialWeights != null && checkpoints.resumeFrom() != null) {
            throw new IllegalArgumentException("initial weights and a resume (from " + checkpoints.resumeFrom()
                    + ") cannot be combined: a resumed run continues from its checkpoint's weights; give one of them");
        }
        optimizer(params); // the settings' combination is checked before the data is packed
        Layout layout = params.layout();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        SharedWeights.Transport transport = SharedWeights.transport(jsc); // read once: getConf() copies the conf
        faults = TaskFaults.fromSettings(jsc);
        BlasLog.logOnce();
        String group = jobGroup != null ? jobGroup : SparkJobs.newGroupId();
        jobGroup = group;
        position = "the start";
        checkpointing = null;
        LOG.info("training {}, weights by {}, job group {}; {}; {}", layout, transport.id(), group, params, checkpoints);
        PackedData trainData = null;
        PackedData validationData = null;
        try (SparkJobs fitJobs = SparkJobs.enter(jsc.sc(), group, "sparkmlp fit " + layout)) {
            jobs = fitJobs;
            fitJobs.describe("sparkmlp pack");
            try (JobProgress packing = JobProgress.watch(jsc.sc(), group, "sparkmlp pack", JobProgress.EVERY_MILLIS, LOG::info)) {
                trainData = PackedData.pack(train, labelCol, featuresCol, weightCol, layout.inputSize(),
                        layout.outputSize(), cluster.partitions());
                if (validation != null) {
                    validationData = PackedData.pack(validation, labelCol, featuresCol, layout.inputSize(),
                            layout.outputSize(), cluster.partitions());
                } else if (params.validationFraction() > 0) {
                    PackedData[] parts = trainData.split(params.seed(), params.validationFraction());
                    trainData = parts[0];
                    validationData = parts[1];
                }
            }
            checkSizes(trainData, validationData, validation != null);
            prepareRowWeights(trainData, weightCol);
            InputScaling scaling = inputScaling(trainData, params);
            DataFingerprint fingerprint = DataFingerprint.of(trainData, validationData, scaling);
            return loop(jsc, trainData, validationData, new Network(layout, params.activation()), scaling, fingerprint,
                    fitStart, transport);
        } catch (Exception e) {
            if (SparkJobs.cancelled(e, group)) {
                Path last = checkpointing == null ? null : checkpointing.last();
                TrainingStoppedException stopped = new TrainingStoppedException("training cancelled (job group " + group
                        + ") at " + position + (last != null ? "; checkpoint " + last + " continues it"
                        : "; no checkpoint was written, so nothing was kept"), last == null ? null : last.toString());
                stopped.addSuppressed(e);
                throw stopped;
            }
            throw unwrap(e);
        } finally {
            jobs = null;
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
                                InputScaling scaling, DataFingerprint fingerprint, long fitStart,
                                SharedWeights.Transport transport) {
        Configuration hadoop = jsc.hadoopConfiguration();
        int rows = (int) trainData.rows();
        int batch = params.batchSize();
        int steps = (rows + batch - 1) / batch;
        TrainingState state = initialState(network, fingerprint, steps, hadoop);
        state.startClock(fitStart);
        boolean perEpoch = StepLoop.perEpoch(jsc, transport, trainData.numPartitions());
        boolean insistOnLoop = perEpoch && StepLoop.insisted(jsc);
        LOG.info("steps: {}", perEpoch ? "one Spark job an epoch (" + StepLoop.KEY + ")" : "one Spark job each");
        ElasticNet elasticNet = new ElasticNet(network.layout(), params.get(HyperParameters.L1),
                params.get(HyperParameters.ELASTIC_NET));
        GradientClipping clipping = new GradientClipping(params.get(HyperParameters.CLIP_VALUE),
                params.get(HyperParameters.CLIP_NORM));

        Checkpointing checkpointing = checkpoints.dir() == null ? null : new Checkpointing(checkpoints, hadoop);
        this.checkpointing = checkpointing;
        List<TrainingListener> all = new ArrayList<>();
        if (validationData != null) {
            all.add(new EarlyStopping(params.patience()));
        }
        all.add(new Progress(onEpoch));
        if (checkpointing != null) {
            all.add(checkpointing);
        }
        all.addAll(listeners);

        String[] stoppedWith = {null};
        if (stop != null) {
            stop.loopStarted();
        }
        try {
            while (!state.finished()) {
                StepLoop epochSteps = null;
                try {
                    while (!state.epochStepsDone()) {
                        if (stop != null && stop.due(state.globalStep())) {
                            for (TrainingListener listener : all) {
                                listener.beforeStop(state);
                            }
                            stoppedWith[0] = checkpointing == null || checkpointing.last() == null ? null
                                    : checkpointing.last().toString();
                            throw new TrainingStoppedException("training stopped on request at " + state.position()
                                    + (stoppedWith[0] != null ? "; checkpoint " + stoppedWith[0] + " continues it"
                                            : "; no checkpoint folder was set, so nothing was kept"), stoppedWith[0]);
                        }
                        position = state.position();
                        if (!perEpoch) {
                            jobs.describe(SparkJobs.stepDescription(state.epoch() + 1, params.epochs(),
                                    state.step() + 1, state.stepsPerEpoch()));
                        }
                        double rate = state.nextRate();
                        long started = System.nanoTime();
                        GradientSum total = null;
                        if (perEpoch) {
                            try {
                                if (epochSteps == null) {
                                    jobs.describe(SparkJobs.epochStepsDescription(state.epoch() + 1, params.epochs(),
                                            state.step() + 1, state.stepsPerEpoch()));
                                    epochSteps = StepLoop.start(trainData, stepTask(null, trainData, network, scaling,
                                            state.epoch(), state.step()));
                                }
                                total = epochSteps.step(state.step(), state.weights());
                            } catch (StepLoop.Unavailable e) {
                                if (insistOnLoop) {
                                    throw new IllegalStateException(StepLoop.KEY + "=per-epoch: " + e.getMessage()
                                            + "; set it to auto to go on a job a step instead", e);
                                }
                                // the state has not moved: this step and the rest go a job each
                                LOG.warn("{}; the fit goes on with a Spark job a step from {}", e.getMessage(),
                                        state.position());
                                if (epochSteps != null) {
                                    epochSteps.close();
                                    epochSteps = null;
                                }
                                perEpoch = false;
                                jobs.describe(SparkJobs.stepDescription(state.epoch() + 1, params.epochs(),
                                        state.step() + 1, state.stepsPerEpoch()));
                                started = System.nanoTime(); // the wait for the loop is not the step's
                            }
                        }
                        if (total == null) {
                            total = gradientSum(jsc, trainData, network, scaling, state.weights(), state.epoch(),
                                    state.step(), transport);
                        }
                        if (!Double.isFinite(total.lossSum())) {
                            throw diverged(state, rate, "the mean loss over " + total.count() + " rows is "
                                    + total.lossSum() / total.count(), checkpointing);
                        }
                        if (!update(state.optimizer(), elasticNet, clipping, state.weights(), total, rate)) {
                            throw diverged(state, rate, "the gradient holds NaN or infinite values (mean loss "
                                    + total.lossSum() / total.count() + ")", checkpointing);
                        }
                        state.stepDone(total, rate, (System.nanoTime() - started) / 1e9);
                        for (TrainingListener listener : all) {
                            listener.afterStep(state);
                        }
                    }
                } finally {
                    if (epochSteps != null) {
                        epochSteps.close();
                    }
                }
                // a step can overflow the weights with a finite gradient; the next loss would show it, but
                // the epoch's end keeps (best weights, checkpoints) what it sees, so look now, once an epoch
                if (!finite(state.weights())) {
                    throw diverged(state, state.step(), state.learningRate(), "the weights became NaN or infinite",
                            checkpointing == null ? null : checkpointing.last());
                }
                long epochEnd = System.nanoTime();
                jobs.describe("sparkmlp evaluate · epoch " + (state.epoch() + 1) + "/" + params.epochs());
                Evaluation validation = validationData == null ? null
                        : evaluate(jsc, validationData, network, scaling, state.weights(), cluster.aggregationDepth());
                state.pauseClockFor(System.nanoTime() - epochEnd);
                state.closeEpoch(state.epochMetrics(validation));
                for (TrainingListener listener : all) {
                    listener.afterEpoch(state);
                }
            }
        } finally {
            if (stop != null) {
                stop.loopEnded(stoppedWith[0]);
            }
        }
        boolean keepBest = params.patience() > 0 && state.bestWeights() != null;
        MlpModel model = new MlpModel(network, scaling, keepBest ? state.bestWeights() : state.weights());
        List<EpochMetrics> history = List.copyOf(state.history());
        return new TrainingResult(model, history, keepBest ? state.bestEpoch() : history.size(), state.stoppedEarly(),
                trainData.rows(), validationData == null ? 0 : validationData.rows(), trainData.numPartitions(),
                state.samplesSeen(),
                state.cumulativeTrainSeconds());
    }

    /** A fresh start from the seed, or the state of the checkpoint to resume from, checked against this run. */
    private TrainingState initialState(Network network, DataFingerprint fingerprint, int steps, Configuration hadoop) {
        Optimizer optimizer = optimizer(params);
        String resume = checkpoints.resumeFrom();
        if (resume == null) {
            List<Path> earlier = checkpoints.dir() == null ? List.of() : CheckpointFiles.list(checkpoints.dir(), hadoop);
            if (!earlier.isEmpty()) {
                LOG.warn("{} already holds {} checkpoint(s) of an earlier run, the latest {}; this run starts afresh"
                        + " (--resume, or the Estimator's resumeFrom, continues that one), and keeping {} it prunes"
                        + " those first", checkpoints.dir(), earlier.size(), earlier.get(earlier.size() - 1).getName(),
                        checkpoints.keep());
            }
            return TrainingState.start(params, fingerprint, steps, initialWeights != null ? initialWeights
                    : network.initialParameters(params.seed(), params.initialization()), optimizer);
        }
        Path file = CheckpointFiles.resolve(CheckpointParams.LATEST.equals(resume) ? checkpoints.dir() : resume, hadoop);
        Checkpoint saved = CheckpointFiles.read(file.toString(), hadoop);
        TrainingState state = TrainingState.resume(saved, params, fingerprint, steps, optimizer, file.toString());
        LOG.info("resuming from {} at {}", file, state.position());
        return state;
    }

    /**
     * Resolves the class weights for {@code trainData} ("balanced": {@code n / (k · n_c)} over the k
     * classes that occur, from the labels' counts) and checks that the rows' weights do not all
     * vanish. Costs one small job only when rows are weighted.
     */
    void prepareRowWeights(PackedData trainData, String weightCol) {
        String asked = params.classWeights();
        double[] list = params.classWeightList();
        classWeights = null;
        if (asked.equals("none") && weightCol == null) {
            return;
        }
        int classes = params.layout().outputSize();
        double[] totals = trainData.classTotals(classes);
        double[] perClass = list;
        if (asked.equals("balanced")) {
            double rows = 0;
            int present = 0;
            for (int c = 0; c < classes; c++) {
                rows += totals[c];
                present += totals[c] > 0 ? 1 : 0;
            }
            perClass = new double[classes];
            for (int c = 0; c < classes; c++) {
                // w_c = n / (k · n_c); a class without rows needs none
                perClass[c] = totals[c] > 0 ? rows / (present * totals[c]) : 0;
            }
        }
        double total = 0;
        for (int c = 0; c < classes; c++) {
            total += (perClass == null ? 1 : perClass[c]) * totals[classes + c];
        }
        if (!(total > 0)) {
            List<String> from = new ArrayList<>();
            if (weightCol != null) {
                from.add("weight column '" + weightCol + "'");
            }
            if (perClass != null) {
                from.add("class weights " + asked);
            }
            throw new IllegalArgumentException("the training rows' weights sum to " + total + " ("
                    + String.join(", ", from) + "): at least one row needs a weight > 0");
        }
        if (perClass != null) {
            classWeights = new float[classes];
            for (int c = 0; c < classes; c++) {
                classWeights[c] = (float) perClass[c];
            }
            LOG.info("class weights {}", java.util.Arrays.toString(classWeights));
        }
    }

    private Dropout dropout() {
        if (dropout == null) {
            dropout = params.dropout();
        }
        return dropout;
    }

    /**
     * The optimizer the hyper-parameters name, fresh: sgd reads momentum and nesterov; adam and adamw
     * beta1, beta2 and epsilon; rmsprop rmspropAlpha, epsilon and momentum; all of them weightDecay
     * (decoupled in adamw, added to the gradient in the others). Nesterov with another optimizer than
     * sgd is refused rather than ignored.
     */
    static Optimizer optimizer(TrainingParams params) {
        String name = params.get(HyperParameters.OPTIMIZER);
        Layout layout = params.layout();
        double beta1 = params.get(HyperParameters.BETA1);
        double beta2 = params.get(HyperParameters.BETA2);
        double epsilon = params.get(HyperParameters.EPSILON);
        if (params.nesterov() && !name.equals("sgd")) {
            throw new IllegalArgumentException("nesterov (true) applies to optimizer sgd only; this run's optimizer is "
                    + name + ": set nesterov false, or optimizer sgd");
        }
        return switch (name) {
            case "sgd" -> new MomentumSgd(layout, params.momentum(), params.nesterov(), params.weightDecay());
            case "adam" -> new Adam(layout, beta1, beta2, epsilon, params.weightDecay());
            case "adamw" -> new AdamW(layout, beta1, beta2, epsilon, params.weightDecay());
            case "rmsprop" -> new RmsProp(layout, params.get(HyperParameters.RMSPROP_ALPHA), epsilon, params.momentum(),
                    params.weightDecay());
            default -> throw new IllegalStateException("optimizer " + name + " passed its check but has no builder");
        };
    }

    /** A divergence seen in the step in progress (not yet counted in the state). */
    private static TrainingDivergedException diverged(TrainingState state, double rate, String what,
                                                      Checkpointing checkpointing) {
        return diverged(state, state.step() + 1, rate, what, checkpointing == null ? null : checkpointing.last());
    }

    /**
     * The error of a run that diverged at {@code step} (from 1) of the state's epoch, with what to
     * try and the checkpoint that is kept.
     */
    static TrainingDivergedException diverged(TrainingState state, int step, double rate, String what,
                                              Path lastCheckpoint) {
        return new TrainingDivergedException(String.format(Locale.ROOT, "training diverged at epoch %d, step %d of %d:"
                        + " %s at learning rate %.4g; lower the learning rate (e.g. to %.4g), add a warm-up (warm-up"
                        + " epochs 1), or standardize the inputs. %s",
                state.epoch() + 1, step, state.stepsPerEpoch(), what, rate, rate / 10,
                lastCheckpoint != null ? "The last good checkpoint is kept: " + lastCheckpoint
                        : "No checkpoint was written; nothing diverged was saved."));
    }

    /**
     * Whether every value is finite. {@code Σ v·0} is 0 for finite values and NaN as soon as one is
     * NaN or infinite; eight independent sums let the adds overlap (about 0.13 ms for 235,146 values
     * here, where a fused check in the scaling loop stopped its vectorisation and cost twice that).
     */
    static boolean finite(float[] v) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        float s4 = 0;
        float s5 = 0;
        float s6 = 0;
        float s7 = 0;
        int n = v.length;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            s0 += v[i] * 0f;
            s1 += v[i + 1] * 0f;
            s2 += v[i + 2] * 0f;
            s3 += v[i + 3] * 0f;
            s4 += v[i + 4] * 0f;
            s5 += v[i + 5] * 0f;
            s6 += v[i + 6] * 0f;
            s7 += v[i + 7] * 0f;
        }
        for (; i < n; i++) {
            s0 += v[i] * 0f;
        }
        return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 == 0f;
    }

    /**
     * The input scaling {@link TrainingParams#standardize} asks for, drawn from the training data in one
     * job: none; the global mean and standard deviation; each feature's own; or, for {@code auto}, the
     * global ones when every training value was packed as a byte (image-like), else each feature's.
     */
    static InputScaling inputScaling(PackedData trainData, TrainingParams params) {
        String mode = params.standardize();
        if (mode.equals("none")) {
            return InputScaling.IDENTITY;
        }
        FeatureMoments moments = trainData.featureMoments();
        boolean global = mode.equals("global") || (mode.equals("auto") && moments.imageLike());
        if (global) {
            double[] all = moments.global();
            LOG.info("standardising inputs ({}) with the global mean {} and standard deviation {}", mode, all[0], all[1]);
            return InputScaling.standardize(all[0], all[1]);
        }
        InputScaling scaling = InputScaling.standardizeEach(moments.means(), moments.standardDeviations());
        LOG.info("standardising inputs ({}) per feature: {}", mode, scaling);
        return scaling;
    }

    /** {@link #update(Optimizer, ElasticNet, GradientClipping, float[], GradientSum, double)} without penalty or clipping. */
    static boolean update(Optimizer optimizer, float[] weights, GradientSum total, double rate) {
        return update(optimizer, null, null, weights, total, rate);
    }

    /**
     * The driver's part of a step, in this order: average the summed gradient over the step's rows,
     * add the elastic net's gradient, clip by value, clip by norm, take the optimizer's step (with its
     * weight decay). Returns false, leaving the weights and the optimizer untouched, when the averaged
     * gradient holds a NaN or infinity. {@code elasticNet} and {@code clipping} may be null: none.
     */
    static boolean update(Optimizer optimizer, ElasticNet elasticNet, GradientClipping clipping, float[] weights,
                          GradientSum total, double rate) {
        float[] gradient = total.gradient();
        // Σw is the count when rows are not weighted; a batch whose rows all weigh 0 gives no gradient
        float inverseCount = total.weightSum() > 0 ? 1f / (float) total.weightSum() : 0f;
        // g = Σ w_i g_i / Σ w_i
        for (int i = 0; i < gradient.length; i++) {
            gradient[i] *= inverseCount;
        }
        if (!finite(gradient)) {
            return false;
        }
        if (elasticNet != null) {
            elasticNet.addGradient(weights, gradient);
        }
        if (clipping != null) {
            clipping.clip(gradient);
        }
        optimizer.step(weights, gradient, rate);
        return true;
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
                (int) data.rows(), data.partitionStarts(), faults, dropout(), classWeights);
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
        String previousDescription = jsc.getLocalProperty(SparkJobs.GROUP_DESCRIPTION_KEY);
        PackedData packed = null;
        try {
            jsc.setJobDescription("sparkmlp evaluate");
            packed = PackedData.pack(data, labelCol, featuresCol, layout.inputSize(), layout.outputSize(),
                    cluster.partitions());
            if (packed.rows() == 0) {
                throw new IllegalArgumentException("there are no rows to evaluate on");
            }
            return evaluate(jsc, packed, model.network(), model.scaling(), model.weights(), cluster.aggregationDepth());
        } catch (Exception e) {
            throw unwrap(e);
        } finally {
            jsc.setLocalProperty(SparkJobs.GROUP_DESCRIPTION_KEY, previousDescription);
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
