#!/usr/bin/env bash
# Runs one of the rFaaS MPI applications: mpirun starts the ranks, each an ordinary rFaaS client
# that leases its own executors and offloads part of its work to them.
#
#   apps/run-app.sh APP [-np N] APP-OPTIONS...      APP = blackscholes | matmul | jacobi
#   e.g. apps/run-app.sh blackscholes -np 2 --executors db.json --offload 0.5 --size simlarge --check
#
# The class path is the built apps JAR plus its dependencies (apps/target/classpath.txt, written
# by `mvn package`); the script builds them when missing. Extra mpirun options: MPIRUN_ARGS
# (e.g. MPIRUN_ARGS="--hostfile hosts"); JVM options: JAVA_OPTS. Inside a Slurm allocation
# mpirun takes the nodes and ranks from Slurm.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
app=${1:?usage: run-app.sh blackscholes|matmul|jacobi [-np N] OPTIONS...}
shift
case "$app" in
  blackscholes) main=org.rfaas.apps.blackscholes.BlackScholesApp ;;
  matmul) main=org.rfaas.apps.matmul.MatmulApp ;;
  jacobi) main=org.rfaas.apps.jacobi.JacobiApp ;;
  *) echo "unknown application '$app' (blackscholes, matmul, jacobi)" >&2; exit 2 ;;
esac
np=2
if [ "${1:-}" = "-np" ]; then np=$2; shift 2; fi

# a JDK >= 25: JAVA_HOME if it is one, else the newest under /usr/lib/jvm
java=${JAVA_HOME:+$JAVA_HOME/bin/java}
if [ -z "$java" ] || ! "$java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  java=$(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -V | tail -1)
  export JAVA_HOME=$(dirname "$(dirname "$java")")
fi

jar=$(ls "$here"/target/rfaas-apps-*.jar 2>/dev/null | head -1 || true)
if [ -z "$jar" ] || [ ! -f "$here/target/classpath.txt" ]; then
  echo "building the apps module (mvn package)..." >&2
  (cd "$root" && mvn -B -q -pl apps -am package -DskipTests) >&2
  jar=$(ls "$here"/target/rfaas-apps-*.jar | head -1)
fi
cp="$jar:$(cat "$here/target/classpath.txt")"

mpi_opts=()
[ "$(id -u)" = 0 ] && mpi_opts+=(--allow-run-as-root)      # Open MPI refuses root without it
[ "$np" -gt "$(nproc)" ] && mpi_opts+=(--oversubscribe)     # more ranks than CPUs: allowed, slower
# shellcheck disable=SC2086
exec mpirun "${mpi_opts[@]}" ${MPIRUN_ARGS:-} -np "$np" \
  "$java" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC ${JAVA_OPTS:-} -cp "$cp" "$main" "$@"
