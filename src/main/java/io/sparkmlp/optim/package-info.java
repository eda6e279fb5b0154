/** Optimizers over the flat parameter array (the {@code Optimizer} interface, with its state exported and restored for checkpoints; SGD with classical or Nesterov momentum, L2 weight decay) and learning-rate schedules. */
package io.sparkmlp.optim;
