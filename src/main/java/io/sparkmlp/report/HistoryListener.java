package io.sparkmlp.report;

import io.sparkmlp.train.TrainingListener;
import io.sparkmlp.train.TrainingState;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Rewrites {@code history.csv} at every epoch's end, so a long run's history can be read while it
 * runs; a resumed run's file starts with the epochs of its checkpoint. Hadoop file systems need not
 * append, so the whole (small) file is written each time.
 */
public final class HistoryListener implements TrainingListener {

    private final Path file;
    private final Configuration hadoop;

    public HistoryListener(Path file, Configuration hadoop) {
        this.file = Objects.requireNonNull(file, "file");
        this.hadoop = Objects.requireNonNull(hadoop, "hadoop");
    }

    @Override
    public void afterEpoch(TrainingState state) {
        HistoryCsv.write(state.history(), state.data().trainRows(), file, hadoop);
    }
}
