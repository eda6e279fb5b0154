package io.sparkmlp.train;

import io.sparkmlp.nn.Blas;
import org.apache.spark.SparkConf;

/** The Spark settings sparkmlp relies on, applied only where the user has not set them. */
public final class SparkSetup {

    private SparkSetup() {
    }

    /** Kryo with registration required and sparkmlp's registrator, and the broadcast settings a step wants, unless the configuration says otherwise. */
    public static SparkConf withDefaults(SparkConf conf) {
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrationRequired", "true");
        conf.setIfMissing("spark.kryo.registrator", KryoRegistrations.class.getName());
        // float arrays (weights, gradients) copied in bulk instead of value by value
        conf.setIfMissing("spark.kryo.unsafe", "true");
        // float weights barely compress; LZ4 over them cost more than it saved (a 0.9 MB broadcast: 2.6 vs 2.1 ms)
        conf.setIfMissing("spark.broadcast.compress", "false");
        // one BLAS thread per task, whatever BLAS the executors load (the bundled OpenBLAS sets its own)
        conf.setIfMissing("spark.executorEnv.OPENBLAS_NUM_THREADS", "1");
        conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
        // the driver's BLAS choice for the executors too
        String blas = System.getProperty(Blas.PROPERTY, System.getenv(Blas.ENV));
        if (blas != null && !blas.isBlank()) {
            conf.setIfMissing("spark.executorEnv." + Blas.ENV, blas);
        }
        return conf;
    }
}
