# Sourced by the scripts in submit/: paths, JVM options, and building the jar when it is missing
# or older than the sources. POSIX sh.

SPARKMLP_HOME=$(cd "$(dirname "$0")/.." && pwd)
SPARKMLP_JAR="$SPARKMLP_HOME/target/sparkmlp.jar"
SPARKMLP_CLASSPATH_FILE="$SPARKMLP_HOME/target/classpath.txt"
# The build's Spark, for submit/spark-home; a Spark runtime must match it.
SPARKMLP_SPARK_VERSION=$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$SPARKMLP_HOME/pom.xml")
SPARKMLP_SCALA_VERSION=$(sed -n 's:.*<scala.binary.version>\(.*\)</scala.binary.version>.*:\1:p' "$SPARKMLP_HOME/pom.xml")
SPARKMLP_DEFAULT_SPARK_HOME="$SPARKMLP_HOME/target/spark-$SPARKMLP_SPARK_VERSION"
# PID files, logs and worker folders of the loopback cluster (submit/cluster-up).
SPARKMLP_CLUSTER_DIR="${SPARKMLP_CLUSTER_DIR:-$SPARKMLP_HOME/work/cluster}"

# Spark's module options for Java 17 (as Spark's own launcher adds them), plus the Vector API
# that netlib's pure-Java BLAS fallback uses. Keep in step with spark.jvm.options in pom.xml.
SPARKMLP_JAVA_OPTIONS="--add-modules=jdk.incubator.vector \
--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
--add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
--add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED \
--add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false"

# Spark runs one task per core; BLAS threads on top of that would fight over the cores.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

sparkmlp_build_if_needed() {
    stale=""
    if [ ! -f "$SPARKMLP_JAR" ] || [ ! -f "$SPARKMLP_CLASSPATH_FILE" ]; then
        stale="missing"
    elif [ -n "$(find "$SPARKMLP_HOME/src/main" "$SPARKMLP_HOME/pom.xml" -newer "$SPARKMLP_JAR" -type f 2>/dev/null | head -n 1)" ]; then
        stale="older than the sources"
    fi
    if [ -n "$stale" ]; then
        echo "sparkmlp: building $SPARKMLP_JAR ($stale): mvn package..." >&2
        # shellcheck disable=SC2086 # SPARKMLP_MVN may be a command with options
        (cd "$SPARKMLP_HOME" && ${SPARKMLP_MVN:-mvn} -q -B -DskipTests package) || {
            echo "sparkmlp: the build failed; run 'mvn -DskipTests package' to see why" >&2
            exit 1
        }
    fi
}
