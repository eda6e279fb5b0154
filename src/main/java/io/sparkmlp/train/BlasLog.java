package io.sparkmlp.train;

import io.sparkmlp.nn.Blas;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs, once per JVM (the driver, each executor), which BLAS the kernels run on and any reason it is not the one asked for. */
public final class BlasLog {

    private static final Logger LOG = LoggerFactory.getLogger(BlasLog.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private BlasLog() {
    }

    /** Chooses the BLAS (if no product ran yet) and logs its report the first time this JVM asks; cheap after that. */
    public static void logOnce() {
        if (LOGGED.get() || !LOGGED.compareAndSet(false, true)) {
            return;
        }
        Blas.Report report = Blas.report();
        LOG.info(report.describe());
        for (String warning : report.warnings()) {
            LOG.warn(warning);
        }
    }
}
