/** The local multilayer perceptron: flat parameter layout, activations, dropout masks, softmax cross-entropy (weighted or not), and batched forward/backward through BLAS, with no Spark dependency. */
package io.sparkmlp.nn;
