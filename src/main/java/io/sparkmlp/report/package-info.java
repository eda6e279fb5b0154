/** What a training run leaves to look at: history.csv, the hyper-parameters as JSON, PNG charts and an index.html. */
package io.sparkmlp.report;
