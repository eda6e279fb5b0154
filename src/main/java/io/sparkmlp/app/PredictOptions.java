package io.sparkmlp.app;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * The options of {@code submit/predict MODEL INPUT... [--out FILE.csv]}: a saved model (the folder submit/train
 * writes, or an {@code MlpClassificationModel} the Estimator saved), what to score (IDX image files, PNG or JPEG
 * images, folders of them, or a table of {@code --format}), and where the CSV goes.
 */
public final class PredictOptions {

    /** Detects IDX files and PNG/JPEG images by their first bytes; the other formats read a table, as submit/train. */
    static final String AUTO = "auto";

    private String model;
    private final List<String> inputs = new ArrayList<>();
    private String out;
    private TableSource table;
    private boolean help;

    private PredictOptions() {
    }

    static CommandSpec spec() {
        CommandSpec spec = CommandSpec.create().name("submit/predict");
        spec.usageMessage().synopsisHeading("")
                .customSynopsis("usage: submit/predict [--master URL] [--conf K=V] MODEL INPUT... [--out FILE.csv] [options]")
                .descriptionHeading("%n")
                .description("Scores images with a saved model and writes CSV: file, index (the row within the file),"
                        + " the predicted label and one probability column per class. INPUT: IDX image files (.gz or"
                        + " raw), PNG or JPEG images in grey of the model's input size, folders of them, or with"
                        + " --format a table Spark reads. --master and --conf go to Spark.")
                .optionListHeading("%nOptions:%n").sortOptions(false).width(100);
        spec.addPositional(PositionalParamSpec.builder().index("0").paramLabel("MODEL").type(String.class)
                .description("a model folder: OUT/model of submit/train, or an MlpClassificationModel the Estimator"
                        + " saved (any Hadoop path)").build());
        spec.addPositional(PositionalParamSpec.builder().index("1..*").arity("1..*").paramLabel("INPUT")
                .type(String[].class).description("files or folders to score (any Hadoop path)").build());
        spec.addOption(option("--out", "FILE.csv", "where the CSV goes (any Hadoop path)", "the console"));
        spec.addOption(option("--format", "FORMAT", "auto: IDX image files and PNG/JPEG images, known by their"
                + " first bytes; or a table Spark reads: " + String.join(", ", TableSource.FORMATS.subList(1,
                TableSource.FORMATS.size())) + " (csv: with a header, types inferred)", AUTO));
        spec.addOption(option("--features-col", "COLUMN", "with a table --format: the ML Vector column of features",
                TableSource.DEFAULT_FEATURES_COL));
        spec.addOption(option("--feature-cols", "A,B,C", "with a table --format: numeric columns to assemble into"
                + " the features vector, instead of --features-col", "none"));
        spec.addOption(OptionSpec.builder("--help", "-h").usageHelp(true).description("this text").build());
        return spec;
    }

    private static OptionSpec option(String name, String label, String meaning, String defaultText) {
        return OptionSpec.builder(name).paramLabel(label).type(String.class).arity("1")
                .description((meaning + " (default: " + defaultText + ")").replace("%", "%%")).build();
    }

    static final String USAGE = new CommandLine(spec()).getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();

    /** Parses the command line; a missing MODEL or INPUT, an unknown option or format is an error saying so. */
    public static PredictOptions parse(String... args) {
        ParseResult parsed = CommandLineParsing.parse(spec(), args, e -> {
            String arg = e.getUnmatched().isEmpty() ? "" : e.getUnmatched().get(0);
            return "unknown option " + arg.split("=", 2)[0] + " (submit/predict --help lists the options)";
        }, e -> e.getMessage().startsWith("Missing required parameter")
                ? "submit/predict needs MODEL and at least one INPUT (submit/predict --help)" : e.getMessage());
        PredictOptions options = new PredictOptions();
        if (parsed.isUsageHelpRequested()) {
            options.help = true;
            return options;
        }
        List<String> all = new ArrayList<>();
        for (PositionalParamSpec p : new java.util.LinkedHashSet<>(parsed.matchedPositionals())) {
            Object value = p.getValue();
            if (value instanceof String[] many) {
                all.addAll(List.of(many));
            } else if (value != null) {
                all.add(value.toString());
            }
        }
        if (all.size() < 2) {
            throw new IllegalArgumentException("submit/predict needs MODEL and at least one INPUT, got "
                    + (all.isEmpty() ? "neither" : "only " + all.get(0)) + " (submit/predict --help)");
        }
        options.model = all.get(0);
        options.inputs.addAll(all.subList(1, all.size()));
        options.out = parsed.matchedOptionValue("--out", null);
        String format = parsed.matchedOptionValue("--format", AUTO);
        String featuresCol = parsed.matchedOptionValue("--features-col", null);
        String featureCols = parsed.matchedOptionValue("--feature-cols", null);
        if (format.equalsIgnoreCase(AUTO) || format.equalsIgnoreCase(TableSource.IDX)) {
            if (featuresCol != null || featureCols != null) {
                throw new IllegalArgumentException((featuresCol != null ? "--features-col" : "--feature-cols")
                        + " reads a table: give --format " + String.join("|", TableSource.FORMATS.subList(1,
                        TableSource.FORMATS.size())));
            }
        } else {
            options.table = new TableSource(format, null, featuresCol,
                    featureCols == null ? null : List.of(featureCols.split(",", -1)).stream().map(String::trim).toList());
        }
        return options;
    }

    public boolean help() {
        return help;
    }

    public String model() {
        return model;
    }

    public List<String> inputs() {
        return List.copyOf(inputs);
    }

    /** The CSV file; null: the console. */
    public String out() {
        return out;
    }

    /** The table source of a table {@code --format}; null for IDX files and images. */
    public TableSource table() {
        return table;
    }
}
