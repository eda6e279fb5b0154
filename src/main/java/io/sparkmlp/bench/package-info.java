/** The performance benchmark: sparkmlp against Spark MLlib (and PyTorch when present) on the same data, in one run. */
package io.sparkmlp.bench;
