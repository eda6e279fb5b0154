package io.sparkmlp.train;

import com.esotericsoftware.kryo.Kryo;
import org.apache.spark.serializer.KryoRegistrator;

/** Owns the list of classes sparkmlp sends through Kryo, so {@code spark.kryo.registrationRequired} can stay on. */
public final class KryoRegistrations implements KryoRegistrator {

    @Override
    public void registerClasses(Kryo kryo) {
        // filled in as the classes land
    }
}
