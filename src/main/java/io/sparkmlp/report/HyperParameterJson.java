package io.sparkmlp.report;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkmlp.train.HyperParameter;
import io.sparkmlp.train.HyperParameters;
import io.sparkmlp.train.TrainingParams;

/**
 * A run's hyper-parameters as a JSON object keyed by option name ({@code batch-size}), every one of
 * {@link HyperParameters#ALL} with its typed value: numbers as numbers, booleans, layer sizes as an
 * array, names as strings; so a program can compare runs or repeat one.
 */
public final class HyperParameterJson {

    private HyperParameterJson() {
    }

    public static ObjectNode of(TrainingParams params) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        for (HyperParameter<?> h : HyperParameters.ALL) {
            put(node, h.option(), params.get(h));
        }
        return node;
    }

    private static void put(ObjectNode node, String key, Object value) {
        if (value instanceof int[] sizes) {
            var array = node.putArray(key);
            for (int s : sizes) {
                array.add(s);
            }
        } else if (value instanceof double[] rates) {
            var array = node.putArray(key);
            for (double r : rates) {
                array.add(r);
            }
        } else if (value instanceof Integer i) {
            node.put(key, i);
        } else if (value instanceof Long l) {
            node.put(key, l);
        } else if (value instanceof Double d) {
            node.put(key, d);
        } else if (value instanceof Boolean b) {
            node.put(key, b);
        } else if (value instanceof String s) {
            node.put(key, s);
        } else {
            throw new IllegalStateException("hyper-parameter " + key + " has a value of type "
                    + (value == null ? "null" : value.getClass().getName()) + ", which has no JSON form here");
        }
    }
}
