#!/usr/bin/env bash
# The batch benchmark in one command: builds this module and the packaged aggregator-service
# (./mvnw -q -B package -DskipTests -pl aggregator-service,bench -am), then runs dev.tally.bench.BatchBenchmark from
# bench/target/batch-run, so that the stack's data lands in bench/target/batch-run/target/tally-test-stack: not
# the folder the other benchmarks use, which the stack would wipe if both ran at once. Flags go to the benchmark;
# bench/batch.sh --help lists them. See bench/README.md.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(dirname "$bench")"

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

echo "bench: building (./mvnw -q -B package -DskipTests -pl aggregator-service,bench -am)"
(cd "$home" && ./mvnw -q -B package -DskipTests -pl aggregator-service,bench -am)

mkdir -p "$bench/target/batch-run"
cd "$bench/target/batch-run"
exec "$(java_bin)" -Xmx1g -Dtally.home="$home" \
  -cp "$bench/target/classes:$(cat "$bench/target/bench.classpath")" \
  dev.tally.bench.BatchBenchmark "$@"
