/** Optimizers over the flat parameter array: SGD with classical or Nesterov momentum, L2 weight decay, and learning-rate schedules. */
package io.sparkmlp.optim;
