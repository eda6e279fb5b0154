/** The distributed trainer: rows packed into cached blocks, the per-partition gradient step, the driver's synchronous SGD loop over a training state with its listeners (early stopping, progress, checkpoints), checkpoint files and resume, evaluation, and model files. */
package io.sparkmlp.train;
