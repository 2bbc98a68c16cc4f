#!/usr/bin/env bash
# The aggregator benchmark in one command: builds this module (the stack and the packaged aggregator-service must
# already be built: ./mvnw -q -B package -DskipTests -pl aggregator-service -am), then runs
# dev.tally.bench.AggregatorBenchmark from bench/ so that the stack's data lands in bench/target. Flags go to the
# benchmark; bench/aggregator.sh --help lists them. See bench/README.md.
set -euo pipefail

bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="$(dirname "$bench")"

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

if [[ ! -f "$home/aggregator-service/target/quarkus-app/quarkus-run.jar" ]]; then
  echo "bench: aggregator-service is not packaged; building it (./mvnw -q -B package -DskipTests -pl aggregator-service -am)"
  (cd "$home" && ./mvnw -q -B package -DskipTests -pl aggregator-service -am)
fi
echo "bench: building (./mvnw -q -B package -DskipTests -pl bench)"
(cd "$home" && ./mvnw -q -B package -DskipTests -pl bench)

cd "$bench"
exec "$(java_bin)" -Xmx1g -Dtally.home="$home" \
  -cp "$bench/target/classes:$(cat "$bench/target/bench.classpath")" \
  dev.tally.bench.AggregatorBenchmark "$@"
