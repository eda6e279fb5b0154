package io.sparkmlp.data;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.apache.spark.sql.connector.catalog.Column;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/** A pair of checked IDX files (images, labels) as a batch-readable table. */
final class IdxTable implements Table, SupportsRead {

    private final IdxReadPlan plan;
    private final SerializableHadoopConf conf;

    IdxTable(IdxReadPlan plan, SerializableHadoopConf conf) {
        this.plan = plan;
        this.conf = conf;
    }

    @Override
    public String name() {
        return "idx:" + plan.imagesPath();
    }

    @Override
    public Column[] columns() {
        return Arrays.stream(IdxDataSource.SCHEMA.fields())
                .map(f -> Column.create(f.name(), f.dataType(), f.nullable()))
                .toArray(Column[]::new);
    }

    @Override
    public Set<TableCapability> capabilities() {
        return EnumSet.of(TableCapability.BATCH_READ);
    }

    @Override
    public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
        return new IdxScan(plan, conf);
    }
}
