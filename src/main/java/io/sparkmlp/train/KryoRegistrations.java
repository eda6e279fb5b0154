package io.sparkmlp.train;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/**
 * Owns the list of classes sparkmlp sends through Kryo, so {@code spark.kryo.registrationRequired}
 * can stay on: sparkmlp's own, and the few Spark classes that pipelines around it send (Spark
 * registers most of its own, not these).
 */
public final class KryoRegistrations implements KryoRegistrator {

    /** Spark classes met in ML pipelines and streaming with registration required; registered when present. */
    static final String[] SPARK_CLASSES = {
        // in the closures of ML pipeline stages over Vector columns (seen reloading a PipelineModel)
        "org.apache.spark.ml.linalg.VectorUDT",
        // commit messages of streaming file sinks, e.g. predictions of a streaming transform written to Parquet
        "org.apache.spark.sql.execution.streaming.sinks.SinkFileStatus",
        "[Lorg.apache.spark.sql.execution.streaming.sinks.SinkFileStatus;",
    };

    @Override
    public void registerClasses(Kryo kryo) {
        // step and evaluation results, summed in a fixed tree order
        kryo.register(GradientSum.class);
        kryo.register(GradientSum[].class);
        kryo.register(OrderedSum.class);
        // a partition's confusion counts and misclassified rows (DetailedEvaluation)
        kryo.register(ConfusionSum.class);
        // packed rows, when a cached block spills to disk or is shuffled
        kryo.register(Block.class);
        // per-partition input moments, collected for standardisation
        kryo.register(io.sparkmlp.nn.FeatureMoments.class);
        for (String name : SPARK_CLASSES) {
            try {
                kryo.register(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            } catch (ClassNotFoundException e) {
                // an older or newer Spark without this class: nothing of it to register
            }
        }
    }
}
