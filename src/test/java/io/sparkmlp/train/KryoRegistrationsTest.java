package io.sparkmlp.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag;

@Tag("unit")
class KryoRegistrationsTest {

    private static SerializerInstance kryo(boolean withRegistrator) {
        SparkConf conf = new SparkConf(false).set("spark.kryo.registrationRequired", "true");
        if (withRegistrator) {
            conf.set("spark.kryo.registrator", KryoRegistrations.class.getName());
        }
        return new KryoSerializer(conf).newInstance();
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(SerializerInstance serializer, T value) {
        ClassTag<T> tag = (ClassTag<T>) ClassTag.apply(value.getClass());
        ByteBuffer bytes = serializer.serialize(value, tag);
        return serializer.deserialize(bytes, tag);
    }

    @Test
    void resultsAndBlocksRoundTripWithRegistrationRequired() {
        SerializerInstance serializer = kryo(true);
        OrderedSum sum = new OrderedSum(3);
        sum.add(new GradientSum(0, new float[] {1f, 2f}, 0.5, 4, 3, 1, 10));
        sum.add(new GradientSum(2, null, 0.25, 2, 1, 2, 20));
        OrderedSum back = roundTrip(serializer, sum);
        back.add(new GradientSum(1, new float[] {3f, 4f}, 0.25, 2, 2, 3, 5));
        GradientSum total = back.total();
        assertArrayEquals(new float[] {4f, 6f}, total.gradient());
        assertEquals(8, total.count());
        assertEquals(6, total.correct());
        assertEquals(3, total.maxFetchNanos());
        assertEquals(20, total.maxComputeNanos());

        Block.Builder builder = new Block.Builder(3);
        builder.add(2, new double[] {0, 1, 128 / 255.0});
        builder.add(1, new double[] {1, 0, 0});
        Block block = roundTrip(serializer, builder.build());
        assertEquals(2, block.rows());
        assertEquals(2, block.label(0));
        float[] row = new float[3];
        block.unpack(0, row, 0, io.sparkmlp.nn.InputScaling.IDENTITY, fillTable());
        assertArrayEquals(new float[] {0f, 1f, 128 / 255f}, row);

        io.sparkmlp.nn.FeatureMoments moments = roundTrip(serializer,
                PackedData.partitionMoments(java.util.List.of(block).iterator()).next());
        assertEquals(2, moments.count());
        assertEquals(0.5, moments.mean(0));
        assertEquals(0.25, moments.variance(1));
        assertEquals(true, moments.imageLike());
    }

    private static float[] fillTable() {
        float[] table = new float[256];
        Block.fillByteTable(io.sparkmlp.nn.InputScaling.IDENTITY, table);
        return table;
    }

    @Test
    void withoutTheRegistratorKryoRefusesOurClasses() {
        assertThrows(IllegalArgumentException.class,
                () -> roundTrip(kryo(false), new GradientSum(0, new float[1], 0, 1, 0, 0, 0)));
    }
}
