/** The local multilayer perceptron: flat parameter layout, activations, softmax cross-entropy, and batched forward/backward through BLAS, with no Spark dependency. */
package io.sparkmlp.nn;
