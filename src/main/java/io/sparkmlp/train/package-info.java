/** The distributed trainer: rows packed into cached blocks, the per-partition gradient step, the driver's synchronous SGD loop, evaluation, and model files. */
package io.sparkmlp.train;
