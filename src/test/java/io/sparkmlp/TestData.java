package io.sparkmlp;

import io.sparkmlp.nn.Rng;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Small synthetic labelled DataFrames for the tests. */
public final class TestData {

    public static final StructType SCHEMA = new StructType()
            .add("label", DataTypes.DoubleType, false)
            .add("features", SQLDataTypes.VectorType(), false);

    private TestData() {
    }

    /** Gaussian clusters, one per class, centred at random points; labels 0..classes-1. */
    public static List<Row> blobs(int rows, int features, int classes, double spread, long seed) {
        Rng rng = new Rng(seed);
        double[][] centres = new double[classes][features];
        for (double[] c : centres) {
            for (int k = 0; k < features; k++) {
                c[k] = rng.nextGaussian();
            }
        }
        List<Row> result = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            int label = rng.nextInt(classes);
            double[] x = new double[features];
            for (int k = 0; k < features; k++) {
                x[k] = centres[label][k] + spread * rng.nextGaussian();
            }
            result.add(RowFactory.create((double) label, Vectors.dense(x)));
        }
        return result;
    }

    public static Dataset<Row> frame(SparkSession spark, List<Row> rows, int partitions) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // parallelize indices, not rows: a parallelized collection travels through Kryo, and Rows are not registered
        List<Integer> indices = java.util.stream.IntStream.range(0, rows.size()).boxed().toList();
        List<Row> copy = new ArrayList<>(rows);
        return spark.createDataFrame(jsc.parallelize(indices, partitions).map(copy::get), SCHEMA);
    }
}
