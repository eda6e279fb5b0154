package io.sparkmlp.app;

import io.sparkmlp.train.SparkSetup;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code main} of a command that scores or evaluates ({@code submit/predict}, {@code submit/evaluate}):
 * parse the arguments (exit 2 with the message when they are wrong), print the usage for
 * {@code --help}, else run on a session built without a master (spark-submit decides where) and
 * exit 1 with sparkmlp's message when the run fails.
 */
final class Launcher {

    private Launcher() {
    }

    static <O> void main(String[] args, String appName, Function<String[], O> parse, Predicate<O> wantsHelp,
                         String usage, BiConsumer<SparkSession, O> run) {
        O options;
        try {
            options = parse.apply(args);
        } catch (RuntimeException e) {
            System.err.println("sparkmlp: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (wantsHelp.test(options)) {
            System.out.println(usage);
            return;
        }
        SparkSession spark = SparkSession.builder().appName(appName).config(SparkSetup.withDefaults(new SparkConf()))
                .getOrCreate();
        int status = 0;
        try {
            run.accept(spark, options);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException || e.getClass().getName().startsWith("io.sparkmlp.")) {
                System.err.println("sparkmlp: " + e.getMessage());
            } else {
                System.err.println("sparkmlp: unexpected " + e);
                e.printStackTrace();
            }
            status = 1;
        } finally {
            spark.stop();
        }
        if (status != 0) {
            System.exit(status);
        }
    }
}
