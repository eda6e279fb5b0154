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
# that netlib's pure-Java BLAS fallback uses: conf/spark-defaults.conf's spark.driver.extraJavaOptions.
# (a properties file: the key ends at whitespace, '=' or ':'; ScriptArgumentsTest keeps the line whole)
SPARKMLP_JAVA_OPTIONS=$(sed -n 's/^spark\.driver\.extraJavaOptions[[:space:]=:]*//p' "$SPARKMLP_HOME/conf/spark-defaults.conf")

# Spark runs one task per core; BLAS threads on top of that would fight over the cores. The bundled
# OpenBLAS sets one thread itself; a system OpenBLAS needs both (the OpenMP build reads only OMP_).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# SPARK_LOCAL_IP is not defaulted here: the scripts that run on loopback (cluster-up, and submit
# and train for a loopback master) set it to 127.0.0.1 themselves, whatever the caller's value,
# with SPARKMLP_LOOPBACK=1 so that bin/spark-class re-sets it after sourcing spark-env.sh.

# A script's --help: its opening comment, from line 2 to the first line that is not a comment.
sparkmlp_header_help() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

# sparkmlp_loopback_master URL: the master runs on this machine (local[...], 127.0.0.1, localhost)
sparkmlp_loopback_master() {
    case $1 in
        local|local\[*|local-cluster\[*|spark://127.0.0.1:*|spark://localhost:*) return 0 ;;
        *) return 1 ;;
    esac
}

# sparkmlp_bind_loopback: Spark binds to 127.0.0.1, whatever the caller's environment says
sparkmlp_bind_loopback() {
    SPARK_LOCAL_IP=127.0.0.1
    SPARKMLP_LOOPBACK=1
    export SPARK_LOCAL_IP SPARKMLP_LOOPBACK
}

# sparkmlp_runs_recorded NAME: the PID in $SPARKMLP_CLUSTER_DIR/NAME.pid is alive and still runs
# the command that cluster-up recorded in NAME.cmd (main class and its arguments, --port included).
# A PID file may outlive its process and the number be reused by another one.
sparkmlp_runs_recorded() {
    [ -f "$SPARKMLP_CLUSTER_DIR/$1.pid" ] && [ -f "$SPARKMLP_CLUSTER_DIR/$1.cmd" ] || return 1
    _pid=$(cat "$SPARKMLP_CLUSTER_DIR/$1.pid")
    case $_pid in ''|*[!0-9]*) return 1 ;; esac
    _recorded=$(cat "$SPARKMLP_CLUSTER_DIR/$1.cmd")
    [ -n "$_recorded" ] && [ -r "/proc/$_pid/cmdline" ] || return 1
    # arguments NUL-terminated -> space-terminated, so "--webui-port 17078 " cannot match 170789
    tr '\0' ' ' < "/proc/$_pid/cmdline" 2>/dev/null | grep -qF -- "$_recorded "
}

# sparkmlp_spark_home_ready DIR: DIR has bin/spark-class and, when submit/spark-home assembled it,
# the jars/.complete marker that it writes after a complete copy (an interrupted copy lacks it).
sparkmlp_spark_home_ready() {
    [ -x "$1/bin/spark-class" ] && [ -x "$1/bin/spark-submit" ] || return 1
    if [ -f "$1/RELEASE" ] && grep -q 'sparkmlp submit/spark-home' "$1/RELEASE"; then
        [ -f "$1/jars/.complete" ] || return 1
    fi
    return 0
}

sparkmlp_build_if_needed() {
    stale=""
    if [ ! -f "$SPARKMLP_JAR" ] || [ ! -f "$SPARKMLP_CLASSPATH_FILE" ]; then
        stale="missing"
    # conf/: the jar carries the presets
    elif [ -n "$(find "$SPARKMLP_HOME/src/main" "$SPARKMLP_HOME/conf" "$SPARKMLP_HOME/pom.xml" -newer "$SPARKMLP_JAR" -type f 2>/dev/null | head -n 1)" ]; then
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

# sparkmlp_run_forwarding_signals COMMAND...: runs COMMAND in the background and waits for it;
# SIGINT or SIGTERM to the script sends SIGTERM to it (a background job of a non-interactive
# shell ignores SIGINT, so TERM in both cases; the JVM's shutdown hooks stop Spark). Exits with
# COMMAND's status, through the caller's EXIT trap (its temporary files).
sparkmlp_run_forwarding_signals() {
    _child=""
    _signalled=no
    trap '_signalled=yes; [ -z "$_child" ] || kill -TERM "$_child" 2>/dev/null || true' INT TERM
    "$@" &
    _child=$!
    # a signal between starting it and knowing its PID
    if [ "$_signalled" = yes ]; then
        kill -TERM "$_child" 2>/dev/null || true
    fi
    _status=0
    # a trapped signal ends wait early (status > 128) while the child may still run, or be an
    # unreaped zombie (kill -0 still succeeds): wait again until wait has reaped it
    while :; do
        _status=0
        wait "$_child" || _status=$?
        kill -0 "$_child" 2>/dev/null || break
    done
    exit "$_status"
}
