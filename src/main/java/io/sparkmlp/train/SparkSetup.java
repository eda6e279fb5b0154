package io.sparkmlp.train;

import org.apache.spark.SparkConf;

/** The Spark settings sparkmlp relies on, applied only where the user has not set them. */
public final class SparkSetup {

    private SparkSetup() {
    }

    /** Kryo with registration required and sparkmlp's registrator, unless the configuration says otherwise. */
    public static SparkConf withDefaults(SparkConf conf) {
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrationRequired", "true");
        conf.setIfMissing("spark.kryo.registrator", KryoRegistrations.class.getName());
        return conf;
    }
}
