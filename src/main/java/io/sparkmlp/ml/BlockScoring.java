package io.sparkmlp.ml;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import io.sparkmlp.nn.WorkspacePool;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;

/**
 * How {@code transform} scores a partition: its rows in blocks, one forward pass (one {@code sgemm} a
 * layer) per block, into a workspace this JVM lends the partition for as long as it scores. The network
 * and the input scaling ride along in the closure (a few KB), the weights in a broadcast; {@code rules}
 * is a copy of the model without weights, for Spark's rules from scores to predictions (thresholds,
 * ties) and the column names.
 */
final class BlockScoring implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;

    private final MlpClassificationModel rules;
    private final Network network;
    private final InputScaling scaling;
    private final Broadcast<float[]> weights;
    private final int featuresIndex;
    private final boolean raw;
    private final boolean probability;
    private final boolean prediction;
    private final int blockRows;

    BlockScoring(MlpClassificationModel rules, Network network, InputScaling scaling, Broadcast<float[]> weights,
                 int featuresIndex, boolean raw, boolean probability, boolean prediction, int blockRows) {
        this.rules = rules;
        this.network = network;
        this.scaling = scaling;
        this.weights = weights;
        this.featuresIndex = featuresIndex;
        this.raw = raw;
        this.probability = probability;
        this.prediction = prediction;
        this.blockRows = blockRows;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        return new ScoredRows(this, rows);
    }

    /**
     * This JVM's scoring workspaces, one pool per layers and block size, lent to a partition for as long as it
     * scores: an executor's tasks reuse a few workspaces instead of allocating megabytes each (see
     * {@link WorkspacePool}). Idle ones are held softly; as many are kept as tasks can run at once here.
     */
    private static final ConcurrentHashMap<List<Object>, WorkspacePool> SCORING_WORKSPACES = new ConcurrentHashMap<>();

    static WorkspacePool scoringWorkspaces(Network network, int blockRows) {
        return SCORING_WORKSPACES.computeIfAbsent(List.of(network.layout(), blockRows),
                key -> new WorkspacePool(network.layout(), blockRows, Runtime.getRuntime().availableProcessors()));
    }

    /** The output rows of one partition: reads up to a block of input rows, scores them in one pass, emits them. */
    private static final class ScoredRows implements Iterator<Row> {
        private final BlockScoring scoring;
        private final Iterator<Row> input;
        private final Network network;
        private final InputScaling scaling;
        private final float[] weights;
        private final int inputs;
        private final int classes;
        private final int outputWidth;
        private final Row[] block;
        private final WorkspacePool workspaces;
        private Workspace workspace;
        private int filled;
        private int next;

        ScoredRows(BlockScoring scoring, Iterator<Row> input) {
            this.scoring = scoring;
            this.input = input;
            this.network = scoring.network;
            this.scaling = scoring.scaling;
            // shared by every task of this executor: the forward pass only reads it
            this.weights = scoring.weights.value();
            this.inputs = network.layout().inputSize();
            this.classes = network.layout().outputSize();
            this.block = new Row[scoring.blockRows];
            this.outputWidth = (scoring.raw ? 1 : 0) + (scoring.probability ? 1 : 0) + (scoring.prediction ? 1 : 0);
            this.workspaces = scoringWorkspaces(network, scoring.blockRows);
        }

        @Override
        public boolean hasNext() {
            if (next < filled) {
                return true;
            }
            fill();
            return filled > 0;
        }

        /** Reads the next block of rows into the workspace's input (column j = row j, scaled) and scores it. */
        private void fill() {
            Arrays.fill(block, 0, filled, null);
            filled = 0;
            next = 0;
            while (filled < block.length && input.hasNext()) {
                Row row = input.next();
                if (workspace == null) {
                    // borrowed with the first row, so an empty partition of a streaming micro-batch takes none
                    borrowWorkspace();
                }
                readFeatures(row, workspace.input(), filled * inputs);
                block[filled++] = row;
            }
            if (filled > 0) {
                network.scores(weights, workspace, filled);
            } else {
                giveBackWorkspace();
            }
        }

        /** Once a partition: its input runs out only once, and the workspace is given back then. */
        private void borrowWorkspace() {
            workspace = workspaces.borrow();
            TaskContext task = TaskContext.get();
            if (task != null) {
                // a task that stops early (a limit, a failure) gives it back as it ends; the listener runs on this thread
                task.addTaskCompletionListener((TaskCompletionListener) context -> giveBackWorkspace());
            }
        }

        /** Returns the workspace once this partition has no rows left or its task ends, whichever comes first. */
        private void giveBackWorkspace() {
            if (workspace != null) {
                Workspace lent = workspace;
                workspace = null;
                workspaces.giveBack(lent);
            }
        }

        /** Writes the row's features, scaled as training scaled them, into {@code into} from {@code offset}. */
        private void readFeatures(Row row, float[] into, int offset) {
            if (row.isNullAt(scoring.featuresIndex)) {
                throw new IllegalArgumentException("a row has a null features vector (column '"
                        + scoring.rules.getFeaturesCol() + "'): " + row);
            }
            Vector features = row.getAs(scoring.featuresIndex);
            if (features.size() != inputs) {
                throw new IllegalArgumentException("got " + features.size() + " features; the network's input layer has "
                        + inputs);
            }
            double[] values = features instanceof DenseVector dense ? dense.values() : features.toArray();
            // x'_k = scale_k * (float) x_k + shift_k, as training scaled the packed rows
            scaling.apply(values, into, offset, inputs);
        }

        @Override
        public Row next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no rows left in this partition");
            }
            Row row = block[next];
            float[] scores = workspace.output();
            double[] z = new double[classes];
            for (int k = 0; k < classes; k++) {
                z[k] = scores[next * classes + k];
            }
            next++;
            // the same calls as Spark's transform makes, so thresholds and ties behave as in its classifiers
            MlpClassificationModel model = scoring.rules;
            Vector rawPrediction = Vectors.dense(z);
            Vector probabilities = scoring.probability ? model.raw2probability(rawPrediction) : null;
            double predicted = Double.NaN;
            if (scoring.prediction) {
                // ClassificationModel.predict(features) is raw2prediction(predictRaw(features)) too
                predicted = scoring.probability && !scoring.raw ? model.probability2prediction(probabilities)
                        : model.raw2prediction(rawPrediction);
            }
            Object[] values = new Object[row.size() + outputWidth];
            for (int i = 0; i < row.size(); i++) {
                values[i] = row.get(i);
            }
            int column = row.size();
            if (scoring.raw) {
                values[column++] = rawPrediction;
            }
            if (scoring.probability) {
                values[column++] = probabilities;
            }
            if (scoring.prediction) {
                values[column] = predicted;
            }
            return RowFactory.create(values);
        }
    }
}
