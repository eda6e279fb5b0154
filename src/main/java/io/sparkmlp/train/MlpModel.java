package io.sparkmlp.train;

import io.sparkmlp.nn.InputScaling;
import io.sparkmlp.nn.Network;
import io.sparkmlp.nn.Workspace;
import java.io.Serializable;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** A trained network: its shape and activation, the input scaling it was trained with, and its flat weights. */
public final class MlpModel implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Network network;
    private final InputScaling scaling;
    private final float[] weights;

    public MlpModel(Network network, InputScaling scaling, float[] weights) {
        this.network = Objects.requireNonNull(network, "network");
        this.scaling = Objects.requireNonNull(scaling, "scaling");
        scaling.requireFeatures(network.layout().inputSize());
        if (weights.length != network.layout().numParameters()) {
            throw new IllegalArgumentException("weights have " + weights.length + " values, layers "
                    + network.layout() + " need " + network.layout().numParameters());
        }
        this.weights = weights.clone();
    }

    public Network network() {
        return network;
    }

    public InputScaling scaling() {
        return scaling;
    }

    /** A copy of the flat weights, in the network's layout. */
    public float[] weights() {
        return weights.clone();
    }

    /** Class probabilities for one example's raw (unscaled) features. */
    public double[] predictProbabilities(double[] features) {
        Workspace ws = load(features);
        network.forward(weights, ws, 1);
        return output(ws);
    }

    /** Raw class scores (logits, before the softmax) for one example's raw features. */
    public double[] predictScores(double[] features) {
        Workspace ws = load(features);
        network.scores(weights, ws, 1);
        return output(ws);
    }

    /** A one-example workspace holding the scaled features; small, so made per call and thread-safe. */
    private Workspace load(double[] features) {
        int inputs = network.layout().inputSize();
        if (features.length != inputs) {
            throw new IllegalArgumentException("got " + features.length + " features; the network's input layer has " + inputs);
        }
        Workspace ws = new Workspace(network.layout(), 1);
        // x'_k = scale_k * (float) x_k + shift_k
        scaling.apply(features, ws.input(), 0, inputs);
        return ws;
    }

    private double[] output(Workspace ws) {
        double[] out = new double[network.layout().outputSize()];
        for (int k = 0; k < out.length; k++) {
            out[k] = ws.output()[k];
        }
        return out;
    }

    /** The most probable class for one example's raw features. */
    public int predict(double[] features) {
        double[] p = predictProbabilities(features);
        int best = 0;
        for (int k = 1; k < p.length; k++) {
            if (p[k] > p[best]) {
                best = k;
            }
        }
        return best;
    }

    /** Mean loss and accuracy over a labelled DataFrame, computed on the executors. */
    public Evaluation evaluate(Dataset<Row> data, String labelCol, String featuresCol, ClusterParams cluster) {
        return Trainer.evaluate(this, data, labelCol, featuresCol, cluster);
    }

    /**
     * The confusion matrix, loss and the first {@code keepMisclassified} misclassified rows over a labelled
     * DataFrame, in one job on the executors: only the counts and the kept rows reach the driver.
     */
    public DetailedEvaluation evaluateInDetail(Dataset<Row> data, String labelCol, String featuresCol,
                                               ClusterParams cluster, int keepMisclassified) {
        return DetailedEvaluation.of(this, data, labelCol, featuresCol, cluster, keepMisclassified);
    }
}
