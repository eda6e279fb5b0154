package io.sparkmlp;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** One shared local Spark session for the tests: UI off, Kryo with registration required. */
public final class SparkTestSession {

    private static SparkSession session;

    private SparkTestSession() {
    }

    /** The session, started on first use with {@code local[2]}; stopped when the test JVM exits. */
    public static synchronized SparkSession get() {
        if (session == null) {
            SparkConf conf = new SparkConf()
                    .setMaster("local[2]")
                    .setAppName("sparkmlp-tests")
                    .set("spark.ui.enabled", "false")
                    .set("spark.ui.showConsoleProgress", "false")
                    .set("spark.sql.shuffle.partitions", "4")
                    .set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1")
                    .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                    .set("spark.kryo.registrationRequired", "true")
                    .set("spark.kryo.registrator", "io.sparkmlp.train.KryoRegistrations");
            session = SparkSession.builder().config(conf).getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(session::stop));
        }
        return session;
    }
}
