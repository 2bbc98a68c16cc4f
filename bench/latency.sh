#!/usr/bin/env bash
# The latency benchmark in one command: builds what it needs (this module, the stack and the packaged
# services), then runs dev.tally.bench.LatencyBenchmark from bench/target/latency-run, so that the stack's
# data lands in bench/target/latency-run/target/tally-test-stack: not the folder the other benchmarks of bench/ use,
# which the stack would wipe if both ran at once. Flags go to the benchmark; bench/latency.sh --help lists them.
# See bench/README.md.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(dirname "$bench")"

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

echo "bench: building (./mvnw -q -B package -DskipTests -pl bench,ingest-service,aggregator-service,view-service -am); the first build downloads dependencies"
(cd "$home" && ./mvnw -q -B package -DskipTests -pl bench,ingest-service,aggregator-service,view-service -am)

mkdir -p "$bench/target/latency-run"
cd "$bench/target/latency-run"
exec "$(java_bin)" -Xmx1g -Dtally.home="$home" \
  -cp "$bench/target/classes:$(cat "$bench/target/bench.classpath")" \
  dev.tally.bench.LatencyBenchmark "$@"
