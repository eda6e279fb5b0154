package io.sparkmlp.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * The {@code idx} data source: {@code spark.read().format("idx").load(imagesPath)} gives one row per image with
 * {@code label} (double) and {@code features} (dense ML vector of rows x cols pixels). The driver reads only
 * the two headers; every partition opens the files itself and reads its own contiguous range of rows. A raw file
 * is entered by seeking; a gzip file cannot be, so a partition continues the decoder that an earlier partition
 * in the same JVM left where it stopped ({@link GzipResumePoints}): the file is inflated about once per executor,
 * not once per partition.
 */
public final class IdxDataSource implements TableProvider, DataSourceRegister {

    public static final String SHORT_NAME = "idx";
    /** Path of the label file; by default the image file's name with {@code images-idx3} replaced by {@code labels-idx1}. */
    public static final String LABELS = "labels";
    /** Number of partitions, >= 1; by default the session's default parallelism. */
    public static final String NUM_PARTITIONS = "numPartitions";
    /** {@code unit} (default): pixel / 255, in [0, 1]; {@code raw}: 0..255. */
    public static final String SCALE = "scale";

    public static final StructType SCHEMA = new StructType()
            .add("label", DataTypes.DoubleType, false)
            .add("features", SQLDataTypes.VectorType(), false);

    @Override
    public String shortName() {
        return SHORT_NAME;
    }

    @Override
    public StructType inferSchema(CaseInsensitiveStringMap options) {
        return SCHEMA;
    }

    @Override
    public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
        SparkSession spark = SparkSession.active();
        // a copy, so options set later on the context do not leak into this read
        Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
        try {
            IdxReadPlan plan = IdxReadPlan.create(new CaseInsensitiveStringMap(properties),
                    spark.sparkContext().defaultParallelism(), conf);
            return new IdxTable(plan, new SerializableHadoopConf(conf));
        } catch (IOException e) {
            throw new UncheckedIOException("idx source: cannot read " + properties.get("path") + ": " + e.getMessage(), e);
        }
    }
}
