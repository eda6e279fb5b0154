package io.sparkmlp.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The README's table of the training options, rendered from the same list as the command line
 * ({@link TrainOptions#OPTIONS}, the hyper-parameters from {@code train.HyperParameters}), between
 * the README's markers {@code options:train} and {@code /options:train}. {@code submit/options-table}
 * rewrites it; a test checks that the README holds what this renders.
 */
public final class OptionsTable {

    static final String BEGIN = "<!-- options:train -->";
    static final String END = "<!-- /options:train -->";

    private OptionsTable() {
    }

    /** The table in Markdown, one row per option. */
    static String table() {
        StringBuilder out = new StringBuilder("| option | Estimator Param | meaning | default |\n| --- | --- | --- | --- |\n");
        for (TrainOptions.Option o : TrainOptions.OPTIONS) {
            out.append("| `").append(o.synopsis()).append("` | ")
                    .append(o.param() != null ? "`" + o.param() + "`" : "-").append(" | ")
                    .append(cell(o.meaning())).append(" | ").append(cell(o.defaultText())).append(" |\n");
        }
        return out.toString();
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** {@code readme} with the text between the markers replaced by {@link #table()}. */
    static String rewrite(String readme) {
        int begin = readme.indexOf(BEGIN);
        int end = readme.indexOf(END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("the README has no " + BEGIN + " ... " + END + " block");
        }
        return readme.substring(0, begin + BEGIN.length()) + "\n" + table() + readme.substring(end);
    }

    /** Rewrites the table in the README given (default README.md). */
    public static void main(String[] args) throws IOException {
        Path readme = Path.of(args.length > 0 ? args[0] : "README.md");
        String before = Files.readString(readme, StandardCharsets.UTF_8);
        String after = rewrite(before);
        if (!after.equals(before)) {
            Files.writeString(readme, after, StandardCharsets.UTF_8);
        }
        System.out.println((after.equals(before) ? "unchanged: " : "rewritten: ") + readme);
    }
}
