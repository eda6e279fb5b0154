package io.sparkmlp.ml;

import io.sparkmlp.train.EpochMetrics;
import io.sparkmlp.train.MlpModel;
import io.sparkmlp.train.ModelFiles;
import io.sparkmlp.train.TrainingResult;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import scala.Option;

/**
 * The model {@link MlpClassifier} fits: raw prediction = the output layer's scores (logits),
 * probability = their softmax, prediction = the most probable class (or per {@code thresholds}).
 * {@code transform} runs row by row on the executors, so it works on streaming DataFrames and
 * collects nothing to the driver. Saved in the Spark ML layout: {@code metadata/} (Params, JSON)
 * and {@code data/} (sparkmlp's {@code metadata.json} and float32 {@code weights.bin}).
 */
public final class MlpClassificationModel
        extends ProbabilisticClassificationModel<Vector, MlpClassificationModel> implements MLWritable {

    private static final long serialVersionUID = 1L;

    private final String uid;
    private final MlpModel model;
    /** Null for a model that was loaded: training summaries are not saved, as in Spark's own models. */
    private final transient TrainingResult summary;

    MlpClassificationModel(String uid, MlpModel model, TrainingResult summary) {
        this(UidDuringConstruction.hold(uid), model, summary, true);
    }

    private MlpClassificationModel(String uid, MlpModel model, TrainingResult summary, boolean held) {
        this.uid = uid;
        UidDuringConstruction.release();
        this.model = Objects.requireNonNull(model, "model");
        this.summary = summary;
    }

    @Override
    public String uid() {
        return uid != null ? uid : UidDuringConstruction.pending();
    }

    @Override
    public int numClasses() {
        return model.network().layout().outputSize();
    }

    @Override
    public int numFeatures() {
        return model.network().layout().inputSize();
    }

    @Override
    public Vector predictRaw(Vector features) {
        return Vectors.dense(model.predictScores(features.toArray()));
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
        MlpClassificationModel copied = new MlpClassificationModel(uid, model, summary);
        return copyValues(copied, extra).setParent(parent());
    }

    /** Layer sizes from input to output. */
    public int[] getLayers() {
        return model.network().layout().sizes();
    }

    /** The hidden activation's name. */
    public String getActivation() {
        return model.network().hidden().id();
    }

    /** A copy of the flat weights: per layer, a column-major (out x in) weight matrix, then the bias. */
    public float[] weights() {
        return model.weights();
    }

    /** The core model, e.g. to evaluate with sparkmlp's own API. */
    public MlpModel mlpModel() {
        return model;
    }

    public boolean hasSummary() {
        return summary != null;
    }

    /** Per-epoch history and final figures of the training run. */
    public TrainingResult summary() {
        if (summary == null) {
            throw new IllegalStateException("model " + uid + " has no training summary: it was loaded, not fitted");
        }
        return summary;
    }

    /** The per-epoch history of the training run. */
    public List<EpochMetrics> history() {
        return summary().history();
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
            ModelFiles.save(instance.model, new Path(path, "data").toString(),
                    sparkSession().sparkContext().hadoopConfiguration());
        }
    }

    private static final class Reader extends MLReader<MlpClassificationModel> {
        @Override
        public MlpClassificationModel load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sparkSession(),
                    MlpClassificationModel.class.getName());
            MlpModel model = ModelFiles.load(new Path(path, "data").toString(),
                    sparkSession().sparkContext().hadoopConfiguration());
            MlpClassificationModel loaded = new MlpClassificationModel(metadata.uid(), model, null);
            metadata.getAndSetParams(loaded, Option.empty());
            return loaded;
        }
    }
}
