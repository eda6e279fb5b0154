package io.sparkmlp.train;

import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A partition task (partition index and blocks in, results out) as the function
 * {@code SparkContext.runJob} takes: the task's first result. Checked exceptions come out as
 * IllegalStateException, unchecked ones as they are, so the driver sees the task's own message.
 */
final class FirstResult<T> implements scala.Function2<TaskContext, scala.collection.Iterator<Block>, T>, Serializable {

    private static final long serialVersionUID = 1L;

    private final Function2<Integer, Iterator<Block>, Iterator<T>> task;

    FirstResult(Function2<Integer, Iterator<Block>, Iterator<T>> task) {
        this.task = task;
    }

    @Override
    public T apply(TaskContext context, scala.collection.Iterator<Block> blocks) {
        try {
            return task.call(context.partitionId(), CollectionConverters.asJava(blocks)).next();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
