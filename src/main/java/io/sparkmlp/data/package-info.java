/** Reads and writes MNIST-style IDX files, and exposes them to Spark as the {@code idx} data source. */
package io.sparkmlp.data;
