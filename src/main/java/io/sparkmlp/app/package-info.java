/** Command-line entry points for spark-submit: they parse options, build the session without a master, and call a testable run method. */
package io.sparkmlp.app;
