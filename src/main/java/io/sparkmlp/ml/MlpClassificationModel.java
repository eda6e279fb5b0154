package io.sparkmlp.ml;

import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.ModelFiles;
import io.sparkmlp.train.TrainingResult;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;
import scala.reflect.ClassTag$;

/**
 * The model {@link MlpClassifier} fits: raw prediction = the output layer's scores (logits),
 * probability = their softmax, prediction = the most probable class (or per {@code thresholds}).
 * {@code transform} scores each partition in blocks of {@link #TRANSFORM_BLOCK_ROWS} rows, one
 * {@code sgemm} per layer and block into a workspace reused for the whole partition, on the executors:
 * it works on streaming DataFrames and collects nothing to the driver. Saved in the Spark ML layout: {@code metadata/} (Params, JSON)
 * and {@code data/} (sparkmlp's {@code metadata.json} and float32 {@code weights.bin}).
 */
public final class MlpClassificationModel
        extends ProbabilisticClassificationModel<Vector, MlpClassificationModel> implements MLWritable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MlpClassificationModel.class);

    /** Rows per forward pass in {@code transform}: enough columns for sgemm to run at speed, a few MB of workspace. */
    static final int TRANSFORM_BLOCK_ROWS = 512;

    private final String uid;
    private final MlpModel model;
    /** Null for a model that was loaded: training summaries are not saved, as in Spark's own models. */
    private final transient TrainingResult result;
    /** The rows the fit trained on, for the summary's predictions; null with {@link #result}. */
    private final transient Dataset<Row> training;
    /** Built from {@link #result} and {@link #training} when first asked for; shared with copies. */
    private final transient SummaryHolder summary;
    /** As Spark's classifiers' weightCol: weights the rows of {@link #summary()} and {@link #evaluate}; empty: none. */
    private final Param<String> weightCol;

    MlpClassificationModel(String uid, MlpModel model, TrainingResult result, Dataset<Row> training) {
        this(UidDuringConstruction.hold(uid), model, result, training, null, true);
        Objects.requireNonNull(model, "model");
    }

    /** A model of trained weights with a uid and Spark's default Params, e.g. what the CLI trained, to save it. */
    public MlpClassificationModel(String uid, MlpModel model) {
        this(uid, model, null, null);
    }

    /**
     * An empty model, for Spark's service loader (Spark Connect finds models through
     * {@code META-INF/services/org.apache.spark.ml.Transformer}): its uid and Params work; scoring needs
     * weights, from {@link #load(String)}.
     */
    public MlpClassificationModel() {
        this(Identifiable.randomUID("mlpc"));
    }

    /** An empty model with this uid (see {@link #MlpClassificationModel()}). */
    public MlpClassificationModel(String uid) {
        this(UidDuringConstruction.hold(uid), null, null, null, null, true);
    }

    private MlpClassificationModel(String uid, MlpModel model, TrainingResult result, Dataset<Row> training,
                                   SummaryHolder summary, boolean held) {
        this.uid = uid;
        UidDuringConstruction.release();
        this.model = model;
        this.result = result;
        this.training = result == null ? null : Objects.requireNonNull(training, "training");
        this.summary = result == null ? null : summary != null ? summary : new SummaryHolder();
        weightCol = new Param<>(this, "weightCol", "weight column name: weights the rows of summary() and evaluate()"
                + " (numeric, each finite and >= 0); not set, empty or not in the data: each row counts once");
    }

    /** The lazily built training summary, one per fit, kept by {@link #copy}. */
    private static final class SummaryHolder {
        private MlpTrainingSummary summary;
    }

    /** The weights; an empty model (made by the service loader) has none and says how to get some. */
    private MlpModel model() {
        if (model == null) {
            throw new IllegalStateException("MlpClassificationModel " + uid() + " has no weights: load one with"
                    + " MlpClassificationModel.load(path)");
        }
        return model;
    }

    @Override
    public String uid() {
        return uid != null ? uid : UidDuringConstruction.pending();
    }

    @Override
    public int numClasses() {
        return model().network().layout().outputSize();
    }

    @Override
    public int numFeatures() {
        return model().network().layout().inputSize();
    }

    @Override
    public Vector predictRaw(Vector features) {
        return Vectors.dense(model().predictScores(features.toArray()));
    }

    @Override
    public Vector raw2probabilityInPlace(Vector rawPrediction) {
        if (!(rawPrediction instanceof DenseVector dense)) {
            throw new IllegalArgumentException("raw predictions are dense vectors; got " + rawPrediction.getClass().getSimpleName());
        }
        double[] z = dense.values();
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            max = Math.max(max, v);
        }
        // p_i = exp(z_i - max) / sum_k exp(z_k - max)
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            z[i] = Math.exp(z[i] - max);
            sum += z[i];
        }
        for (int i = 0; i < z.length; i++) {
            z[i] /= sum;
        }
        return dense;
    }

    /**
     * Appends rawPrediction, probability and prediction (each unless its column name is empty) as Spark's
     * {@code ProbabilisticClassificationModel} does, with the same values, thresholds and column metadata,
     * but scores {@link #TRANSFORM_BLOCK_ROWS} rows per forward pass instead of one.
     */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return transform(dataset, TRANSFORM_BLOCK_ROWS);
    }

    /** {@link #transform(Dataset)} with {@code blockRows} rows per forward pass. */
    Dataset<Row> transform(Dataset<?> dataset, int blockRows) {
        if (blockRows < 1) {
            throw new IllegalArgumentException("rows per forward pass must be >= 1, got " + blockRows);
        }
        StructType spark = transformSchema(dataset.schema(), true);
        if (isDefined(thresholds()) && getThresholds().length != numClasses()) {
            throw new IllegalArgumentException(getClass().getSimpleName() + ".transform() called with non-matching"
                    + " numClasses and thresholds.length. numClasses=" + numClasses() + ", but thresholds has length "
                    + getThresholds().length);
        }
        // Spark's transform appends the columns in this order (transformSchema lists prediction first); its UDFs
        // make the vector columns nullable, the prediction (a primitive double) not
        StructType output = dataset.schema();
        for (String column : new String[] {getRawPredictionCol(), getProbabilityCol(), getPredictionCol()}) {
            if (!column.isEmpty()) {
                StructField field = spark.apply(column);
                output = output.add(new StructField(field.name(), field.dataType(), !column.equals(getPredictionCol()),
                        field.metadata()));
            }
        }
        if (output.size() == dataset.schema().size()) {
            LOG.warn("{}: MlpClassificationModel.transform() does nothing because no output columns were set.", uid());
            return dataset.toDF();
        }
        // the encoder's columns by position (_0, _1, ...): the input may hold two columns of one name (after a join)
        StructField[] fields = output.fields();
        StructType positional = new StructType();
        for (int i = 0; i < fields.length; i++) {
            positional = positional.add("_" + i, fields[i].dataType(), fields[i].nullable());
        }
        Dataset<Row> scored = dataset.toDF().mapPartitions(blockScorer(dataset, blockRows), Encoders.row(positional));
        // then their names and metadata (ML attributes, the input columns' too), which the encoder does not keep
        org.apache.spark.sql.Column[] columns = new org.apache.spark.sql.Column[fields.length];
        for (int i = 0; i < fields.length; i++) {
            columns[i] = scored.col("_" + i).as(fields[i].name(), fields[i].metadata());
        }
        return scored.select(columns);
    }

    /**
     * What {@code transform} scores each partition with. The weights travel as a broadcast, fetched once
     * per executor (by reference under a local master), not inside every task's closure, which Spark
     * deserialises task by task; the closure keeps a weightless copy of this model for Spark's scoring rules.
     */
    BlockScoring blockScorer(Dataset<?> dataset, int blockRows) {
        MlpModel mlp = model();
        Broadcast<float[]> weights = dataset.sparkSession().sparkContext().broadcast(mlp.weights(),
                ClassTag$.MODULE$.apply(float[].class));
        MlpClassificationModel rules = copyValues(new MlpClassificationModel(uid()), ParamMap.empty());
        return new BlockScoring(rules, mlp.network(), mlp.scaling(), weights,
                dataset.schema().fieldIndex(getFeaturesCol()), !getRawPredictionCol().isEmpty(),
                !getProbabilityCol().isEmpty(), !getPredictionCol().isEmpty(), blockRows);
    }

    /** Spark's own row-at-a-time transform (one UDF call and one forward pass per row), kept to compare against. */
    public Dataset<Row> transformRowByRow(Dataset<?> dataset) {
        return super.transform(dataset);
    }

    /**
     * Spark declares this in two superclasses with covariant Scala return types, which Java sees as a
     * clash; a raw return type satisfies both, and the behaviour stays Spark's own.
     */
    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public scala.Tuple3 findSummaryModel() {
        return super.findSummaryModel();
    }

    @Override
    public MlpClassificationModel copy(ParamMap extra) {
        MlpClassificationModel copied = new MlpClassificationModel(UidDuringConstruction.hold(uid), model, result,
                training, summary, true);
        return copyValues(copied, extra).setParent(parent());
    }

    /** Layer sizes from input to output. */
    public int[] getLayers() {
        return model().network().layout().sizes();
    }

    /** The hidden activation's name. */
    public String getActivation() {
        return model().network().hidden().id();
    }

    /** A copy of the flat weights: per layer, a column-major (out x in) weight matrix, then the bias. */
    public float[] weights() {
        return model().weights();
    }

    /** The core model, e.g. to evaluate with sparkmlp's own API. */
    public MlpModel mlpModel() {
        return model();
    }

    public Param<String> weightCol() {
        return weightCol;
    }

    /** A numeric column of row weights for {@link #summary()} and {@link #evaluate}, as Spark's classifiers' weightCol. */
    public MlpClassificationModel setWeightCol(String value) {
        return (MlpClassificationModel) set(weightCol, value);
    }

    public String getWeightCol() {
        return getOrDefault(weightCol);
    }

    /** Whether the model was fitted in this session (a loaded model has no summary, as in Spark's own models). */
    public boolean hasSummary() {
        return result != null;
    }

    /**
     * The training summary, as MLlib's {@code MultilayerPerceptronClassificationModel.summary}: Spark's
     * figures (accuracy, per-label precision and recall, ...) over this model's transform of the rows the fit
     * was given (under {@code validationFraction} these include the rows the trainer held out; a
     * {@code validationIndicatorCol}'s validation rows are left out), the per-epoch training loss as
     * {@code objectiveHistory}, and sparkmlp's history and counts. Built when first asked for.
     */
    public MlpTrainingSummary summary() {
        if (result == null) {
            throw new IllegalStateException("model " + uid + " has no training summary: it was loaded, not fitted");
        }
        synchronized (summary) {
            if (summary.summary == null) {
                scala.Tuple3<?, ?, ?> found = findSummaryModel();
                MlpClassificationModel scorer = (MlpClassificationModel) found._1();
                Dataset<Row> predictions = scorer.transform(training);
                summary.summary = new MlpTrainingSummary(result, predictions, (String) found._3(), getLabelCol(),
                        weightsIn(predictions));
            }
            return summary.summary;
        }
    }

    /**
     * Spark's figures for this model on {@code dataset} (with a label column), as MLlib's
     * {@code MultilayerPerceptronClassificationModel.evaluate}: over {@code transform(dataset)}, each row weighted
     * by {@link #weightCol()} when that is set and in the data.
     */
    public MlpClassificationSummary evaluate(Dataset<?> dataset) {
        Objects.requireNonNull(dataset, "dataset");
        if (!List.of(dataset.columns()).contains(getLabelCol())) {
            throw new IllegalArgumentException("evaluate needs the label column '" + getLabelCol() + "'; columns: "
                    + List.of(dataset.columns()));
        }
        scala.Tuple3<?, ?, ?> found = findSummaryModel();
        Dataset<Row> predictions = ((MlpClassificationModel) found._1()).transform(dataset);
        return new MlpClassificationSummary(predictions, (String) found._3(), getLabelCol(), weightsIn(predictions));
    }

    /** The weight column when it is set, not empty and in {@code data}; else "" (each row counts once). */
    private String weightsIn(Dataset<Row> data) {
        if (!isDefined(weightCol) || getWeightCol().isEmpty()) {
            return "";
        }
        return List.of(data.columns()).contains(getWeightCol()) ? getWeightCol() : "";
    }

    /** The per-epoch history of the training run. */
    public List<EpochMetrics> history() {
        if (result == null) {
            throw new IllegalStateException("model " + uid + " has no training history: it was loaded, not fitted");
        }
        return result.history();
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<MlpClassificationModel> read() {
        return new Reader();
    }

    public static MlpClassificationModel load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        if (model == null) {
            return "MlpClassificationModel: uid=" + uid + ", no weights";
        }
        return "MlpClassificationModel: uid=" + uid + ", layers=" + model.network().layout() + ", activation="
                + getActivation();
    }

    private static final class Writer extends MLWriter {
        private final MlpClassificationModel instance;

        Writer(MlpClassificationModel instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(instance, path, sparkSession());
            ModelFiles.save(instance.model(), new Path(path, "data").toString(),
                    sparkSession().sparkContext().hadoopConfiguration());
        }
    }

    private static final class Reader extends MLReader<MlpClassificationModel> {
        @Override
        public MlpClassificationModel load(String path) {
            org.apache.hadoop.conf.Configuration hadoop = sparkSession().sparkContext().hadoopConfiguration();
            if (!ModelFiles.isSparkMlFolder(path, hadoop) && ModelFiles.isModelFilesFolder(path, hadoop)) {
                // a model folder of sparkmlp's own files alone, as submit/train wrote it before it wrote this layout
                return new MlpClassificationModel(Identifiable.randomUID("mlpc"), ModelFiles.load(path, hadoop));
            }
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sparkSession(),
                    MlpClassificationModel.class.getName());
            MlpModel model = ModelFiles.load(new Path(path, "data").toString(),
                    sparkSession().sparkContext().hadoopConfiguration());
            MlpClassificationModel loaded = new MlpClassificationModel(metadata.uid(), model);
            metadata.getAndSetParams(loaded, Option.empty());
            return loaded;
        }
    }
}
