/** JMH benchmarks of the network kernels that need no package-private access (run them with submit/jmh). */
package io.sparkmlp.bench;
