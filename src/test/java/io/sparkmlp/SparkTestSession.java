package io.sparkmlp;

import io.sparkmlp.train.SparkSetup;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** One shared local Spark session for the tests: UI off, sparkmlp's Spark settings (Kryo with registration required). */
public final class SparkTestSession {

    private static SparkSession session;
    private static boolean hookAdded;

    private SparkTestSession() {
    }

    /** The session, started on first use with {@code local[2]}; stopped when the test JVM exits. */
    public static synchronized SparkSession get() {
        if (session == null || session.sparkContext().isStopped() || !"local[2]".equals(session.sparkContext().master())) {
            start("local[2]");
        }
        return session;
    }

    /**
     * Stops the session and starts one on {@code master} (e.g. {@code local[2,2]}, which retries a
     * failed task once); the next {@link #get} goes back to {@code local[2]}.
     */
    public static synchronized SparkSession restart(String master) {
        start(master);
        return session;
    }

    private static void start(String master) {
        if (session != null && !session.sparkContext().isStopped()) {
            session.stop();
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
        }
        SparkConf conf = new SparkConf()
                .setMaster(master)
                .setAppName("sparkmlp-tests")
                .set("spark.ui.enabled", "false")
                .set("spark.ui.showConsoleProgress", "false")
                .set("spark.sql.shuffle.partitions", "4")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.kryo.registrationRequired", "true");
        SparkSetup.withDefaults(conf); // the settings sparkmlp ships: Kryo, its registrator, broadcast tuning
        session = SparkSession.builder().config(conf).getOrCreate();
        if (!hookAdded) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (session != null) {
                    session.stop();
                }
            }));
            hookAdded = true;
        }
    }

    /** Stops the session and starts a new one, as a user's next application would. */
    public static synchronized SparkSession restart() {
        if (session != null) {
            session.stop();
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
        }
        return get();
    }
}
