package io.sparkmlp.app;

import io.sparkmlp.nn.Activation;
import io.sparkmlp.nn.Initialization;
import io.sparkmlp.nn.Layout;
import io.sparkmlp.train.CheckpointParams;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.TrainingParams;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The training application's options. A preset file ({@code --preset conf/fashion-mnist.properties},
 * keys are option names without the dashes) is read first; options on the command line override it.
 */
public final class TrainOptions {

    public static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";

    static final String USAGE = String.join("\n",
            "usage: submit/train [--master URL] [options]",
            "",
            "Trains a multilayer perceptron on MNIST-format IDX files with synchronous data-parallel SGD.",
            "",
            "  --data DIR                 folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,",
            "                             t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each .gz or raw;",
            "                             any Hadoop path). Default: " + DEFAULT_DATA,
            "  --out DIR                  where the model and summary.json go (default: out/train)",
            "  --preset FILE              a .properties file of these options (see conf/)",
            "  --layers 784,256,128,10    layer sizes, input to output",
            "  --activation NAME          relu, leaky_relu, tanh or sigmoid (default relu)",
            "  --init NAME                he, glorot or lecun (default: he for ReLU, glorot otherwise)",
            "  --epochs N                 (default 15)",
            "  --batch-size N             global mini-batch, summed over partitions (default 128)",
            "  --learning-rate X          (default 0.05)",
            "  --lr-schedule NAME         constant, step or cosine (default cosine)",
            "  --lr-step-epochs N         step schedule: epochs between decays (default 5)",
            "  --lr-gamma X               step schedule: decay factor (default 0.5)",
            "  --lr-min-fraction X        cosine schedule: final rate as a fraction of the first (default 0)",
            "  --warmup-epochs X          linear warm-up of the rate over X epochs (default 0)",
            "  --reference-batch-size N   linear scaling: the rate is for this batch, scaled by batch / N (0: off)",
            "  --momentum X               in [0, 1) (default 0.9)",
            "  --nesterov BOOL            Nesterov momentum (default false)",
            "  --weight-decay X           L2 decay on the weights (default 0)",
            "  --standardize BOOL         scale inputs by the training mean and std (default true)",
            "  --validation-fraction X    share of training rows held out for validation (default 0)",
            "  --patience N               early stopping after N epochs without a better validation loss (0: off)",
            "  --seed N                   (default 1)",
            "  --partitions N             partitions to train on (default: the session's default parallelism)",
            "  --aggregation-depth N      treeAggregate depth (default 2)",
            "  --checkpoint-dir DIR       write checkpoints into DIR (any Hadoop path; default: none)",
            "  --checkpoint-every N       a checkpoint every N steps (default 0: only at epoch ends)",
            "  --checkpoint-epoch-end B   a checkpoint at every epoch's end (default true)",
            "  --checkpoint-keep K        keep the newest K checkpoints (default 3)",
            "  --resume [PATH]            continue from the latest checkpoint in --checkpoint-dir, or from",
            "                             PATH (a checkpoint file or folder); same options and data required",
            "  --help                     this text");

    private final Map<String, String> values = new LinkedHashMap<>();

    private TrainOptions() {
    }

    /** Parses the command line, reading a preset first if one is named. */
    public static TrainOptions parse(String... args) {
        TrainOptions options = new TrainOptions();
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                given.put("help", "true");
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'; options start with --\n\n" + USAGE);
            }
            String key;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                key = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else if (arg.equals("--resume") && (i + 1 >= args.length || args[i + 1].startsWith("--"))) {
                // a bare --resume: the latest checkpoint in --checkpoint-dir
                key = "resume";
                value = CheckpointParams.LATEST;
            } else {
                key = arg.substring(2);
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("option --" + key + " needs a value");
                }
                value = args[++i];
            }
            checkKnown(key);
            given.put(key, value);
        }
        if (given.containsKey("preset")) {
            options.values.putAll(readPreset(given.get("preset")));
        }
        options.values.putAll(given);
        options.training(); // validates every value now, before a session starts
        options.cluster();
        options.checkpoint();
        return options;
    }

    private static final java.util.Set<String> KNOWN = java.util.Set.of("data", "out", "preset", "layers", "activation",
            "init", "epochs", "batch-size", "learning-rate", "lr-schedule", "lr-step-epochs", "lr-gamma",
            "lr-min-fraction", "warmup-epochs", "reference-batch-size", "momentum", "nesterov", "weight-decay", "standardize", "validation-fraction", "patience",
            "seed", "partitions", "aggregation-depth", "checkpoint-dir", "checkpoint-every", "checkpoint-epoch-end",
            "checkpoint-keep", "resume", "help");

    private static void checkKnown(String key) {
        if (!KNOWN.contains(key)) {
            throw new IllegalArgumentException("unknown option --" + key + "\n\n" + USAGE);
        }
    }

    private static Map<String, String> readPreset(String file) {
        Properties props = new Properties();
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file);
        try (InputStream in = path.getFileSystem(new org.apache.hadoop.conf.Configuration()).open(path)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read preset " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (String key : props.stringPropertyNames()) {
            if (!KNOWN.contains(key) || key.equals("preset")) {
                throw new IllegalArgumentException("preset " + file + " has unknown key '" + key + "'");
            }
            result.put(key, props.getProperty(key).trim());
        }
        return result;
    }

    public boolean help() {
        return values.containsKey("help");
    }

    /** The data folder; null when none was given. */
    public String data() {
        return values.get("data");
    }

    public String out() {
        return values.getOrDefault("out", "out/train");
    }

    public TrainingParams training() {
        TrainingParams p = new TrainingParams();
        if (values.containsKey("layers")) {
            option("layers", () -> p.layers(Layout.parse(values.get("layers")).sizes()));
        }
        if (values.containsKey("activation")) {
            option("activation", () -> p.activation(Activation.parse(values.get("activation"))));
        }
        if (values.containsKey("init")) {
            option("init", () -> p.initialization(Initialization.parse(values.get("init"))));
        }
        option("epochs", () -> p.epochs(integer("epochs", p.epochs())));
        option("batch-size", () -> p.batchSize(integer("batch-size", p.batchSize())));
        option("learning-rate", () -> p.learningRate(number("learning-rate", p.learningRate())));
        // one option at a time, so that an error names the option that broke the schedule
        String schedule = values.getOrDefault("lr-schedule", p.scheduleName());
        option("lr-schedule", () -> p.schedule(schedule));
        option("lr-step-epochs", () -> p.schedule(schedule, integer("lr-step-epochs", p.scheduleStepEpochs()),
                p.scheduleGamma(), p.minLearningRateFraction()));
        option("lr-gamma", () -> p.schedule(schedule, p.scheduleStepEpochs(), number("lr-gamma", p.scheduleGamma()),
                p.minLearningRateFraction()));
        option("lr-min-fraction", () -> p.schedule(schedule, p.scheduleStepEpochs(), p.scheduleGamma(),
                number("lr-min-fraction", p.minLearningRateFraction())));
        option("warmup-epochs", () -> p.warmupEpochs(number("warmup-epochs", p.warmupEpochs())));
        option("reference-batch-size", () -> p.referenceBatchSize(integer("reference-batch-size", p.referenceBatchSize())));
        option("momentum", () -> p.momentum(number("momentum", p.momentum())));
        option("nesterov", () -> p.nesterov(bool("nesterov", p.nesterov())));
        option("weight-decay", () -> p.weightDecay(number("weight-decay", p.weightDecay())));
        option("standardize", () -> p.standardize(bool("standardize", p.standardize())));
        option("validation-fraction", () -> p.validationFraction(number("validation-fraction", p.validationFraction())));
        option("patience", () -> p.patience(integer("patience", p.patience())));
        option("seed", () -> p.seed(longValue("seed", p.seed())));
        return p;
    }

    public ClusterParams cluster() {
        ClusterParams c = new ClusterParams();
        option("partitions", () -> c.partitions(integer("partitions", c.partitions())));
        option("aggregation-depth", () -> c.aggregationDepth(integer("aggregation-depth", c.aggregationDepth())));
        return c;
    }

    /** Applies one option; a value out of range fails with the option, the value given and the limit. */
    private void option(String key, Runnable apply) {
        try {
            apply.run();
        } catch (IllegalArgumentException e) {
            if (!values.containsKey(key) || e.getMessage().startsWith("--")) {
                throw e;
            }
            throw new IllegalArgumentException("--" + key + " " + values.get(key) + ": " + e.getMessage(), e);
        }
    }

    /** Checkpoint and resume settings: run settings, apart from the hyper-parameters. */
    public CheckpointParams checkpoint() {
        CheckpointParams c = new CheckpointParams().dir(values.get("checkpoint-dir"))
                .everySteps(integer("checkpoint-every", 0))
                .atEpochEnd(bool("checkpoint-epoch-end", true))
                .keep(integer("checkpoint-keep", 3))
                .resumeFrom(values.get("resume"));
        if (c.dir() == null) {
            for (String key : new String[] {"checkpoint-every", "checkpoint-epoch-end", "checkpoint-keep"}) {
                if (values.containsKey(key)) {
                    throw new IllegalArgumentException("--" + key + " needs --checkpoint-dir");
                }
            }
        }
        if (CheckpointParams.LATEST.equals(c.resumeFrom()) && c.dir() == null) {
            throw new IllegalArgumentException("--resume without a path resumes from the latest checkpoint in"
                    + " --checkpoint-dir: give --checkpoint-dir, or --resume PATH");
        }
        return c;
    }

    private int integer(String key, int fallback) {
        return parsed(key, fallback, Integer::parseInt, "an integer");
    }

    private long longValue(String key, long fallback) {
        return parsed(key, fallback, Long::parseLong, "an integer");
    }

    private double number(String key, double fallback) {
        return parsed(key, fallback, Double::parseDouble, "a number");
    }

    private <T> T parsed(String key, T fallback, java.util.function.Function<String, T> parser, String kind) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return parser.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " needs " + kind + ", got '" + v + "'");
        }
    }

    private boolean bool(String key, boolean fallback) {
        String v = values.get(key);
        if (v == null) {
            return fallback;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw new IllegalArgumentException("--" + key + " needs true or false, got '" + v + "'");
        };
    }
}
