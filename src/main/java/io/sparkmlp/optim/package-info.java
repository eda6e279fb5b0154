/** Optimizers over the flat parameter array (the {@code Optimizer} interface, with its state exported and restored for checkpoints; SGD with classical or Nesterov momentum, Adam, AdamW and RMSProp, weight decay on the weights only), the elastic-net penalty, gradient clipping and learning-rate schedules. */
package io.sparkmlp.optim;
