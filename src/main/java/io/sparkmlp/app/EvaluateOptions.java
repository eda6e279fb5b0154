package io.sparkmlp.app;

import io.sparkmlp.train.ClusterParams;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The options of {@code submit/evaluate MODEL [--data DIR | --format F --test PATH_OR_TABLE [columns]] [--out FILE]
 * [--partitions N]}, parsed by picocli; the table options follow {@code submit/train}'s ({@link TableSource}).
 */
public final class EvaluateOptions {

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name("submit/evaluate");
        spec.usageMessage().synopsisHeading("")
                .customSynopsis("usage: submit/evaluate [--master URL] [--conf K=V] MODEL [options]")
                .descriptionHeading("%n")
                .description("Evaluates a model folder written by submit/train (OUT/model) on the test files of a"
                        + " folder, or on any table Spark reads (--format): accuracy, precision, recall and F1 per class, and the confusion matrix, printed"
                        + " and written as JSON. --master and --conf go to Spark, the rest to the application.")
                .optionListHeading("%nOptions:%n").sortOptions(false).width(100);
        spec.addPositional(PositionalParamSpec.builder().index("0").arity("1").paramLabel("MODEL").type(String.class)
                .description("the model folder (any Hadoop path)").build());
        spec.addOption(OptionSpec.builder("--data").paramLabel("DIR").type(String.class).arity("1")
                .description("folder with t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each .gz or raw; any"
                        + " Hadoop path) (default: " + TrainOptions.DEFAULT_DATA + ")").build());
        spec.addOption(OptionSpec.builder("--format").paramLabel("FORMAT").type(String.class).arity("1")
                .description("where the rows come from: idx (the test files of --data) or any table Spark reads, "
                        + String.join(", ", TableSource.FORMATS.subList(1, TableSource.FORMATS.size()))
                        + " (csv: with a header, types inferred), from --test (default: " + TableSource.IDX + ")")
                .build());
        spec.addOption(OptionSpec.builder("--test").paramLabel("PATH_OR_TABLE").type(String.class).arity("1")
                .description("with a table --format: the rows to evaluate on, a path (any Hadoop path) or a table of"
                        + " the session's catalogue").build());
        spec.addOption(OptionSpec.builder("--label-col").paramLabel("COLUMN").type(String.class).arity("1")
                .description("with a table --format: the numeric label column (class indices 0, 1, 2, ...) (default: "
                        + TableSource.DEFAULT_LABEL_COL + ")").build());
        spec.addOption(OptionSpec.builder("--features-col").paramLabel("COLUMN").type(String.class).arity("1")
                .description("with a table --format: the ML Vector column of features (default: "
                        + TableSource.DEFAULT_FEATURES_COL + ")").build());
        spec.addOption(OptionSpec.builder("--feature-cols").paramLabel("A,B,C").type(String.class).arity("1")
                .description("with a table --format: numeric columns to assemble into the features vector, in the"
                        + " order training used").build());
        spec.addOption(OptionSpec.builder("--out").paramLabel("FILE").type(String.class).arity("1")
                .description("where the JSON goes (default: " + EvaluateApp.DEFAULT_JSON + " beside the model folder)")
                .build());
        spec.addOption(OptionSpec.builder("--partitions").paramLabel("N").type(String.class).arity("1")
                .description("partitions to evaluate on; 0: the session's default parallelism (default: 0)").build());
        spec.addOption(OptionSpec.builder("--help", "-h").usageHelp(true).description("this text").build());
        return spec;
    }

    static final String USAGE = new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();

    /** The options that name the tables with a table --format, and what their rows are. */
    private static final Map<String, String> TABLES = Map.of("test", "test");

    private String model;
    private String data = TrainOptions.DEFAULT_DATA;
    private TableSource source;
    private String testTable;
    private String out;
    private int partitions;
    private boolean help;

    private EvaluateOptions() {
    }

    public static EvaluateOptions parse(String... args) {
        ParseResult parsed = CommandLineParsing.parse(spec(), args, e -> {
            String arg = e.getUnmatched().isEmpty() ? "" : e.getUnmatched().get(0);
            List<String> close = e.getSuggestions();
            return (arg.startsWith("-") ? "unknown option " + arg.split("=", 2)[0]
                    : "unexpected argument '" + arg + "'; one MODEL folder is expected")
                    + (close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?")
                    + " (submit/evaluate --help lists the options)";
        }, e -> e.getMissing().isEmpty() || !(e.getMissing().get(0) instanceof OptionSpec o)
                ? "a MODEL folder is needed: submit/evaluate MODEL [--data DIR] (submit/evaluate --help)"
                : "option " + o.longestName() + " needs a value");
        EvaluateOptions options = new EvaluateOptions();
        if (parsed.isUsageHelpRequested()) {
            options.help = true;
            return options;
        }
        options.model = parsed.matchedPositionalValue(0, null);
        if (options.model == null || options.model.isBlank()) {
            throw new IllegalArgumentException("a MODEL folder is needed: submit/evaluate MODEL [--data DIR]"
                    + " (submit/evaluate --help)");
        }
        options.data = parsed.matchedOptionValue("--data", TrainOptions.DEFAULT_DATA);
        Map<String, String> given = new LinkedHashMap<>();
        for (String key : new String[] {"data", "format", "test", "label-col", "features-col", "feature-cols"}) {
            if (parsed.hasMatchedOption("--" + key)) {
                given.put(key, parsed.matchedOptionValue("--" + key, ""));
            }
        }
        options.source = TableSource.fromOptions(given, TABLES);
        options.testTable = given.get("test");
        options.out = parsed.matchedOptionValue("--out", null);
        String n = parsed.matchedOptionValue("--partitions", "0");
        try {
            options.partitions = Integer.parseInt(n.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--partitions needs an integer, got '" + n + "'");
        }
        options.cluster(); // checks the value now, before a session starts
        return options;
    }

    public boolean help() {
        return help;
    }

    /** The model folder. */
    public String model() {
        return model;
    }

    public String data() {
        return data;
    }

    /** Where the rows come from: the test IDX files of {@link #data()} (the default), or a table. */
    public TableSource source() {
        return source;
    }

    /** With a table --format: the test rows' path or table name; null otherwise. */
    public String testTable() {
        return testTable;
    }

    /** The JSON file to write; null: evaluation.json beside the model folder. */
    public String out() {
        return out;
    }

    public ClusterParams cluster() {
        try {
            return new ClusterParams().partitions(partitions);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--partitions " + partitions + ": " + e.getMessage(), e);
        }
    }
}
