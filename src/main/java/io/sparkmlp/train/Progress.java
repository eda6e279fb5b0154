package io.sparkmlp.train;

import java.util.Objects;
import java.util.function.Consumer;

/** Hands every closed epoch's metrics to a consumer: the per-epoch log line, or a caller's callback. */
final class Progress implements TrainingListener {

    private final Consumer<EpochMetrics> onEpoch;

    Progress(Consumer<EpochMetrics> onEpoch) {
        this.onEpoch = Objects.requireNonNull(onEpoch, "onEpoch");
    }

    @Override
    public void afterEpoch(TrainingState state) {
        onEpoch.accept(state.lastEpoch());
    }
}
