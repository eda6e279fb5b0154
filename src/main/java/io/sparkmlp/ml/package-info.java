/** Spark ML integration: the MlpClassifier estimator and its model, with Params and ML persistence, for use in pipelines. */
package io.sparkmlp.ml;
