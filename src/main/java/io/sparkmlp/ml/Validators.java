package io.sparkmlp.ml;

import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
import java.io.Serializable;
import java.util.Arrays;
import java.util.function.Predicate;
import scala.runtime.AbstractFunction1;

/**
 * Param validators that, rather than answering false (which makes Spark say only "given invalid
 * value"), throw an error naming the Param, the value and the limit.
 */
final class Validators {

    private Validators() {
    }

    /** A test that travels with the Param when Spark serializes it. */
    interface Rule<T> extends Predicate<T>, Serializable {
    }

    /** The check of a hyper-parameter of the table, named by the Param: "epochs must be >= 1, got 0". */
    static <T> AbstractFunction1<T, Object> of(HyperParameter<?> parameter) {
        return new TableCheck<>(parameter.name());
    }

    static <T> AbstractFunction1<T, Object> require(String param, String limit, Rule<T> valid) {
        return new Check<>(param, limit, valid);
    }

    /** Holds only the name, so that what Spark serializes with the Param is a string, not the table's lambdas. */
    private static final class TableCheck<T> extends AbstractFunction1<T, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String name;

        TableCheck(String name) {
            this.name = name;
        }

        @Override
        public Object apply(T value) {
            String problem = HyperParameters.named(name).problem(name, value);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            return Boolean.TRUE;
        }
    }

    private static final class Check<T> extends AbstractFunction1<T, Object> implements Serializable {
        private static final long serialVersionUID = 1L;
        private final String param;
        private final String limit;
        private final Rule<T> valid;

        Check(String param, String limit, Rule<T> valid) {
            this.param = param;
            this.limit = limit;
            this.valid = valid;
        }

        @Override
        public Object apply(T value) {
            if (value == null || !valid.test(value)) {
                String shown = value instanceof int[] a ? Arrays.toString(a) : String.valueOf(value);
                throw new IllegalArgumentException(param + " must be " + limit + ", got " + shown);
            }
            return Boolean.TRUE;
        }
    }
}
