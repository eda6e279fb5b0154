package io.sparkmlp.train;

import java.io.Serializable;

/** Mean cross-entropy loss and accuracy over {@code rows} labelled rows. */
public record Evaluation(double loss, double accuracy, long rows) implements Serializable {
}
