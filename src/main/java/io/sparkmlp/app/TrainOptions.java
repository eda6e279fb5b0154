package io.sparkmlp.app;

import io.sparkmlp.train.CheckpointParams;
import io.sparkmlp.train.ClusterParams;
import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
import io.sparkmlp.train.TrainingParams;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The training application's options, parsed by picocli from a table: the hyper-parameters come from
 * {@link HyperParameters}, the run settings (data, output, preset, cluster, checkpoints) are listed
 * here, and {@code --help} and the README's option table ({@link OptionsTable}) are rendered from the
 * same list. A preset ({@code --preset conf/fashion-mnist.properties}, a file whose keys are option
 * names without the dashes, or {@code --preset fashion-mnist}, the same carried in the jar) is read
 * first; options on the command line override it.
 */
public final class TrainOptions {

    public static final String DEFAULT_DATA = "/usr/share/datasets/fashion-mnist";
    static final String DEFAULT_OUT = "out/train";

    /** conf/'s presets, which the build copies into the jar under {@link #BUNDLED_PRESET_FOLDER} (a test checks the list). */
    public static final List<String> BUNDLED_PRESETS = List.of("fashion-mnist", "fashion-mnist-fast", "fashion-mnist-best",
            "fashion-mnist-quick", "mnist", "notebook");
    static final String BUNDLED_PRESET_FOLDER = "io/sparkmlp/presets/";

    /**
     * One option: its name without dashes (also the preset key), the placeholder for its value, what it
     * does, its default as shown, and the Estimator Param that sets the same (null: none).
     */
    record Option(String name, String label, String meaning, String defaultText, String param) {

        /** {@code --name LABEL} as the README shows it. */
        String synopsis() {
            return name.equals("resume") || name.equals("report") ? "--" + name + " [" + label + "]"
                    : "--" + name + " " + label;
        }
    }

    /** Every option, in the order of {@code --help}: run settings, hyper-parameters, cluster and checkpoint settings. */
    static final List<Option> OPTIONS = options();

    private static List<Option> options() {
        ClusterParams cluster = new ClusterParams();
        CheckpointParams checkpoint = new CheckpointParams();
        List<Option> options = new ArrayList<>();
        options.add(new Option("data", "DIR", "folder with train-images-idx3-ubyte, train-labels-idx1-ubyte,"
                + " t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (each .gz or raw; any Hadoop path: file:, hdfs:, s3a:)",
                DEFAULT_DATA, null));
        options.add(new Option("format", "FORMAT", "where the rows come from: idx (the four files of --data) or any"
                + " table Spark reads, " + String.join(", ", TableSource.FORMATS.subList(1, TableSource.FORMATS.size()))
                + " (csv: with a header, types inferred), from --train and --test", TableSource.IDX, null));
        options.add(new Option("train", "PATH_OR_TABLE", "with a table --format: the training rows, a path (any Hadoop"
                + " path) or, where no such path exists, a table of the session's catalogue", "none", null));
        options.add(new Option("test", "PATH_OR_TABLE", "with a table --format: the test rows, as --train", "none", null));
        options.add(new Option("label-col", "COLUMN", "with a table --format: the numeric label column (class indices"
                + " 0, 1, 2, ...), as the Estimator's labelCol", TableSource.DEFAULT_LABEL_COL, null));
        options.add(new Option("features-col", "COLUMN", "with a table --format: the ML Vector column of features"
                + " (libsvm's is features), as the Estimator's featuresCol", TableSource.DEFAULT_FEATURES_COL, null));
        options.add(new Option("feature-cols", "A,B,C", "with a table --format: numeric columns to assemble into the"
                + " features vector (Spark's VectorAssembler), instead of --features-col", "none", null));
        options.add(new Option("out", "DIR", "where the model, summary.json, history.csv and report/ go (any Hadoop path)", DEFAULT_OUT,
                null));
        options.add(new Option("preset", "FILE_OR_NAME", "a .properties file of these options, keys without the dashes"
                + " (any Hadoop path), or the name of one of conf/'s presets, which the jar carries (" + String.join(", ",
                BUNDLED_PRESETS) + "): no file needed where the driver runs; the command line overrides it",
                "none (submit/train and submit/submit, on IDX files: conf/fashion-mnist.properties)", null));
        for (HyperParameter<?> h : HyperParameters.ALL) {
            options.add(new Option(h.option(), h.kind().label(), h.doc(), h.format(h.defaultValue()), h.name()));
        }
        options.add(new Option("partitions", "N", "cluster setting: partitions to train on; 0: the IDX files read"
                + " into the session's default parallelism, a table's (and the Estimator's DataFrame's) own partitions",
                String.valueOf(cluster.partitions()), "numPartitions"));
        options.add(new Option("aggregation-depth", "N", "cluster setting: depth of treeAggregate (>= 1)",
                String.valueOf(cluster.aggregationDepth()), "aggregationDepth"));
        options.add(new Option("checkpoint-dir", "DIR", "run setting: write training checkpoints into DIR (any Hadoop"
                + " path)", "none", "checkpointDir"));
        options.add(new Option("checkpoint-every", "N", "run setting: a checkpoint every N steps, counted over the run;"
                + " 0: only at epoch ends (needs --checkpoint-dir; the Estimator's checkpointInterval says -1 for 0, as"
                + " Spark's Params do)", String.valueOf(checkpoint.everySteps()),
                "checkpointInterval"));
        options.add(new Option("checkpoint-epoch-end", "BOOL", "run setting: a checkpoint at every epoch's end, after"
                + " its validation (needs --checkpoint-dir)", String.valueOf(checkpoint.atEpochEnd()),
                "checkpointAtEpochEnd"));
        options.add(new Option("checkpoint-keep", "K", "run setting: keep the newest K checkpoints, delete older ones"
                + " (this run's latest writes count as the newest, then the folder's others by position; >= 1; needs"
                + " --checkpoint-dir)", String.valueOf(checkpoint.keep()), "checkpointKeep"));
        options.add(new Option("init-from", "MODEL", "run setting: a warm start from the weights of a saved model"
                + " (the model folder submit/train writes, OUT/model, or an MlpClassificationModel the Estimator saved);"
                + " its layers must be --layers; not with --resume;"
                + " the input scaling is still this run's own, from its training rows."
                + " The Estimator's initialWeights takes the flat weights as a Vector", "none (the seed's initialisation)",
                "initialWeights"));
        options.add(new Option("resume", "PATH", "run setting: continue from the latest checkpoint in --checkpoint-dir,"
                + " or from PATH (a checkpoint file or a folder); the hyper-parameters and the data must be the"
                + " checkpoint's", "off", "resumeFrom"));
        options.add(reportOption());
        return List.copyOf(options);
    }

    /** {@code --report [BOOL]}, with {@code --no-report} as {@code --report false}. */
    private static Option reportOption() {
        return new Option("report", "BOOL", "run setting: write OUT/report/ (loss, accuracy and confusion-matrix PNGs,"
                + " misclassified test images, the first layer's weights for image inputs, index.html); --report alone"
                + " is true, --no-report is false. history.csv and summary.json are written either way", "true", null);
    }

    /** The command line as picocli sees it: every option takes its value as text, checked here. */
    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name("submit/train");
        spec.usageMessage().synopsisHeading("").customSynopsis("usage: submit/train [--master URL] [--conf K=V] [options]")
                .descriptionHeading("%n")
                .description("Trains a multilayer perceptron on MNIST-format IDX files, or any table Spark reads"
                        + " (--format), with synchronous data-parallel SGD. --master and --conf go to Spark, the rest to the application.")
                .optionListHeading("%nOptions:%n").sortOptions(false).width(100);
        for (Option o : OPTIONS) {
            OptionSpec.Builder b = OptionSpec.builder("--" + o.name()).paramLabel(o.label()).type(String.class)
                    .description(escaped(o.meaning() + " (default: " + o.defaultText() + ")"));
            if (o.name().equals("resume")) {
                // a bare --resume: the latest checkpoint in --checkpoint-dir
                b.arity("0..1").fallbackValue(CheckpointParams.LATEST);
            } else if (o.name().equals("report")) {
                b.arity("0..1").fallbackValue("true");
            } else {
                b.arity("1");
            }
            spec.addOption(b.build());
        }
        spec.addOption(OptionSpec.builder("--help", "-h").usageHelp(true).description("this text").build());
        return spec;
    }

    /** Picocli formats descriptions (%n); a literal % must be doubled. */
    private static String escaped(String text) {
        return text.replace("%", "%%");
    }

    /** What {@code --help} prints: every option, its value's form, default and meaning. */
    public static final String USAGE = new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();

    private static final Set<String> NAMES = OPTIONS.stream().map(Option::name).collect(Collectors.toUnmodifiableSet());

    private final Map<String, String> values = new LinkedHashMap<>();
    private boolean help;

    private TrainOptions() {
    }

    /** Parses the command line, reading a preset first if one is named. */
    public static TrainOptions parse(String... args) {
        CommandLine line = new CommandLine(spec());
        line.setOverwrittenOptionsAllowed(true); // the last one counts
        line.setExpandAtFiles(false);
        ParseResult parsed;
        try {
            parsed = line.parseArgs(withoutNegations(args));
        } catch (UnmatchedArgumentException e) {
            String arg = e.getUnmatched().isEmpty() ? "" : e.getUnmatched().get(0);
            if (!arg.startsWith("-")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'; options start with --"
                        + " (submit/train --help lists them)");
            }
            String name = arg.split("=", 2)[0];
            List<String> close = e.getSuggestions();
            throw new IllegalArgumentException("unknown option " + name
                    + (close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?")
                    + " (submit/train --help lists the options)");
        } catch (MissingParameterException e) {
            String name = !e.getMissing().isEmpty() && e.getMissing().get(0) instanceof OptionSpec o ? o.longestName()
                    : "an option";
            throw new IllegalArgumentException("option " + name + " needs a value");
        } catch (ParameterException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        TrainOptions options = new TrainOptions();
        Map<String, String> given = new LinkedHashMap<>();
        for (OptionSpec o : parsed.matchedOptions()) {
            if (o.usageHelp()) {
                options.help = true;
            } else {
                given.put(o.longestName().substring(2), o.getValue());
            }
        }
        if (options.help) {
            return options; // the text is asked for: the values do not matter
        }
        if (given.containsKey("preset")) {
            options.values.putAll(readPreset(given.get("preset")));
        }
        options.values.putAll(given);
        options.training().checkAgainstLayers(); // validates every value now, before a session starts
        options.cluster();
        options.checkpoint();
        options.initFrom();
        options.report();
        options.source();
        return options;
    }

    /** {@code --no-report} as {@code --report=false}: picocli's own negation would change how --help shows it. */
    private static String[] withoutNegations(String[] args) {
        String[] result = args.clone();
        for (int i = 0; i < result.length; i++) {
            if ("--no-report".equals(result[i])) {
                result[i] = "--report=false";
            }
        }
        return result;
    }

    private static final java.util.regex.Pattern PROMISE = java.util.regex.Pattern.compile(
            "reaches >= (0\\.\\d+) test accuracy", java.util.regex.Pattern.CASE_INSENSITIVE);

    /**
     * The test accuracy a preset's comment promises ("reaches >= 0.90 test accuracy"), or null when it
     * promises none: the accuracy tests, the cluster test and the benchmark's verdict all read it here.
     */
    public static Double promisedAccuracy(java.nio.file.Path preset) throws IOException {
        for (String line : java.nio.file.Files.readAllLines(preset)) {
            java.util.regex.Matcher m = PROMISE.matcher(line);
            if (line.startsWith("#") && m.find()) {
                return Double.parseDouble(m.group(1));
            }
        }
        return null;
    }

    private static Map<String, String> readPreset(String file) {
        Properties props = new Properties();
        // a bare name (no folder, no extension) is a bundled preset: cluster deploy mode needs no --files for it
        boolean bundled = BUNDLED_PRESETS.contains(file);
        if (!bundled && file.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("--preset " + file + ": no bundled preset of that name (bundled: "
                    + String.join(", ", BUNDLED_PRESETS) + "); a file's name has a folder or an extension, e.g. ./"
                    + file + " or " + file + ".properties");
        }
        try (InputStream in = bundled
                ? TrainOptions.class.getClassLoader().getResourceAsStream(BUNDLED_PRESET_FOLDER + file + ".properties")
                : openHadoopPath(file)) {
            if (in == null) {
                throw new IOException("the jar has no " + BUNDLED_PRESET_FOLDER + file + ".properties (a broken build?)");
            }
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read preset " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (String key : props.stringPropertyNames()) {
            if (!NAMES.contains(key) || key.equals("preset")) {
                throw new IllegalArgumentException("preset " + file + " has unknown key '" + key + "'");
            }
            result.put(key, props.getProperty(key).trim());
        }
        return result;
    }

    private static InputStream openHadoopPath(String file) throws IOException {
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(file);
        return path.getFileSystem(new org.apache.hadoop.conf.Configuration()).open(path);
    }

    public boolean help() {
        return help;
    }

    /** The data folder; null when none was given. */
    public String data() {
        return values.get("data");
    }

    public String out() {
        return values.getOrDefault("out", DEFAULT_OUT);
    }

    public TrainingParams training() {
        TrainingParams p = new TrainingParams();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            if (values.containsKey(h.option())) {
                set(p, h);
            }
        }
        return p;
    }

    private <T> void set(TrainingParams p, HyperParameter<T> h) {
        String text = values.get(h.option());
        T value = h.parse(text);
        if (value == null) {
            throw new IllegalArgumentException("--" + h.option() + " needs " + h.kind().expected() + ", got '" + text + "'");
        }
        option(h.option(), () -> p.set(h, value));
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
        CheckpointParams defaults = new CheckpointParams();
        CheckpointParams c = new CheckpointParams().dir(values.get("checkpoint-dir"));
        option("checkpoint-every", () -> c.everySteps(integer("checkpoint-every", defaults.everySteps())));
        c.atEpochEnd(bool("checkpoint-epoch-end", defaults.atEpochEnd()));
        option("checkpoint-keep", () -> c.keep(integer("checkpoint-keep", defaults.keep())));
        c.resumeFrom(values.get("resume"));
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

    /** The model folder to take the initial weights from (a warm start); null: none. Refused together with --resume. */
    public String initFrom() {
        String model = values.get("init-from");
        if (model != null && model.isBlank()) {
            throw new IllegalArgumentException("--init-from needs a model folder, got '" + model + "'");
        }
        if (model != null && values.containsKey("resume")) {
            throw new IllegalArgumentException("--init-from " + model + " and --resume cannot be combined: a resumed"
                    + " run continues from its checkpoint's weights; give one of them");
        }
        return model;
    }

    /** Whether to write the picture report into {@code OUT/report} (default true). */
    public boolean report() {
        return bool("report", true);
    }

    /**
     * Where the rows come from: IDX files (--data, the default) or a table (--format, --train, --test and the
     * column settings); settings of the one given with the other are refused.
     */
    public TableSource source() {
        return TableSource.fromOptions(values, TABLES);
    }

    /** The options that name the tables with a table --format, and what their rows are. */
    private static final Map<String, String> TABLES = tables();

    private static Map<String, String> tables() {
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put("train", "training");
        tables.put("test", "test");
        return tables;
    }

    /** With a table --format: the training rows' path or table name; null otherwise. */
    public String trainTable() {
        return values.get("train");
    }

    /** With a table --format: the test rows' path or table name; null otherwise. */
    public String testTable() {
        return values.get("test");
    }

    private int integer(String key, int fallback) {
        return parsed(key, fallback, Integer::parseInt, "an integer");
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
