package io.sparkmlp.ml;

/**
 * Spark's inherited Params (featuresCol, labelCol, ...) are created in the superclass constructor and
 * record {@code uid()} at that moment. Scala sets its {@code uid} field before that; Java cannot, so
 * each class's constructor first hands its uid over here (in the arguments of {@code this(...)},
 * which run before {@code super()}) and {@code uid()} reads it until the field is set.
 */
final class UidDuringConstruction {

    private static final ThreadLocal<String> PENDING = new ThreadLocal<>();

    private UidDuringConstruction() {
    }

    static String hold(String uid) {
        if (uid == null || uid.isEmpty()) {
            throw new IllegalArgumentException("uid must be a non-empty string, got " + (uid == null ? "null" : "''"));
        }
        PENDING.set(uid);
        return uid;
    }

    static String pending() {
        return PENDING.get();
    }

    static void release() {
        PENDING.remove();
    }
}
