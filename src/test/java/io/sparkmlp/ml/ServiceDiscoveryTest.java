package io.sparkmlp.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkmlp.SparkTestSession;
import io.sparkmlp.TinyMnist;
import io.sparkmlp.app.TrainApp;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spark Connect finds third-party estimators and models through Java's service loader, as these tests do. */
@Tag("spark")
class ServiceDiscoveryTest {

    @TempDir
    Path dir;

    @SuppressWarnings("rawtypes")
    private static <T> List<ServiceLoader.Provider<T>> providers(Class<T> service) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return ServiceLoader.load(service, loader).stream().collect(Collectors.toList());
    }

    @Test
    @SuppressWarnings("rawtypes")
    void theServiceLoaderFindsAndInstantiatesTheClassifier() throws Exception {
        ServiceLoader.Provider<Estimator> provider = providers(Estimator.class).stream()
                .filter(p -> p.type() == MlpClassifier.class).findFirst()
                .orElseThrow(() -> new AssertionError("MlpClassifier is not among " + providers(Estimator.class).stream()
                        .map(p -> p.type().getName()).collect(Collectors.toList())));
        assertInstanceOf(MlpClassifier.class, provider.get());
        MlpClassifier byUid = MlpClassifier.class.getConstructor(String.class).newInstance("x");
        assertEquals("x", byUid.uid());
        assertEquals("x", byUid.labelCol().parent(), "the inherited Params belong to the uid given");
    }

    @Test
    @SuppressWarnings("rawtypes")
    void theServiceLoaderFindsTheModelWhoseStaticLoadReadsASavedModel() throws Exception {
        ServiceLoader.Provider<Transformer> provider = providers(Transformer.class).stream()
                .filter(p -> p.type() == MlpClassificationModel.class).findFirst()
                .orElseThrow(() -> new AssertionError("MlpClassificationModel is not among " + providers(Transformer.class)
                        .stream().map(p -> p.type().getName()).collect(Collectors.toList())));
        MlpClassificationModel empty = (MlpClassificationModel) provider.get();
        assertEquals(empty.uid(), empty.featuresCol().parent());
        IllegalStateException e = assertThrows(IllegalStateException.class, empty::numClasses);
        assertEquals("MlpClassificationModel " + empty.uid() + " has no weights: load one with"
                + " MlpClassificationModel.load(path)", e.getMessage());
        MlpClassificationModel byUid = MlpClassificationModel.class.getConstructor(String.class).newInstance("m");
        assertEquals("m", byUid.predictionCol().parent());

        Path data = dir.resolve("data");
        TinyMnist.write(data, 120, 30);
        Dataset<Row> train = TrainApp.read(SparkTestSession.get(), data.resolve("train-images-idx3-ubyte.gz").toString(),
                data.resolve("train-labels-idx1-ubyte.gz").toString(), 2);
        MlpClassificationModel fitted = new MlpClassifier().setLayers(16, 4, 3).setEpochs(1).setBatchSize(30).fit(train);
        Path saved = dir.resolve("model");
        fitted.write().save(saved.toString());
        Method load = provider.type().getMethod("load", String.class);
        assertTrue(Modifier.isStatic(load.getModifiers()));
        MlpClassificationModel loaded = (MlpClassificationModel) load.invoke(null, saved.toString());
        assertEquals(fitted.uid(), loaded.uid());
        assertArrayEquals(fitted.weights(), loaded.weights());
    }
}
