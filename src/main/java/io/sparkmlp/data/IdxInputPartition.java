package io.sparkmlp.data;

import org.apache.spark.sql.connector.read.InputPartition;

/** Rows [start, end) of the files; the last partition also checks that nothing follows the data. */
record IdxInputPartition(int index, long start, long end, boolean last) implements InputPartition {
}
