package io.sparkmlp.train;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/** Owns the list of classes sparkmlp sends through Kryo, so {@code spark.kryo.registrationRequired} can stay on. */
public final class KryoRegistrations implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        // step and evaluation results, summed in a fixed tree order
        kryo.register(GradientSum.class);
        kryo.register(GradientSum[].class);
        kryo.register(OrderedSum.class);
        // packed rows, when a cached block spills to disk or is shuffled
        kryo.register(Block.class);
        kryo.register(double[][].class);
    }
}
