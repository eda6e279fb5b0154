package io.sparkmlp.data;

import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;

/** Builder, scan and batch in one: nothing is pushed down, so all three are the same fixed plan. */
final class IdxScan implements ScanBuilder, Scan, Batch {

    private final IdxReadPlan plan;
    private final SerializableHadoopConf conf;

    IdxScan(IdxReadPlan plan, SerializableHadoopConf conf) {
        this.plan = plan;
        this.conf = conf;
    }

    @Override
    public Scan build() {
        return this;
    }

    @Override
    public StructType readSchema() {
        return IdxDataSource.SCHEMA;
    }

    @Override
    public String description() {
        return "idx images=" + plan.imagesPath() + " labels=" + plan.labelsPath() + " rows=" + plan.count()
                + " partitions=" + plan.numPartitions() + " scale=" + (plan.unitScale() ? "unit" : "raw");
    }

    @Override
    public Batch toBatch() {
        return this;
    }

    /** Partition i covers rows [i * n / p, (i + 1) * n / p): contiguous, sizes differ by at most one. */
    @Override
    public InputPartition[] planInputPartitions() {
        int p = plan.numPartitions();
        long n = plan.count();
        InputPartition[] parts = new InputPartition[p];
        for (int i = 0; i < p; i++) {
            parts[i] = new IdxInputPartition(i, i * n / p, (i + 1) * n / p, i == p - 1);
        }
        return parts;
    }

    @Override
    public PartitionReaderFactory createReaderFactory() {
        return new IdxReaderFactory(plan, conf);
    }
}
