package io.sparkmlp.data;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;

/** Sent to the executors with the plan and the Hadoop configuration; makes one reader per partition. */
final class IdxReaderFactory implements PartitionReaderFactory {

    private static final long serialVersionUID = 1L;

    private final IdxReadPlan plan;
    private final SerializableHadoopConf conf;

    IdxReaderFactory(IdxReadPlan plan, SerializableHadoopConf conf) {
        this.plan = plan;
        this.conf = conf;
    }

    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
        return new IdxPartitionReader(plan, (IdxInputPartition) partition, conf.get());
    }
}
