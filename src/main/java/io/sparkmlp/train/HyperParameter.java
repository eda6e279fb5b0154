package io.sparkmlp.train;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One hyper-parameter, defined once: its Estimator Param name, its command-line option, the words
 * its errors use, its type, its default, its doc and its check. The Estimator's Params, the command
 * line, {@code --help}, the README's option table and {@link TrainingParams} are all derived from
 * these definitions, listed in {@link HyperParameters}.
 *
 * @param <T> the value's type as the Estimator's Param holds it: {@code int[]}, {@code double[]}, {@code Integer},
 *            {@code Long}, {@code Double}, {@code Boolean} or {@code String}
 */
public final class HyperParameter<T> {

    /** The value types a hyper-parameter may have, with how each is read from text and written as text. */
    public enum Kind {
        INT_ARRAY(int[].class, "N,N,...", "integers separated by commas"),
        DOUBLE_ARRAY(double[].class, "X,X,...", "numbers separated by commas"),
        INT(Integer.class, "N", "an integer"),
        LONG(Long.class, "N", "an integer"),
        DOUBLE(Double.class, "X", "a number"),
        BOOLEAN(Boolean.class, "BOOL", "true or false"),
        STRING(String.class, "NAME", "a name");

        private final Class<?> type;
        private final String label;
        private final String expected;

        Kind(Class<?> type, String label, String expected) {
            this.type = type;
            this.label = label;
            this.expected = expected;
        }

        /** The placeholder for the value in usage text: {@code N}, {@code X}, {@code BOOL}... */
        public String label() {
            return label;
        }

        /** What a value must look like, for errors: "an integer", "true or false". */
        public String expected() {
            return expected;
        }

        /** {@code 784-256-10} as its sizes; a sign of its own ({@code -256}) is not a separator. */
        private static Stream<String> dashedSizes(String part) {
            if (!part.matches("\\d+(-\\d+)*")) {
                throw new NumberFormatException(part);
            }
            return Arrays.stream(part.split("-"));
        }

        /** Reads a value from text (a command line, a preset); null when the text is not one. */
        Object parse(String text) {
            String t = text.trim();
            try {
                return switch (this) {
                    // 784,256,10 or 784-256-10 or 784x256x10; a minus sign of its own (784,-256) is no separator
                    case INT_ARRAY -> Arrays.stream(t.split("[,x ]+")).flatMap(Kind::dashedSizes)
                            .mapToInt(Integer::parseInt).toArray();
                    case DOUBLE_ARRAY -> Arrays.stream(t.split("[, ]+")).mapToDouble(Double::parseDouble).toArray();
                    case INT -> Integer.parseInt(t);
                    case LONG -> Long.parseLong(t);
                    case DOUBLE -> Double.parseDouble(t);
                    case BOOLEAN -> switch (t.toLowerCase(Locale.ROOT)) {
                        case "true", "yes", "1" -> Boolean.TRUE;
                        case "false", "no", "0" -> Boolean.FALSE;
                        default -> null;
                    };
                    case STRING -> t;
                };
            } catch (NumberFormatException e) {
                return null;
            }
        }

        /** The value as text that {@link #parse} reads back: layer sizes joined by commas, numbers as Java prints them. */
        String format(Object value) {
            if (value instanceof int[] sizes) {
                return Arrays.stream(sizes).mapToObj(String::valueOf).collect(Collectors.joining(","));
            }
            if (value instanceof double[] numbers) {
                return Arrays.stream(numbers).mapToObj(String::valueOf).collect(Collectors.joining(","));
            }
            return String.valueOf(value);
        }
    }

    /** A hyper-parameter's check: null when the value is good, else what is wrong with it, after its subject. */
    @FunctionalInterface
    public interface Check<T> {
        /** E.g. "must be >= 1, got 0", to follow the subject ("epochs must be >= 1, got 0"). */
        String problem(T value);

        /** Values for which {@code valid} holds; otherwise "must be LIMIT, got VALUE". */
        static <T> Check<T> of(String limit, Predicate<T> valid) {
            return value -> value != null && valid.test(value) ? null : "must be " + limit + ", got " + shown(value);
        }

        /** One of the given names. */
        static Check<String> oneOf(String... names) {
            List<String> allowed = List.of(names);
            return of("one of " + String.join(", ", names), allowed::contains);
        }

        /** Any value. */
        static <T> Check<T> any() {
            return value -> null;
        }
    }

    private final String name;
    private final String option;
    private final String label;
    private final Kind kind;
    private final T defaultValue;
    private final String doc;
    private final Check<T> check;
    private final UnaryOperator<T> canonical;

    private HyperParameter(String name, String option, String label, Kind kind, T defaultValue, String doc,
                           Check<T> check, UnaryOperator<T> canonical) {
        this.name = Objects.requireNonNull(name);
        this.option = option != null ? option : dashed(name);
        this.label = label != null ? label : this.option.replace('-', ' ');
        this.kind = Objects.requireNonNull(kind);
        this.doc = Objects.requireNonNull(doc);
        this.check = Objects.requireNonNull(check);
        this.canonical = canonical != null ? canonical : UnaryOperator.identity();
        String wrong = problem(name, defaultValue);
        if (wrong != null) {
            throw new IllegalStateException("the default of " + name + " fails its own check: " + wrong);
        }
        this.defaultValue = copy(defaultValue);
    }

    /** A definition; {@link #option}, {@link #label}, {@link #canonical} may then be given where the derived ones do not fit. */
    public static <T> HyperParameter<T> of(String name, Kind kind, T defaultValue, String doc, Check<T> check) {
        return new HyperParameter<>(name, null, null, kind, defaultValue, doc, check, null);
    }

    /** The same definition with another command-line option name than the dashed Param name. */
    public HyperParameter<T> option(String optionName) {
        return new HyperParameter<>(name, optionName, label, kind, defaultValue, doc, check, canonical);
    }

    /** The same definition with other words for its errors ("learning rate must be ..."). */
    public HyperParameter<T> label(String words) {
        return new HyperParameter<>(name, option, words, kind, defaultValue, doc, check, canonical);
    }

    /** The same definition, its checked values written in one spelling (e.g. {@code ReLU} as {@code relu}). */
    public HyperParameter<T> canonical(UnaryOperator<T> spelling) {
        return new HyperParameter<>(name, option, label, kind, defaultValue, doc, check, spelling);
    }

    /** The Estimator Param's name, camelCase: {@code batchSize}. */
    public String name() {
        return name;
    }

    /** The command-line option and preset key, without dashes: {@code batch-size}. */
    public String option() {
        return option;
    }

    /** The words errors from the core trainer use: {@code batch size}. */
    public String label() {
        return label;
    }

    public Kind kind() {
        return kind;
    }

    @SuppressWarnings("unchecked")
    public Class<T> type() {
        return (Class<T>) kind.type;
    }

    /** The default (a copy). */
    public T defaultValue() {
        return copy(defaultValue);
    }

    public String doc() {
        return doc;
    }

    /**
     * Null when {@code value} is a good value of this hyper-parameter, else the error, naming
     * {@code subject} (the Param name, or the {@link #label}), the limit and the value.
     */
    public String problem(String subject, Object value) {
        if (value == null) {
            String wrong = check.problem(null);
            return subject + " " + (wrong != null ? wrong : "must be given, got null");
        }
        if (!kind.type.isInstance(value)) {
            return subject + " must be " + kind.expected + ", got " + shown(value) + " (" + value.getClass().getName()
                    + ")";
        }
        String wrong = check.problem(type().cast(value));
        return wrong == null ? null : subject + " " + wrong;
    }

    /** The value as the core trainer keeps it: checked, in its one spelling, a copy. */
    T accept(T value) {
        String wrong = problem(label, value);
        if (wrong != null) {
            throw new IllegalArgumentException(wrong);
        }
        return copy(canonical.apply(value));
    }

    /**
     * A good value in its one spelling (e.g. {@code standardize}'s older {@code true} as {@code global}); a
     * value that fails the check comes back as it is, for the check to report.
     */
    public T canonicalValue(T value) {
        return problem(name, value) == null ? copy(canonical.apply(value)) : value;
    }

    /** {@link #canonicalValue} of a value written as text (a checkpoint's record of the settings); other text as it is. */
    public String canonicalText(String text) {
        T value = parse(text);
        return value == null ? text : format(canonicalValue(value));
    }

    /** Reads a value from text; null when the text is not {@link Kind#expected}. The value is not checked. */
    public T parse(String text) {
        return type().cast(kind.parse(text));
    }

    /** The value as text that {@link #parse} reads back. */
    public String format(Object value) {
        return kind.format(value);
    }

    @SuppressWarnings("unchecked")
    private T copy(T value) {
        if (value instanceof double[] numbers) {
            return (T) numbers.clone();
        }
        return value instanceof int[] sizes ? (T) sizes.clone() : value;
    }

    /** {@code batchSize} as {@code batch-size}. */
    static String dashed(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    static String shown(Object value) {
        if (value instanceof double[] d) {
            return Arrays.toString(d);
        }
        return value instanceof int[] a ? Arrays.toString(a) : String.valueOf(value);
    }

    @Override
    public String toString() {
        return name;
    }
}
