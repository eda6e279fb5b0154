package io.sparkmlp.train;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the best validation loss and epoch, with that epoch's weights when they will be kept
 * ({@code patience > 0}), and stops the run after {@code patience} epochs without a lower loss.
 * Copies weights only at an epoch's end, and only when the loss improved.
 */
final class EarlyStopping implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(EarlyStopping.class);

    private final int patience;

    /** @param patience epochs without a gain before stopping; 0 only keeps the best loss and epoch */
    EarlyStopping(int patience) {
        if (patience < 0) {
            throw new IllegalArgumentException("patience must be >= 0 epochs, got " + patience);
        }
        this.patience = patience;
    }

    @Override
    public void afterEpoch(TrainingState state) {
        double loss = state.lastEpoch().validationLoss();
        if (Double.isNaN(loss)) {
            return; // no validation this run
        }
        if (loss < state.bestLoss()) {
            state.improved(loss, patience > 0);
        } else if (patience > 0 && state.noGain() >= patience) {
            state.stopEarly();
            LOG.info("stopping early: validation loss has not improved for {} epochs since epoch {} ({})",
                    state.epochsWithoutGain(), state.bestEpoch(), state.bestLoss());
        }
    }
}
