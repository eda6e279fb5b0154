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
        // the column types that csv and json sources infer per partition (inferSchema), sent to the driver
        "[Lorg.apache.spark.sql.types.DataType;",
        "org.apache.spark.sql.types.NullType$",
        "org.apache.spark.sql.types.IntegerType$",
        "org.apache.spark.sql.types.LongType$",
        "org.apache.spark.sql.types.DoubleType$",
        "org.apache.spark.sql.types.DecimalType",
        "org.apache.spark.sql.types.BooleanType$",
        "org.apache.spark.sql.types.StringType",
        "org.apache.spark.sql.types.StringType$",
        "org.apache.spark.sql.types.DateType$",
        "org.apache.spark.sql.types.TimestampType$",
        "org.apache.spark.sql.types.TimestampNTZType$",
        "org.apache.spark.sql.types.StructType",
        "org.apache.spark.sql.types.StructField",
        "[Lorg.apache.spark.sql.types.StructField;",
        "org.apache.spark.sql.types.ArrayType",
        "org.apache.spark.sql.types.Metadata",
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
